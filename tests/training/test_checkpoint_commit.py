"""A checkpoint commits as a whole: kills injected at every step of the commit resume cleanly."""

import json

import keras
import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.io import write_json
from textrnn.runs import fit_resumable
from textrnn.training import GlobalNormClipping, load_run, read_train_state, save_model_atomic
from textrnn.training import checkpoint as checkpoint_module

EPOCHS = 3


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (not even `except Exception`)."""


def build():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(GlobalNormClipping(keras.optimizers.Adam(1e-2), 1.0), "mse")
    return model


def fit(run_dir, epochs=EPOCHS, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    return fit_resumable(build, run_dir, epochs, x=x, y=y, batch_size=8, shuffle=False,
                         validation_data=(x[:8], y[:8]), verbose=0, **kwargs)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    model, history = fit(tmp_path_factory.mktemp("reference"))
    return model.get_weights(), history


# The steps of one commit, in order; a kill lands just before or just after one of them.
STEPS = {  # name: (function of the checkpoint module, "before"/"after", its n-th call)
    "before the model file": ("save_model_atomic", "before", 0),
    "model file written": ("save_model_atomic", "after", 0),
    "config written": ("write_json", "after", 0),  # first commit only
    "before the state": ("write_json", "before", 1),
    "state committed": ("write_json", "after", 1),
    "model.keras refreshed": ("_refresh_model_copy", "after", 0),
    "old epoch file removed": ("_remove_other_epoch_models", "after", 0),
}
COMMITTED = ("state committed", "model.keras refreshed", "old epoch file removed")
CASES = [(1, step) for step in STEPS] + [(2, "model file written"), (2, "state committed")]


@pytest.mark.parametrize(("killed_epoch", "step"), CASES)
def test_kill_at_any_step_of_the_commit_resumes_without_loss_or_repeat(
        tmp_path, monkeypatch, reference, killed_epoch, step):
    function, when, call = STEPS[step]
    if function == "write_json" and killed_epoch > 1:
        call -= 1  # config.json is written with the first commit only
    original = getattr(checkpoint_module, function)
    commits, calls = [], []

    def counting_commit(self, *args, **kwargs):
        commits.append(True)
        return real_commit(self, *args, **kwargs)

    def killer(*args, **kwargs):
        epoch = len(commits)  # the epoch whose commit is in progress
        hit = epoch == killed_epoch and calls.count(epoch) == call
        calls.append(epoch)
        if hit and when == "before":
            raise Killed
        result = original(*args, **kwargs)
        if hit:
            raise Killed
        return result

    real_commit = checkpoint_module.RunCheckpoint._commit
    monkeypatch.setattr(checkpoint_module.RunCheckpoint, "_commit", counting_commit)
    monkeypatch.setattr(checkpoint_module, function, killer)
    with pytest.raises(Killed):
        fit(tmp_path, config={"units": 4})
    monkeypatch.undo()
    assert not (tmp_path / ".lock").exists()  # released even on a kill-like error

    run = load_run(tmp_path)
    assert (run.initial_epoch if run else 0) == killed_epoch - (step not in COMMITTED)
    config_written = killed_epoch > 1 or step not in ("before the model file",
                                                      "model file written")
    assert (tmp_path / "config.json").exists() == config_written

    model, history = fit(tmp_path, config={"units": 4})  # the rerun
    ref_weights, ref_history = reference
    assert [row["epoch"] for row in history] == [1, 2, 3]
    np.testing.assert_allclose([row["loss"] for row in history],
                               [row["loss"] for row in ref_history], rtol=1e-5)
    for got, want in zip(model.get_weights(), ref_weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["config.json", "history.csv", "learning_curves.png", "model-epoch0003.keras",
                     "model.keras", "train_state.json"]
    for got, want in zip(keras.saving.load_model(tmp_path / "model.keras").get_weights(),
                         ref_weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_state_names_its_model_file_and_stale_temporaries_are_removed(tmp_path):
    fit(tmp_path, epochs=1)
    state = read_train_state(tmp_path)
    assert state["model_file"] == "model-epoch0001.keras" and state["epochs_done"] == 1
    # What a writer killed mid-write leaves behind:
    (tmp_path / ".model-epoch0002.keras.x1y2.tmp.keras").write_bytes(b"PK half")
    (tmp_path / ".train_state.json.abc.tmp").write_text('{"epochs_')
    (tmp_path / "model-epoch0002.keras").write_bytes(b"orphan: written, never committed")
    fit(tmp_path, epochs=2)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("model", "."))) == [
        "model-epoch0002.keras", "model.keras"]


def test_run_folder_of_the_previous_layout_still_resumes(tmp_path):
    """`model.keras` + a `train_state.json` without `model_file`, as main wrote them."""
    model = build()
    model.train_on_batch(np.ones((2, 3), "float32"), np.ones((2, 1), "float32"))
    save_model_atomic(model, tmp_path / "model.keras")
    write_json(tmp_path / "train_state.json", {
        "epochs_done": 1, "partial_epoch": False, "monitor": "val_loss", "best": 1.0,
        "history": [{"epoch": 1, "loss": 2.0, "val_loss": 1.0}]})
    assert load_run(tmp_path).initial_epoch == 1
    _, history = fit(tmp_path, epochs=2)
    assert [row["epoch"] for row in history] == [1, 2] and history[0]["loss"] == 2.0
    state = json.loads((tmp_path / "train_state.json").read_text())
    assert state["model_file"] == "model-epoch0002.keras"
    assert (tmp_path / "model.keras").exists()


def test_a_cut_short_epoch_never_overwrites_the_committed_file(tmp_path):
    model = build()
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    stop = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: setattr(model, "stop_training", True))
    for _ in range(2):  # the same epoch cut short twice in a row
        model.fit(x, y, batch_size=4, epochs=1, verbose=0,
                  callbacks=[stop, checkpoint_module.RunCheckpoint(tmp_path)])
        state = read_train_state(tmp_path)
        assert state["epochs_done"] == 0 and state["partial_epoch"] is True
        assert (tmp_path / state["model_file"]).exists()
    assert state["model_file"] == "model-epoch0001-partial-b.keras"


def test_truncated_or_foreign_model_file_is_reported_as_damaged(tmp_path):
    fit(tmp_path, epochs=1)
    path = tmp_path / "model-epoch0001.keras"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError, match=r"model-epoch0001\.keras: damaged model file"):
        load_run(tmp_path)
    state = read_train_state(tmp_path)
    write_json(tmp_path / "train_state.json", {**state, "model_file": "../../etc/passwd"})
    with pytest.raises(InputError, match="model_file"):
        load_run(tmp_path)
