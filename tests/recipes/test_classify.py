import json
import shutil

import numpy as np
import pytest
from sklearn.metrics import f1_score

from textrnn.tasks.classification import load_labelled_texts, stratified_split
from textrnn.tasks.classification_training import load_classifier

GROUPS = {"food": ["pizza", "bread", "soup", "salad"], "sport": ["goal", "match", "team", "race"],
          "tech": ["laptop", "code", "phone", "chip"]}
FILLER = ["the", "a", "was", "today", "really", "my", "new", "and"]
SMALL = ["--units", "8", "--embedding-dim", "8", "--batch-size", "16", "--lr", "0.02",
         "--max-minutes", "2", "--cell", "gru"]


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
def classify(recipe):
    return recipe("classify")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def multiclass_run(classify, data_dir):
    data = write_tsv(data_dir / "topics.tsv", GROUPS, 240)
    out = data_dir / "topics_run"
    assert classify.main(["--data", str(data), "--out", str(out), "--epochs", "6", *SMALL]) == 0
    return data, out


@pytest.fixture(scope="module")
def binary_run(classify, data_dir):
    groups = {"ham": ["later", "home", "dinner", "ok"], "spam": ["free", "win", "prize", "cash"]}
    data = write_tsv(data_dir / "sms.tsv", groups, 120, seed=1,
                     extra_rows=["   \tham", "\tspam", "call me\t"])
    out = data_dir / "sms_run"
    assert classify.main(["--data", str(data), "--out", str(out), "--epochs", "6",
                          "--model", "rnn", "--class-weight", "none", *SMALL]) == 0
    return data, out


@pytest.mark.slow
def test_multiclass_run_learns_and_writes_the_run_folder(multiclass_run):
    data, out = multiclass_run
    for name in ("config.json", "model.keras", "vocab.json", "labels.json", "classifier.json",
                 "tfidf.json", "history.csv", "metrics.json", "confusion_matrix.png",
                 "learning_curves.png"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.9  # chance is 1/3
    assert metrics["baseline_accuracy"] >= 0.9
    assert json.loads((out / "labels.json").read_text()) == ["food", "sport", "tech"]
    assert sum(metrics[f"test_confusion_{t}_{p}"] for t in GROUPS for p in GROUPS) == 24


@pytest.mark.slow
def test_macro_f1_matches_scikit_learn_on_the_saved_model(multiclass_run):
    data, out = multiclass_run
    rows = load_labelled_texts(data, "text", "label")
    test = rows.subset(stratified_split(rows.labels, (0.1, 0.1), seed=0)[2])
    classifier = load_classifier(out)
    predicted = classifier.predict(test.texts)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_macro_f1"] == pytest.approx(
        f1_score(test.labels, predicted, average="macro"))


@pytest.mark.slow
def test_predict_prints_label_and_probabilities(classify, multiclass_run, tmp_path, capsys):
    _, out = multiclass_run
    inputs = tmp_path / "texts.txt"
    inputs.write_text("my new laptop and phone\n", encoding="utf-8")
    capsys.readouterr()
    assert classify.main(["--predict", str(out), "pizza and soup today",
                          "--input", str(inputs)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split("\t") == ["label", "food", "sport", "tech", "text"]
    rows = [line.split("\t") for line in lines[1:]]
    assert [row[0] for row in rows] == ["food", "tech"]
    for row in rows:
        assert sum(map(float, row[1:4])) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.slow
def test_binary_run_skips_and_counts_bad_rows(binary_run):
    _, out = binary_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rows_skipped_empty_text"] == 2
    assert metrics["rows_skipped_missing_label"] == 1
    assert metrics["test_accuracy"] >= 0.9 and metrics["test_f1_spam"] >= 0.8


@pytest.mark.slow
def test_predict_with_a_foreign_vocabulary_is_an_error(classify, multiclass_run, binary_run,
                                                        tmp_path, capsys):
    mixed = tmp_path / "mixed"
    shutil.copytree(multiclass_run[1], mixed)
    for name in ("vocab.json", "tfidf.json"):
        shutil.copy(binary_run[1] / name, mixed / name)
    assert classify.main(["--predict", str(mixed), "some text"]) == 2
    assert "embedding rows but vocab.json has" in capsys.readouterr().err


def test_bow_run_resumes_without_training_again(classify, data_dir, capsys):
    data = write_tsv(data_dir / "bow.tsv", GROUPS, 90, seed=2)
    argv = ["--data", str(data), "--out", str(data_dir / "bow_run"), "--model", "bow",
            "--epochs", "30", "--patience", "2"]
    assert classify.main(argv) == 0
    first = json.loads((data_dir / "bow_run" / "metrics.json").read_text())
    capsys.readouterr()
    assert classify.main(argv) == 0
    assert "Epoch" not in capsys.readouterr().out
    second = json.loads((data_dir / "bow_run" / "metrics.json").read_text())
    assert second["test_accuracy"] == first["test_accuracy"] >= 0.9
    assert second["baseline_accuracy"] == first["test_accuracy"]
    assert classify.main([*argv, "--min-df", "3"]) == 2
    assert "other settings" in capsys.readouterr().err


@pytest.mark.parametrize(("rows", "extra", "message"), [
    (["text\tlabel", "a b\tx", "c d\tx"], [], "single label"),
    (["text\tlabel", "a b\tx"], ["--label-column", "topic"], "missing column 'topic'"),
])
def test_bad_data_is_one_clear_error(classify, tmp_path, capsys, rows, extra, message):
    data = tmp_path / "bad.tsv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert classify.main(["--data", str(data), "--out", str(tmp_path / "run"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_test_label_unseen_in_training_is_an_error(classify, data_dir, tmp_path, capsys):
    data = write_tsv(data_dir / "train_only.tsv", GROUPS, 30)
    test = write_tsv(tmp_path / "test.tsv", {**GROUPS, "music": ["song"]}, 8)
    assert classify.main(["--data", str(data), "--test-data", str(test), "--model", "bow",
                          "--out", str(tmp_path / "run")]) == 2
    assert "test data has labels never seen in training: 'music' (2 rows)" in \
        capsys.readouterr().err


def test_help_and_flag_errors(classify, capsys):
    with pytest.raises(SystemExit) as exit_info:
        classify.main(["--help"])
    assert exit_info.value.code == 0
    assert "--class-weight" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        classify.main(["some text"])
