import csv
import json

import pytest

from textrnn.errors import InputError
from textrnn.runs import cli, start_run, write_history, write_metrics


def test_start_run_writes_config_and_checks_it_on_resume(tmp_path):
    run_dir = tmp_path / "run"
    start_run(run_dir, {"units": 8, "epochs": 2, "max_minutes": 1})
    assert json.loads((run_dir / "config.json").read_text())["units"] == 8
    # Epochs and the time budget may change between a run and its resumption ...
    start_run(run_dir, {"units": 8, "epochs": 5, "max_minutes": 3})
    # ... settings that shape the model may not.
    with pytest.raises(InputError, match=r"config\.json: .*units: 8 -> 16"):
        start_run(run_dir, {"units": 16, "epochs": 5, "max_minutes": 3})


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
