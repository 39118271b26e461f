"""Resumable classifier training that ends with the best epoch's weights.

`fit_with_early_stopping` is `textrnn.runs.fit_resumable` plus early stopping on `val_loss`,
with the best epoch's weights kept in `best.weights.h5`, so the final model is the best one,
also after an interrupted run is resumed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import keras

from textrnn.io import atomic_path
from textrnn.runs import fit_resumable
from textrnn.tasks.classification.optimizer import LayerwiseAdamW
from textrnn.training import GlobalNormClipping, read_train_state, save_model_atomic
from textrnn.training.checkpoint import MODEL_FILE

BEST_WEIGHTS_FILE = "best.weights.h5"
MONITOR = "val_loss"


def compile_classifier(model: keras.Model, learning_rate: float, clip: float,
                       weight_decay: float = 0.0,
                       multipliers: dict[str, float] | None = None) -> keras.Model:
    """Compiles with `LayerwiseAdamW` under global-norm clipping, sparse cross-entropy and
    accuracy.

    The optimizer is built at once with every variable, so that `GradualUnfreezing` can freeze
    layers; with no `multipliers` (discriminative rates) and no `weight_decay` it steps like
    plain Adam.
    """
    inner = LayerwiseAdamW(multipliers, weight_decay, learning_rate=learning_rate)
    model.compile(optimizer=GlobalNormClipping(inner, clip),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    model.optimizer.build(model.trainable_variables)
    return model


class BestWeights(keras.callbacks.Callback):
    """Writes the weights to `path` (atomically) whenever `val_loss` reaches a new low.

    Args:
        path: a `.weights.h5` file.
        best: the lowest `val_loss` of earlier (resumed) epochs; only better epochs are saved.
    """

    def __init__(self, path: str | os.PathLike, best: float | None = None):
        super().__init__()
        self.path = Path(path)
        self.best = math.inf if best is None else best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(MONITOR)
        if value is None or not math.isfinite(value) or value >= self.best:
            return
        self.best = float(value)
        with atomic_path(self.path, suffix=".weights.h5") as tmp_path:
            self.model.save_weights(tmp_path, overwrite=True)


def stopped_early(history: list[dict], patience: int) -> bool:
    """True when the last `patience` epochs of `history` did not improve `val_loss`."""
    values = [row.get(MONITOR) for row in history]
    values = [math.inf if v is None else v for v in values]
    return len(values) > patience and min(values[-patience:]) >= min(values[:-patience])


def fit_with_early_stopping(
    build_model: Callable[[], keras.Model],
    run_dir: str | os.PathLike,
    train_data,
    validation_data,
    epochs: int,
    patience: int = 3,
    max_minutes: float | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    **fit_kwargs,
) -> tuple[keras.Model, list[dict]]:
    """Resumable training with early stopping; returns the model holding its best weights.

    Args:
        build_model: returns a new compiled model (called only when nothing is saved yet).
        run_dir: the run folder (checkpoint, `train_state.json`, `best.weights.h5`).
        train_data, validation_data: `fit` data (`ClassifierPreprocessor.inputs`).
        epochs: most epochs of the run.
        patience: stop after this many epochs without a lower `val_loss`. A resumed run that
            had already stopped trains no further.
        max_minutes: wall-clock budget of this invocation.
        callbacks: more callbacks (e.g. `GradualUnfreezing`), run before early stopping.
        **fit_kwargs: more `fit_resumable` / `model.fit` arguments (`tensorboard`,
            `verbose`).

    Returns:
        The model with the weights of its best epoch (also saved as `model.keras`), and the
        history of all epochs.
    """
    state = read_train_state(run_dir)
    if state is not None and stopped_early(state["history"], patience):
        epochs = state["epochs_done"]
    callbacks = [*callbacks, keras.callbacks.EarlyStopping(MONITOR, patience=patience,
                                               restore_best_weights=True),
                 BestWeights(Path(run_dir) / BEST_WEIGHTS_FILE, state and state.get("best"))]
    model, history = fit_resumable(
        build_model, run_dir, epochs, max_minutes=max_minutes, callbacks=callbacks,
        monitor=MONITOR, x=train_data, validation_data=validation_data, **fit_kwargs)
    best = Path(run_dir) / BEST_WEIGHTS_FILE
    if best.exists():
        model.load_weights(best)
        save_model_atomic(model, Path(run_dir) / MODEL_FILE)
    return model, history
