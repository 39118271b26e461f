"""Beam search over any step function that carries its own state.

The decoder is given as `step_fn(token_ids [n], state) -> (log_probs [n, vocab], new_state)`,
where `state` is any nest of tensors whose leading axis is `n`. Beam search keeps `beam_width`
hypotheses per batch row, reorders the state along the leading axis as beams are kept or
dropped, and never re-runs a prefix. With `beam_width=1` it is exactly greedy decoding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

StepFn = Callable[[object, object], tuple[object, object]]


@dataclass
class _Hypothesis:
    tokens: list[int]
    log_prob: float


def length_normalized(log_prob: float, length: int, alpha: float) -> float:
    """GNMT length normalisation: `log_prob / ((5 + length) / 6) ** alpha` (alpha 0: none)."""
    return log_prob / (((5.0 + length) / 6.0) ** alpha)


def _repeat_state(state, times: int):
    return keras.tree.map_structure(lambda s: ops.repeat(s, times, axis=0), state)


def _select_state(state, indices: np.ndarray):
    indices = ops.convert_to_tensor(indices.astype("int32"))
    return keras.tree.map_structure(lambda s: ops.take(s, indices, axis=0), state)


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
    if beam_width < 1:
        raise ValueError(f"Received an invalid value for argument `beam_width`, expected an "
                         f"integer >= 1, got {beam_width}.")
    start_ids = np.asarray(start_ids, dtype="int32")
    batch = len(start_ids)
    state = _repeat_state(initial_state, beam_width)
    tokens = np.repeat(start_ids, beam_width)
    # Only the first beam of each row is alive at the start, so beams do not duplicate.
    scores = np.full((batch, beam_width), -np.inf)
    scores[:, 0] = 0.0
    alive = [[_Hypothesis([], 0.0) for _ in range(beam_width)] for _ in range(batch)]
    finished: list[list[_Hypothesis]] = [[] for _ in range(batch)]
    for step in range(max_length):
        log_probs, state = step_fn(ops.convert_to_tensor(tokens), state)
        log_probs = ops.convert_to_numpy(log_probs).astype("float64")
        vocab = log_probs.shape[-1]
        total = (scores[:, :, None] + log_probs.reshape(batch, beam_width, vocab))
        total = total.reshape(batch, -1)
        candidates = np.argsort(-total, axis=1, kind="stable")[:, : 2 * beam_width]
        keep = np.zeros((batch, beam_width), dtype="int64")
        next_tokens = np.full((batch, beam_width), end_id, dtype="int32")
        next_scores = np.full((batch, beam_width), -np.inf)
        next_alive = [[_Hypothesis([], -np.inf)] * beam_width for _ in range(batch)]
        last_step = step == max_length - 1
        for row in range(batch):
            if len(finished[row]) >= beam_width:
                continue
            slot = 0
            for flat in candidates[row]:
                beam, token = divmod(int(flat), vocab)
                score = total[row, flat]
                if not np.isfinite(score) or slot == beam_width:
                    break
                hypothesis = _Hypothesis(alive[row][beam].tokens + [token], score)
                if token == end_id or last_step:
                    finished[row].append(hypothesis)
                    if len(finished[row]) >= beam_width:
                        break
                    continue
                keep[row, slot] = row * beam_width + beam
                next_tokens[row, slot], next_scores[row, slot] = token, score
                next_alive[row][slot] = hypothesis
                slot += 1
        if all(len(done) >= beam_width for done in finished):
            break
        state = _select_state(state, keep.reshape(-1))
        tokens, scores, alive = next_tokens.reshape(-1), next_scores, next_alive
    return [_best(finished[row] or alive[row], end_id, length_penalty) for row in range(batch)]


def _best(hypotheses: list[_Hypothesis], end_id: int, alpha: float) -> list[int]:
    best = max(hypotheses, key=lambda h: length_normalized(h.log_prob, len(h.tokens), alpha))
    return [token for token in best.tokens if token != end_id]
