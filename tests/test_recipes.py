"""The recipe files are thin shims over the console scripts' `main`: each runs as `__main__`."""

import runpy
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("script", "flags"), [
    ("recipes/language_model.py", ("--vocab-top-k", "--tensorboard", "--schedule")),
    ("recipes/translate.py", ("--compare-baseline", "--tensorboard")),
    ("recipes/tag.py", ("--crf", "--test-data")),
    ("recipes/classify.py", ("--vocab-top-k", "--encoder")),
])
def test_recipe_shim_runs_its_command(script, flags, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / script), run_name="__main__")
    assert exited.value.code == 0
    usage = capsys.readouterr().out
    assert usage.startswith("usage:") and all(flag in usage for flag in flags)
