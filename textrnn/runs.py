"""What every recipe does with its run folder: config, resumable training, history, plots.

A run folder holds `config.json` (the settings), `model.keras` + `train_state.json` (the last
good checkpoint, written atomically by `textrnn.training.RunCheckpoint`), `history.csv`,
`learning_curves.png` and `metrics.json`. Running a recipe again with the same `--out` resumes
from the checkpoint; settings that shape the model or the data must then be the same.
"""

from __future__ import annotations

import csv
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import keras

from textrnn.errors import InputError
from textrnn.io import atomic_write, read_json, write_json
from textrnn.training import (
    GradNormLogger,
    RunCheckpoint,
    StopOnNonFiniteLoss,
    TimeBudget,
    load_run,
    read_train_state,
)

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
CURVES_FILE = "learning_curves.png"
# Settings that may change between a run and its resumption.
RESUMABLE_SETTINGS = ("epochs", "max_minutes", "out", "distribute", "tensorboard")
TENSORBOARD_DIR = "logs"


def cli(main: Callable[[Sequence[str] | None], int | None]) -> Callable[..., int]:
    """Wraps a script's `main(argv)`: bad input prints one line on stderr and exits 2.

    `InputError`, `ValueError` and `OSError` become `error: <message>`; Ctrl-C says how to
    resume. Set `TEXTRNN_DEBUG=1` to see the traceback instead.
    """

    @functools.wraps(main)
    def wrapped(argv: Sequence[str] | None = None) -> int:
        try:
            return main(argv) or 0
        except (InputError, ValueError, OSError) as error:
            if os.environ.get("TEXTRNN_DEBUG"):
                raise
            print(f"error: {' '.join(str(error).split())}", file=sys.stderr)  # one line
            return 2
        except KeyboardInterrupt:
            print("interrupted: the last checkpoint is intact; run the same command again to "
                  "resume", file=sys.stderr)
            return 130

    return wrapped


def start_run(run_dir: str | os.PathLike, config: dict) -> Path:
    """Creates the run folder and writes `config.json`, or checks it when resuming.

    Raises:
        InputError: the folder holds a run made with other settings.
    """
    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_FILE
    if config_path.exists():
        previous = read_json(config_path)
        changed = sorted(key for key in set(config) | set(previous)
                         if key not in RESUMABLE_SETTINGS and config.get(key) != previous.get(key))
        if changed:
            details = ", ".join(f"{key}: {previous.get(key)!r} -> {config.get(key)!r}"
                                for key in changed)
            raise InputError(f"this run folder was made with other settings ({details}); "
                             "repeat the same flags to resume it, or use a new --out", config_path)
    write_json(config_path, config)
    return run_dir


def fit_resumable(
    build_model: Callable[[], keras.Model],
    run_dir: str | os.PathLike,
    epochs: int,
    max_minutes: float | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    monitor: str = "val_loss",
    tensorboard: bool = False,
    **fit_kwargs,
) -> tuple[keras.Model, list[dict]]:
    """`model.fit` that resumes from the run folder's checkpoint and writes a new one per epoch.

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
        **fit_kwargs: passed to `model.fit` (data, `batch_size`, `validation_data`, ...).

    Returns:
        The trained model and the history of all epochs of the run (resumed ones included).
    """
    run = load_run(run_dir)
    model, initial_epoch = (run.model, run.initial_epoch) if run else (build_model(), 0)
    if initial_epoch:
        print(f"Resuming {run_dir} after epoch {initial_epoch}.")
    all_callbacks = [*callbacks, GradNormLogger(), StopOnNonFiniteLoss(run_dir)]
    if max_minutes:
        all_callbacks.append(TimeBudget(max_minutes))
    if tensorboard:
        all_callbacks.append(keras.callbacks.TensorBoard(str(Path(run_dir) / TENSORBOARD_DIR)))
    all_callbacks.append(RunCheckpoint(run_dir, monitor=monitor))
    if initial_epoch < epochs:
        model.fit(epochs=epochs, initial_epoch=initial_epoch, callbacks=all_callbacks,
                  **fit_kwargs)
    state = read_train_state(run_dir)
    return model, state["history"] if state else []


def write_history(run_dir: str | os.PathLike, history: list[dict]) -> None:
    """Writes `history.csv` (one row per epoch) and `learning_curves.png`."""
    run_dir = Path(run_dir)
    columns = sorted({key for row in history for key in row} - {"epoch"})
    with atomic_write(run_dir / HISTORY_FILE) as handle:
        writer = csv.DictWriter(handle, ["epoch", *columns])
        writer.writeheader()
        writer.writerows(history)
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
    """Writes `metrics.json` (flat keys, numbers) and prints it."""
    write_json(Path(run_dir) / METRICS_FILE, metrics)
    width = max(map(len, metrics), default=0)
    for key, value in metrics.items():
        shown = f"{value:.4f}" if isinstance(value, float) else value
        print(f"  {key:<{width}}  {shown}")
