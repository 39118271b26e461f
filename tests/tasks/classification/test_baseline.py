import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from textrnn.tasks.classification.baseline import fit_tfidf_baseline, to_keras


def features_and_labels(num_docs, num_classes, seed=0):
    """Sparse non-negative features whose first columns lean towards each doc's class."""
    rng = np.random.default_rng(seed)
    labels = np.arange(num_docs) % num_classes
    dense = rng.random((num_docs, 12)) * (rng.random((num_docs, 12)) < 0.4)
    dense[np.arange(num_docs), labels] += rng.random(num_docs) + 0.2
    dense[rng.random(num_docs) < 0.2, :num_classes] = rng.random(num_classes)  # label noise
    return scipy.sparse.csr_matrix(dense.astype(np.float32)), labels


def log_loss(probabilities, labels):
    return -np.mean(np.log(probabilities[np.arange(len(labels)), labels]))


@pytest.mark.parametrize("num_classes", [2, 3])
def test_keras_model_predicts_what_the_regression_does(num_classes):
    x, y = features_and_labels(60, num_classes)
    regression = LogisticRegression(C=3.0).fit(x, y)
    model = to_keras(regression, x.shape[1], num_classes)
    probabilities = model.predict(x.toarray(), verbose=0)
    np.testing.assert_allclose(probabilities, regression.predict_proba(x), rtol=1e-4, atol=1e-6)
    if num_classes == 2:  # the softmax over [0, z] is the sigmoid of the log-odds z
        z = x.toarray() @ regression.coef_[0] + regression.intercept_[0]
        np.testing.assert_allclose(probabilities[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-4)


def test_the_c_with_the_lowest_validation_log_loss_is_kept():
    x, y = features_and_labels(90, 3)
    x_val, y_val = features_and_labels(45, 3, seed=1)
    grid = (0.01, 1.0, 100.0)
    weights = {0: 1.0, 1: 2.0, 2: 0.5}
    losses = [log_loss(LogisticRegression(C=c, class_weight=weights, max_iter=2000)
                       .fit(x, y).predict_proba(x_val), y_val) for c in grid]
    assert len(set(np.round(losses, 4))) == 3  # the choice is not a tie
    model, c = fit_tfidf_baseline(x, y, x_val, y_val, 3, weights, grid)
    assert c == grid[int(np.argmin(losses))]
    assert log_loss(model.predict(x_val.toarray(), verbose=0), y_val) == pytest.approx(
        min(losses), rel=1e-4)
    again, _ = fit_tfidf_baseline(x, y, x_val, y_val, 3, weights, grid)  # no seed to vary
    for first, second in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(first, second)


def test_a_class_without_training_documents_is_an_error():
    x, y = features_and_labels(30, 2)
    with pytest.raises(ValueError, match="Every class must have training documents"):
        fit_tfidf_baseline(x, y, x, y, num_classes=3)


def test_no_validation_documents_is_an_error():
    x, y = features_and_labels(30, 2)
    with pytest.raises(ValueError, match="got 0 validation documents"):
        fit_tfidf_baseline(x, y, x[:0], y[:0], num_classes=2)
