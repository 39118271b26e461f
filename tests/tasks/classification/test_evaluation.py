import numpy as np
import pytest
from sklearn import metrics as sk

from textrnn.tasks.classification.evaluation import (
    classification_metrics,
    confusion_matrix,
    log_loss,
    paired_comparison,
    plot_confusion_matrix,
)


def test_hand_computed_binary_example():
    # true:  s s s h h h h h ; predicted: s s h s h h h h
    y_true = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    metrics = classification_metrics(y_true, y_pred, ["ham", "spam"])
    # spam: P = 2/3, R = 2/3, F1 = 2/3; ham: P = 4/5, R = 4/5, F1 = 4/5.
    assert metrics["test_accuracy"] == pytest.approx(6 / 8)
    assert metrics["test_f1_spam"] == pytest.approx(2 / 3)
    assert metrics["test_f1_ham"] == pytest.approx(4 / 5)
    assert metrics["test_macro_f1"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert metrics["test_confusion_spam_ham"] == 1 and metrics["test_confusion_ham_spam"] == 1
    assert metrics["test_support_spam"] == 3


def test_multiclass_matches_scikit_learn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 4, 200))
    y_pred[y_pred == 3] = 2  # class 3 is never predicted: its precision is 0, not undefined
    labels = ["a", "b", "c", "d d"]
    metrics = classification_metrics(y_true, y_pred, labels, prefix="baseline")
    precision, recall, f1, support = sk.precision_recall_fscore_support(
        y_true, y_pred, labels=range(4), zero_division=0)
    assert metrics["baseline_accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred))
    assert metrics["baseline_macro_f1"] == pytest.approx(
        sk.f1_score(y_true, y_pred, labels=range(4), average="macro", zero_division=0))
    for i, name in enumerate(["a", "b", "c", "d_d"]):
        assert metrics[f"baseline_precision_{name}"] == pytest.approx(precision[i])
        assert metrics[f"baseline_recall_{name}"] == pytest.approx(recall[i])
        assert metrics[f"baseline_f1_{name}"] == pytest.approx(f1[i])
        assert metrics[f"baseline_support_{name}"] == support[i]
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, 4),
                                  sk.confusion_matrix(y_true, y_pred, labels=range(4)))


def test_confusion_matrix_shapes_must_match():
    with pytest.raises(ValueError, match="same shape"):
        confusion_matrix(np.zeros(3, int), np.zeros(2, int), 2)


def test_plot_writes_a_png(tmp_path):
    plot_confusion_matrix(np.array([[5, 1], [0, 4]]), ["ham", "spam"], tmp_path / "cm.png")
    assert (tmp_path / "cm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_empty_prefix_gives_bare_keys():
    metrics = classification_metrics(np.array([0, 1]), np.array([0, 0]), ["a", "b"], prefix="")
    assert metrics["accuracy"] == 0.5 and "macro_f1" in metrics and "f1_b" in metrics


def test_paired_comparison_hand_computed():
    # 14 documents: both right on 3, both wrong on 1, only the model right on 8, only the
    # baseline right on 2. Two-sided exact p of 8 vs 2 out of 10 discordant at 1/2:
    # 2 * (C(10,0) + C(10,1) + C(10,2)) / 2**10 = 2 * 56 / 1024.
    y_true = np.zeros(14, int)
    model = np.array([0] * 3 + [1] + [0] * 8 + [1] * 2)
    baseline = np.array([0] * 3 + [1] + [1] * 8 + [0] * 2)
    paired = paired_comparison(y_true, model, baseline)
    assert paired["paired_model_only_correct"] == 8
    assert paired["paired_baseline_only_correct"] == 2
    assert paired["paired_mcnemar_p"] == pytest.approx(112 / 1024)
    swapped = paired_comparison(y_true, baseline, model)
    assert swapped["paired_model_only_correct"] == 2
    assert swapped["paired_mcnemar_p"] == pytest.approx(112 / 1024)


def test_paired_comparison_without_disagreement_is_p_one():
    y_true = np.array([0, 1, 2, 1])
    same = np.array([0, 1, 0, 0])
    assert paired_comparison(y_true, same, same) == {
        "paired_model_only_correct": 0, "paired_baseline_only_correct": 0,
        "paired_mcnemar_p": 1.0}
    # Both wrong on different labels is no disagreement on correctness either.
    assert paired_comparison(y_true, same, np.array([0, 1, 1, 2]))["paired_mcnemar_p"] == 1.0


def test_log_loss_is_scikit_learns_and_finite_at_zero_probability():
    y = np.array([0, 2, 1, 2])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3],
                              [0.05, 0.9, 0.05]], dtype=np.float32)
    assert log_loss(y, probabilities) == pytest.approx(
        sk.log_loss(y, probabilities, labels=[0, 1, 2]), rel=1e-6)
    assert log_loss(np.array([1]), np.array([[1.0, 0.0]])) == pytest.approx(-np.log(1e-12))
