import itertools

import numpy as np
import pytest
from keras import ops

from textrnn.generation import BeamSampler, beam_search, length_normalized

END = 0


def log_of(table):
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(table, dtype="float32"))


def table_step(table):
    """A decoder whose next-token log-probs depend only on the previous token."""
    log_table = ops.convert_to_tensor(log_of(table))

    def step(tokens, state):
        return ops.take(log_table, tokens, axis=0), state + 1

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
    log_table = log_of(TABLE)
    token, out = 1, []
    for _ in range(max_length):
        token = int(np.argmax(log_table[token]))
        if token == END:
            break
        out.append(token)
    return out


def host_beam_search(log_table, start_ids, end_id, beam_width, max_length, alpha):
    """The former host-side implementation, kept as the reference, for table decoders."""
    batch, vocab = len(start_ids), log_table.shape[1]
    alive = [[([int(s)], 0.0)] + [([], -np.inf)] * (beam_width - 1) for s in start_ids]
    finished = [[] for _ in range(batch)]
    for step in range(max_length):
        for row in range(batch):
            if len(finished[row]) >= beam_width:
                alive[row] = [([], -np.inf)] * beam_width
                continue
            total = np.array([score + log_table[path[-1] if path else end_id].astype("float64")
                              for path, score in alive[row]]).reshape(-1)
            next_alive = []
            for flat in np.argsort(-total, kind="stable")[: 2 * beam_width]:
                beam, token = divmod(int(flat), vocab)
                if not np.isfinite(total[flat]) or len(next_alive) == beam_width:
                    break
                path = alive[row][beam][0] + [token]
                if token == end_id or step == max_length - 1:
                    finished[row].append((path[1:], total[flat]))
                    if len(finished[row]) >= beam_width:
                        break
                else:
                    next_alive.append((path, total[flat]))
            alive[row] = next_alive + [([], -np.inf)] * (beam_width - len(next_alive))
        if all(len(done) >= beam_width for done in finished):
            break
    best = [max(done, key=lambda h: length_normalized(h[1], len(h[0]), alpha))[0] if done else []
            for done in finished]
    return [[token for token in path if token != end_id] for path in best]


def test_beam_finds_the_better_path():
    assert run(beam_width=2) == [[3], [3]]


def test_beam_one_equals_greedy():
    assert run(beam_width=1) == [greedy(10), greedy(10)]


def test_max_length_cuts_hypotheses():
    looping = [[1.0, 0, 0, 0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0, 0, 0]]
    out = beam_search(table_step(looping), ops.zeros((1, 1)), np.array([1]), END,
                      beam_width=3, max_length=4)
    assert out == [[2, 2, 2, 2]]


@pytest.mark.parametrize(("beam_width", "alpha"), [(1, 0.0), (2, 0.6), (3, 1.0), (5, 0.6)])
def test_equals_the_host_loop_on_random_tables(beam_width, alpha):
    rng = np.random.default_rng(beam_width)
    for vocab, max_length in ((5, 6), (7, 4)):
        table = rng.dirichlet(np.full(vocab, 0.5), size=vocab)
        table[:, 1] = 0.0  # token 1 is begin-of-sequence: never generated
        table /= table.sum(1, keepdims=True)
        start = np.ones(3, dtype="int32")
        expected = host_beam_search(log_of(table), start, END, beam_width, max_length, alpha)
        got = beam_search(table_step(table), ops.zeros((3, 1)), start, END,
                          beam_width=beam_width, max_length=max_length, length_penalty=alpha)
        assert got == expected


def second_order_step(log_table):
    """Log-probs depend on the token fed and the one before it, which only the state holds."""
    log_table = ops.convert_to_tensor(log_table)

    def step(tokens, state):
        return ops.take(log_table, state * log_table.shape[1] + tokens, axis=0), tokens

    return step


def exhaustive(log_table, start, previous, max_length):
    """The most probable sequence (END-terminated or `max_length` long), by enumeration."""
    vocab, best = log_table.shape[1], (-np.inf, [])
    for length in range(1, max_length + 1):
        for path in itertools.product(range(vocab), repeat=length):
            if END in path[:-1]:
                continue
            history = [previous, start, *path]
            score = sum(log_table[a * vocab + b, c]
                        for a, b, c in zip(history, history[1:], history[2:], strict=False))
            if (path[-1] == END or length == max_length) and score > best[0]:
                best = (score, [token for token in path if token != END])
    return best[1]


def test_state_follows_its_beam():
    # Wide enough to keep every hypothesis, beam search is exhaustive search; it can only
    # agree with enumeration if each beam's state moved with it when beams were reordered.
    vocab, max_length = 4, 3
    log_table = log_of(np.random.default_rng(0).dirichlet(np.ones(vocab), size=vocab * vocab))
    previous = np.array([2, 3], dtype="int32")
    got = beam_search(second_order_step(log_table), ops.convert_to_tensor(previous),
                      np.array([1, 1]), END, beam_width=vocab ** max_length,
                      max_length=max_length, length_penalty=0.0)
    assert got == [exhaustive(log_table, 1, p, max_length) for p in previous]


def test_sampler_returns_padded_ids():
    ids = BeamSampler(num_beams=2, length_penalty=0.0)(
        table_step(TABLE), ops.zeros((2, 1)), np.array([1, 1]), max_length=4, end_id=END)
    np.testing.assert_array_equal(ids, [[3, END, END, END]] * 2)


def test_length_normalization():
    assert length_normalized(-6.0, 1, 0.0) == -6.0
    assert length_normalized(-6.0, 7, 1.0) == pytest.approx(-3.0)


def test_bad_beam_width():
    with pytest.raises(ValueError, match="beam_width"):
        run(beam_width=0)
    with pytest.raises(ValueError, match="num_beams"):
        BeamSampler(num_beams=0)
