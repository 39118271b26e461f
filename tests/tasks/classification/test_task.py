import json
import shutil

import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.models.classifier import build_rnn_classifier
from textrnn.tasks import ClassifierTask
from textrnn.tasks.classification import ClassifierPreprocessor, LabelledTexts
from textrnn.tasks.classification.baseline import INVERSE_L2_GRID
from textrnn.tasks.classification.interpolation import interpolation_weight

WORDS = {"pos": ["great", "love", "fine", "nice"], "neg": ["awful", "hate", "bad", "poor"],
         "mid": ["okay", "average", "so-so", "plain"]}
TINY = dict(cell="gru", units=8, embedding_dim=8, dropout=0.0)


def documents(count, seed=0):
    """Filler words plus two words of the label's group: separable by the group words."""
    rng = np.random.default_rng(seed)
    filler = ["the", "film", "was", "a", "and", "it", "story"]
    labels = sorted(WORDS)
    texts = [" ".join(rng.permutation([*rng.choice(filler, 4),
                                       *rng.choice(WORDS[labels[i % 3]], 2)]))
             for i in range(count)]
    return LabelledTexts(texts, [labels[i % 3] for i in range(count)])


def accuracy(task, data):
    return np.mean(np.array(task.predict(data.texts)) == np.array(data.labels))


@pytest.fixture(scope="module")
def rnn_run(tmp_path_factory):
    """A tiny GRU trained on 120 documents, its run folder and held-out documents."""
    run_dir = tmp_path_factory.mktemp("rnn_run")
    data = documents(150)
    train, validation, test = (LabelledTexts(data.texts[a:b], data.labels[a:b])
                               for a, b in ((0, 100), (100, 120), (120, 150)))
    task = ClassifierTask(ClassifierPreprocessor.build(train.texts, train.labels,
                                                       model_kind="rnn"), model_options=TINY)
    history = task.fit(train, validation, run_dir, epochs=8, patience=8, learning_rate=0.02,
                       batch_size=16, verbose=0)
    return task, run_dir, test, history


def test_recurrent_classifier_learns(rnn_run):
    task, _, test, history = rnn_run
    assert len(history) == 8
    assert accuracy(task, test) >= 0.8  # chance is 1/3


def test_evaluate_reports_accuracy_macro_f1_and_per_class(rnn_run):
    task, run_dir, test, _ = rnn_run
    metrics = task.evaluate(test.texts, test.labels, confusion_plot=run_dir / "cm.png")
    assert metrics["accuracy"] == pytest.approx(accuracy(task, test))
    assert {"macro_f1", "f1_pos", "recall_neg", "support_mid"} <= set(metrics)
    assert (run_dir / "cm.png").exists()
    assert "test_accuracy" in task.evaluate(test.texts[:3], test.labels[:3], prefix="test")


def test_from_run_round_trip_gives_identical_probabilities(rnn_run):
    task, run_dir, test, _ = rnn_run
    loaded = ClassifierTask.from_run(run_dir)
    probabilities = loaded.predict_proba(test.texts)
    assert probabilities.shape == (30, 3)
    np.testing.assert_array_equal(probabilities, task.predict_proba(test.texts))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert loaded.predict([]) == [] and loaded.labels == ["mid", "neg", "pos"]


def test_predict_keeps_the_order_of_the_texts(rnn_run):
    task, _, test, _ = rnn_run
    texts = test.texts[:7]
    one_by_one = np.concatenate([task.predict_proba([text]) for text in texts])
    np.testing.assert_allclose(task.predict_proba(texts), one_by_one, atol=1e-5)


def test_labels_of_another_run_are_refused(rnn_run, tmp_path):
    _, run_dir, _, _ = rnn_run
    for name in ("classifier.json", "vocab.json", "tfidf.json", "model.keras"):
        (tmp_path / name).write_bytes((run_dir / name).read_bytes())
    (tmp_path / "labels.json").write_text(json.dumps(["a", "b"]), encoding="utf-8")
    with pytest.raises(InputError, match="number of labels 3 but the run folder's "
                                         "preprocessor has 2"):
        ClassifierTask.from_run(tmp_path)


def test_a_foreign_vocabulary_is_refused(rnn_run, tmp_path):
    task, run_dir, _, _ = rnn_run
    task.preprocessor.save(tmp_path)
    model = build_rnn_classifier(len(task.preprocessor.vocabulary) + 5, 3, cell="gru", units=2)
    model.save(tmp_path / "model.keras")
    with pytest.raises(InputError, match="expects vocabulary size .* but the run folder"):
        ClassifierTask.from_run(tmp_path)


