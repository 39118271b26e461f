"""The CRF's forward algorithm and Viterbi against brute-force enumeration of all tag paths."""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from textrnn.layers import CRF, CRFLoss
from textrnn.layers.crf import (
    crf_log_likelihood,
    crf_log_partition,
    crf_sequence_score,
    unpack,
    viterbi_decode,
)

NUM_TAGS, TIME = 3, 4
LENGTHS = [4, 2, 1]


def random_problem(seed=0):
    rng = np.random.default_rng(seed)
    emissions = rng.normal(size=(len(LENGTHS), TIME, NUM_TAGS)).astype("float32")
    transitions = rng.normal(size=(NUM_TAGS, NUM_TAGS)).astype("float32")
    start, end = rng.normal(size=(2, NUM_TAGS)).astype("float32")
    mask = (np.arange(TIME)[None] < np.array(LENGTHS)[:, None]).astype("float32")
    return emissions, mask, transitions, start, end


def path_score(emission, path, transitions, start, end):
    score = start[path[0]] + end[path[-1]] + sum(emission[t, tag] for t, tag in enumerate(path))
    return score + sum(transitions[a, b] for a, b in itertools.pairwise(path))


def all_paths(emission, length, transitions, start, end):
    paths = list(itertools.product(range(NUM_TAGS), repeat=length))
    scores = np.array([path_score(emission, p, transitions, start, end) for p in paths])
    return paths, scores


def test_log_partition_matches_brute_force():
    emissions, mask, transitions, start, end = random_problem()
    log_z = ops.convert_to_numpy(crf_log_partition(emissions, mask, transitions, start, end))
    for row, length in enumerate(LENGTHS):
        _, scores = all_paths(emissions[row], length, transitions, start, end)
        expected = np.log(np.sum(np.exp(scores)))
        np.testing.assert_allclose(log_z[row], expected, rtol=1e-5)


def test_sequence_score_matches_brute_force_and_ignores_padding():
    emissions, mask, transitions, start, end = random_problem(1)
    tags = np.array([[0, 2, 1, 1], [2, 0, -1, -1], [1, -1, -1, -1]])
    scores = ops.convert_to_numpy(
        crf_sequence_score(emissions, tags, mask, transitions, start, end)
    )
    for row, length in enumerate(LENGTHS):
        expected = path_score(emissions[row], tags[row, :length], transitions, start, end)
        np.testing.assert_allclose(scores[row], expected, rtol=1e-5)


def test_probabilities_of_all_paths_sum_to_one():
    emissions, mask, transitions, start, end = random_problem(2)
    length = LENGTHS[1]
    paths = np.array(list(itertools.product(range(NUM_TAGS), repeat=length)))
    padded = np.full((len(paths), TIME), -1)
    padded[:, :length] = paths
    repeat = np.repeat(emissions[1:2], len(paths), axis=0)
    log_p = crf_log_likelihood(
        repeat, padded, np.repeat(mask[1:2], len(paths), axis=0), transitions, start, end
    )
    np.testing.assert_allclose(np.exp(ops.convert_to_numpy(log_p)).sum(), 1.0, rtol=1e-5)


def test_viterbi_matches_brute_force():
    for seed in range(3):
        emissions, mask, transitions, start, end = random_problem(seed)
        tags, best = viterbi_decode(emissions, mask, transitions, start, end)
        tags, best = ops.convert_to_numpy(tags), ops.convert_to_numpy(best)
        for row, length in enumerate(LENGTHS):
            paths, scores = all_paths(emissions[row], length, transitions, start, end)
            assert tuple(tags[row, :length]) == paths[int(np.argmax(scores))]
            np.testing.assert_allclose(best[row], scores.max(), rtol=1e-5)


def test_single_step_sentences():
    emissions, _, transitions, start, end = random_problem()
    emissions = emissions[:, :1]
    tags, _ = viterbi_decode(emissions, None, transitions, start, end)
    expected = np.argmax(emissions[:, 0] + start + end, axis=-1)
    np.testing.assert_array_equal(ops.convert_to_numpy(tags)[:, 0], expected)
    log_z = crf_log_partition(emissions, None, transitions, start, end)
    np.testing.assert_allclose(
        ops.convert_to_numpy(log_z),
        np.log(np.exp(emissions[:, 0] + start + end).sum(-1)),
        rtol=1e-5,
    )


def test_layer_packs_its_parameters_and_loss_equals_negative_log_likelihood():
    emissions, mask, *_ = random_problem()
    crf = CRF(NUM_TAGS, transitions_initializer=keras.initializers.RandomNormal(seed=1))
    packed = crf(emissions)
    assert tuple(packed.shape) == (len(LENGTHS), TIME, NUM_TAGS + 3, NUM_TAGS)
    _, transitions, start, end = unpack(packed)
    np.testing.assert_allclose(
        ops.convert_to_numpy(transitions), ops.convert_to_numpy(crf.transitions)
    )
    tags = np.where(mask > 0, 1, -1)
    expected = -ops.convert_to_numpy(
        crf_log_likelihood(emissions, tags, mask, crf.transitions, crf.start, crf.end)
    )
    loss = CRFLoss(reduction=None)(tags, packed)
    np.testing.assert_allclose(ops.convert_to_numpy(loss), expected, rtol=1e-5)


def test_crf_model_learns_a_transition_rule_and_round_trips(tmp_path):
    # Input 1 is tag 0, input 2 tag 1, input 3 repeats the previous tag: only the transitions
    # can resolve 3, so the per-step emissions alone stay at half accuracy on it.
    rng = np.random.default_rng(0)
    x = rng.integers(1, 4, size=(64, 6))
    x[:, 0] = rng.integers(1, 3, size=64)
    y = np.zeros_like(x)
    for t in range(6):
        y[:, t] = np.where(x[:, t] == 3, y[:, t - 1], x[:, t] - 1)
    inputs = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(4, 2)(inputs)
    outputs = CRF(2, name="crf")(keras.layers.Dense(2)(hidden))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss=CRFLoss())
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=40, batch_size=64, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.2 * first
    tags, _ = CRF.decode(model.predict(x, verbose=0))
    assert (ops.convert_to_numpy(tags) == y).mean() > 0.95  # emissions alone: ~0.83
    model.save(tmp_path / "crf.keras")
    loaded = keras.saving.load_model(tmp_path / "crf.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_config_round_trip_and_bad_arguments():
    crf = CRF(4, transitions_regularizer="l2", name="tags")
    clone = CRF.from_config(crf.get_config())
    assert clone.num_tags == 4 and clone.name == "tags"
    assert clone.get_config() == crf.get_config()
    with pytest.raises(ValueError, match="num_tags"):
        CRF(0)
    with pytest.raises(ValueError, match="num_tags=4"):
        CRF(4)(np.zeros((1, 2, 3), "float32"))
