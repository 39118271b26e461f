import keras
import numpy as np
import pytest

from textrnn.layers import SimpleRNN
from textrnn.training import ResetStatesCallback, bptt_batches, reset_states


def test_rows_continue_across_batches():
    ids = np.arange(103)
    x, y = bptt_batches(ids, batch_size=4, seq_len=5)
    stream = (103 - 1) // 4  # 25 tokens per stream -> 5 windows
    assert x.shape == y.shape == (5 * 4, 5)
    np.testing.assert_array_equal(y, x + 1)
    for row in range(4):
        joined = np.concatenate([x[k * 4 + row] for k in range(5)])
        np.testing.assert_array_equal(joined, np.arange(row * stream, row * stream + 25))


@pytest.mark.parametrize(("args", "match"), [
    ((np.arange(10), 4, 5), "too short"),
    ((np.arange(10.0), 2, 2), "integer"),
    ((np.arange(100).reshape(10, 10), 2, 2), "1-D"),
    ((np.arange(100), 0, 2), "batch_size"),
    ((np.arange(100), 2, 2.5), "seq_len"),
])
def test_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        bptt_batches(*args)


def _model(stateful, batch_size, seq_len):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(batch_shape=(batch_size, seq_len), dtype="int32"),
        keras.layers.Embedding(20, 3),
        keras.layers.LSTM(6, return_sequences=True, stateful=stateful),
        keras.layers.GRU(5, return_sequences=True, stateful=stateful),
    ])
    return model


def test_stateful_windows_equal_one_pass_over_each_stream():
    ids = np.random.default_rng(0).integers(0, 20, size=3 * 24 + 1)
    x, _ = bptt_batches(ids, batch_size=3, seq_len=6)
    windows = len(x) // 3
    stateful = _model(True, 3, 6)
    whole = _model(False, 3, 6 * windows)
    whole.set_weights(stateful.get_weights())
    outputs = [np.asarray(stateful(x[k * 3:(k + 1) * 3])) for k in range(windows)]
    streams = np.concatenate([x[k * 3:(k + 1) * 3] for k in range(windows)], axis=1)
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), np.asarray(whole(streams)),
                               atol=1e-5)
    reset_states(stateful)
    np.testing.assert_allclose(np.asarray(stateful(x[:3])), outputs[0], atol=1e-6)


@pytest.mark.skipif(keras.backend.backend() == "jax",
                    reason="Keras 3 RNN state variables are untracked, so JAX's compiled "
                           "fit/predict do not carry them between batches")
def test_compiled_predict_carries_state_like_eager_calls():
    ids = np.random.default_rng(0).integers(0, 20, size=3 * 12 + 1)
    x, _ = bptt_batches(ids, batch_size=3, seq_len=6)
    model = _model(True, 3, 6)
    eager = [np.asarray(model(x[k * 3:(k + 1) * 3])) for k in range(2)]
    reset_states(model)
    compiled = [model.predict_on_batch(x[k * 3:(k + 1) * 3]) for k in range(2)]
    np.testing.assert_allclose(compiled, eager, atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() == "jax",
                    reason="Keras 3 RNN state variables are untracked, so JAX's compiled "
                           "fit/predict do not carry them between batches")
def test_stateful_fit_resets_every_epoch():
    ids = np.random.default_rng(1).integers(0, 20, size=2 * 12 + 1)
    x, y = bptt_batches(ids, batch_size=2, seq_len=4)
    model = keras.Sequential([keras.Input(batch_shape=(2, 4), dtype="int32"),
                              keras.layers.Embedding(20, 3),
                              keras.layers.SimpleRNN(4, return_sequences=True, stateful=True),
                              keras.layers.Dense(20)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    seen = []

    class Probe(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(float(np.abs(model.layers[1].states[0].numpy()).sum()))

    model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0,
              callbacks=[ResetStatesCallback(), Probe()])
    assert seen == [0.0, 0.0]
    assert np.abs(model.layers[1].states[0].numpy()).sum() > 0


def test_periodic_reset_within_an_epoch():
    ids = np.random.default_rng(2).integers(1, 20, size=2 * 24 + 1)
    x, y = bptt_batches(ids, batch_size=2, seq_len=4)  # 6 batches per epoch
    model = keras.Sequential([keras.Input(batch_shape=(2, 4), dtype="int32"),
                              keras.layers.Embedding(20, 3),
                              SimpleRNN(4, return_sequences=True, stateful=True),
                              keras.layers.Dense(20)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    carried = []

    class Probe(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if hasattr(model, "jax_state_sync"):  # JAX fit keeps its own copy of the state
                model.jax_state_sync()
            state = keras.ops.convert_to_numpy(model.layers[1].states[0])
            carried.append(bool(np.abs(state).sum() > 0))

    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0,
              callbacks=[ResetStatesCallback(every_n_batches=2), Probe()])
    assert carried == [False, True, False, True, False, True]
    with pytest.raises(ValueError, match="every_n_batches"):
        ResetStatesCallback(every_n_batches=0)
