"""Token-by-token generation from a recurrent language model, carrying its state.

A language model here is a chain of layers (`keras.Sequential` or a functional chain):
per-token layers (embedding / one-hot, dropout, dense) and recurrent layers that expose a
`cell` (textrnn's or Keras' `SimpleRNN`, `LSTM`, `GRU`). `RecurrentGenerator` runs the chain
one token at a time: per-token layers see `[batch, features]`, recurrent layers are replaced by
one step of their cell. Every new token costs one step, whatever the prefix length; the prefix
is never re-run. A `Sampler` picks the tokens, many steps per compiled call.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from textrnn.generation import samplers


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
        self._samplers: dict = {}
        self._banning_steps: dict = {}

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

    def _step_without(self, banned_ids: Sequence[int]):
        """`step` whose logits of `banned_ids` are pushed to -1e9 (never sampled); one function
        per set of ids, so the sampler's compiled loop is reused."""
        key = tuple(sorted({int(i) for i in banned_ids}))
        if not key:
            return self.step
        if key not in self._banning_steps:
            penalty = np.zeros(self.model.output_shape[-1], "float32")
            penalty[list(key)] = -1e9
            penalty = ops.convert_to_tensor(penalty)

            def step(token_ids, states):
                logits, new_states = self.step(token_ids, states)
                return logits + ops.cast(penalty, logits.dtype), new_states

            self._banning_steps[key] = step
        return self._banning_steps[key]

    def _consume(self, prompt_ids, states):
        """Feeds `[batch, prompt_len]` ids; returns the states after the last one."""

        def body(i, states):
            return self.step(prompt_ids[:, i], states)[1]

        return ops.fori_loop(0, prompt_ids.shape[1], body, states)

    def _sampler(self, sampler, temperature, top_k, top_p) -> samplers.Sampler:
        """The sampler for these options, one per distinct options so compilations are kept."""
        if sampler is None:
            key = (temperature, top_k, top_p)
            if key not in self._samplers:
                self._samplers[key] = samplers.from_options(temperature, top_k, top_p)
            return self._samplers[key]
        if (temperature, top_k, top_p) != (1.0, None, None):
            raise ValueError("Received `sampler` together with `temperature`, `top_k` or "
                             "`top_p`; give the options to the sampler instead, e.g. "
                             "`TopKSampler(k=10, temperature=0.8)`.")
        if isinstance(sampler, str):
            return self._samplers.setdefault(sampler, samplers.get(sampler))
        return samplers.get(sampler)

    def generate(
        self,
        prompt_ids: Sequence[int] | np.ndarray,
        length: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        num_samples: int = 1,
        sampler: str | samplers.Sampler | None = None,
        banned_ids: Sequence[int] = (),
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
            sampler: instead of `temperature` / `top_k` / `top_p`, a `Sampler` or a sampler
                name (`"greedy"`, `"top_k"`, ... with their defaults).
            banned_ids: token ids never generated (e.g. padding and `<unk>`).

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
        sampler = self._sampler(sampler, temperature, top_k, top_p)
        prompt = np.tile(prompt, (num_samples, 1))
        states = self.initial_states(num_samples)
        if prompt.shape[1] > 1:
            states = self._consume(ops.convert_to_tensor(prompt[:, :-1]), states)
        # The last prompt token is the sampling loop's first input.
        return sampler(self._step_without(banned_ids), states, prompt[:, -1], length, seed=seed)
