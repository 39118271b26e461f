import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from textrnn.cli.classify import main
from textrnn.tasks.classification import ClassifierTask, load_labelled_texts, stratified_split

REPO = Path(__file__).resolve().parents[2]

GROUPS = {"food": ["pizza", "bread", "soup", "salad"], "sport": ["goal", "match", "team", "race"],
          "tech": ["laptop", "code", "phone", "chip"]}
FILLER = ["the", "a", "was", "today", "really", "my", "new", "and"]
SMALL = ["--units", "8", "--embedding-dim", "8", "--batch-size", "16", "--lr", "0.02",
         "--max-minutes", "2", "--cell", "gru", "--ensemble", "1"]


def write_tsv(path, groups, count, seed=0, extra_rows=()):
    """A `text<TAB>label` file: filler words plus two words of the label's group."""
    rng = np.random.default_rng(seed)
    labels = sorted(groups)
    rows = ["text\tlabel"]
    for i in range(count):
        label = labels[i % len(labels)]
        words = [*rng.choice(FILLER, 3), *rng.choice(groups[label], 2)]
        rows.append(f"{' '.join(rng.permutation(words))}\t{label}")
    path.write_text("\n".join([*rows, *extra_rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def multiclass_run(data_dir):
    data = write_tsv(data_dir / "topics.tsv", GROUPS, 240)
    out = data_dir / "topics_run"
    assert main(["--data", str(data), "--out", str(out), "--epochs", "6", *SMALL,
                 "--ensemble", "2"]) == 0
    return data, out


@pytest.fixture(scope="module")
def binary_run(data_dir):
    groups = {"ham": ["later", "home", "dinner", "ok"], "spam": ["free", "win", "prize", "cash"]}
    data = write_tsv(data_dir / "sms.tsv", groups, 120, seed=1,
                     extra_rows=["   \tham", "\tspam", "call me\t"])
    out = data_dir / "sms_run"
    assert main(["--data", str(data), "--out", str(out), "--epochs", "6",
                          "--model", "rnn", "--class-weight", "none", *SMALL]) == 0
    return data, out


@pytest.mark.slow
def test_multiclass_run_learns_and_writes_the_run_folder(multiclass_run):
    data, out = multiclass_run
    for name in ("config.json", "model.keras", "vocab.json", "labels.json", "classifier.json",
                 "tfidf.json", "history.csv", "metrics.json", "confusion_matrix.png",
                 "learning_curves.png", "baseline.keras", "interpolation.json"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.9  # chance is 1/3
    assert metrics["baseline_accuracy"] >= 0.9 and metrics["interpolated_test_accuracy"] >= 0.9
    assert metrics["interpolation_weight"] == json.loads(
        (out / "interpolation.json").read_text())["weight"]
    assert json.loads((out / "labels.json").read_text()) == ["food", "sport", "tech"]
    assert sum(metrics[f"test_confusion_{t}_{p}"] for t in GROUPS for p in GROUPS) == 24
    assert metrics["ensemble_size"] == 2 and (out / "member-2" / "model.keras").exists()
    assert min(metrics["member1_test_accuracy"], metrics["member2_test_accuracy"]) >= 0.8


@pytest.mark.slow
def test_macro_f1_matches_scikit_learn_on_the_saved_model(multiclass_run):
    data, out = multiclass_run
    rows = load_labelled_texts(data, "text", "label")
    test = rows.subset(stratified_split(rows.labels, (0.1, 0.1), seed=0)[2])
    predicted = ClassifierTask.from_run(out).predict(test.texts)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_macro_f1"] == pytest.approx(
        f1_score(test.labels, predicted, average="macro"))


@pytest.mark.slow
def test_predict_prints_label_and_probabilities(multiclass_run, tmp_path, capsys):
    _, out = multiclass_run
    inputs = tmp_path / "texts.txt"
    inputs.write_text("my new laptop and phone\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--predict", str(out), "pizza and soup today",
                          "--input", str(inputs)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split("\t") == ["label", "food", "sport", "tech", "text"]
    rows = [line.split("\t") for line in lines[1:]]
    assert [row[0] for row in rows] == ["food", "tech"]
    for row in rows:
        assert sum(map(float, row[1:4])) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.slow
def test_predict_interpolated_prints_the_mixture_with_the_baseline(multiclass_run, capsys):
    _, out = multiclass_run
    texts = ["pizza and soup today", "my new laptop and phone", "the match"]
    capsys.readouterr()
    assert main(["--predict", str(out), "--interpolated", *texts]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()[1:]]
    task = ClassifierTask.from_run(out)
    weight = task.interpolation_weight
    expected = (weight * task.predict_proba(texts)
                + (1 - weight) * task.baseline.predict_proba(texts))
    np.testing.assert_allclose([list(map(float, row[1:4])) for row in rows], expected,
                               atol=1e-4)


def test_predict_interpolated_without_a_baseline_is_a_clear_error(bow_run, capsys):
    assert main(["--predict", str(bow_run[1]), "--interpolated", "some text"]) == 2
    assert "no interpolation.json" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--interpolated"])
    assert "need --predict" in capsys.readouterr().err


@pytest.mark.slow
def test_binary_run_skips_and_counts_bad_rows(binary_run):
    _, out = binary_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rows_skipped_empty_text"] == 2
    assert metrics["rows_skipped_missing_label"] == 1
    assert metrics["test_accuracy"] >= 0.9 and metrics["test_f1_spam"] >= 0.8


@pytest.mark.slow
def test_predict_with_a_foreign_vocabulary_is_an_error(multiclass_run, binary_run, tmp_path,
                                                        capsys):
    mixed = tmp_path / "mixed"
    shutil.copytree(multiclass_run[1], mixed)
    for name in ("vocab.json", "tfidf.json"):
        shutil.copy(binary_run[1] / name, mixed / name)
    assert main(["--predict", str(mixed), "some text"]) == 2
    assert "the model expects vocabulary size" in capsys.readouterr().err


@pytest.fixture(scope="module")
def bow_run(data_dir):
    data = write_tsv(data_dir / "bow.tsv", GROUPS, 90, seed=2)
    argv = ["--data", str(data), "--out", str(data_dir / "bow_run"), "--model", "bow",
            "--epochs", "30", "--patience", "2", "--vocab-top-k", "40", "--min-df", "1",
            "--ensemble", "1"]
    assert main(argv) == 0
    return argv, data_dir / "bow_run"


def test_bow_run_resumes_without_training_again(bow_run, data_dir, capsys):
    argv, _ = bow_run
    config = json.loads((data_dir / "bow_run" / "config.json").read_text())
    assert config["vocab_top_k"] == 40 and "top_k" not in config
    assert config["tensorboard"] is False and config["lr"] is None
    first = json.loads((data_dir / "bow_run" / "metrics.json").read_text())
    capsys.readouterr()
    assert main(argv) == 0
    assert "Epoch" not in capsys.readouterr().out
    second = json.loads((data_dir / "bow_run" / "metrics.json").read_text())
    assert second["test_accuracy"] == first["test_accuracy"] >= 0.9
    # A "bow" run is its own baseline: the same figures under both prefixes.
    assert second["baseline_accuracy"] == second["test_accuracy"]
    assert second["baseline_macro_f1"] == second["test_macro_f1"]
    assert second["baseline_accuracy"] == first["test_accuracy"]
    assert main([*argv, "--min-df", "3"]) == 2
    assert "other settings" in capsys.readouterr().err


@pytest.mark.parametrize(("rows", "extra", "message"), [
    (["text\tlabel", "a b\tx", "c d\tx"], [], "single label"),
    (["text\tlabel", "a b\tx"], ["--label-column", "topic"], "missing column 'topic'"),
])
def test_bad_data_is_one_clear_error(tmp_path, capsys, rows, extra, message):
    data = tmp_path / "bad.tsv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["--data", str(data), "--out", str(tmp_path / "run"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_test_label_unseen_in_training_is_an_error(data_dir, tmp_path, capsys):
    data = write_tsv(data_dir / "train_only.tsv", GROUPS, 30)
    test = write_tsv(tmp_path / "test.tsv", {**GROUPS, "music": ["song"]}, 8)
    assert main(["--data", str(data), "--test-data", str(test), "--model", "bow",
                          "--out", str(tmp_path / "run")]) == 2
    assert "test data has labels never seen in training: 'music' (2 rows)" in \
        capsys.readouterr().err


def test_a_run_folder_another_process_trains_in_is_left_alone(data_dir, tmp_path, capsys):
    data = write_tsv(data_dir / "locked.tsv", GROUPS, 30)
    out = tmp_path / "run"
    out.mkdir()
    (out / ".lock").write_text(f"{os.getppid()}\n")  # a live process holds it
    assert main(["--data", str(data), "--out", str(out), "--model", "bow"]) == 2
    assert "is training in this run folder" in capsys.readouterr().err
    assert sorted(path.name for path in out.iterdir()) == [".lock"]


def test_help_and_flag_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--class-weight" in out and "--vocab-top-k" in out and "--tensorboard" in out
    assert "--ensemble N" in out
    for argv in (["some text"], ["--top-k", "5"], ["--min-df", "2.5"], ["--ensemble", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "--ensemble" in capsys.readouterr().err


def test_old_run_folder_made_with_top_k_resumes(bow_run, tmp_path, capsys):
    """`--top-k` (the vocabulary cut) was renamed `--vocab-top-k`, `--ensemble` is new; such
    runs still resume."""
    argv, out = bow_run
    old = tmp_path / "old_run"
    shutil.copytree(out, old)
    config = json.loads((old / "config.json").read_text())
    config["top_k"] = config.pop("vocab_top_k")
    del config["tensorboard"], config["ensemble"]
    (old / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    assert argv[-2:] == ["--ensemble", "1"]
    assert main([*argv[:3], str(old), *argv[4:-2]]) == 0  # the default --ensemble: one model
    assert "other settings" not in capsys.readouterr().err
    assert not (old / "member-2").exists()


def test_from_run_predicts_in_a_fresh_process(bow_run):
    _, out = bow_run
    code = ("import sys; from textrnn.tasks import ClassifierTask; "
            "print(ClassifierTask.from_run(sys.argv[1]).predict(['pizza and soup', 'my laptop']))")
    result = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "['food', 'tech']"


# === Transfer from a language model (ULMFiT) ===

TINY_LM = ["--units", "8", "--embedding-dim", "8", "--batch-size", "16", "--lr", "0.02",
           "--cell", "gru", "--lm-epochs", "1", "--max-minutes", "4", "--ensemble", "2"]


@pytest.mark.slow
def test_pretrain_lm_run_has_both_stages_and_loads(data_dir, tmp_path):
    data = write_tsv(data_dir / "topics_lm.tsv", GROUPS, 120, seed=2)
    out = tmp_path / "ulmfit"
    argv = ["--data", str(data), "--out", str(out), "--pretrain-lm", "--epochs", "2", *TINY_LM]
    assert main(argv) == 0
    for name in ("lm/model.keras", "lm/vocab.json", "model.keras", "metrics.json"):
        assert (out / name).exists(), name
    assert json.loads((out / "vocab.json").read_text()) == json.loads(
        (out / "lm" / "vocab.json").read_text())
    task = ClassifierTask.from_run(out)
    assert task.preprocessor.model_kind == "rnn"
    assert task.model.get_layer("pooling") is not None
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"test_accuracy", "test_macro_f1", "baseline_accuracy"} <= set(metrics)
    assert main(argv) == 0  # resumes: both stages are done


def test_encoder_that_is_not_a_word_language_model_is_a_one_line_error(multiclass_run,
                                                                      tmp_path, capsys):
    from textrnn.tasks.language_model import LanguageModelPreprocessor, LanguageModelTask

    data, run = multiclass_run
    lm = LanguageModelTask(LanguageModelPreprocessor.build("some text\n", "char", tmp_path))
    lm.model = lm.build_model(batch_size=2, units=4, embedding_dim=3)
    lm.save(tmp_path / "char_lm")
    for encoder, message in ((tmp_path / "char_lm", "word or subword language model"),
                             (run, "not a trained textrnn-lm run folder")):
        assert main(["--data", str(data), "--out", str(tmp_path / "out"), "--encoder",
                     str(encoder), *SMALL]) == 2
        error = capsys.readouterr().err.strip()
        assert "\n" not in error and error.startswith("error: ") and message in error
