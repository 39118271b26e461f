"""The TF-IDF logistic regression every recurrent classifier is measured against.

A baseline is only worth beating at its best, so it is fitted to its optimum rather than
trained by minibatches with early stopping: for each inverse L2 strength `C` of
`INVERSE_L2_GRID`, scikit-learn's `LogisticRegression` (multinomial, L-BFGS) minimises
`0.5 * |W|^2 + C * sum_i weight_i * loss_i` exactly, and the `C` whose model gives the
validation labels the lowest log-loss is kept (the criterion the recurrent models' early
stopping uses; ties go to the stronger penalty). There is no seed and no batch order: the same
split and vocabulary always give the same baseline.

The fitted coefficients are copied into `build_bow_classifier`'s softmax layer, so the baseline
saves (`baseline.keras`), loads and predicts like any textrnn classifier. A binary regression
has one coefficient row, the log-odds of the second class; a softmax over `[0, z]` gives the
same probabilities as the sigmoid of `z`.

>>> features = scipy.sparse.csr_matrix(np.eye(4, dtype=np.float32))
>>> model, c = fit_tfidf_baseline(features, np.array([0, 1, 2, 0]), features,
...                               np.array([0, 1, 2, 0]), num_classes=3)
>>> model.output_shape, c in INVERSE_L2_GRID
((None, 3), True)
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from textrnn.models.classifier import build_bow_classifier
from textrnn.tasks.classification.evaluation import log_loss

INVERSE_L2_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)  # C, half decades
MAX_ITERATIONS = 2000  # L-BFGS steps; the Bible topics (20k x 7k) took 111 at C=3, 213 at 1000


def fit_tfidf_baseline(
    features: scipy.sparse.spmatrix,
    labels: np.ndarray,
    validation_features: scipy.sparse.spmatrix,
    validation_labels: np.ndarray,
    num_classes: int,
    class_weight: dict[int, float] | None = None,
    grid: Sequence[float] = INVERSE_L2_GRID,
) -> tuple[keras.Model, float]:
    """The logistic regression of `grid`'s `C` with the lowest validation log-loss.

    Args:
        features: training TF-IDF vectors `[num_docs, num_features]`.
        labels: their label ids `[num_docs]`; every id in `range(num_classes)` must occur.
        validation_features, validation_labels: the same for the validation documents.
        num_classes: number of labels.
        class_weight: per-class loss weights `{id: weight}` (None: all 1).
        grid: the inverse L2 strengths tried.

    Returns:
        The chosen regression as a Keras model (TF-IDF `[batch, num_features]` to
        probabilities `[batch, num_classes]`), and its `C`.
    """
    if len(validation_labels) == 0 or not grid:
        raise ValueError("The TF-IDF baseline chooses its C on validation documents: got "
                         f"{len(validation_labels)} validation documents and the grid {grid}.")
    best_loss, best = np.inf, None
    for c in sorted(grid):
        regression = LogisticRegression(C=c, class_weight=class_weight, max_iter=MAX_ITERATIONS)
        regression.fit(features, labels)
        if list(regression.classes_) != list(range(num_classes)):
            raise ValueError(f"Every class must have training documents: got label ids "
                             f"{list(regression.classes_)}, expected 0 to {num_classes - 1}.")
        loss = log_loss(validation_labels, regression.predict_proba(validation_features))
        if loss < best_loss:
            best_loss, best = loss, (regression, c)
    regression, c = best
    return to_keras(regression, features.shape[1], num_classes), c


def to_keras(regression: LogisticRegression, num_features: int,
             num_classes: int) -> keras.Model:
    """A fitted `LogisticRegression` as a `build_bow_classifier` model with its weights."""
    coefficients, intercepts = regression.coef_, regression.intercept_
    if num_classes == 2:  # one row, the second class's log-odds
        coefficients = np.concatenate([np.zeros_like(coefficients), coefficients])
        intercepts = np.concatenate([np.zeros_like(intercepts), intercepts])
    model = build_bow_classifier(num_features, num_classes, l2=0.0)
    model.get_layer("probabilities").set_weights(
        [coefficients.T.astype(np.float32), intercepts.astype(np.float32)])
    return model
