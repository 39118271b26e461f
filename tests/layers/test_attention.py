"""Attention layers against scores, weights and contexts computed by hand in numpy."""

import keras
import numpy as np
import pytest
from keras import ops

from textrnn.layers.attention import BahdanauAttention, LuongAttention

RNG = np.random.default_rng(0)
QUERY = RNG.normal(size=(2, 3, 4)).astype("float32")  # [batch, Tq, query_dim]
VALUES = RNG.normal(size=(2, 5, 6)).astype("float32")  # [batch, Tv, value_dim]
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)


def _softmax(scores, mask):
    scores = np.where(mask[:, None, :], scores, -np.inf)
    exp = np.exp(scores - scores.max(-1, keepdims=True))
    return exp / exp.sum(-1, keepdims=True)


def bahdanau_numpy(layer, query, values, mask):
    wq, wv, bias, w = layer.get_weights()
    hidden = np.tanh((query @ wq)[:, :, None] + (values @ wv)[:, None] + bias)
    weights = _softmax(hidden @ w, mask)
    return np.einsum("bqt,btd->bqd", weights, values), weights


def luong_numpy(layer, query, values, mask):
    keys = values @ layer.get_weights()[0] if layer.score == "general" else values
    weights = _softmax(np.einsum("bqd,btd->bqt", query, keys), mask)
    return np.einsum("bqt,btd->bqd", weights, values), weights


CASES = [
    (lambda: BahdanauAttention(7), bahdanau_numpy, QUERY),
    (lambda: LuongAttention("general"), luong_numpy, QUERY),
    (lambda: LuongAttention("dot"), luong_numpy, VALUES[:, :3, :]),
]
CASE_IDS = ["bahdanau", "luong-general", "luong-dot"]


def _randomise(layer):
    rng = np.random.default_rng(1)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])


@pytest.mark.parametrize(("make", "reference", "query"), CASES, ids=CASE_IDS)
def test_matches_numpy_with_mask(make, reference, query):
    layer = make()
    layer(query, VALUES)
    _randomise(layer)
    context, weights = layer(query, VALUES, values_mask=MASK)
    expected_context, expected_weights = reference(layer, query, VALUES, MASK)
    np.testing.assert_allclose(ops.convert_to_numpy(weights), expected_weights, atol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(context), expected_context, atol=1e-5)
    assert np.all(ops.convert_to_numpy(weights)[0, :, 3:] == 0)
    np.testing.assert_allclose(ops.convert_to_numpy(weights).sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize(("make", "reference", "query"), CASES, ids=CASE_IDS)
def test_single_step_query_equals_sequence_row(make, reference, query):
    layer = make()
    full_context, full_weights = layer(query, VALUES, values_mask=MASK)
    context, weights = layer(query[:, 1], VALUES, values_mask=MASK)
    assert tuple(context.shape) == (2, VALUES.shape[-1]) and tuple(weights.shape) == (2, 5)
    for single, full in ((context, full_context), (weights, full_weights)):
        np.testing.assert_allclose(
            ops.convert_to_numpy(single), ops.convert_to_numpy(full)[:, 1], atol=1e-6
        )


def test_uniform_weights_for_constant_scores():
    # dot scores of a zero query are all 0: the weights are uniform over unmasked values.
    context, weights = LuongAttention("dot")(np.zeros((2, 6), "float32"), VALUES, values_mask=MASK)
    np.testing.assert_allclose(weights[0], [1 / 3] * 3 + [0, 0], atol=1e-6)
    np.testing.assert_allclose(context[1], VALUES[1].mean(0), atol=1e-6)


def test_keras_mask_of_values_is_used_in_functional_model():
    ids = keras.Input((5,), dtype="int32")
    query = keras.Input((3, 4))
    values = keras.layers.Embedding(10, 6, mask_zero=True)(ids)
    layer = LuongAttention()
    context, weights = layer(query, values)
    model = keras.Model([ids, query], weights)
    token_ids = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]])
    out = model.predict([token_ids, QUERY], verbose=0)
    assert np.all(out[0, :, 3:] == 0) and np.all(out[1] > 0)


@pytest.mark.parametrize("make", [lambda: BahdanauAttention(5), lambda: LuongAttention("dot")])
def test_config_round_trip_and_saved_model(make, tmp_path):
    layer = make()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    query, values = keras.Input((3, 6)), keras.Input((5, 6))
    model = keras.Model([query, values], layer(query, values))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    q = QUERY[..., :1].repeat(6, -1)
    for a, b in zip(
        model.predict([q, VALUES], verbose=0), loaded.predict([q, VALUES], verbose=0), strict=True
    ):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="`units`"):
        BahdanauAttention(0)
    with pytest.raises(ValueError, match="`score`"):
        LuongAttention("concat")
    with pytest.raises(ValueError, match="same width"):
        LuongAttention("dot")(QUERY, VALUES)
