import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textrnn.cli.language_model import main
from textrnn.io import write_json
from textrnn.preprocessing import Vocabulary

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "language_model.py"

LINES = ["the cat sat on the mat.", "a dog ran in the fog.", "the cat ran to the dog."]
SMALL = ["--units", "32", "--embedding-dim", "8", "--seq-len", "16", "--batch-size", "4",
         "--lr", "0.01", "--sample-length", "20", "--max-minutes", "5"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "tiny.txt"
    path.write_text("\n".join(LINES[i % 3] for i in range(300)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained_run(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "lm"
    assert main(["--data", str(corpus), "--out", str(out), "--epochs", "3", *SMALL]) == 0
    return out


def copy_run(run_dir: Path, out: Path) -> Path:
    out.mkdir()
    for path in run_dir.iterdir():
        if path.is_file():
            (out / path.name).write_bytes(path.read_bytes())
    return out


def test_training_learns_and_writes_the_run_folder(trained_run):
    for name in ("config.json", "model.keras", "vocab.json", "tokenizer.json", "history.csv",
                 "metrics.json", "learning_curves.png", "samples.txt", "train_state.json"):
        assert (trained_run / name).exists(), name
    history = json.loads((trained_run / "train_state.json").read_text())["history"]
    assert len(history) == 3
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    assert all("val_bpc" in row for row in history)
    assert "val_bpc" in (trained_run / "history.csv").read_text().splitlines()[0]
    metrics = json.loads((trained_run / "metrics.json").read_text())
    # Perplexity is exp of the evaluated mean cross-entropy, bits per char is it over ln 2.
    assert metrics["val_perplexity"] == pytest.approx(math.exp(metrics["val_loss"]), rel=1e-5)
    assert metrics["test_bpc"] == pytest.approx(metrics["test_loss"] / math.log(2), rel=1e-5)
    # A repetitive corpus: far below the uniform perplexity of ~20 characters.
    assert metrics["test_perplexity"] < 3.0
    assert math.isfinite(metrics["baseline_ngram_perplexity"])
    assert 1 <= metrics["baseline_ngram_order"] <= 6 and "baseline_ngram_bpc" in metrics
    config = json.loads((trained_run / "config.json").read_text())
    assert "vocab_top_k" in config and "top_k" not in config and "generate" not in config


def test_generation_is_reproducible_and_says_unknown_characters(trained_run, capsys):
    args = ["--generate", str(trained_run), "--prompt", "the ", "--length", "40", "--seed", "5"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("the ") and len(first.rstrip("\n")) >= 40
    assert main([*args, "--top-k", "1"]) == 0  # with --generate, --top-k is top-k sampling
    assert capsys.readouterr().out.startswith("the ")
    assert main(["--generate", str(trained_run), "--prompt", "the Z", "--length", "5"]) == 0
    assert "outside the vocabulary" in capsys.readouterr().err


def test_resuming_a_folder_of_the_old_layout_continues(corpus, trained_run, capsys, tmp_path):
    out = copy_run(trained_run, tmp_path / "old")
    # As written before --vocab-top-k: the vocabulary cut saved as top_k, no format key.
    config = json.loads((out / "config.json").read_text())
    config["top_k"] = config.pop("vocab_top_k")
    del config["tensorboard"]
    write_json(out / "config.json", config)
    write_json(out / "tokenizer.json",
               {"level": "char", "tokenizer": {"lowercase": False, "normalization": None}})
    assert main(["--generate", str(out), "--length", "5"]) == 0
    assert main(["--data", str(corpus), "--out", str(out), "--epochs", "4", *SMALL]) == 0
    assert "Resuming" in capsys.readouterr().out
    history = json.loads((out / "train_state.json").read_text())["history"]
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]


def test_resume_refuses_other_settings(corpus, trained_run, capsys):
    args = ["--data", str(corpus), "--out", str(trained_run), "--epochs", "3", *SMALL]
    args[args.index("--units") + 1] = "64"
    assert main(args) == 2
    assert "other settings" in capsys.readouterr().err


def test_generate_refuses_a_vocabulary_of_another_model(trained_run, tmp_path, capsys):
    out = copy_run(trained_run, tmp_path / "mismatch")
    Vocabulary(list("abc")).save(out / "vocab.json")
    assert main(["--generate", str(out), "--length", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert "do not belong to this model" in err
    assert "\n" not in err


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"short\n", "too short"),
    (b"caf\xe9 au lait\n" * 200, "UTF-8"),
])
def test_bad_corpora_give_one_clear_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    assert main(["--data", str(path), "--out", str(tmp_path / "run"), *SMALL]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_generate_needs_a_run_folder(tmp_path, capsys):
    assert main(["--generate", str(tmp_path)]) == 2
    assert "not a trained textrnn-lm run folder" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["--top-k", "100"], "--vocab-top-k"),
    (["--min-df", "2.5"], "--min-df"),
    (["--vocab-top-k", "0"], "--vocab-top-k"),
])
def test_bad_flags_are_usage_errors(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path / "run"), *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_killed_run_resumes_with_the_same_command(corpus, tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, str(RECIPE), "--data", str(corpus),
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


@pytest.mark.parametrize("level_args", [["--level", "word", "--vocab-top-k", "12"],
                                        ["--level", "subword", "--vocab-size", "40"]])
def test_word_and_subword_levels(corpus, tmp_path, capsys, level_args):
    out = tmp_path / "run"
    args = ["--data", str(corpus), "--out", str(out), "--epochs", "2", *SMALL, *level_args]
    args[args.index("--seq-len") + 1] = "8"
    assert main(args) == 0
    vocabulary = json.loads((out / "vocab.json").read_text())
    assert "<eol>" in vocabulary["tokens"]
    if "word" in level_args:
        assert len(vocabulary["tokens"]) == 12 + 3  # the cut, pad, unk, <eol>
    metrics = json.loads((out / "metrics.json").read_text())
    assert "val_bpc" not in metrics and metrics["test_perplexity"] < len(vocabulary["tokens"])
    capsys.readouterr()
    assert main(["--generate", str(out), "--prompt", "the cat", "--length", "12"]) == 0
    assert capsys.readouterr().out.startswith("the cat")


def test_regularisation_and_schedule_flags_reach_the_model(corpus, tmp_path):
    out = tmp_path / "awd"
    flags = ["--weight-dropout", "0.2", "--embedding-dropout", "0.05", "--input-dropout", "0.1",
             "--output-dropout", "0.1", "--ar", "2", "--tar", "1", "--tie-weights",
             "--schedule", "slanted", "--weight-decay", "0.01"]
    assert main(["--data", str(corpus), "--out", str(out), "--epochs", "2", "--no-baseline",
                 *SMALL, *flags]) == 0
    config = json.loads((out / "config.json").read_text())
    assert (config["weight_dropout"], config["tie_weights"], config["schedule"]) == (
        0.2, True, "slanted")
    from textrnn.tasks import LanguageModelTask

    model = LanguageModelTask.from_run(out).model
    assert {"tar", "ar", "input_dropout", "output_dropout"} <= {x.name for x in model.layers}
    assert type(model.layers[-1]).__name__ == "TiedOutput"


def test_bfloat16_policy_trains_reloads_and_generates(corpus, tmp_path, capsys):
    out = tmp_path / "bf16"
    argv = ["--data", str(corpus), "--out", str(out), "--epochs", "3", "--no-baseline",
            "--dtype-policy", "mixed_bfloat16", *SMALL]
    assert main(argv) == 0
    from textrnn.tasks import LanguageModelTask

    model = LanguageModelTask.from_run(out).model  # a fresh load keeps every layer's policy
    assert model.get_layer("lstm_1").compute_dtype == "bfloat16"
    assert model.get_layer("lstm_1").variable_dtype == "float32"
    assert model.get_layer("logits").compute_dtype == "float32"
    history = json.loads((out / "train_state.json").read_text())["history"]
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    assert json.loads((out / "metrics.json").read_text())["test_perplexity"] < 3.0
    capsys.readouterr()
    assert main(argv) == 0  # finished: resumes without training
    assert "Epoch" not in capsys.readouterr().out
    assert main(["--generate", str(out), "--prompt", "the c", "--length", "12"]) == 0
    assert len(capsys.readouterr().out) >= 12
    float32 = [*argv[:-len(SMALL) - 2], "--dtype-policy", "float32", *SMALL]
    assert main(float32) == 2  # on a bfloat16 run
    assert "dtype" in capsys.readouterr().err


def test_find_lr_writes_the_plot_and_prints_a_rate(corpus, tmp_path, capsys):
    out = tmp_path / "finder"
    assert main(["--data", str(corpus), "--out", str(out), "--find-lr", *SMALL]) == 0
    assert "suggested learning rate" in capsys.readouterr().out
    assert (out / "lr_finder.png").exists() and not (out / "model.keras").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--weight-dropout", "1.0"], "--weight-dropout"),
    (["--ar", "-1"], "--ar"),
    (["--schedule", "cosine"], "--schedule"),
])
def test_bad_regularisation_flags_are_usage_errors(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path / "run"), *args])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
