"""The recipe files are thin shims over the console scripts' `main`: each runs as `__main__`."""

import importlib.util
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


def benchmark_layers_module():
    spec = importlib.util.spec_from_file_location(
        "benchmark_layers", REPO / "recipes/benchmark_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_ratio_is_the_median_of_paired_repeats(monkeypatch):
    benchmark = benchmark_layers_module()
    # Repeat 2 ran under load for both sides: pairing keeps its ratio (2.0), medians of each
    # side alone would give 3 / 2 = 1.5.
    times = [[2.0, 8.0, 3.0], [1.0, 4.0, 2.0]]  # built-in, textrnn; repeat by repeat
    monkeypatch.setattr(benchmark, "interleaved_times", lambda *args: times)
    row = benchmark.timed_row([None, None], 3, 1, cell="LSTM")
    assert row == {"cell": "LSTM", "builtin_s": 3.0, "textrnn_s": 2.0, "ratio": 2.0}


def test_benchmark_rounds_combine_into_median_and_range():
    benchmark = benchmark_layers_module()
    key = {"setting": "tf", "cell": "GRU", "shape": "LM", "mode": "train", "tokens": 4}
    rounds = [[{**key, "builtin_s": b, "textrnn_s": t, "ratio": r}]
              for b, t, r in ((1.0, 1.0, 0.95), (3.0, 2.0, 1.4), (2.0, 1.5, 1.2))]
    [row] = benchmark.combine_rounds(rounds)
    assert (row["builtin_s"], row["textrnn_s"], row["ratio"]) == (2.0, 1.5, 1.2)
    assert (row["ratio_min"], row["ratio_max"], row["rounds"]) == (0.95, 1.4, 3)
    text = benchmark.summary([row])
    assert text.splitlines() == [
        "0 of 1 rows at or above 1.0x in all 3 rounds",
        "0 of 1 rows with their median below 1.0x",
        "  below 1.0x: tf GRU LM train: median 1.20x, lowest 0.95x",
    ]
    with pytest.raises(ValueError, match="rounds disagree"):
        benchmark.combine_rounds([rounds[0], [{**rounds[1][0], "cell": "LSTM"}]])


def test_benchmark_alternates_which_function_runs_first():
    benchmark = benchmark_layers_module()
    calls = []
    functions = [lambda: calls.append("keras"), lambda: calls.append("textrnn")]
    times = benchmark.interleaved_times(functions, repeats=3, calls=1)
    assert [len(record) for record in times] == [3, 3]
    warm_up = ["keras", "textrnn"]
    assert calls == warm_up + ["keras", "textrnn"] + ["textrnn", "keras"] + ["keras", "textrnn"]
