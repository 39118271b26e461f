"""Atomic checkpoints of a run folder and resuming from them.

After every epoch `RunCheckpoint` writes `model.keras` (weights, optimizer state and compile
config) to a temporary file in the run folder and renames it over the old one, *then* writes
`train_state.json` (epochs done, best monitored value, history) the same way. A run killed at
any moment leaves a loadable model and a state file no newer than it, so `load_run` restarts at
most one epoch back.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

from textrnn.errors import InputError
from textrnn.io import atomic_path, read_json, write_json
from textrnn.training._printing import print_msg

MODEL_FILE = "model.keras"
STATE_FILE = "train_state.json"
_MAXIMISED = ("acc", "f1", "bleu", "chrf", "auc", "precision", "recall")


def save_model_atomic(model: keras.Model, path: str | os.PathLike) -> None:
    """`model.save(path)` through a temporary `.keras` file and `os.replace`.

    A crash during the save leaves the previous file at `path` untouched.
    """
    with atomic_path(path, suffix=".tmp.keras") as tmp_path:
        model.save(tmp_path)


def read_train_state(run_dir: str | os.PathLike) -> dict | None:
    """The run folder's `train_state.json`, or None when there is none yet.

    Raises:
        InputError: the file exists but is not a valid training state.
    """
    path = Path(run_dir) / STATE_FILE
    if not path.exists():
        return None
    state = read_json(path)
    if not isinstance(state, dict) or not isinstance(state.get("epochs_done"), int) \
            or not isinstance(state.get("history"), list):
        raise InputError("not a training state: expected an object with an integer "
                         "'epochs_done' and a list 'history'; delete it to start afresh", path)
    return state


class Run(NamedTuple):
    """What `load_run` found: the model, the epoch to pass to `fit(initial_epoch=...)`, and
    the saved training state (`epochs_done`, `best`, `monitor`, `history`)."""

    model: keras.Model
    initial_epoch: int
    state: dict


def load_run(run_dir: str | os.PathLike, custom_objects: dict | None = None,
             compile: bool = True) -> Run | None:
    """Load the last checkpoint of a run folder written by `RunCheckpoint`.

    Args:
        run_dir: the run folder.
        custom_objects: passed to `keras.saving.load_model`.
        compile: restore the compiled state (loss, metrics, optimizer and its variables).

    Returns:
        A `Run`, or None when the folder holds no complete checkpoint yet (start afresh).

    Raises:
        InputError: the state file exists but the model file is missing or unreadable.
    """
    state = read_train_state(run_dir)
    if state is None:
        return None
    model_path = Path(run_dir) / MODEL_FILE
    if not model_path.exists():
        raise InputError(f"missing: {STATE_FILE} says {state['epochs_done']} epochs are done "
                         "but the model file is gone; delete the run folder to start afresh",
                         model_path)
    try:
        model = keras.saving.load_model(model_path, custom_objects=custom_objects,
                                        compile=compile)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot load the checkpoint: {error}", model_path) from None
    return Run(model, state["epochs_done"], state)


class RunCheckpoint(keras.callbacks.Callback):
    """Saves model + optimizer state and the training state atomically after every epoch.

    Records the epoch logs in a history carried across resumed runs. An epoch cut short (by
    `TimeBudget` or another callback setting `stop_training`) is saved but not counted as
    done, so resuming repeats it. Nothing is saved when the loss or the weights are NaN/Inf:
    the last good checkpoint stays.

    Args:
        run_dir: the run folder (created if missing).
        monitor: the log key whose best value is kept in the state (e.g. "val_loss").
        mode: "min", "max" or "auto" (max for accuracy/F1/BLEU-like names, else min).

    Example:

    ```python
    run = load_run("runs/lm")
    model, initial_epoch = (run.model, run.initial_epoch) if run else (build_model(), 0)
    model.fit(x, y, epochs=20, initial_epoch=initial_epoch,
              callbacks=[RunCheckpoint("runs/lm")])
    ```
    """

    def __init__(self, run_dir: str | os.PathLike, monitor: str = "val_loss",
                 mode: str = "auto"):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"Received an invalid value for argument `mode`: {mode!r}; "
                             "expected 'auto', 'min' or 'max'.")
        self.run_dir = Path(run_dir)
        self.monitor = monitor
        self.mode = mode
        self.history = None
        self._last_batch = -1

    def _maximise(self) -> bool:
        if self.mode == "auto":
            return any(key in self.monitor for key in _MAXIMISED)
        return self.mode == "max"

    def on_epoch_begin(self, epoch, logs=None):
        if self.history is None:
            state = read_train_state(self.run_dir) if epoch > 0 else None
            self.history = state["history"][:epoch] if state else []
        self._last_batch = -1

    def on_train_batch_end(self, batch, logs=None):
        self._last_batch = batch

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        loss = logs.get("loss")
        if (loss is not None and not math.isfinite(float(loss))) or not weights_finite(self.model):
            print_msg(
                f"RunCheckpoint: epoch {epoch + 1} ended with a non-finite loss or weights; "
                f"keeping the previous checkpoint in {self.run_dir}.")
            return
        steps = self.params.get("steps") if self.params else None
        complete = (self._last_batch + 1 >= steps) if steps else not self.model.stop_training
        if complete:
            self.history.append({"epoch": epoch + 1, **_json_logs(logs)})
        save_model_atomic(self.model, self.run_dir / MODEL_FILE)
        write_json(self.run_dir / STATE_FILE, {
            "epochs_done": epoch + 1 if complete else epoch,
            "partial_epoch": not complete,
            "monitor": self.monitor,
            "best": self._best(),
            "history": self.history,
        })

    def _best(self) -> float | None:
        values = [row[self.monitor] for row in self.history if row.get(self.monitor) is not None]
        if not values:
            return None
        return max(values) if self._maximise() else min(values)


def weights_finite(model: keras.Model) -> bool:
    """True when none of `model`'s weights holds NaN or Inf."""
    return all(np.isfinite(weight).all() for weight in model.get_weights())


def _json_logs(logs: dict) -> dict:
    """Epoch logs as JSON numbers (non-finite values become null)."""
    clean = {}
    for key, value in logs.items():
        value = float(value)
        clean[key] = value if math.isfinite(value) else None
    return clean
