import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[2] / "recipes"

LINES = ["the cat sat on the mat.", "a dog ran in the fog.", "the cat ran to the dog."]
SMALL = ["--units", "32", "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "4",
         "--lr", "0.01", "--sample-length", "20", "--max-minutes", "5"]


@pytest.fixture(scope="module")
def lm(recipe):
    return recipe("language_model")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "tiny.txt"
    path.write_text("\n".join(LINES[i % 3] for i in range(300)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained_run(lm, corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "lm"
    assert lm.main(["--data", str(corpus), "--out", str(out), "--epochs", "3", *SMALL]) == 0
    return out


def test_training_learns_and_writes_the_run_folder(trained_run):
    for name in ("config.json", "model.keras", "vocab.json", "tokenizer.json", "history.csv",
                 "metrics.json", "learning_curves.png", "samples.txt", "train_state.json"):
        assert (trained_run / name).exists(), name
    history = json.loads((trained_run / "train_state.json").read_text())["history"]
    assert len(history) == 3
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    metrics = json.loads((trained_run / "metrics.json").read_text())
    # Perplexity is exp of the evaluated mean cross-entropy, bits per char is it over ln 2.
    assert metrics["val_perplexity"] == pytest.approx(math.exp(metrics["val_loss"]), rel=1e-6)
    assert metrics["test_bpc"] == pytest.approx(metrics["test_loss"] / math.log(2), rel=1e-6)
    # A repetitive corpus: far below the uniform perplexity of ~20 characters.
    assert metrics["test_perplexity"] < 3.0
    assert math.isfinite(metrics["baseline_ngram_perplexity"])
    assert 1 <= metrics["baseline_ngram_order"] <= 6


def test_generation_is_reproducible_and_says_unknown_characters(lm, trained_run, capsys):
    args = ["--generate", str(trained_run), "--prompt", "the ", "--length", "40", "--seed", "5"]
    assert lm.main(args) == 0
    first = capsys.readouterr().out
    assert lm.main(args) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("the ") and len(first.rstrip("\n")) >= 40
    assert lm.main(["--generate", str(trained_run), "--prompt", "the Z", "--length", "5"]) == 0
    assert "outside the vocabulary" in capsys.readouterr().err


def test_resume_continues_after_the_last_epoch(lm, corpus, trained_run, capsys, tmp_path):
    out = tmp_path / "copy"
    out.mkdir()
    for path in trained_run.iterdir():
        (out / path.name).write_bytes(path.read_bytes())
    assert lm.main(["--data", str(corpus), "--out", str(out), "--epochs", "4", *SMALL]) == 0
    assert "Resuming" in capsys.readouterr().out
    history = json.loads((out / "train_state.json").read_text())["history"]
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]


def test_resume_refuses_other_settings(lm, corpus, trained_run, capsys):
    args = ["--data", str(corpus), "--out", str(trained_run), "--epochs", "3", *SMALL]
    args[args.index("--units") + 1] = "64"
    assert lm.main(args) == 2
    assert "other settings" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"short\n", "too short"),
    (b"caf\xe9 au lait\n" * 200, "UTF-8"),
])
def test_bad_corpora_give_one_clear_line(lm, tmp_path, capsys, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    assert lm.main(["--data", str(path), "--out", str(tmp_path / "run"), *SMALL]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_generate_needs_a_run_folder(lm, tmp_path, capsys):
    assert lm.main(["--generate", str(tmp_path)]) == 2
    assert "not a language-model run folder" in capsys.readouterr().err


@pytest.mark.slow
def test_killed_run_resumes_with_the_same_command(corpus, tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, str(RECIPES / "language_model.py"), "--data", str(corpus),
               "--out", str(out), "--epochs", "40", "--no-baseline", *SMALL]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    deadline = time.monotonic() + 120
    while not (out / "train_state.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.kill()
    process.wait()
    done_before = json.loads((out / "train_state.json").read_text())["epochs_done"]
    assert done_before >= 1
    command[command.index("40")] = str(done_before + 1)
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"Resuming {out} after epoch" in result.stdout
    state = json.loads((out / "train_state.json").read_text())
    assert state["epochs_done"] == done_before + 1


@pytest.mark.parametrize("level_args", [["--level", "word", "--coverage", "0.9"],
                                        ["--level", "subword", "--vocab-size", "40"]])
def test_word_and_subword_levels(lm, corpus, tmp_path, capsys, level_args):
    out = tmp_path / "run"
    args = ["--data", str(corpus), "--out", str(out), "--epochs", "2", *SMALL, *level_args]
    args[args.index("--seq-len") + 1] = "8"
    assert lm.main(args) == 0
    vocabulary = json.loads((out / "vocab.json").read_text())
    assert "<eol>" in vocabulary["tokens"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert "val_bpc" not in metrics and metrics["test_perplexity"] < len(vocabulary["tokens"])
    capsys.readouterr()
    assert lm.main(["--generate", str(out), "--prompt", "the cat", "--length", "12"]) == 0
    assert capsys.readouterr().out.startswith("the cat")
