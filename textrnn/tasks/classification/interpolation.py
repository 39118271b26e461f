"""The recurrent classifier interpolated with its TF-IDF baseline.

The mixture's class probabilities are `w * p_recurrent + (1 - w) * p_tfidf`, with the weight
`w` chosen on the validation split: the one of `WEIGHTS` whose mixture gives the validation
labels the lowest log-loss (the mixture's log-likelihood is concave in `w`, so the grid finds
its maximum to within a step). Where the recurrent model is the better one `w` comes out near 1,
where the bag of words is, near 0; a recurrent model and a linear one make different errors, so
the mixture is often better than both. It is reported beside the recurrent model's own figures
(`interpolated_test_*` next to `test_*` and `baseline_*`), never instead of them, as an
interpolated n-gram + network perplexity would be.

A run folder keeps the fitted baseline as `baseline.keras` and the weight in
`interpolation.json`; `ClassifierTask.from_run` loads both, and
`predict_proba(texts, interpolated=True)` (`textrnn-classify --predict RUN --interpolated`)
uses the mixture.

>>> y = np.array([0, 1, 0])
>>> recurrent = np.array([[0.8, 0.2], [0.8, 0.2], [0.8, 0.2]])
>>> tfidf = np.array([[0.2, 0.8], [0.2, 0.8], [0.2, 0.8]])
>>> interpolation_weight(y, recurrent, tfidf)  # the log-loss optimum is 7/9
0.8
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from textrnn.errors import InputError
from textrnn.io import read_json, write_json
from textrnn.tasks.classification.evaluation import log_loss
from textrnn.training import save_model_atomic

BASELINE_MODEL_FILE = "baseline.keras"
INTERPOLATION_FILE = "interpolation.json"
WEIGHTS = np.arange(21) / 20  # the recurrent model's weights tried, in steps of 0.05


def interpolation_weight(y_true: np.ndarray, recurrent: np.ndarray, baseline: np.ndarray,
                         weights: np.ndarray = WEIGHTS) -> float:
    """The recurrent model's weight in the mixture that minimises the log-loss of `y_true`.

    Args:
        y_true: true label ids `[num_docs]` (the validation split's).
        recurrent, baseline: each model's class probabilities `[num_docs, num_classes]`.
        weights: the candidates, in [0, 1]; of equal losses the largest weight wins.

    Returns:
        The chosen weight `w` of `recurrent` (the baseline gets `1 - w`).

    Raises:
        ValueError: no documents to choose on.
    """
    if len(y_true) == 0:
        raise ValueError("Choosing an interpolation weight needs validation documents; got none.")
    recurrent, baseline = recurrent.astype(np.float64), baseline.astype(np.float64)
    losses = np.array([log_loss(y_true, w * recurrent + (1 - w) * baseline) for w in weights])
    return float(np.max(weights[losses <= losses.min() + 1e-12]))


def interpolate(recurrent: np.ndarray, baseline: np.ndarray, weight: float) -> np.ndarray:
    """The mixture's class probabilities `weight * recurrent + (1 - weight) * baseline`
    (`[num_docs, num_classes]`, float32)."""
    return (weight * recurrent + (1.0 - weight) * baseline).astype(np.float32)


def save_interpolation(run_dir: str | os.PathLike, baseline_model: keras.Model,
                       weight: float) -> None:
    """Writes `baseline.keras` and `interpolation.json` into `run_dir`, each atomically."""
    save_model_atomic(baseline_model, Path(run_dir) / BASELINE_MODEL_FILE)
    write_json(Path(run_dir) / INTERPOLATION_FILE, {"weight": weight})


def saved_weight(run_dir: str | os.PathLike) -> float | None:
    """The weight in `run_dir/interpolation.json`; None when the run has no interpolation
    (a "bow" run, or one evaluated before this file existed).

    Raises:
        InputError: the file holds no weight in [0, 1], or `baseline.keras` is missing.
    """
    path = Path(run_dir) / INTERPOLATION_FILE
    if not path.is_file():
        return None
    data = read_json(path)
    weight = data.get("weight") if isinstance(data, dict) else None
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise InputError(f"expected a 'weight' between 0 and 1, got {weight!r}", path)
    if not (Path(run_dir) / BASELINE_MODEL_FILE).is_file():
        raise InputError(f"{BASELINE_MODEL_FILE} is missing beside it", path)
    return float(weight)
