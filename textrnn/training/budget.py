"""A wall-clock budget for `fit` (the recipes' `--max-minutes`)."""

from __future__ import annotations

import time

import keras

from textrnn.training._printing import print_msg


class TimeBudget(keras.callbacks.Callback):
    """Stops training cleanly once `max_minutes` have passed since `fit` started.

    The check runs after every batch, so the last step always completes and the epoch then
    ends normally (its callbacks, validation and checkpoint run). `RunCheckpoint` records such
    an epoch as unfinished, so a resumed run repeats it.

    Args:
        max_minutes: positive number of minutes.

    Attributes:
        stopped_epoch: the epoch (0-based) in which the budget ran out, or None.
    """

    def __init__(self, max_minutes: float):
        super().__init__()
        if isinstance(max_minutes, bool) or not isinstance(max_minutes, (int, float)) \
                or max_minutes <= 0:
            raise ValueError("Received an invalid value for argument `max_minutes`: expected a "
                             f"positive number of minutes, got {max_minutes!r}.")
        self.max_minutes = max_minutes
        self.stopped_epoch = None
        self._deadline = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._deadline = time.monotonic() + 60.0 * self.max_minutes
        self.stopped_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.stopped_epoch is None and time.monotonic() >= self._deadline:
            self.stopped_epoch = self._epoch
            self.model.stop_training = True
            print_msg(
                f"TimeBudget: {self.max_minutes} minutes used; stopping after epoch "
                f"{self._epoch + 1}, batch {batch + 1}.")
