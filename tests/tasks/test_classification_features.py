import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.preprocessing import FeatureSelector, TfidfVectorizer, Vocabulary
from textrnn.tasks.classification_features import (
    ClassifierAssets,
    FeatureBatches,
    SequenceBatches,
    build_assets,
)

TEXTS = ["The cat sat on the mat", "the dog sat", "A cat and a dog", "the end"]


def test_word_assets_apply_cuts_and_truncate(tmp_path):
    selector = FeatureSelector(min_df=2, stopwords={"the"})
    assets = build_assets(TEXTS, ["x", "y"], "birnn", "word", tmp_path, selector=selector,
                          max_length=2)
    assert set(assets.vocabulary.tokens[2:]) == {"cat", "sat", "dog"}
    ids = assets.sequences(["The CAT sat", "zebra"])
    np.testing.assert_array_equal(ids[0], assets.vocabulary.encode(["the", "cat"]))
    np.testing.assert_array_equal(ids[1], [assets.vocabulary.unk_id])
    assert assets.sequences([""])[0].tolist() == [assets.vocabulary.unk_id]
    features = assets.features(["cat cat dog"]).toarray()[0]
    assert np.count_nonzero(features) == 2 and features.dtype == np.float32


def test_assets_round_trip(tmp_path):
    assets = build_assets(TEXTS, ["x", "y"], "rnn", "word", tmp_path, max_length=3)
    assets.save(tmp_path)
    loaded = ClassifierAssets.load(tmp_path)
    assert (loaded.model, loaded.level, loaded.labels, loaded.max_length) == \
        ("rnn", "word", ["x", "y"], 3)
    probe = ["the cat and a bird", "dog"]
    for a, b in zip(assets.sequences(probe), loaded.sequences(probe), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(assets.features(probe).toarray(), loaded.features(probe).toarray())


def test_subword_assets_round_trip(tmp_path):
    pairs = [("red", "car"), ("blue", "sky"), ("green", "tree")] * 20
    texts = [f"{w} {v} unusualword{i}" for i, (w, v) in enumerate(pairs)]
    assets = build_assets(texts, ["a", "b"], "birnn", "subword", tmp_path, vocab_size=60)
    assets.save(tmp_path)
    loaded = ClassifierAssets.load(tmp_path)
    assert loaded.level == "subword" and (tmp_path / "subword.model").exists()
    np.testing.assert_array_equal(assets.sequences(["blue sky"])[0],
                                  loaded.sequences(["blue sky"])[0])


def test_mismatched_tfidf_file_is_rejected(tmp_path):
    assets = build_assets(TEXTS, ["x", "y"], "bow", "word", tmp_path)
    assets.save(tmp_path)
    TfidfVectorizer(Vocabulary(["other"])).fit([["other"]]).save(tmp_path / "tfidf.json")
    with pytest.raises(InputError, match="tfidf.json.*another vocabulary"):
        ClassifierAssets.load(tmp_path)


def test_not_a_classifier_folder(tmp_path):
    (tmp_path / "classifier.json").write_text('{"level": "char"}', encoding="utf-8")
    with pytest.raises(InputError, match="not a textrnn classifier file"):
        ClassifierAssets.load(tmp_path)


def test_build_assets_checks_arguments(tmp_path):
    with pytest.raises(ValueError, match="level"):
        build_assets(TEXTS, ["x", "y"], "rnn", "char", tmp_path)
    with pytest.raises(ValueError, match="max_length"):
        build_assets(TEXTS, ["x", "y"], "rnn", "word", tmp_path, max_length=0)


def test_sequence_batches_pad_tightly_and_cover_every_document():
    rng = np.random.default_rng(0)
    sequences = [rng.integers(2, 9, size=n).astype("int32") for n in rng.integers(1, 40, 100)]
    y = np.arange(100)
    batches = SequenceBatches(sequences, y, batch_size=8, shuffle=True, seed=1)
    seen = []
    for index in range(len(batches)):
        x, labels = batches[index]
        assert x.shape[1] % 8 == 0
        assert x.shape[1] - max(len(sequences[i]) for i in labels) < 8
        for row, i in zip(x, labels, strict=True):
            np.testing.assert_array_equal(row[:len(sequences[i])], sequences[i])
            assert not row[len(sequences[i]):].any()
        seen.extend(labels.tolist())
    assert sorted(seen) == list(range(100))
    first = [batches[i][1].tolist() for i in range(len(batches))]
    batches.on_epoch_end()
    assert [batches[i][1].tolist() for i in range(len(batches))] != first


def test_prediction_batches_restore_the_order():
    sequences = [np.ones(n, "int32") for n in (5, 1, 9, 3, 2)]
    batches = SequenceBatches(sequences, batch_size=2)
    outputs = np.concatenate([batches[i][:, :1] * 0 + batches[i].sum(1, keepdims=True)
                              for i in range(len(batches))])
    np.testing.assert_array_equal(batches.restore_order(outputs)[:, 0], [5, 1, 9, 3, 2])


def test_feature_batches_are_dense_rows():
    import scipy.sparse

    matrix = scipy.sparse.random(10, 6, density=0.3, format="csr", random_state=0)
    batches = FeatureBatches(matrix, batch_size=4)
    assert len(batches) == 3
    np.testing.assert_allclose(np.concatenate([batches[i] for i in range(3)]), matrix.toarray())


def test_batches_of_different_lengths_train_in_keras():
    import keras

    from textrnn.layers import GRU

    # Sorted by length, the first two batches would both be 8 wide and fix the time axis of
    # the tf.data signature Keras infers from them; a later, wider batch would then fail.
    sequences = [np.ones(n, "int32") for n in (3, 3, 4, 4, 5, 5, 30, 30)]
    batches = SequenceBatches(sequences, np.zeros(8, "int32"), batch_size=2)
    assert batches[0][0].shape[1] != batches[1][0].shape[1]
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              keras.layers.Embedding(3, 4, mask_zero=True), GRU(4),
                              keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(batches, epochs=1, verbose=0)
    assert model.predict(SequenceBatches(sequences, batch_size=2), verbose=0).shape == (8, 2)
