import csv
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from textrnn.training import (
    RunCheckpoint,
    StopOnNonFiniteLoss,
    ValidationPerplexity,
    bptt_batches,
)

VOCAB = 11


def _lm(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(VOCAB, 4),
                              keras.layers.LSTM(8, return_sequences=True),
                              keras.layers.Dense(VOCAB)])
    model.compile(keras.optimizers.Adam(1e-2),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data(rows=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, size=(rows, 6))
    return x, np.roll(x, -1, axis=1)


def test_val_perplexity_in_history_csv_and_matches_evaluate(tmp_path):
    x, y = _data()
    x_val, y_val = _data(7, seed=1)
    model = _lm()
    csv_path = tmp_path / "history.csv"
    history = model.fit(x, y, batch_size=5, epochs=2, verbose=0, callbacks=[
        ValidationPerplexity((x_val, y_val), batch_size=3, bpc=True),
        keras.callbacks.CSVLogger(str(csv_path))])
    assert len(history.history["val_perplexity"]) == 2
    val_loss = model.evaluate(x_val, y_val, batch_size=7, verbose=0)
    assert history.history["val_perplexity"][-1] == pytest.approx(math.exp(val_loss), rel=1e-4)
    assert history.history["val_bpc"][-1] == pytest.approx(val_loss / math.log(2), rel=1e-4)
    with open(csv_path) as handle:
        rows = list(csv.DictReader(handle))
    assert float(rows[-1]["val_perplexity"]) == pytest.approx(history.history["val_perplexity"][-1])


def test_val_perplexity_from_dataset_with_padding_mask():
    x_val, y_val = _data(6, seed=2)
    y_val[:, 4:] = 0
    model = _lm()
    dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(4)
    callback = ValidationPerplexity(dataset, mask_token_id=0)
    callback.set_model(model)
    weights = (y_val != 0).astype("float32")
    loss = model.evaluate(x_val, y_val, sample_weight=weights, batch_size=6, verbose=0)
    # evaluate() averages over all positions; rescale to the mean over real tokens.
    expected = math.exp(loss * weights.size / weights.sum())
    assert callback.evaluate()["val_perplexity"] == pytest.approx(expected, rel=1e-4)


def test_bad_validation_batches_are_named():
    callback = ValidationPerplexity([np.zeros((2, 6))])
    callback.set_model(_lm())
    with pytest.raises(ValueError, match="validation_data"):
        callback.evaluate()


def test_nan_loss_stops_with_a_message_and_keeps_the_checkpoint(tmp_path, capsys):
    x, y = _data()
    model = _lm()
    model.fit(x, y, batch_size=5, epochs=1, verbose=0, callbacks=[RunCheckpoint(tmp_path)])
    saved = (tmp_path / "model.keras").read_bytes()
    model.layers[0].embeddings.assign(np.full((VOCAB, 4), np.nan, "float32"))
    guard = StopOnNonFiniteLoss(run_dir=tmp_path)
    history = model.fit(x, y, batch_size=5, epochs=3, initial_epoch=1, verbose=0,
                        callbacks=[guard, RunCheckpoint(tmp_path)])
    assert len(history.history["loss"]) == 1
    assert "epoch 2, batch 1" in guard.message
    assert "after epoch 1) is intact" in guard.message
    assert "NaN/Inf" in guard.message
    assert guard.message in capsys.readouterr().out
    assert (tmp_path / "model.keras").read_bytes() == saved


def test_stop_on_non_finite_can_raise():
    x, y = _data()
    model = _lm()
    model.layers[0].embeddings.assign(np.full((VOCAB, 4), np.inf, "float32"))
    with pytest.raises(RuntimeError, match="No checkpoint folder"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[StopOnNonFiniteLoss(raise_error=True)])


def _gru_lm(batch_shape, stateful):
    return keras.Sequential([keras.Input(batch_shape=batch_shape, dtype="int32"),
                             keras.layers.Embedding(VOCAB, 4),
                             keras.layers.GRU(8, return_sequences=True, stateful=stateful),
                             keras.layers.Dense(VOCAB)])


def test_val_perplexity_on_stateful_windows_carries_state():
    ids = np.random.default_rng(3).integers(1, VOCAB, size=2 * 18 + 1)
    x, y = bptt_batches(ids, batch_size=2, seq_len=6)
    keras.utils.set_random_seed(0)
    stateful = _gru_lm((2, 6), stateful=True)
    whole = _gru_lm((2, 18), stateful=False)
    whole.set_weights(stateful.get_weights())
    whole.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    streams = [np.concatenate([part[k * 2:(k + 1) * 2] for k in range(3)], axis=1)
               for part in (x, y)]
    loss = whole.evaluate(*streams, verbose=0)
    callback = ValidationPerplexity((x, y), batch_size=2)
    callback.set_model(stateful)
    assert callback.evaluate()["val_perplexity"] == pytest.approx(math.exp(loss), rel=1e-4)
