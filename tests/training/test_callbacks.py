import keras
import numpy as np
import pytest

from textrnn.errors import TrainingDiverged
from textrnn.training import RunCheckpoint, StopOnNonFiniteLoss

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


def test_nan_loss_stops_with_a_message_and_keeps_the_checkpoint(tmp_path, capsys):
    x, y = _data()
    model = _lm()
    model.fit(x, y, batch_size=5, epochs=1, verbose=0, callbacks=[RunCheckpoint(tmp_path)])
    saved = (tmp_path / "model.keras").read_bytes()
    model.layers[0].embeddings.assign(np.full((VOCAB, 4), np.nan, "float32"))
    guard = StopOnNonFiniteLoss(run_dir=tmp_path)
    # The guard stops the epoch; the checkpoint then refuses to commit it.
    with pytest.raises(TrainingDiverged, match="epoch 2: the epoch's loss is nan"):
        model.fit(x, y, batch_size=5, epochs=3, initial_epoch=1, verbose=0,
                  callbacks=[guard, RunCheckpoint(tmp_path)])
    assert "epoch 2, batch 1" in guard.message
    assert "after epoch 1), is intact" in guard.message
    assert "NaN/Inf" in guard.message
    assert guard.message in capsys.readouterr().out
    assert (tmp_path / "model.keras").read_bytes() == saved


def test_stop_on_non_finite_can_raise():
    x, y = _data()
    model = _lm()
    model.layers[0].embeddings.assign(np.full((VOCAB, 4), np.inf, "float32"))
    with pytest.raises(TrainingDiverged, match="epoch 1, step 1: .*No checkpoint folder"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[StopOnNonFiniteLoss(raise_error=True)])
    assert issubclass(TrainingDiverged, RuntimeError)
