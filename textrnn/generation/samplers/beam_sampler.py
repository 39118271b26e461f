"""Beam search as one compiled loop over fixed-shape tensors.

Each row keeps `num_beams` alive hypotheses (`[batch, beams, max_length]` ids and their
log-probabilities) and up to `num_beams` finished ones. A step scores every extension,
`ops.top_k` takes the `2 * num_beams` best of the `[batch, beams * vocab]` candidates, and the
candidates are taken in order, as a host loop would: one that ends (the end token, or any
token at the last step) is finished while the row has fewer than `num_beams` finished; the
others fill the alive slots, and the decoder state follows its beam (`ops.take`). A row stops
taking candidates once it has `num_beams` finished or `num_beams` alive hypotheses; the loop
stops when every row has `num_beams` finished. Finished hypotheses are ranked with GNMT length
normalisation. With `num_beams=1` this is greedy decoding.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from textrnn.generation.samplers.sampler import NO_END, Sampler, StepFn, check_start


def length_normalized(log_prob, length, alpha: float):
    """GNMT length normalisation: `log_prob / ((5 + length) / 6) ** alpha` (alpha 0: none)."""
    return log_prob / (((5.0 + length) / 6.0) ** alpha)


class BeamSampler(Sampler):
    """Keeps the `num_beams` most probable hypotheses per row (see the module docstring).

    Args:
        num_beams: hypotheses kept per row; 1 is greedy decoding.
        length_penalty: GNMT alpha for ranking finished hypotheses; 0 ranks by raw log-prob.
        temperature: divides the logits before the log-softmax.

    Call arguments and returns: as `Sampler`, without `seed` (beam search is deterministic);
    each row holds the best hypothesis, padded with `end_id` (0 when there is none).

    Example:

    >>> ids = BeamSampler(num_beams=4)(decoder.step, state, bos_ids, max_length=50, end_id=3)
    """

    def __init__(self, num_beams: int = 4, length_penalty: float = 0.6,
                 temperature: float = 1.0):
        super().__init__(temperature)
        if not isinstance(num_beams, (int, np.integer)) or num_beams < 1:
            raise ValueError(f"Received an invalid value for argument `num_beams`, expected an "
                             f"integer >= 1, got {num_beams!r}.")
        self.num_beams = int(num_beams)
        self.length_penalty = length_penalty

    def get_config(self) -> dict:
        return {**super().get_config(), "num_beams": self.num_beams,
                "length_penalty": self.length_penalty}

    def __call__(self, step_fn: StepFn, state, start_ids, max_length: int,
                 end_id: int | None = None, seed: int | None = None) -> np.ndarray:
        start_ids = check_start(start_ids, max_length)
        end = NO_END if end_id is None else int(end_id)
        batch, beams = len(start_ids), self.num_beams
        scores = np.full((batch, beams), -np.inf, dtype="float32")
        scores[:, 0] = 0.0  # only the first beam is alive at the start, so none duplicate
        sequences = np.zeros((batch, beams, max_length), dtype="int32")
        carry = (
            ops.convert_to_tensor(np.repeat(start_ids, beams)),
            keras.tree.map_structure(lambda s: ops.repeat(s, beams, axis=0), state),
            sequences, scores,  # alive
            sequences, np.zeros((batch, beams), "float32"), np.zeros((batch, beams), "int32"),
            np.zeros(batch, dtype="int32"),  # finished: ids, log-probs, lengths, count
        )
        loop = self.compiled(step_fn, self._search_loop)
        carry = loop(*carry[:2], *map(ops.convert_to_tensor, carry[2:]),
                     ops.convert_to_tensor(max_length, "int32"),
                     ops.convert_to_tensor(end, "int32"))
        finished = [ops.convert_to_numpy(x) for x in carry]
        return self._best(*finished, max(end, 0))

    def _best(self, sequences, log_probs, lengths, counts, pad: int) -> np.ndarray:
        """The finished hypothesis of each row with the best normalised score."""
        out = np.full(sequences[:, 0].shape, pad, dtype="int32")
        for row, count in enumerate(counts):
            if count:
                ranked = length_normalized(log_probs[row, :count].astype("float64"),
                                           lengths[row, :count], self.length_penalty)
                best = int(np.argmax(ranked))
                out[row, :lengths[row, best]] = sequences[row, best, :lengths[row, best]]
        return out

    def _search_loop(self, step_fn: StepFn):
        def loop(tokens, state, *beams_and_limits):
            *beams, max_length, end_id = beams_and_limits

            def cond(t, *carry):
                return ops.logical_and(t < max_length, ops.any(carry[-1] < self.num_beams))

            def body(t, tokens, state, *beams):
                logits, state = step_fn(tokens, state)
                log_probs = ops.log_softmax(self.scale(logits), axis=-1)
                ends_now = ops.equal(t, max_length - 1)
                return (t + 1, *self._advance(t, log_probs, state, beams, end_id, ends_now))

            start = ops.convert_to_tensor(0, "int32")
            return ops.while_loop(cond, body, (start, tokens, state, *beams))[5:]

        return loop

    def _advance(self, t, log_probs, state, beams, end_id, ends_now):
        """One step: `[batch * beams, vocab]` log-probs to the next tokens, state and beams."""
        alive_ids, alive_scores, done_ids, done_scores, done_lengths, done_count = beams
        k, vocab = self.num_beams, log_probs.shape[-1]
        total = ops.expand_dims(alive_scores, -1) + ops.reshape(log_probs, (-1, k, vocab))
        top_scores, flat = ops.top_k(ops.reshape(total, (-1, k * vocab)), min(2 * k, k * vocab))
        parent, token = flat // vocab, ops.cast(flat % vocab, "int32")
        ends = ops.logical_or(token == end_id, ends_now)
        # Candidates are taken in order until the row has k alive or k finished hypotheses.
        alive_before = _exclusive_cumsum(ops.logical_not(ends))
        done_before = ops.expand_dims(done_count, -1) + _exclusive_cumsum(ends)
        taken = ops.logical_and(ops.isfinite(top_scores), ops.logical_and(
            alive_before < k, done_before < k))
        extended = ops.where(ops.arange(ops.shape(alive_ids)[-1]) == t, token[..., None],
                             ops.take_along_axis(alive_ids, parent[..., None], axis=1))
        slot, filled = _slots(ops.logical_and(taken, ops.logical_not(ends)), alive_before, k)
        alive_ids = ops.take_along_axis(extended, slot[..., None], axis=1)
        alive_scores = ops.where(filled, ops.take_along_axis(top_scores, slot, axis=1),
                                 float("-inf"))
        tokens = ops.where(filled, ops.take_along_axis(token, slot, axis=1), end_id)
        rows = ops.cumsum(ops.ones_like(slot[:, :1]), axis=0) - 1  # [batch, 1] row index
        keep = ops.reshape(rows * k + ops.take_along_axis(parent, slot, axis=1), (-1,))
        state = keras.tree.map_structure(lambda s: ops.take(s, keep, axis=0), state)
        slot, filled = _slots(ops.logical_and(taken, ends), done_before, k)
        done_ids = ops.where(filled[..., None],
                             ops.take_along_axis(extended, slot[..., None], axis=1), done_ids)
        done_scores = ops.where(filled, ops.take_along_axis(top_scores, slot, axis=1),
                                done_scores)
        done_lengths = ops.where(filled, t + 1, done_lengths)
        done_count = done_count + ops.sum(ops.cast(filled, "int32"), axis=-1)
        return (ops.reshape(tokens, (-1,)), state, alive_ids, alive_scores, done_ids,
                done_scores, done_lengths, done_count)


def _exclusive_cumsum(flags):
    """`[batch, n]` bools to how many are true before each position (int32)."""
    flags = ops.cast(flags, "int32")
    return ops.cumsum(flags, axis=-1) - flags


def _slots(chosen, position, slots: int):
    """Which candidate fills each slot: `chosen [batch, n]` ones go to slot `position`.

    Returns:
        `(index [batch, slots], filled [batch, slots])`: the candidate for each slot (0 where
        none) and whether there is one.
    """
    match = ops.logical_and(ops.expand_dims(chosen, 1), ops.expand_dims(position, 1)
                            == ops.reshape(ops.arange(slots, dtype="int32"), (1, -1, 1)))
    return (ops.cast(ops.argmax(ops.cast(match, "int32"), axis=-1), "int32"),
            ops.any(match, axis=-1))
