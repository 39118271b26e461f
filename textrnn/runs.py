"""What every recipe does with its run folder: lock, config, resumable training, history, plots.

A run folder holds `config.json` (the settings), the last good checkpoint (`train_state.json`
naming its `model-epochNNNN.keras`, committed as a whole by `textrnn.training.RunCheckpoint`,
plus `model.keras`, a copy for loading), `history.csv` and `learning_curves.png` (refreshed
after every epoch) and `metrics.json`. Running a recipe again with the same `--out` resumes
from the checkpoint; settings that shape the model or the data must then be the same.

Typical use in a command:

```python
@cli
def main(argv=None):
    args = parse_args(argv)                       # every flag checked first
    with run_lock(args.out):                      # one training command per folder
        run_dir = start_run(args.out, vars(args))  # checks, writes nothing
        ...                                       # load data, build the preprocessor
        model, history = fit_resumable(build, run_dir, args.epochs, config=vars(args), ...)
        write_history(run_dir, history)
        write_metrics(run_dir, evaluate(model))
```
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras

from textrnn.cli.entry import cli, error_line  # noqa: F401  (re-exported: commands use them)
from textrnn.errors import InputError
from textrnn.io import atomic_write, read_json, write_json
from textrnn.lock import check_writable, run_lock
from textrnn.training import GradNormLogger, StopOnNonFiniteLoss, TimeBudget
from textrnn.training.checkpoint import (
    CONFIG_FILE,
    DIVERGENCE_FACTOR,
    RunCheckpoint,
    load_run,
    read_train_state,
    tidy_run_folder,
)

HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
CURVES_FILE = "learning_curves.png"
# Settings that may change between a run and its resumption.
RESUMABLE_SETTINGS = ("epochs", "max_minutes", "out", "distribute", "tensorboard", "lr")
# Settings renamed since earlier versions wrote config.json: old name -> new name.
RENAMED_SETTINGS = {"top_k": "vocab_top_k"}  # the vocabulary cut; --top-k is sampling now
TENSORBOARD_DIR = "logs"
_PENDING_CONFIGS: dict[Path, dict] = {}  # config checked by start_run, not yet written


# === Config and training ===


def start_run(run_dir: str | os.PathLike, config: dict,
              legacy: Mapping[str, Any] | None = None) -> Path:
    """Checks `--out` and, when it holds a checkpoint, that `config` matches the run's settings.

    Writes nothing but the (empty) folder: `config.json` is written by `fit_resumable` with the
    first checkpoint, so a command that fails before training (a typo in `--data`) leaves
    nothing that refuses the corrected command. `fit_resumable(config=...)` names the config
    to write; without it, the config checked here for the same folder is written.

    Args:
        run_dir: the run folder (`--out`).
        config: this command's settings.
        legacy: the values runs made by earlier versions used for settings their configs lack
            (flags added since); settings renamed since (`RENAMED_SETTINGS`) are read under
            their new name, so those runs still resume. See `legacy_settings`.

    Raises:
        InputError: the folder is not writable, or holds a run made with other settings.
    """
    run_dir = check_writable(run_dir)
    config_path = run_dir / CONFIG_FILE
    if config_path.exists() and read_train_state(run_dir) is not None:
        previous = upgraded_config(read_json(config_path), legacy)
        changed = sorted(key for key in set(config) | set(previous)
                         if key not in RESUMABLE_SETTINGS and config.get(key) != previous.get(key))
        if changed:
            details = ", ".join(f"{key}: {previous.get(key)!r} -> {config.get(key)!r}"
                                for key in changed)
            raise InputError(f"this run folder was made with other settings ({details}); "
                             "repeat the same flags to resume it, or use a new --out", config_path)
    _PENDING_CONFIGS[run_dir.resolve()] = dict(config)
    return run_dir


def upgraded_config(config: Mapping[str, Any],
                    legacy: Mapping[str, Any] | None = None) -> dict:
    """A `config.json` of an earlier version as this version reads it.

    Renamed settings (`RENAMED_SETTINGS`) move to their new names; settings it lacks take
    their `legacy` value, the one such a run trained with.
    """
    upgraded = {**(legacy or {}), **config}
    for old, new in RENAMED_SETTINGS.items():
        if old in config and new not in config:
            upgraded[new] = upgraded.pop(old)
    return upgraded


def legacy_settings(run_dir: str | os.PathLike, legacy: Mapping[str, Any]) -> dict:
    """The `legacy` settings a run in `run_dir` lacks, with the values it trained with.

    A command resuming an older run adopts them (`vars(args).update(...)`), so the run goes on
    as it started instead of refusing the flags' newer defaults. Empty for a new folder.
    """
    config_path = Path(run_dir) / CONFIG_FILE
    if not config_path.is_file():
        return {}
    config = upgraded_config(read_json(config_path))
    return {key: value for key, value in legacy.items() if key not in config}


def fit_resumable(
    build_model: Callable[[], keras.Model],
    run_dir: str | os.PathLike,
    epochs: int,
    max_minutes: float | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    monitor: str = "val_loss",
    tensorboard: bool = False,
    *,
    config: dict | None = None,
    learning_rate: float | None = None,
    divergence_factor: float | None = DIVERGENCE_FACTOR,
    **fit_kwargs,
) -> tuple[keras.Model, list[dict]]:
    """`model.fit` that resumes from the run folder's checkpoint and commits one per epoch.

    Holds the folder's `run_lock` throughout, clears what a killed run left behind, and after
    every committed epoch rewrites `history.csv` and `learning_curves.png`.

    Args:
        build_model: returns a new compiled model (compiled with `GlobalNormClipping`); called
            only when the folder has no checkpoint yet.
        run_dir: the run folder.
        epochs: total epochs of the run (a resumed run trains the remaining ones).
        max_minutes: stop cleanly after this many minutes of this invocation.
        callbacks: extra callbacks; they run before the checkpoint, so keys they add to the
            logs (e.g. `val_perplexity`) are saved in the history.
        monitor: the log key whose best value the checkpoint state records.
        tensorboard: also write TensorBoard logs to `run_dir/logs`.
        config: the settings to write as `config.json` with the first checkpoint (default:
            the config `start_run` checked for this folder).
        learning_rate: when given, the optimizer's learning rate for this invocation. A
            checkpoint restores the optimizer with its old rate, so pass the `--lr` flag here
            to let a user lower it on resume.
        divergence_factor: an epoch whose loss is over this many times the best so far stops
            training with `TrainingDiverged` (see `RunCheckpoint`); None: NaN/Inf only.
        **fit_kwargs: passed to `model.fit` (data, `batch_size`, `validation_data`, ...).
            `verbose` defaults to 2 (one line per epoch) when stdout is not a terminal.

    Returns:
        The trained model and the history of all epochs of the run (resumed ones included).

    Raises:
        TrainingDiverged: a loss or the weights became NaN/Inf, or the loss exploded; the
            epoch was not committed, the last good checkpoint stays.
        InputError: another process trains in `run_dir`, or its checkpoint is damaged.
    """
    with run_lock(run_dir) as run_dir:
        tidy_run_folder(run_dir)
        run = load_run(run_dir)
        model, initial_epoch = (run.model, run.initial_epoch) if run else (build_model(), 0)
        if initial_epoch:
            print(f"Resuming {run_dir} after epoch {initial_epoch}.")
        if learning_rate is not None:
            _set_learning_rate(model, learning_rate, announce=run is not None)
        if config is None:
            config = _PENDING_CONFIGS.get(run_dir.resolve())
        checkpoint = RunCheckpoint(run_dir, monitor=monitor, divergence_factor=divergence_factor,
                                   config=config)
        all_callbacks = [*callbacks, GradNormLogger(), StopOnNonFiniteLoss(run_dir,
                                                                          raise_error=True)]
        if max_minutes:
            all_callbacks.append(TimeBudget(max_minutes))
        if tensorboard:
            all_callbacks.append(keras.callbacks.TensorBoard(str(run_dir / TENSORBOARD_DIR)))
        all_callbacks += [checkpoint, HistoryWriter(run_dir, checkpoint)]
        fit_kwargs.setdefault("verbose", "auto" if sys.stdout.isatty() else 2)
        if initial_epoch < epochs:
            model.fit(epochs=epochs, initial_epoch=initial_epoch, callbacks=all_callbacks,
                      **fit_kwargs)
        state = read_train_state(run_dir)
        return model, state["history"] if state else []


def _set_learning_rate(model: keras.Model, learning_rate: float, announce: bool) -> None:
    old = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    if old == learning_rate:
        return
    try:
        model.optimizer.learning_rate = learning_rate
    except TypeError:  # a LearningRateSchedule cannot be overwritten by a number
        raise ValueError("the checkpoint's optimizer follows a learning-rate schedule; its "
                         "rate cannot be changed on resume") from None
    if announce:
        print(f"Learning rate: {old:g} -> {learning_rate:g} (from this command's setting).")


class HistoryWriter(keras.callbacks.Callback):
    """Rewrites `history.csv` after every committed epoch, `learning_curves.png` less often.

    The plot is redrawn after an epoch when `plot_every` seconds have passed since the last
    one (drawing costs about 0.4 s, more than an epoch of a small model), and at the end of
    training. List it after `checkpoint`: it writes that checkpoint's history, so an epoch
    that was not committed (diverged) never reaches the files.
    """

    def __init__(self, run_dir: str | os.PathLike, checkpoint: RunCheckpoint,
                 plot_every: float = 60.0):
        super().__init__()
        self.run_dir = run_dir
        self.checkpoint = checkpoint
        self.plot_every = plot_every
        self._plotted_at = -math.inf
        self._plot_is_current = True

    def on_epoch_end(self, epoch, logs=None):
        if self.checkpoint.history:
            plot = time.monotonic() - self._plotted_at >= self.plot_every
            self._write(plot)

    def on_train_end(self, logs=None):
        if self.checkpoint.history and not self._plot_is_current:
            self._write(plot=True)

    def _write(self, plot: bool) -> None:
        write_history(self.run_dir, self.checkpoint.history, plot=plot)
        self._plot_is_current = plot
        if plot:
            self._plotted_at = time.monotonic()


# === Outputs ===


def write_history(run_dir: str | os.PathLike, history: list[dict], plot: bool = True) -> None:
    """Writes `history.csv` (one row per epoch) and, with `plot`, `learning_curves.png`."""
    run_dir = Path(run_dir)
    columns = sorted({key for row in history for key in row} - {"epoch"})
    with atomic_write(run_dir / HISTORY_FILE) as handle:
        writer = csv.DictWriter(handle, ["epoch", *columns])
        writer.writeheader()
        writer.writerows(history)
    if plot:
        plot_learning_curves(history, run_dir / CURVES_FILE)


def plot_learning_curves(history: list[dict], path: str | os.PathLike) -> None:
    """One panel per metric (training and validation together), saved as a PNG."""
    from matplotlib.figure import Figure

    names = sorted({key.removeprefix("val_") for row in history for key in row}
                   - {"epoch", "skipped_steps"})
    figure = Figure(figsize=(4 * max(len(names), 1), 3.2), layout="constrained")
    axes = figure.subplots(1, max(len(names), 1), squeeze=False)[0]
    epochs = [row["epoch"] for row in history]
    for axis, name in zip(axes, names, strict=False):
        for key, style in ((name, "-o"), (f"val_{name}", "-s")):
            values = [row.get(key) for row in history]
            if any(value is not None for value in values):
                axis.plot(epochs, [float("nan") if v is None else v for v in values], style,
                          label=key, markersize=3)
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.legend()
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)


def write_metrics(run_dir: str | os.PathLike, metrics: dict) -> None:
    """Writes `metrics.json` (flat keys, numbers; strict JSON) and prints it.

    Raises:
        ValueError: a value is NaN or Infinity (nothing is written); the message names it.
    """
    write_json(Path(run_dir) / METRICS_FILE, metrics)
    width = max(map(len, metrics), default=0)
    for key, value in metrics.items():
        shown = f"{value:.4f}" if isinstance(value, float) else value
        print(f"  {key:<{width}}  {shown}")
