"""Classification figures: accuracy, per-class precision / recall / F1, macro-F1, confusion.

Definitions (scikit-learn's, with `zero_division=0`): for class `c`, precision = TP / (TP +
FP), recall = TP / (TP + FN), F1 = 2 P R / (P + R), each 0 when its denominator is 0.
Macro-F1 is the unweighted mean of the per-class F1 over *all* training labels, so a class the
model never predicts counts as 0 rather than being left out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from scipy import stats

from textrnn.io import atomic_write


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts `[num_classes, num_classes]` (int64): row = true label id, column = predicted."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"`y_true` and `y_pred` must have the same shape, got {y_true.shape} "
                         f"and {y_pred.shape}.")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def per_class_scores(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support per class (float64 `[num_classes]`) of a confusion
    matrix."""
    tp = np.diag(matrix).astype(np.float64)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(tp), where=total > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": actual}


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str],
                           prefix: str = "test") -> dict[str, float | int]:
    """Flat figures for `metrics.json`.

    Args:
        y_true: true label ids `[num_docs]`.
        y_pred: predicted label ids `[num_docs]`.
        labels: the class names, by id.
        prefix: key prefix, e.g. `"test"` or `"baseline"`; `""` gives bare keys.

    Returns:
        `{prefix}_accuracy`, `{prefix}_macro_f1`, then per class `{prefix}_precision_{label}`,
        `{prefix}_recall_{label}`, `{prefix}_f1_{label}`, `{prefix}_support_{label}`, and the
        confusion counts `{prefix}_confusion_{true}_{predicted}` (whitespace in labels becomes
        `_`).
    """
    prefix = f"{prefix}_" if prefix else ""
    matrix = confusion_matrix(y_true, y_pred, len(labels))
    scores = per_class_scores(matrix)
    total = matrix.sum()
    metrics: dict[str, float | int] = {
        f"{prefix}accuracy": float(np.trace(matrix) / total) if total else 0.0,
        f"{prefix}macro_f1": float(scores["f1"].mean()),
    }
    names = [key_name(label) for label in labels]
    for index, name in enumerate(names):
        for score in ("precision", "recall", "f1"):
            metrics[f"{prefix}{score}_{name}"] = float(scores[score][index])
        metrics[f"{prefix}support_{name}"] = int(scores["support"][index])
    for row, true_name in enumerate(names):
        for column, predicted_name in enumerate(names):
            metrics[f"{prefix}confusion_{true_name}_{predicted_name}"] = int(matrix[row, column])
    return metrics


LOG_FLOOR = 1e-12  # added to each probability: one of exactly 0 would make the log-loss infinite


def log_loss(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    """The mean negative log-probability of the true labels (natural log, in float64).

    Args:
        y_true: true label ids `[num_docs]`.
        probabilities: class probabilities `[num_docs, num_classes]`.
    """
    picked = np.asarray(probabilities)[np.arange(len(y_true)), y_true].astype(np.float64)
    return float(-np.mean(np.log(picked + LOG_FLOOR)))


def paired_comparison(y_true: np.ndarray, model_pred: np.ndarray,
                      baseline_pred: np.ndarray) -> dict[str, float | int]:
    """McNemar's exact test of a model against its baseline on the same test documents (the
    test Dietterich 1998 recommends for two classifiers scored on one test set).

    Args:
        y_true: true label ids `[num_docs]`.
        model_pred: the model's predicted ids `[num_docs]`.
        baseline_pred: the baseline's predicted ids `[num_docs]`.

    Returns:
        `paired_model_only_correct` (documents the model gets right and the baseline wrong),
        `paired_baseline_only_correct` (the reverse), and `paired_mcnemar_p`: the two-sided
        exact binomial probability of a split of those discordant documents at least this
        uneven if both were equally accurate (1.0 when they never disagree on correctness).
        A small p says the difference in accuracy is not the luck of this test set.
    """
    y_true = np.asarray(y_true)
    model_right = np.asarray(model_pred) == y_true
    baseline_right = np.asarray(baseline_pred) == y_true
    model_only = int(np.sum(model_right & ~baseline_right))
    baseline_only = int(np.sum(baseline_right & ~model_right))
    discordant = model_only + baseline_only
    p_value = stats.binomtest(model_only, discordant).pvalue if discordant else 1.0
    return {"paired_model_only_correct": model_only,
            "paired_baseline_only_correct": baseline_only,
            "paired_mcnemar_p": float(p_value)}


def key_name(label: str) -> str:
    """A label as it appears inside a metrics key (whitespace runs become `_`)."""
    return "_".join(label.split())


def plot_confusion_matrix(matrix: np.ndarray, labels: Sequence[str],
                          path: str | os.PathLike, title: str = "test") -> None:
    """Saves the confusion matrix as a PNG heat map with the counts written in the cells."""
    from matplotlib.figure import Figure

    size = max(3.5, 0.6 * len(labels) + 2)
    figure = Figure(figsize=(size + 1, size), layout="constrained")
    axis = figure.subplots()
    image = axis.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axis)
    ticks = range(len(labels))
    axis.set_xticks(ticks, labels, rotation=45, ha="right")
    axis.set_yticks(ticks, labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(f"confusion matrix ({title})")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, column), count in np.ndenumerate(matrix):
        axis.text(column, row, str(count), ha="center", va="center",
                  color="white" if count > threshold else "black")
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)
