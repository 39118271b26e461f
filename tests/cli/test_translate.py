"""textrnn-translate end to end on tiny data: learning, scores, beam 1, translate, errors."""

import csv
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sacrebleu

from textrnn import datasets
from textrnn.cli.translate import main
from textrnn.tasks.translation.evaluation import read_predictions

REPO = Path(__file__).resolve().parents[2]
TINY = ["--units", "16", "--embedding-dim", "8", "--vocab-size", "120", "--max-length", "12",
        "--batch-size", "16", "--max-minutes", "2", "--lr", "0.01"]


@pytest.fixture(scope="module")
def tiny_pairs(tmp_path_factory):
    """300 short Tatoeba pairs, with one empty target and one over-long pair added."""
    path = tmp_path_factory.mktemp("data") / "pairs.tsv"
    with gzip.open(datasets.path("eng_fra_tatoeba_5k"), "rt", encoding="utf-8") as handle:
        rows = [line.split("\t")[:2] for _, line in zip(range(300), handle, strict=False)]
    rows += [["Hello there", ""], ["word " * 40, "mot " * 40]]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["en", "fr"])
        writer.writerows(rows)
    return path


def train_argv(data, out, epochs=8):
    return ["--data", str(data), "--source-column", "en", "--target-column", "fr",
            "--epochs", str(epochs), "--beam", "1", "--out", str(out), *TINY]


@pytest.fixture(scope="module")
def run_dir(tiny_pairs, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "translate"
    assert main(train_argv(tiny_pairs, out)) == 0
    return out


def test_loss_drops_and_files_written(run_dir):
    with open(run_dir / "history.csv", encoding="utf-8") as handle:
        losses = [float(row["loss"]) for row in csv.DictReader(handle)]
    assert len(losses) == 8 and losses[-1] < 0.85 * losses[0]
    for name in ("config.json", "model.keras", "source.model", "target_vocab.json",
                 "translation_assets.json", "learning_curves.png", "attention_0.png",
                 "test_predictions.tsv"):
        assert (run_dir / name).stat().st_size > 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["attention"] == "bahdanau" and config["max_length"] == 12
    assert "translate" not in config and "compare_baseline" not in config


def test_bleu_recomputed_from_predictions_equals_metrics(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    columns = read_predictions(run_dir / "test_predictions.tsv")
    references = columns["reference"]
    assert metrics["test_bleu"] == pytest.approx(
        sacrebleu.corpus_bleu(columns["hypothesis"], [references]).score)
    assert metrics["test_chrf"] == pytest.approx(
        sacrebleu.corpus_chrf(columns["hypothesis"], [references]).score)
    assert metrics["test_bleu_greedy"] == pytest.approx(
        sacrebleu.corpus_bleu(columns["hypothesis_greedy"], [references]).score)
    assert metrics["empty_pairs_skipped"] == 1 and metrics["train_pairs_too_long"] >= 1
    assert metrics["epochs"] == 8


def test_beam_one_equals_greedy(run_dir):
    columns = read_predictions(run_dir / "test_predictions.tsv")
    assert columns["hypothesis"] == columns["hypothesis_greedy"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test_bleu"] == metrics["test_bleu_greedy"]


def test_translate_prints_and_warns_on_unseen_characters(run_dir, capsys):
    assert main(["--translate", str(run_dir), "Go ☃!", "I ran."]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 2  # one line per text (an untrained model may say "")
    assert "☃" in captured.err


def test_from_run_translates_in_a_fresh_process(run_dir):
    code = ("import sys; from textrnn.tasks import TranslatorTask; "
            "print(TranslatorTask.from_run(sys.argv[1]).translate(['I ran.'], beam_width=2))")
    result = subprocess.run([sys.executable, "-c", code, str(run_dir)], capture_output=True,
                            text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("['")


def test_old_run_folder_translates_and_resumes(tiny_pairs, run_dir, tmp_path, capsys):
    """A folder as the recipe wrote it before the task objects: old config and assets."""
    old = tmp_path / "old"
    shutil.copytree(run_dir, old)
    config = json.loads((old / "config.json").read_text())
    for key in ("encoding_errors", "tensorboard"):
        del config[key]
    config["top_k"] = None  # a setting renamed since is read under its new name
    (old / "config.json").write_text(json.dumps(config))
    (old / "translation_assets.json").write_text(json.dumps({"shared": False}))
    assert main(["--translate", str(old), "I ran."]) == 0
    capsys.readouterr()
    assert main(train_argv(tiny_pairs, old, epochs=9)) == 0
    assert "Resuming" in capsys.readouterr().out
    with open(old / "history.csv", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 9
    assert json.loads((old / "translation_assets.json").read_text())["max_length"] == 12


def test_translate_refuses_mismatched_vocabulary(run_dir, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    vocab = json.loads((copy / "target_vocab.json").read_text())
    vocab["tokens"] = vocab["tokens"][:-3]
    (copy / "target_vocab.json").write_text(json.dumps(vocab))
    assert main(["--translate", str(copy), "Hi."]) == 2
    assert "does not match the target subword model" in capsys.readouterr().err


def test_bad_input(tiny_pairs, run_dir, tmp_path, capsys):
    assert main(["--translate", str(tmp_path), "Hi."]) == 2
    assert "not a trained textrnn-translate run folder" in capsys.readouterr().err
    assert main(["--translate", str(run_dir)]) == 2
    assert "at least one TEXT" in capsys.readouterr().err
    assert main(["--data", str(tiny_pairs), "--source-column", "english", "--out",
                 str(tmp_path / "r")]) == 2
    assert "english" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the translator has one layer: no --layers flag
        main(["--layers", "2", "--out", str(tmp_path / "r")])
    assert "unrecognized arguments: --layers" in capsys.readouterr().err
    assert main([*train_argv(tiny_pairs, run_dir), "--units", "32"]) == 2
    assert "units: 16 -> 32" in capsys.readouterr().err


