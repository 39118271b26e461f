"""Ensembles of classifiers: models trained with different seeds, their probabilities averaged.

A run folder's own `model.keras` is the first member; member k (k = 2, 3, ...) is a run folder
of its own, `OUT/member-k` (checkpoint, `history.csv`, best weights), sharing OUT's
preprocessor. A run folder without `member-k` folders is an ensemble of one.

>>> member_dir("runs/classify", 0), member_dir("runs/classify", 2)
(PosixPath('runs/classify'), PosixPath('runs/classify/member-3'))
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from textrnn.tasks.base import MODEL_FILE
from textrnn.tasks.classification.evaluation import classification_metrics

MEMBER_PREFIX = "member-"
MIN_MEMBER_MINUTES = 0.1  # a member whose share of the budget is spent still runs one step


def member_dir(run_dir: str | os.PathLike, index: int) -> Path:
    """The folder of member `index` (0-based): the run folder itself for the first."""
    return Path(run_dir) if index == 0 else Path(run_dir) / f"{MEMBER_PREFIX}{index + 1}"


def saved_member_dirs(run_dir: str | os.PathLike) -> list[Path]:
    """The folders of the members after the first that hold a `model.keras`, in order."""
    found = [path for path in Path(run_dir).glob(f"{MEMBER_PREFIX}*")
             if path.name[len(MEMBER_PREFIX):].isdigit() and (path / MODEL_FILE).is_file()]
    return sorted(found, key=lambda path: int(path.name[len(MEMBER_PREFIX):]))


def member_minutes(max_minutes: float | None, started: float,
                   members_left: int) -> float | None:
    """The next member's budget: an equal share of what is left of `max_minutes` since
    `started` (a `time.monotonic()` value) among the `members_left`; None: no budget.

    A member that ends early leaves its unused time to the ones after it.
    """
    if not max_minutes:
        return None
    left = max_minutes - (time.monotonic() - started) / 60
    return max(left / members_left, MIN_MEMBER_MINUTES)


def member_metrics(y_true: np.ndarray, probabilities: np.ndarray, labels: list[str],
                   prefix: str = "test") -> dict[str, float | int]:
    """`ensemble_size` and each member's accuracy and macro-F1, for `metrics.json`.

    Args:
        y_true: true label ids `[num_docs]`.
        probabilities: each member's class probabilities `[num_members, num_docs,
            num_classes]`, the run folder's own model first.
        labels: the class names, by id.
        prefix: the split's key prefix.

    Returns:
        `{"ensemble_size": n, "member1_{prefix}_accuracy": ..., "member1_{prefix}_macro_f1":
        ..., "member2_...": ...}` (members numbered from 1, as their folders).
    """
    metrics: dict[str, float | int] = {"ensemble_size": len(probabilities)}
    for number, member in enumerate(probabilities, 1):
        name = f"member{number}_{prefix}"
        scores = classification_metrics(y_true, member.argmax(axis=1), labels, name)
        metrics.update({key: scores[key] for key in (f"{name}_accuracy", f"{name}_macro_f1")})
    return metrics
