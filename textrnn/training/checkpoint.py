"""Whole-checkpoint commits of a run folder, resuming from them, and refusing diverged epochs.

After every epoch `RunCheckpoint` commits one checkpoint in this order:

1. the model (weights, optimizer state, compile config) goes to a new file named after the
   epoch, `model-epoch0003.keras` (through a temporary file and a rename);
2. `config.json`, with the run's first checkpoint only (`config=`);
3. `train_state.json` (epochs done, best value, history, **and the name of that model file**)
   replaces the old state atomically: this rename is the commit;
4. `model.keras`, the copy users and `Task.from_run` load, is refreshed from the epoch file;
5. older epoch files are removed.

A kill before step 3 leaves the previous state, which names the previous (still present) model
file; a kill after it leaves the new one. Either way model, optimizer state and training state
match, so a resumed run loses at most the epoch in flight and never trains one twice.
`tidy_run_folder` finishes steps 4-5 and removes stale temporary files on the next start.
A state file without `model_file` (written before this scheme) names `model.keras`.

An epoch whose loss or weights are NaN/Inf, or whose loss exploded past `divergence_factor`
times the best so far, is never committed: `RunCheckpoint` raises `TrainingDiverged`.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

import textrnn.layers  # noqa: F401  (registers textrnn's layers for load_model)
from textrnn.errors import InputError, TrainingDiverged
from textrnn.io import atomic_path, read_json, remove_stale_temporaries, write_json

MODEL_FILE = "model.keras"
STATE_FILE = "train_state.json"
CONFIG_FILE = "config.json"
# An epoch whose loss is over this many times the best earlier loss has diverged.
DIVERGENCE_FACTOR = 10.0
_EPOCH_MODEL = re.compile(r"model-epoch\d{4,}(-partial)?(-b)?\.keras")
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
    model_file = state.setdefault("model_file", MODEL_FILE)
    if model_file != MODEL_FILE and not _EPOCH_MODEL.fullmatch(str(model_file)):
        raise InputError(f"not a training state: 'model_file' must name a model-epochNNNN.keras "
                         f"file of the run folder, got {model_file!r}", path)
    return state


def checkpoint_path(run_dir: str | os.PathLike, state: dict) -> Path:
    """The model file that `state` (from `read_train_state`) commits."""
    return Path(run_dir) / state.get("model_file", MODEL_FILE)


class Run(NamedTuple):
    """What `load_run` found: the model, the epoch to pass to `fit(initial_epoch=...)`, and
    the saved training state (`epochs_done`, `best`, `monitor`, `history`, `model_file`)."""

    model: keras.Model
    initial_epoch: int
    state: dict


def load_run(run_dir: str | os.PathLike, custom_objects: dict | None = None,
             compile: bool = True) -> Run | None:
    """Load the last committed checkpoint of a run folder written by `RunCheckpoint`.

    Args:
        run_dir: the run folder.
        custom_objects: passed to `keras.saving.load_model`.
        compile: restore the compiled state (loss, metrics, optimizer and its variables).

    Returns:
        A `Run`, or None when the folder holds no checkpoint yet (start afresh).

    Raises:
        InputError: the state file is bad, or the model file it names is missing, damaged
            (e.g. truncated) or cannot be loaded.
    """
    state = read_train_state(run_dir)
    if state is None:
        return None
    model_path = checkpoint_path(run_dir, state)
    if not model_path.exists():
        raise InputError(f"missing: {STATE_FILE} says {state['epochs_done']} epochs are done "
                         "but the model file is gone; delete the run folder to start afresh",
                         model_path)
    check_model_file(model_path)
    try:
        model = keras.saving.load_model(model_path, custom_objects=custom_objects,
                                        compile=compile)
    except Exception as error:  # Keras raises many types for a bad file; one message for all
        detail = " ".join(f"{type(error).__name__}: {error}".split())[:300]
        raise InputError(f"cannot load the checkpoint: {detail}", model_path) from None
    return Run(model, state["epochs_done"], state)


def check_model_file(path: str | os.PathLike) -> None:
    """Raise `InputError` when `path` is not a complete `.keras` (zip) file.

    Keras itself says "File not found" for a truncated file that exists.
    """
    if not zipfile.is_zipfile(path):
        raise InputError("damaged model file: not a complete .keras (zip) archive, e.g. "
                         "truncated by a full disk or an interrupted copy", path)


def tidy_run_folder(run_dir: str | os.PathLike) -> None:
    """Finish an interrupted commit and clear leftovers; call it holding the run lock.

    Removes stale temporary files (`.*.tmp*`) and epoch model files the state does not name,
    and refreshes `model.keras` when it is older than the committed model file.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    remove_stale_temporaries(run_dir)
    state = read_train_state(run_dir)
    committed = checkpoint_path(run_dir, state).name if state else None
    _remove_other_epoch_models(run_dir, keep=committed)
    if committed and committed != MODEL_FILE and (run_dir / committed).exists():
        copy = run_dir / MODEL_FILE
        if not copy.exists() or copy.stat().st_mtime_ns < (run_dir / committed).stat().st_mtime_ns:
            _refresh_model_copy(run_dir, committed)


