"""The `Sampler` base class: the decoding loop shared by every token-choosing strategy.

Every decoder is reached through one step protocol,
`step_fn(token_ids [n], state) -> (logits [n, vocab], new_state)`, where `state` is any nest of
tensors whose leading axis is `n` and the logits may be unnormalised or log-probabilities.
The loop feeds `start_ids`, picks a token from the logits, feeds it back, and so on, many steps
per compiled call (XLA on TensorFlow, `jax.jit` on JAX). Randomness comes in as uniform numbers
drawn on the host from a seeded numpy generator, so a compiled loop stays deterministic for a
given seed on every backend and no backend random state is carried through it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from keras import ops

from textrnn.generation.compile import compile_function

StepFn = Callable[[object, object], tuple[object, object]]

CHUNK = 128  # steps per compiled call; one compilation serves every length.
NO_END = -1  # `end_id` when there is none: no token id equals it.


class Sampler:
    """Base class of the decoding strategies; subclasses override `get_next_token`.

    Args:
        temperature: the logits are divided by it before a token is chosen; lower is more
            conservative. Must be positive.

    Call arguments:
        step_fn: the decoder step, `step_fn(token_ids [n], state) -> (logits [n, vocab],
            new_state)`.
        state: the state before the first step, a nest of tensors with leading axis `n`.
        start_ids: `[n]` int ids fed at the first step (e.g. begin-of-sequence, or the last
            prompt token).
        max_length: number of tokens to generate per row.
        end_id: the id that ends a row (None: rows run to `max_length`).
        seed: seeds the uniform numbers; the same seed gives the same tokens.

    Returns:
        `[n, max_length]` int32 numpy array; a row that emitted `end_id` is padded with it.

    Example:

    >>> sampler = TopKSampler(k=5, temperature=0.8)
    >>> ids = sampler(generator.step, states, start_ids, max_length=100, seed=1)
    """

    def __init__(self, temperature: float = 1.0):
        if not temperature > 0:
            raise ValueError(
                "Received an invalid value for argument `temperature`, expected a positive "
                f"number, got {temperature}. For greedy decoding use `GreedySampler`."
            )
        self.temperature = temperature
        self._compiled: dict = {}

    def get_next_token(self, logits, uniform):
        """Picks one token per row.

        Args:
            logits: `[n, vocab]` float32, already divided by the temperature.
            uniform: `[n]` numbers in [0, 1), one per row (samplers without randomness
                ignore them).

        Returns:
            `[n]` int32 token ids.
        """
        raise NotImplementedError

    def scale(self, logits):
        """The logits `[n, vocab]` as float32, divided by the temperature."""
        logits = ops.cast(logits, "float32")
        return logits if self.temperature == 1 else logits / self.temperature

    def get_config(self) -> dict:
        return {"temperature": self.temperature}

    @classmethod
    def from_config(cls, config: dict) -> Sampler:
        return cls(**config)

    def compiled(self, step_fn: StepFn, build: Callable[[StepFn], Callable]) -> Callable:
        """`build(step_fn)` compiled, once per step function and sampler."""
        if step_fn not in self._compiled:
            self._compiled[step_fn] = compile_function(build(step_fn))
        return self._compiled[step_fn]

    def __call__(self, step_fn: StepFn, state, start_ids, max_length: int,
                 end_id: int | None = None, seed: int | None = None) -> np.ndarray:
        start_ids = check_start(start_ids, max_length)
        end = NO_END if end_id is None else int(end_id)
        loop = self.compiled(step_fn, self._chunk_loop)
        rng = np.random.default_rng(seed)
        tokens = ops.convert_to_tensor(start_ids)
        done = ops.zeros(start_ids.shape, dtype="bool")
        out = np.full((len(start_ids), max_length), end, dtype="int32")
        for begin in range(0, max_length, CHUNK):
            uniforms = rng.random((len(start_ids), CHUNK), dtype=np.float32)
            steps = min(CHUNK, max_length - begin)
            tokens, state, done, chunk = loop(
                tokens, state, done, ops.convert_to_tensor(uniforms),
                ops.convert_to_tensor(steps, "int32"), ops.convert_to_tensor(end, "int32"))
            out[:, begin:begin + steps] = ops.convert_to_numpy(chunk)[:, :steps]
            if end_id is not None and ops.convert_to_numpy(done).all():
                break
        return out

    def _chunk_loop(self, step_fn: StepFn) -> Callable:
        """Up to `steps` (<= `CHUNK`) steps; stops early once every row has ended."""

        def loop(tokens, state, done, uniforms, steps, end_id):
            def cond(i, tokens, state, done, out):
                return ops.logical_and(i < steps, ops.logical_not(ops.all(done)))

            def body(i, tokens, state, done, out):
                logits, state = step_fn(tokens, state)
                uniform = ops.take(uniforms, i, axis=1)
                next_ids = ops.cast(self.get_next_token(self.scale(logits), uniform), "int32")
                next_ids = ops.where(done, end_id, next_ids)
                out = ops.slice_update(out, (0, i), ops.expand_dims(next_ids, 1))
                return i + 1, next_ids, state, ops.logical_or(done, next_ids == end_id), out

            out = ops.zeros_like(uniforms, dtype="int32") + end_id
            start = ops.convert_to_tensor(0, "int32")
            _, tokens, state, done, out = ops.while_loop(
                cond, body, (start, tokens, state, done, out))
            return tokens, state, done, out

        return loop


def check_start(start_ids, max_length: int) -> np.ndarray:
    """Validates the loop's inputs; returns `start_ids` as a `[n]` int32 array."""
    if not isinstance(max_length, (int, np.integer)) or max_length < 0:
        raise ValueError(f"Received an invalid value for argument `max_length`, expected an "
                         f"integer >= 0, got {max_length!r}.")
    start_ids = np.asarray(start_ids, dtype="int32")
    if start_ids.ndim != 1 or start_ids.size == 0:
        raise ValueError(f"Received an invalid value for argument `start_ids`, expected a "
                         f"non-empty 1-D array of token ids, got shape {start_ids.shape}.")
    return start_ids
