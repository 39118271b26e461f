"""Token-by-token generation from a recurrent language model, carrying its state.

A language model here is a chain of layers (`keras.Sequential` or a functional chain):
per-token layers (embedding / one-hot, dropout, dense) and recurrent layers that expose a
`cell` (textrnn's or Keras' `SimpleRNN`, `LSTM`, `GRU`). `RecurrentGenerator` runs the chain
one token at a time: per-token layers see `[batch, features]`, recurrent layers are replaced by
one step of their cell. Every new token costs one step, whatever the prefix length; the prefix
is never re-run. Many steps run inside one compiled loop (XLA on TensorFlow, `jax.jit` on JAX).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from textrnn.generation.sampling import SamplingConfig, sample_next_token

_CHUNK = 128  # tokens emitted per compiled call; one compilation serves every length.


def compile_function(fn: Callable) -> Callable:
    """Compiles `fn` for the current backend (XLA on TensorFlow, `jax.jit` on JAX)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True, reduce_retracing=True)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    return fn


def _state_sizes(cell) -> list[int]:
    sizes = cell.state_size
    return list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]


class RecurrentGenerator:
    """Steps a recurrent language model one token at a time.

    Args:
        model: a model mapping token ids `[batch, time]` to logits `[batch, time, vocab]`
            through a chain of layers; recurrent layers must have `return_sequences=True`.

    Example:

    >>> generator = RecurrentGenerator(model)
    >>> ids = generator.generate([12, 5, 7], length=100, temperature=0.8, seed=1)
    """

    def __init__(self, model: keras.Model):
        self.model = model
        self.layers = [layer for layer in model.layers
                       if not isinstance(layer, keras.layers.InputLayer)]
        self.recurrent = [layer for layer in self.layers if hasattr(layer, "cell")]
        if not self.recurrent:
            raise ValueError(
                f"Received a model without recurrent layers (layers: "
                f"{[layer.name for layer in self.layers]}); `RecurrentGenerator` needs a chain "
                "of per-token layers and recurrent layers with a `cell`."
            )
        for layer in self.recurrent:
            if getattr(layer, "go_backwards", False):
                raise ValueError(f"Layer `{layer.name}` runs backwards; a generator can only "
                                 "step forward in time.")
        self._compiled: dict = {}

    def initial_states(self, batch_size: int) -> list:
        """Zero states: a flat list of `[batch, units]` tensors, layer by layer."""
        return [ops.zeros((batch_size, size)) for layer in self.recurrent
                for size in _state_sizes(layer.cell)]

    def step(self, token_ids, states: list):
        """One step of the whole chain.

        Args:
            token_ids: `[batch]` int tensor, the current token of each row.
            states: flat list of state tensors (as from `initial_states`).

        Returns:
            `(logits [batch, vocab], new_states)`.
        """
        x = token_ids
        new_states, position = [], 0
        for layer in self.layers:
            if hasattr(layer, "cell"):
                count = len(_state_sizes(layer.cell))
                x, layer_states = layer.cell(x, list(states[position:position + count]),
                                             training=False)
                layer_states = layer_states if isinstance(layer_states, (list, tuple)) else [
                    layer_states]
                new_states.extend(layer_states)
                position += count
            else:
                x = layer(x, training=False)
        return x, new_states

    def _consume(self, prompt_ids, states):
        """Feeds `[batch, prompt_len]` ids; returns the logits after the last one, and states."""
        logits, states = self.step(prompt_ids[:, 0], states)

        def body(i, carry):
            return self.step(prompt_ids[:, i], carry[1])

        return ops.fori_loop(1, prompt_ids.shape[1], body, (logits, states))

    def _sample_chunk_fn(self, config: SamplingConfig):
        if config not in self._compiled:

            def sample_chunk(logits, states, uniforms):
                tokens = ops.zeros((uniforms.shape[0], _CHUNK), dtype="int32")

                def body(i, carry):
                    logits, states, tokens = carry
                    next_ids = sample_next_token(logits, uniforms[:, i], config)
                    tokens = ops.slice_update(tokens, (0, i), ops.expand_dims(next_ids, 1))
                    logits, states = self.step(next_ids, states)
                    return logits, states, tokens

                return ops.fori_loop(0, _CHUNK, body, (logits, states, tokens))

            self._compiled[config] = compile_function(sample_chunk)
        return self._compiled[config]

    def generate(
        self,
        prompt_ids: Sequence[int] | np.ndarray,
        length: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        num_samples: int = 1,
    ) -> np.ndarray:
        """Continues a prompt.

        Args:
            prompt_ids: the prompt, a non-empty sequence of token ids.
            length: number of new tokens.
            temperature: 0 for greedy decoding; otherwise the sampling temperature.
            top_k: sample only among the k most likely tokens.
            top_p: sample only from the nucleus of probability mass p.
            seed: seeds the random numbers; the same seed gives the same text.
            num_samples: independent continuations generated side by side.

        Returns:
            `[num_samples, length]` int32 array of new token ids.
        """
        prompt = np.asarray(prompt_ids, dtype="int32").reshape(-1)
        if prompt.size == 0:
            raise ValueError("Received an empty `prompt_ids`; give at least one token (for "
                             "example a newline or the begin-of-sequence id).")
        if length < 0:
            raise ValueError(f"Received an invalid value for argument `length`, expected an "
                             f"integer >= 0, got {length}.")
        config = SamplingConfig(temperature, top_k, top_p)
        prompt = np.tile(prompt, (num_samples, 1))
        logits, states = self._consume(ops.convert_to_tensor(prompt),
                                       self.initial_states(num_samples))
        sample_chunk = self._sample_chunk_fn(config)
        rng = np.random.default_rng(seed)
        chunks = []
        for _ in range(-(-length // _CHUNK)):
            uniforms = rng.random((num_samples, _CHUNK), dtype=np.float32)
            logits, states, tokens = sample_chunk(logits, states, ops.convert_to_tensor(uniforms))
            chunks.append(ops.convert_to_numpy(tokens))
        if not chunks:
            return np.zeros((num_samples, 0), dtype="int32")
        return np.concatenate(chunks, axis=1)[:, :length]
