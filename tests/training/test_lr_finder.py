"""The learning-rate range test on a toy regression."""

import math

import keras
import numpy as np
import pytest

from textrnn.training import find_learning_rate

RNG = np.random.default_rng(0)
X = RNG.normal(size=(256, 4)).astype("float32")
Y = X @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32") + RNG.normal(size=(256, 1)).astype(
    "float32")  # noise: the loss cannot reach 0
BATCHES = [(X[i:i + 32], Y[i:i + 32]) for i in range(0, 256, 32)]


def build():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e-3), "mse")
    return model


def test_suggestion_is_in_a_sane_range_and_the_plot_is_written(tmp_path):
    # Plain SGD on this regression diverges above lr ~ 2 / largest Hessian eigenvalue (~1).
    result = find_learning_rate(build, BATCHES, steps=80, min_lr=1e-4, max_lr=10.0)
    assert len(result.losses) < 80  # stopped once the loss exploded
    assert all(math.isfinite(loss) for loss in result.losses)
    assert 1e-3 <= result.suggestion <= 0.3
    assert result.suggestion == pytest.approx(result.minimum / 10)
    assert 1e-4 < result.steepest <= result.minimum
    result.plot(tmp_path / "lr_finder.png")
    assert (tmp_path / "lr_finder.png").read_bytes()[:4] == b"\x89PNG"
    assert "suggested learning rate" in result.summary()


def test_bad_arguments():
    with pytest.raises(ValueError, match="steps"):
        find_learning_rate(build, BATCHES, steps=1)
    with pytest.raises(ValueError, match="min_lr"):
        find_learning_rate(build, BATCHES, min_lr=1.0, max_lr=0.1)
    with pytest.raises(ValueError, match="no batches"):
        find_learning_rate(build, [])
