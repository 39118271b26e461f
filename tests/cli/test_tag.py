"""End to end: `textrnn.cli.tag.main` on a tiny CoNLL-U file, and the recipe shim's --help."""

import json
from pathlib import Path

import pytest

from textrnn.cli.tag import main

REPO = Path(__file__).resolve().parents[2]

WORDS = {"DET": ["the", "a"], "NOUN": ["dog", "cat", "bird"], "VERB": ["runs", "sees"]}


def write_conllu(path, count=40):
    blocks = []
    for i in range(count):
        pattern = ["DET", "NOUN", "VERB", "DET", "NOUN"][: 3 + i % 3]
        words = [WORDS[tag][(i + j) % len(WORDS[tag])] for j, tag in enumerate(pattern)]
        blocks.append("\n".join(f"{j + 1}\t{w}\t{w}\t{t}\t_\t_\t0\t_\t_\t_"
                                for j, (w, t) in enumerate(zip(words, pattern, strict=True))))
    path.write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")
    return path


FLAGS = ["--units", "8", "--embedding-dim", "8", "--char-dim", "4", "--char-units", "8",
         "--epochs", "3", "--batch-size", "8", "--lr", "0.02"]


@pytest.mark.slow
def test_train_resume_and_predict(tmp_path, capsys):
    data, out = write_conllu(tmp_path / "tiny.conllu"), tmp_path / "run"
    assert main(["--data", str(data), "--out", str(out), "--crf", *FLAGS]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("test_accuracy", "test_macro_f1", "test_NOUN_f1", "baseline_accuracy",
                "baseline_macro_f1", "test_oov_rate"):
        assert 0.0 <= metrics[key] <= 1.0, key
    for name in ("config.json", "model.keras", "word_vocab.json", "history.csv",
                 "learning_curves.png", "confusion_matrix.png", "test_predictions.tsv"):
        assert (out / name).exists(), name
    # Same flags: training is done, so it resumes straight to evaluation.
    assert main(["--data", str(data), "--out", str(out), "--crf", *FLAGS]) == 0
    assert "Resuming" in capsys.readouterr().out
    (tmp_path / "in.txt").write_text("the cat sees a dog\n\n")
    assert main(["--predict", str(out), "a bird runs", "--input", str(tmp_path / "in.txt")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("a/") and len(lines) == 2 and len(lines[1].split()) == 5


def test_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.conllu"
    bad.write_text("1\tthe\tthe\tDET\n")
    assert main(["--data", str(bad), "--out", str(tmp_path / "run")]) == 2
    assert "bad.conllu:1:" in capsys.readouterr().err
    assert main(["--predict", str(tmp_path / "nothing"), "text"]) == 2
    assert "not a trained textrnn-tag run" in capsys.readouterr().err
    assert main(["--input", "x.txt"]) == 2


