import json
import types

import keras
import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.training import (
    GlobalNormClipping,
    RunCheckpoint,
    TimeBudget,
    load_run,
    read_train_state,
    save_model_atomic,
)


def _build():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4, 2)), keras.layers.GRU(5), keras.layers.Dense(1)])
    model.compile(GlobalNormClipping(keras.optimizers.Adam(1e-2), 1.0), "mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(24, 4, 2)).astype("float32"), rng.normal(size=(24, 1)).astype(
        "float32")


def _fit(model, run_dir, epochs, initial_epoch=0, extra=()):
    x, y = _data()
    return model.fit(x, y, batch_size=6, epochs=epochs, initial_epoch=initial_epoch,
                     shuffle=False, verbose=0, validation_data=(x[:6], y[:6]),
                     callbacks=[*extra, RunCheckpoint(run_dir)])


def test_resume_continues_with_identical_weights(tmp_path):
    reference = _build()
    _fit(reference, tmp_path / "ref", epochs=4)

    assert load_run(tmp_path / "run") is None
    _fit(_build(), tmp_path / "run", epochs=2)  # "killed" after two epochs
    run = load_run(tmp_path / "run")
    assert run.initial_epoch == 2
    assert isinstance(run.model.optimizer, GlobalNormClipping)
    _fit(run.model, tmp_path / "run", epochs=4, initial_epoch=run.initial_epoch)
    for got, want in zip(run.model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    state = read_train_state(tmp_path / "run")
    assert state["epochs_done"] == 4
    assert [row["epoch"] for row in state["history"]] == [1, 2, 3, 4]
    assert state["best"] == min(row["val_loss"] for row in state["history"])
    ref_state = read_train_state(tmp_path / "ref")
    np.testing.assert_allclose([r["loss"] for r in state["history"]],
                               [r["loss"] for r in ref_state["history"]], rtol=1e-5)


def test_crash_during_save_leaves_previous_checkpoint(tmp_path, monkeypatch):
    model = _build()
    _fit(model, tmp_path, epochs=1)
    saved = load_run(tmp_path).model.get_weights()

    def crash(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(keras.Model, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        _fit(model, tmp_path, epochs=2, initial_epoch=1)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model-epoch0001.keras", "model.keras", "train_state.json"]
    run = load_run(tmp_path)
    assert run.initial_epoch == 1
    for got, want in zip(run.model.get_weights(), saved, strict=True):
        np.testing.assert_array_equal(got, want)


def test_save_model_atomic_keeps_old_file_on_error(tmp_path, monkeypatch):
    model = _build()
    save_model_atomic(model, tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    monkeypatch.setattr("os.replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        save_model_atomic(model, tmp_path / "m.keras")
    assert (tmp_path / "m.keras").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_time_budget_stops_after_a_full_step_and_epoch_is_repeated(tmp_path, monkeypatch):
    clock = iter(range(0, 10_000, 40))  # every look at the clock: 40 more seconds
    # The budget's own clock only: a process-wide fake clock also speeds up every timeout and
    # timer of Keras and TensorFlow (the test took 47 s instead of 2).
    monkeypatch.setattr("textrnn.training.budget.time",
                        types.SimpleNamespace(monotonic=lambda: next(clock)))
    budget = TimeBudget(max_minutes=2)
    history = _fit(_build(), tmp_path, epochs=5, extra=[budget])
    assert budget.stopped_epoch == 0
    assert len(history.history["loss"]) == 1
    state = read_train_state(tmp_path)
    assert state["epochs_done"] == 0 and state["partial_epoch"] is True
    assert load_run(tmp_path).initial_epoch == 0


def test_bad_budget_and_broken_run_folders(tmp_path):
    with pytest.raises(ValueError, match="max_minutes"):
        TimeBudget(0)
    (tmp_path / "train_state.json").write_text(json.dumps({"epochs_done": 1, "history": []}))
    with pytest.raises(InputError, match="model file is gone"):
        load_run(tmp_path)
    (tmp_path / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="model.keras: damaged model file"):
        load_run(tmp_path)
    (tmp_path / "train_state.json").write_text("[1, 2")
    with pytest.raises(InputError, match="malformed JSON"):
        load_run(tmp_path)
