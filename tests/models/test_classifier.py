import keras
import numpy as np
import pytest

from textrnn.models.classifier import (
    build_bow_classifier,
    build_rnn_classifier,
    layer_groups,
)


def test_bow_classifier_is_softmax_regression():
    model = build_bow_classifier(num_features=6, num_classes=3)
    x = np.random.default_rng(0).random((4, 6)).astype("float32")
    kernel, bias = model.get_weights()
    logits = x @ kernel + bias
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_rnn_classifier_outputs_probabilities(cell):
    model = build_rnn_classifier(vocab_size=20, num_classes=3, cell=cell, units=4,
                                 embedding_dim=5, bidirectional=False)
    probabilities = model.predict(np.array([[2, 3, 4, 0], [5, 0, 0, 0]]), verbose=0)
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_padding_is_masked_in_both_directions():
    """A document padded with zeros gets the same probabilities as the bare document."""
    keras.utils.set_random_seed(0)
    model = build_rnn_classifier(vocab_size=20, num_classes=2, cell="gru", units=4,
                                 num_layers=2, embedding_dim=5, dropout=0.0)
    bare = model.predict(np.array([[4, 7, 9]]), verbose=0)
    padded = model.predict(np.array([[4, 7, 9, 0, 0, 0, 0, 0]]), verbose=0)
    np.testing.assert_allclose(bare, padded, atol=1e-6)


def test_stacked_bidirectional_layout():
    model = build_rnn_classifier(vocab_size=30, num_classes=4, cell="lstm", units=3,
                                 num_layers=3)
    wrappers = [layer for layer in model.layers
                if isinstance(layer, keras.layers.Bidirectional)]
    assert len(wrappers) == 3
    assert [w.forward_layer.return_sequences for w in wrappers] == [True, True, False]
    assert model.output_shape == (None, 4)


def test_save_and_load_without_custom_objects(tmp_path):
    model = build_rnn_classifier(vocab_size=15, num_classes=2, cell="lstm", units=3,
                                 embedding_dim=4)
    ids = np.array([[1, 2, 3], [4, 5, 0]])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0),
                               atol=1e-6)


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"num_classes": 1}, "num_classes"),
    ({"num_layers": 5}, "num_layers"),
    ({"vocab_size": 0}, "vocab_size"),
    ({"dropout": 1.0}, "dropout"),
    ({"cell": "tcn"}, "cell"),
])
def test_bad_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        build_rnn_classifier(**{"vocab_size": 10, "num_classes": 2, **kwargs})


def test_bow_rejects_one_class():
    with pytest.raises(ValueError, match="at least 2 classes"):
        build_bow_classifier(num_features=10, num_classes=1)


# === Regularisation and layer groups ===

@pytest.mark.parametrize("bidirectional", [False, True])
def test_concat_pooled_classifier_masks_padding_and_saves(bidirectional, tmp_path):
    keras.utils.set_random_seed(0)
    model = build_rnn_classifier(vocab_size=20, num_classes=3, cell="gru", units=4,
                                 num_layers=2, embedding_dim=5, pooling="concat",
                                 embedding_dropout=0.1, spatial_dropout=0.1,
                                 bidirectional=bidirectional)
    bare = model.predict(np.array([[4, 7, 9]]), verbose=0)
    padded = model.predict(np.array([[4, 7, 9, 0, 0, 0, 0, 0]]), verbose=0)
    np.testing.assert_allclose(bare, padded, atol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(np.array([[4, 7, 9]]), verbose=0), bare, atol=1e-6)


def test_layer_groups_from_embedding_to_head():
    model = build_rnn_classifier(vocab_size=20, num_classes=2, cell="lstm", units=3,
                                 num_layers=2, pooling="concat", embedding_dropout=0.1)
    assert layer_groups(model) == [
        ["embedding", "embedding_dropout", "dropout_0"], ["bidirectional_1", "dropout_1"],
        ["bidirectional_2"], ["pooling", "dropout_out", "probabilities"]]


def test_bad_pooling_or_rate_is_an_error():
    with pytest.raises(ValueError, match="pooling"):
        build_rnn_classifier(vocab_size=20, num_classes=2, pooling="attention")
    with pytest.raises(ValueError, match="spatial_dropout"):
        build_rnn_classifier(vocab_size=20, num_classes=2, spatial_dropout=1.0)