def checkpoint_report(run_dir: str | os.PathLike | None) -> str:
    """One sentence naming the last good checkpoint in `run_dir` (or that none is kept)."""
    if run_dir is None:
        return "No checkpoint folder was given."
    state = read_train_state(run_dir)
    if state is None:
        return f"No checkpoint has been written to {run_dir} yet."
    return (f"The last good checkpoint, {Path(run_dir) / MODEL_FILE} (after epoch "
            f"{state['epochs_done']}), is intact; run the same command again to resume from it.")


def diverged(run_dir: str | os.PathLike | None, epoch: int, what: str,
             step: int | None = None) -> TrainingDiverged:
    """The `TrainingDiverged` error for 0-based `epoch` (and 1-based `step`, where known)."""
    where = f"epoch {epoch + 1}" + (f", step {step}" if step else "")
    state = read_train_state(run_dir) if run_dir is not None else None
    message = (f"training diverged at {where}: {what}. {checkpoint_report(run_dir)} "
               "Lower the learning rate (a resumable setting, --lr) or clip gradients harder.")
    return TrainingDiverged(message, epoch + 1, step,
                            Path(run_dir) / MODEL_FILE if state else None)


class RunCheckpoint(keras.callbacks.Callback):
    """Commits model + optimizer state + training state as one checkpoint after every epoch.

    Records the epoch logs in a history carried across resumed runs. An epoch cut short (by
    `TimeBudget` or another callback setting `stop_training`) is saved but not counted as
    done, so resuming repeats it. See the module docstring for the commit order.

    An epoch is never committed when its loss or monitored value is NaN/Inf, the weights hold
    NaN/Inf, or the loss (or a minimised monitored value) is over `divergence_factor` times
    the best so far (the first batch's loss counts as a "best", so epoch 1 is checked too):
    `on_epoch_end` raises `TrainingDiverged` and the last good checkpoint stays.

    Args:
        run_dir: the run folder (created if missing).
        monitor: the log key whose best value is kept in the state (e.g. "val_loss").
        mode: "min", "max" or "auto" (max for accuracy/F1/BLEU-like names, else min).
        divergence_factor: see above; None turns the explosion check off (NaN/Inf still stop).
        config: written to `config.json` with this run's first checkpoint, before the state
            that commits it (so a run that failed to start leaves no config behind).

    Example:

    ```python
    run = load_run("runs/lm")
    model, initial_epoch = (run.model, run.initial_epoch) if run else (build_model(), 0)
    model.fit(x, y, epochs=20, initial_epoch=initial_epoch,
              callbacks=[RunCheckpoint("runs/lm")])
    ```
    """

    def __init__(self, run_dir: str | os.PathLike, monitor: str = "val_loss",
                 mode: str = "auto", divergence_factor: float | None = DIVERGENCE_FACTOR,
                 config: dict | None = None):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"Received an invalid value for argument `mode`: {mode!r}; "
                             "expected 'auto', 'min' or 'max'.")
        if divergence_factor is not None and not divergence_factor > 1:
            raise ValueError("Received an invalid value for argument `divergence_factor`: "
                             f"expected a number > 1 or None, got {divergence_factor!r}.")
        self.run_dir = Path(run_dir)
        self.monitor = monitor
        self.mode = mode
        self.divergence_factor = divergence_factor
        self.config = config
        self.history = None
        self._committed = None
        self._first_loss = None
        self._last_batch = -1

    def _maximise(self) -> bool:
        if self.mode == "auto":
            return any(key in self.monitor for key in _MAXIMISED)
        return self.mode == "max"

    def on_epoch_begin(self, epoch, logs=None):
        if self.history is None:
            state = read_train_state(self.run_dir)
            self.history = state["history"][:epoch] if state and epoch else []
            self._committed = state["model_file"] if state else None
        self._last_batch = -1

    def on_train_batch_end(self, batch, logs=None):
        self._last_batch = batch
        loss = (logs or {}).get("loss")
        if self._first_loss is None and loss is not None and math.isfinite(float(loss)):
            self._first_loss = float(loss)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        self._check_diverged(epoch, logs)
        steps = self.params.get("steps") if self.params else None
        complete = (self._last_batch + 1 >= steps) if steps else not self.model.stop_training
        if complete:
            self.history.append({"epoch": epoch + 1, **_json_logs(logs)})
        self._commit(epoch + 1 if complete else epoch, partial=not complete,
                     model_file=f"model-epoch{epoch + 1:04d}{'' if complete else '-partial'}.keras")

    def _commit(self, epochs_done: int, partial: bool, model_file: str) -> None:
        if model_file == self._committed:  # never overwrite the file the state names
            model_file = model_file.replace(".keras", "-b.keras")
        save_model_atomic(self.model, self.run_dir / model_file)
        if self.config is not None:
            write_json(self.run_dir / CONFIG_FILE, self.config)
            self.config = None
        write_json(self.run_dir / STATE_FILE, {
            "epochs_done": epochs_done,
            "partial_epoch": partial,
            "monitor": self.monitor,
            "best": self._best(self.monitor),
            "model_file": model_file,
            "history": self.history,
        })
        self._committed = model_file
        _refresh_model_copy(self.run_dir, model_file)
        _remove_other_epoch_models(self.run_dir, keep=model_file)

    def _check_diverged(self, epoch: int, logs: dict) -> None:
        keys = ["loss"] + ([self.monitor] if self.monitor != "loss" else [])
        for key in keys:
            if logs.get(key) is None:
                continue
            value = float(logs[key])
            if not math.isfinite(value):
                raise diverged(self.run_dir, epoch, f"the epoch's {key} is {value}")
            if self.divergence_factor is None or (key != "loss" and self._maximise()):
                continue
            best = self._best(key, self._first_loss if key == "loss" else None)
            if best is not None and best > 0 and value > self.divergence_factor * best:
                raise diverged(self.run_dir, epoch, f"the epoch's {key} {value:.4g} is over "
                               f"{self.divergence_factor:g}x the best so far ({best:.4g})")
        if not weights_finite(self.model):
            raise diverged(self.run_dir, epoch, "the weights hold NaN/Inf")

    def _best(self, key: str, extra: float | None = None) -> float | None:
        values = [row[key] for row in self.history or () if row.get(key) is not None]
        values += [extra] if extra is not None else []
        if not values:
            return None
        return max(values) if key != "loss" and self._maximise() else min(values)


def weights_finite(model: keras.Model) -> bool:
    """True when none of `model`'s weights holds NaN or Inf."""
    return all(np.isfinite(weight).all() for weight in model.get_weights())


def _refresh_model_copy(run_dir: Path, model_file: str) -> None:
    """Atomically make `model.keras` a copy of the committed `model_file`.

    A copy, not a hard link: a user's in-place `model.save("model.keras")` must not reach the
    checkpoint.
    """
    with atomic_path(run_dir / MODEL_FILE, suffix=".tmp.keras") as tmp_path:
        shutil.copyfile(run_dir / model_file, tmp_path)


def _remove_other_epoch_models(run_dir: Path, keep: str | None) -> None:
    for path in run_dir.iterdir():
        if path.name != keep and _EPOCH_MODEL.fullmatch(path.name):
            path.unlink(missing_ok=True)


def _json_logs(logs: dict) -> dict:
    """Epoch logs as JSON numbers (non-finite values become null)."""
    clean = {}
    for key, value in logs.items():
        value = float(value)
        clean[key] = value if math.isfinite(value) else None
    return clean
