import numpy as np
import scipy.sparse

from textrnn.tasks.classification.batches import FeatureBatches, SequenceBatches


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


def test_sample_weights_follow_their_documents():
    sequences = [np.ones(n, "int32") for n in (5, 1, 9, 3)]
    y = np.array([0, 1, 0, 1])
    weights = np.array([0.5, 2.0, 0.5, 2.0], "float32")
    batches = SequenceBatches(sequences, y, batch_size=2, sample_weight=weights)
    for index in range(len(batches)):
        _, labels, batch_weights = batches[index]
        np.testing.assert_array_equal(batch_weights, np.where(labels == 1, 2.0, 0.5))
    features = FeatureBatches(scipy.sparse.eye(4, format="csr"), y, batch_size=4,
                              sample_weight=weights)
    np.testing.assert_array_equal(features[0][2], weights)
