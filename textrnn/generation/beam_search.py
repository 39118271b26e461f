"""Beam search over any step function that carries its own state.

The decoder is given as `step_fn(token_ids [n], state) -> (log_probs [n, vocab], new_state)`,
where `state` is any nest of tensors whose leading axis is `n`. Beam search keeps `beam_width`
hypotheses per batch row, reorders the state along the leading axis as beams are kept or
dropped, and never re-runs a prefix; the whole search is one compiled loop (`BeamSampler`).
With `beam_width=1` it is exactly greedy decoding.
"""

from __future__ import annotations

import numpy as np

from textrnn.generation.samplers import BeamSampler, length_normalized
from textrnn.generation.samplers.sampler import StepFn

__all__ = ["beam_search", "length_normalized", "without_end"]


def beam_search(
    step_fn: StepFn,
    initial_state,
    start_ids: np.ndarray,
    end_id: int,
    beam_width: int = 4,
    max_length: int = 50,
    length_penalty: float = 0.6,
) -> list[list[int]]:
    """Finds high-probability continuations for a batch.

    Each call compiles the search anew; to decode many batches with one step function, keep
    a `BeamSampler` and call it (as `Seq2SeqDecoder.translate` does).

    Args:
        step_fn: the decoder step, see the module docstring.
        initial_state: state for the batch, leading axis `batch`.
        start_ids: `[batch]` ids fed at the first step (e.g. begin-of-sequence).
        end_id: the id that ends a hypothesis.
        beam_width: hypotheses kept per row; 1 is greedy decoding.
        max_length: most tokens generated per row (the end token included).
        length_penalty: GNMT alpha for ranking finished hypotheses; 0 ranks by raw log-prob.

    Returns:
        For each row, the best hypothesis' token ids, without the end token.
    """
    if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"Received an invalid value for argument `beam_width`, expected an "
                         f"integer >= 1, got {beam_width!r}.")
    sampler = BeamSampler(beam_width, length_penalty)
    return without_end(sampler(step_fn, initial_state, start_ids, max_length, end_id), end_id)


def without_end(ids: np.ndarray, end_id: int) -> list[list[int]]:
    """`[batch, length]` ids padded with `end_id` to one list of ids per row, without it."""
    return [[token for token in row if token != end_id] for row in ids.tolist()]
