"""Callbacks that add training figures to `fit`'s logs and stop on non-finite losses.

Validation perplexity and bits per character come from the metrics `Perplexity` and
`BitsPerCharacter` (`textrnn.training.metrics`) compiled into the model, so `fit` reports them
as `val_perplexity` / `val_bpc` with no callback.

Keras calls callbacks in list order and appends `History` last, so anything these callbacks
write into the epoch logs reaches `History`. List them *before* `CSVLogger`, `TensorBoard`,
`ModelCheckpoint` or `EarlyStopping` so those see the new keys too.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras

from textrnn.training._printing import print_msg
from textrnn.training.checkpoint import checkpoint_report, diverged, weights_finite
from textrnn.training.clipping import GlobalNormClipping


def stop_training(model: keras.Model, message: str) -> None:
    """Set `model.stop_training` and print `message` the way Keras callbacks do."""
    model.stop_training = True
    print_msg(message)


class GradNormLogger(keras.callbacks.Callback):
    """Writes `grad_norm` and `skipped_steps` for each epoch into the logs.

    `grad_norm` is the mean pre-clip global gradient norm over the epoch's applied steps
    (NaN when none was applied); `skipped_steps` counts the epoch's steps that
    `GlobalNormClipping` skipped for non-finite gradients. The model must be compiled with a
    `GlobalNormClipping` optimizer.
    """

    def on_train_begin(self, logs=None):
        if not isinstance(self.model.optimizer, GlobalNormClipping):
            raise ValueError(
                "GradNormLogger needs a model compiled with a `GlobalNormClipping` optimizer; "
                f"got {type(self.model.optimizer).__name__}. Compile with "
                "`optimizer=GlobalNormClipping(keras.optimizers.Adam(), max_norm=1.0)`."
            )

    def _totals(self) -> tuple[float, int, int]:
        optimizer = self.model.optimizer
        if not optimizer.built:
            return 0.0, 0, 0
        return (float(optimizer.grad_norm_sum.numpy()), int(optimizer.applied_steps.numpy()),
                int(optimizer.skipped_steps.numpy()))

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._totals()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        norm_sum, applied, skipped = (end - start for end, start in
                                      zip(self._totals(), self._start, strict=True))
        logs["grad_norm"] = norm_sum / applied if applied else float("nan")
        logs["skipped_steps"] = skipped


class StopOnNonFiniteLoss(keras.callbacks.TerminateOnNaN):
    """Stops training at the first batch whose loss is NaN or Inf, saying what happened.

    Like `keras.callbacks.TerminateOnNaN`, but the message names the epoch and batch, says
    whether the weights are still finite and which checkpoint is intact.

    Args:
        run_dir: optional run folder written by `RunCheckpoint`; the message then names the
            epoch of its last good checkpoint.
        raise_error: raise `textrnn.errors.TrainingDiverged` (a `RuntimeError`) instead of
            stopping gracefully; `fit_resumable` does, so the run exits non-zero.
    """

    def __init__(self, run_dir: str | Path | None = None, raise_error: bool = False):
        super().__init__(raise_error=raise_error)
        self.run_dir = run_dir
        self.message = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        self.message = (
            f"Training stopped: the loss became {float(loss)} at epoch {self._epoch + 1}, "
            f"batch {batch + 1}. {weights_report(self.model)} {checkpoint_report(self.run_dir)} "
            "Try a lower learning rate or gradient clipping (GlobalNormClipping)."
        )
        if self.raise_error:
            raise diverged(self.run_dir, self._epoch, f"the loss became {float(loss)}",
                           step=batch + 1)
        stop_training(self.model, self.message)


def weights_report(model: keras.Model) -> str:
    """One sentence saying whether all of `model`'s weights are finite."""
    if weights_finite(model):
        return "The weights are still finite."
    return "The weights now hold NaN/Inf and will not be checkpointed."

