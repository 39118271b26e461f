import numpy as np
import pytest
from keras import ops

from textrnn.generation import beam_search, length_normalized

END = 0


def table_step(table):
    """A decoder whose next-token log-probs depend only on the previous token."""
    with np.errstate(divide="ignore"):
        log_table = np.log(np.asarray(table, dtype="float32"))

    def step(tokens, state):
        tokens = ops.convert_to_numpy(tokens)
        return ops.convert_to_tensor(log_table[tokens]), ops.convert_to_tensor(
            ops.convert_to_numpy(state) + 1)

    return step


# From token 1 (start): greedy picks 2 (0.5) then END (0.4 -> path 0.2), but 3 (0.4) then END
# (0.9 -> path 0.36) is better: beam search must find it, greedy must not.
TABLE = [
    [1.0, 0.0, 0.0, 0.0],
    [0.1, 0.0, 0.5, 0.4],
    [0.4, 0.0, 0.3, 0.3],
    [0.9, 0.0, 0.05, 0.05],
]


def run(beam_width, **kwargs):
    return beam_search(table_step(TABLE), ops.zeros((2, 1)), np.array([1, 1]), END,
                       beam_width=beam_width, length_penalty=0.0, **kwargs)


def greedy(max_length):
    with np.errstate(divide="ignore"):
        log_table = np.log(np.asarray(TABLE))
    token, out = 1, []
    for _ in range(max_length):
        token = int(np.argmax(log_table[token]))
        if token == END:
            break
        out.append(token)
    return out


def test_beam_finds_the_better_path():
    assert run(beam_width=2) == [[3], [3]]


def test_beam_one_equals_greedy():
    assert run(beam_width=1) == [greedy(10), greedy(10)]


def test_max_length_cuts_hypotheses():
    looping = [[1.0, 0, 0, 0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0, 0, 0]]
    out = beam_search(table_step(looping), ops.zeros((1, 1)), np.array([1]), END,
                      beam_width=3, max_length=4)
    assert out == [[2, 2, 2, 2]]


def test_state_is_reordered_with_beams():
    seen = []

    def step(tokens, state):
        seen.append(ops.convert_to_numpy(state).ravel().tolist())
        return table_step(TABLE)(tokens, state)

    beam_search(step, ops.convert_to_tensor(np.array([[10.0], [20.0]])), np.array([1, 1]), END,
                beam_width=2, length_penalty=0.0)
    # Each row's beams carry that row's state (10 or 20 plus the steps taken).
    assert seen[0] == [10, 10, 20, 20]
    assert seen[1] == [11, 11, 21, 21]


def test_length_normalization():
    assert length_normalized(-6.0, 1, 0.0) == -6.0
    assert length_normalized(-6.0, 7, 1.0) == pytest.approx(-3.0)


def test_bad_beam_width():
    with pytest.raises(ValueError, match="beam_width"):
        run(beam_width=0)
