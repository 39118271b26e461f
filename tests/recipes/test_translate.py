"""recipes/translate.py end to end on tiny data: learning, scores, beam 1, translate, errors."""

import csv
import gzip
import json

import pytest
import sacrebleu

from textrnn import datasets
from textrnn.tasks.translation_evaluation import read_predictions

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


@pytest.fixture(scope="module")
def run_dir(recipe, tiny_pairs, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "translate"
    argv = ["--data", str(tiny_pairs), "--source-column", "en", "--target-column", "fr",
            "--epochs", "8", "--beam", "1", "--out", str(out), *TINY]
    assert recipe("translate").main(argv) == 0
    return out


def test_loss_drops_and_files_written(run_dir):
    with open(run_dir / "history.csv", encoding="utf-8") as handle:
        losses = [float(row["loss"]) for row in csv.DictReader(handle)]
    assert len(losses) == 8 and losses[-1] < 0.85 * losses[0]
    for name in ("config.json", "model.keras", "source.model", "target_vocab.json",
                 "learning_curves.png", "attention_0.png", "test_predictions.tsv"):
        assert (run_dir / name).stat().st_size > 0


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
    assert metrics["empty_pairs_skipped"] == 1 and metrics["train_pairs_too_long"] >= 0


def test_beam_one_equals_greedy(run_dir):
    columns = read_predictions(run_dir / "test_predictions.tsv")
    assert columns["hypothesis"] == columns["hypothesis_greedy"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test_bleu"] == metrics["test_bleu_greedy"]


def test_translate_prints_and_warns_on_unseen_characters(recipe, run_dir, capsys):
    assert recipe("translate").main(["--translate", str(run_dir), "Go ☃!", "I ran."]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 2  # one line per text (an untrained model may say "")
    assert "☃" in captured.err


def test_translate_refuses_mismatched_vocabulary(recipe, run_dir, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    vocab = json.loads((copy / "target_vocab.json").read_text())
    vocab["tokens"] = vocab["tokens"][:-3]
    (copy / "target_vocab.json").write_text(json.dumps(vocab))
    assert recipe("translate").main(["--translate", str(copy), "Hi."]) == 2
    assert "do not belong to this model" in capsys.readouterr().err


@pytest.mark.slow
def test_resume_continues_the_run(recipe, tiny_pairs, run_dir, capsys):
    argv = ["--data", str(tiny_pairs), "--source-column", "en", "--target-column", "fr",
            "--epochs", "9", "--beam", "1", "--out", str(run_dir), *TINY]
    assert recipe("translate").main(argv) == 0
    assert "Resuming" in capsys.readouterr().out
    with open(run_dir / "history.csv", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 9


def test_bad_input(recipe, tiny_pairs, tmp_path, capsys):
    assert recipe("translate").main(["--translate", str(tmp_path), "Hi."]) == 2
    assert "no model.keras" in capsys.readouterr().err
    argv = ["--data", str(tiny_pairs), "--source-column", "english", "--out",
            str(tmp_path / "r")]
    assert recipe("translate").main(argv) == 2
    assert "english" in capsys.readouterr().err
