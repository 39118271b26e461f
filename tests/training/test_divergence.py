"""Non-finite or exploding training never replaces the last good checkpoint."""

import csv

import keras
import numpy as np
import pytest

from textrnn.errors import TrainingDiverged
from textrnn.runs import cli, fit_resumable
from textrnn.training import GlobalNormClipping, load_run, read_train_state


def build(lr=1e-2):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(GlobalNormClipping(keras.optimizers.Adam(lr), 1.0), "mse")
    return model


def data():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


class Sabotage(keras.callbacks.Callback):
    """At (0-based) `epoch`, step `step`: multiply the weights by `scale` (NaN poisons them)."""

    def __init__(self, epoch, step, scale):
        super().__init__()
        self.epoch, self.step, self.scale = epoch, step, scale

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self._epoch, batch) == (self.epoch, self.step):
            self.model.set_weights([w * self.scale for w in self.model.get_weights()])


def fit(run_dir, epochs, callbacks=(), **kwargs):
    x, y = data()
    return fit_resumable(kwargs.pop("build", build), run_dir, epochs, callbacks=callbacks,
                         x=x, y=y, batch_size=4, shuffle=False, validation_data=(x, y),
                         **{"verbose": 0, **kwargs})


@pytest.mark.parametrize(("scale", "step", "message"), [
    (np.nan, 1, r"at epoch 2, step 2: the loss became nan"),
    (1e4, 0, r"at epoch 2: the epoch's loss .* is over 10x the best so far"),
])
def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path, scale, step, message):
    fit(tmp_path, 1)
    good = (tmp_path / "model-epoch0001.keras").read_bytes()
    with pytest.raises(TrainingDiverged, match=message) as caught:
        fit(tmp_path, 3, callbacks=[Sabotage(1, step, scale)])
    assert caught.value.epoch == 2
    assert caught.value.step == (step + 1 if np.isnan(scale) else None)
    assert caught.value.checkpoint == str(tmp_path / "model.keras")
    assert "model.keras (after epoch 1), is intact" in str(caught.value)
    assert (tmp_path / "model-epoch0001.keras").read_bytes() == good
    assert read_train_state(tmp_path)["epochs_done"] == 1
    assert load_run(tmp_path).initial_epoch == 1
    with open(tmp_path / "history.csv", encoding="utf-8") as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["1"]  # written per epoch
    _, history = fit(tmp_path, 3)  # the rerun resumes from the good epoch
    assert [row["epoch"] for row in history] == [1, 2, 3]


def test_an_exploding_first_epoch_is_caught_too(tmp_path):
    with pytest.raises(TrainingDiverged, match="epoch 1: the epoch's loss"):
        fit(tmp_path, 2, callbacks=[Sabotage(0, 1, 1e4)])
    assert load_run(tmp_path) is None and not (tmp_path / "config.json").exists()
    assert not (tmp_path / "model.keras").exists()


def test_cli_exits_3_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TEXTRNN_DEBUG", raising=False)

    @cli
    def main(argv=None):
        fit(tmp_path, 2, callbacks=[Sabotage(1, 0, np.nan)])

    assert main([]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: training diverged at epoch 2, step 1")


def test_a_lower_learning_rate_applies_on_resume(tmp_path, capsys):
    fit(tmp_path, 1, build=lambda: build(lr=1e-2))
    model, _ = fit(tmp_path, 2, learning_rate=1e-3)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert "Learning rate: 0.01 -> 0.001" in capsys.readouterr().out
    assert float(load_run(tmp_path).model.optimizer.learning_rate) == pytest.approx(1e-3)


def test_one_line_per_epoch_when_stdout_is_not_a_terminal(tmp_path, capsys):
    x, y = data()
    fit_resumable(build, tmp_path, 2, x=x, y=y, batch_size=4)  # capsys: not a terminal
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 2 and "━" not in out
