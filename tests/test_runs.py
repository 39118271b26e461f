import csv
import json
import types

import keras
import numpy as np
import pytest

from textrnn import runs
from textrnn.errors import InputError, TrainingDiverged
from textrnn.runs import (
    check_writable,
    cli,
    fit_resumable,
    legacy_settings,
    start_run,
    write_history,
    write_metrics,
)
from textrnn.training import GlobalNormClipping


def build():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(GlobalNormClipping(keras.optimizers.Adam(1e-2), 1.0), "mse")
    return model


def fit(run_dir, epochs=1, **kwargs):
    x = np.ones((4, 2), "float32")
    return fit_resumable(build, run_dir, epochs, x=x, y=x[:, :1], verbose=0, **kwargs)


def test_config_is_written_with_the_first_checkpoint_and_checked_on_resume(tmp_path):
    run_dir = tmp_path / "run"
    start_run(run_dir, {"units": 8, "epochs": 2, "max_minutes": 1, "lr": 0.1})
    assert run_dir.is_dir() and not (run_dir / "config.json").exists()  # nothing trained yet
    # A failed start (say, a typo in --data) refuses nothing:
    start_run(run_dir, {"units": 16, "epochs": 2, "max_minutes": 1, "lr": 0.1})
    fit(run_dir)  # writes the config start_run checked last
    assert json.loads((run_dir / "config.json").read_text())["units"] == 16
    # Epochs, the time budget and the learning rate may change on resume ...
    start_run(run_dir, {"units": 16, "epochs": 5, "max_minutes": 3, "lr": 0.01})
    # ... settings that shape the model may not.
    with pytest.raises(InputError, match=r"config\.json: .*units: 16 -> 8"):
        start_run(run_dir, {"units": 8, "epochs": 5, "max_minutes": 3, "lr": 0.01})
    fit(run_dir, 2, config={"units": 16, "epochs": 2})  # an explicit config wins
    assert json.loads((run_dir / "config.json").read_text()) == {"units": 16, "epochs": 2}


def test_an_older_run_resumes_with_renamed_and_legacy_settings(tmp_path):
    run_dir = tmp_path / "run"
    fit(run_dir, config={"units": 8, "top_k": 50})  # written before vocab_top_k and schedule
    legacy = {"schedule": "constant", "weight_decay": 0.0}
    adopted = legacy_settings(run_dir, legacy)
    assert adopted == legacy and legacy_settings(tmp_path / "new", legacy) == {}
    start_run(run_dir, {"units": 8, "vocab_top_k": 50, **adopted}, legacy=legacy)
    with pytest.raises(InputError, match="schedule: 'constant' -> 'one-cycle'"):
        start_run(run_dir, {"units": 8, "vocab_top_k": 50, "schedule": "one-cycle",
                            "weight_decay": 0.0}, legacy=legacy)
    with pytest.raises(InputError, match="vocab_top_k: 50 -> 20"):
        start_run(run_dir, {"units": 8, "vocab_top_k": 20, **adopted}, legacy=legacy)


def test_out_must_be_a_writable_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="--out must be a folder"):
        start_run(tmp_path / "file", {})
    with pytest.raises(InputError, match="--save-to must be a folder"):
        check_writable(tmp_path / "file", "--save-to")
    with pytest.raises(InputError, match="--out is not writable"):
        check_writable(tmp_path / "file" / "below")
    assert check_writable(tmp_path / "new" / "dir").is_dir()


def test_history_csv_curves_and_metrics(tmp_path, capsys):
    history = [{"epoch": 1, "loss": 2.0, "val_loss": 2.5}, {"epoch": 2, "loss": 1.5,
                                                            "val_loss": None}]
    write_history(tmp_path, history)
    with open(tmp_path / "history.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["loss"] for row in rows] == ["2.0", "1.5"]
    assert (tmp_path / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"
    write_metrics(tmp_path, {"val_loss": 1.25, "epochs": 2})
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"val_loss": 1.25, "epochs": 2}
    assert "val_loss" in capsys.readouterr().out


def test_the_curves_are_redrawn_at_most_every_plot_every_seconds_and_at_the_end(
        tmp_path, monkeypatch):
    plotted = []
    monkeypatch.setattr(runs, "plot_learning_curves",
                        lambda history, path: plotted.append(len(history)))
    checkpoint = types.SimpleNamespace(history=[])
    writer = runs.HistoryWriter(tmp_path, checkpoint, plot_every=3600)
    for epoch in (1, 2, 3):
        checkpoint.history.append({"epoch": epoch, "loss": 1.0 / epoch})
        writer.on_epoch_end(epoch - 1)
        with open(tmp_path / "history.csv", encoding="utf-8") as handle:
            assert len(list(csv.DictReader(handle))) == epoch  # the CSV: every epoch
    writer.on_train_end()
    writer.on_train_end()
    assert plotted == [1, 3]  # the first epoch, then once at the end


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_metrics_are_strict_json(tmp_path, bad):
    with pytest.raises(ValueError, match=r"metrics\.json: cannot write val_perplexity = "
                                         r"(nan|inf): strict JSON has no NaN or Infinity"):
        write_metrics(tmp_path, {"val_loss": 1.0, "val_perplexity": bad})
    assert not (tmp_path / "metrics.json").exists()


def test_cli_turns_bad_input_into_one_line_and_exit_2(capsys, monkeypatch):
    @cli
    def main(argv=None):
        raise InputError("not valid UTF-8\nat all", "corpus.txt", line=3)

    monkeypatch.delenv("TEXTRNN_DEBUG", raising=False)
    assert main([]) == 2
    assert capsys.readouterr().err == "error: corpus.txt:3: not valid UTF-8 at all\n"
    monkeypatch.setenv("TEXTRNN_DEBUG", "1")
    with pytest.raises(InputError):
        main([])
    assert cli(lambda argv=None: None)([]) == 0


@pytest.mark.parametrize(("error", "code", "line"), [
    (KeyError("loss"), 1, "error: KeyError: 'loss' (set TEXTRNN_DEBUG=1 for the traceback)"),
    (TypeError("x" * 500), 1, "error: TypeError: " + "x" * 297 + "... (set TEXTRNN_DEBUG=1 "
                                                               "for the traceback)"),
    (OverflowError(), 1, "error: OverflowError: (set TEXTRNN_DEBUG=1 for the traceback)"),
    (ValueError("bad\nshape"), 2, "error: bad shape (set TEXTRNN_DEBUG=1 for the traceback)"),
    (TrainingDiverged("training diverged at epoch 2", 2), 3,
     "error: training diverged at epoch 2"),
    (KeyboardInterrupt(), 130, "interrupted: the last checkpoint is intact; run the same "
                               "command again to resume"),
])
def test_cli_turns_any_error_into_one_line(capsys, monkeypatch, error, code, line):
    monkeypatch.delenv("TEXTRNN_DEBUG", raising=False)

    @cli
    def main(argv=None):
        raise error

    assert main([]) == code
    assert capsys.readouterr().err == line + "\n"
