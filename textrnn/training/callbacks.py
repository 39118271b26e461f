"""Callbacks that add training figures to `fit`'s logs and stop on non-finite losses.

Keras calls callbacks in list order and appends `History` last, so anything these callbacks
write into the epoch logs reaches `History`. List them *before* `CSVLogger`, `TensorBoard`,
`ModelCheckpoint` or `EarlyStopping` so those see the new keys too.
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import keras
import numpy as np
from keras.src.utils import io_utils

from textrnn.training.bptt import reset_states, stateful_layers
from textrnn.training.checkpoint import read_train_state, weights_finite
from textrnn.training.clipping import GlobalNormClipping
from textrnn.training.metrics import BitsPerCharacter, Perplexity


def stop_training(model: keras.Model, message: str) -> None:
    """Set `model.stop_training` and print `message` the way Keras callbacks do."""
    model.stop_training = True
    io_utils.print_msg(message)


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
        raise_error: raise `RuntimeError` with the message instead of stopping gracefully.
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
            raise RuntimeError(self.message)
        stop_training(self.model, self.message)


def weights_report(model: keras.Model) -> str:
    """One sentence saying whether all of `model`'s weights are finite."""
    if weights_finite(model):
        return "The weights are still finite."
    return "The weights now hold NaN/Inf and will not be checkpointed."


def checkpoint_report(run_dir: str | Path | None) -> str:
    """One sentence naming the last good checkpoint in `run_dir` (or that none is kept)."""
    if run_dir is None:
        return "No checkpoint folder was given."
    state = read_train_state(run_dir)
    if state is None:
        return f"No checkpoint has been written to {run_dir} yet."
    return (f"The last checkpoint in {run_dir} (after epoch {state['epochs_done']}) is intact; "
            "re-run the same command to resume from it.")


class ValidationPerplexity(keras.callbacks.Callback):
    """Evaluates perplexity (and bits per character) on validation data after each epoch.

    Writes `val_perplexity` (and `val_bpc` when `bpc=True`) into the epoch logs and stops
    training with a message when the validation cross-entropy is not finite.

    Args:
        validation_data: `(x, y)` or `(x, y, sample_weight)` arrays (batched here with
            `batch_size`), or an iterable of such batches (`tf.data.Dataset`,
            `keras.utils.PyDataset`, list). `y` holds integer ids `[batch, time]`; the model
            outputs `[batch, time, vocab]`.
        batch_size: batch size for array data (default 32).
        bpc: also log `val_bpc` (for character-level models).
        from_logits: whether the model outputs logits.
        mask_token_id: padding id in `y` to ignore, or None.
        run_dir: optional run folder, named in the stop message.

    A stateful model is reset before and after the evaluation; give it consecutive windows
    from `bptt_batches` with its own batch size.
    """

    def __init__(self, validation_data, batch_size: int = 32, bpc: bool = False,
                 from_logits: bool = True, mask_token_id: int | None = None,
                 run_dir: str | Path | None = None):
        super().__init__()
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError("Received an invalid value for argument `batch_size`: expected a "
                             f"positive integer, got {batch_size!r}.")
        self.validation_data = validation_data
        self.batch_size = batch_size
        self.bpc = bpc
        self.from_logits = from_logits
        self.mask_token_id = mask_token_id
        self.run_dir = run_dir

    def evaluate(self) -> dict[str, float]:
        """Perplexity (and bpc) of the current model on the validation data."""
        metrics = [Perplexity(self.from_logits, self.mask_token_id)]
        if self.bpc:
            metrics.append(BitsPerCharacter(self.from_logits, self.mask_token_id))
        # A stateful model reads consecutive windows from a fresh state (see `bptt_batches`).
        reset_states(self.model)
        predict = self.model.predict_on_batch
        if keras.backend.backend() == "jax" and stateful_layers(self.model):
            # Compiled JAX functions drop Keras' untracked RNN state variables; eager calls don't.
            predict = partial(self.model, training=False)
        for batch in _iterate_batches(self.validation_data, self.batch_size):
            x, y = batch[0], batch[1]
            sample_weight = batch[2] if len(batch) > 2 else None
            y_pred = predict(x)
            for metric in metrics:
                metric.update_state(np.asarray(y), y_pred, sample_weight)
        reset_states(self.model)
        return {f"val_{metric.name}": float(metric.result()) for metric in metrics}

    def on_epoch_end(self, epoch, logs=None):
        results = self.evaluate()
        if logs is not None:
            logs.update(results)
        if not math.isfinite(results["val_perplexity"]):
            stop_training(self.model, (
                f"Training stopped: validation perplexity is {results['val_perplexity']} "
                f"after epoch {epoch + 1}. {weights_report(self.model)} "
                f"{checkpoint_report(self.run_dir)}"))


def _iterate_batches(data, batch_size: int):
    """Yield `(x, y[, sample_weight])` tuples from arrays or from an iterable of batches."""
    if isinstance(data, tuple) and len(data) in (2, 3) and hasattr(data[0], "shape"):
        count = len(data[0])
        for start in range(0, count, batch_size):
            yield tuple(None if part is None else part[start:start + batch_size]
                        for part in data)
        return
    if isinstance(data, keras.utils.PyDataset):
        data = (data[index] for index in range(data.num_batches))
    for batch in data:
        if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
            raise ValueError(
                "`validation_data` must yield `(x, y)` or `(x, y, sample_weight)` batches; got "
                f"{type(batch).__name__}. Pass `(x_val, y_val)` arrays or a dataset of pairs."
            )
        # Tensors from tf.data become NumPy so that any backend's predict function takes them.
        yield keras.tree.map_structure(np.asarray, tuple(batch))