def test_from_run_needs_a_trained_run(tmp_path):
    with pytest.raises(InputError, match="not a trained textrnn-classify run folder"):
        ClassifierTask.from_run(tmp_path)
    with pytest.raises(ValueError, match="no model yet"):
        ClassifierTask(ClassifierPreprocessor.build(["a b", "c d"], ["x", "y"])).predict(["a"])


def test_bow_training_keeps_the_best_weights_and_resumes_without_retraining(tmp_path):
    data = documents(90)
    train, validation = (LabelledTexts(data.texts[a:b], data.labels[a:b])
                         for a, b in ((0, 60), (60, 90)))
    preprocessor = ClassifierPreprocessor.build(train.texts, train.labels, model_kind="bow")
    task = ClassifierTask(preprocessor)
    history = task.fit(train, validation, tmp_path, epochs=40, patience=2, learning_rate=0.5,
                       batch_size=16, verbose=0)
    assert len(history) < 40  # stopped early
    data = preprocessor.inputs(validation.texts, validation.labels)
    best = task.model.evaluate(data, verbose=0, return_dict=True)["loss"]
    assert best == pytest.approx(min(row["val_loss"] for row in history), rel=1e-4)
    again = ClassifierTask(ClassifierPreprocessor.load(tmp_path))
    assert again.fit(train, validation, tmp_path, epochs=40, patience=2, verbose=0) == history
    np.testing.assert_allclose(again.model.get_weights()[0], task.model.get_weights()[0])


def test_baseline_learns_three_classes(rnn_run):
    task, _, test, _ = rnn_run
    data = documents(150)
    baseline, c = task.fit_baseline((data.texts[:100], data.labels[:100]),
                                    (data.texts[100:120], data.labels[100:120]))
    assert c in INVERSE_L2_GRID
    assert baseline.preprocessor.model_kind == "bow" and task.preprocessor.model_kind == "rnn"
    assert baseline.preprocessor.vocabulary is task.preprocessor.vocabulary
    assert accuracy(baseline, test) > 0.9  # chance is 1/3


def test_evaluate_with_baseline_interpolates_and_the_run_keeps_the_mixture(rnn_run, tmp_path):
    task, run_dir, test, _ = rnn_run
    shutil.copytree(run_dir, tmp_path / "run")
    data = documents(150)
    train, validation = (data.texts[:100], data.labels[:100]), (data.texts[100:120],
                                                                data.labels[100:120])
    metrics = task.evaluate_with_baseline(train, validation, test, run_dir=tmp_path / "run")
    weight = task.interpolation_weight
    assert weight == metrics["interpolation_weight"] == interpolation_weight(
        task.preprocessor.encode_labels(validation[1]), task.predict_proba(validation[0]),
        task.baseline.predict_proba(validation[0]))
    mixture = (weight * task.predict_proba(test.texts)
               + (1 - weight) * task.baseline.predict_proba(test.texts))
    predicted = np.array(task.labels)[mixture.argmax(axis=1)]
    assert metrics["interpolated_test_accuracy"] == pytest.approx(
        np.mean(predicted == np.array(test.labels)))
    assert metrics["baseline_accuracy"] > 0.9 and "interpolated_test_macro_f1" in metrics
    assert metrics["baseline_c"] in INVERSE_L2_GRID
    truth = np.array(test.labels)
    rnn_right = np.array(task.predict(test.texts)) == truth
    baseline_right = np.array(task.baseline.predict(test.texts)) == truth
    assert metrics["paired_model_only_correct"] == np.sum(rnn_right & ~baseline_right)
    assert metrics["paired_baseline_only_correct"] == np.sum(baseline_right & ~rnn_right)
    again = ClassifierTask.from_run(tmp_path / "run")
    assert again.interpolation_weight == weight
    np.testing.assert_allclose(again.predict_proba(test.texts, interpolated=True), mixture,
                               rtol=1e-5, atol=1e-6)
    assert again.predict(test.texts, interpolated=True) == list(predicted)
    again.save(tmp_path / "saved")
    np.testing.assert_allclose(
        ClassifierTask.from_run(tmp_path / "saved").predict_proba(test.texts, interpolated=True),
        mixture, rtol=1e-5, atol=1e-6)


def test_interpolated_prediction_needs_a_baseline(rnn_run):
    _, run_dir, test, _ = rnn_run
    with pytest.raises(ValueError, match="no TF-IDF baseline"):
        ClassifierTask.from_run(run_dir).predict_proba(test.texts, interpolated=True)
