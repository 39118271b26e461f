"""Learning-rate schedules for short recurrent training runs, and fitting one to a time budget.

- `OneCycle` (Smith 2018, fastai's `fit_one_cycle`): cosine warm-up from `max_lr / div_factor`
  to `max_lr`, then cosine annealing to `max_lr / (div_factor * final_div_factor)`.
- `SlantedTriangular` (Howard & Ruder 2018, ULMFiT): a short linear increase, then a long
  linear decay, from `max_lr / ratio` to `max_lr` and back.
- `constant_or_schedule(name, ...)`: the schedule a `--schedule` flag names.
- `FitScheduleToBudget`: a callback that shortens a schedule to the steps a `--max-minutes`
  budget leaves, so the rate has annealed when the budget stops training.

The schedules are functions of the optimizer's `iterations`, which a checkpoint restores, so
a resumed run continues the schedule where it stopped. Past `total_steps` the rate stays at
its final value.
"""

from __future__ import annotations

import math
import time

import keras
from keras import ops

from textrnn.training._printing import print_msg

SCHEDULES = ("constant", "one-cycle", "slanted")


def _check_positive(value, argument, integer=False):
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        kind = "integer" if integer else "number"
        raise ValueError(f"Received an invalid value for argument `{argument}`, expected a "
                         f"positive {kind}, got {value!r}.")
    return value


def _check_fraction(value, argument):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"Received an invalid value for argument `{argument}`, expected a "
                         f"number in (0, 1), got {value!r}.")
    return float(value)


class _StepSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Shared by the schedules: `max_lr`, `total_steps` (which `FitScheduleToBudget` may
    shorten), and the progress `step / total_steps` clipped to `[0, 1]`."""

    def __init__(self, max_lr, total_steps, name=None):
        self.max_lr = float(_check_positive(max_lr, "max_lr"))
        self.total_steps = _check_positive(total_steps, "total_steps", integer=True)
        self.name = name

    def progress(self, step):
        step = ops.cast(step, "float32")
        return ops.clip(step / float(self.total_steps), 0.0, 1.0)


@keras.saving.register_keras_serializable(package="textrnn")
class OneCycle(_StepSchedule):
    """One-cycle learning rate: cosine up for `warmup` of the steps, cosine down after.

    Args:
        max_lr: the peak rate.
        total_steps: optimizer steps of the whole cycle.
        warmup: share of the steps spent rising, in (0, 1). Default 0.25 (fastai: 0.25).
        div_factor: the start rate is `max_lr / div_factor`. Default 25.
        final_div_factor: the end rate is `max_lr / (div_factor * final_div_factor)`.
            Default 1e4 (as PyTorch's `OneCycleLR`; the rate ends near zero).

    Example:

    >>> schedule = OneCycle(1e-2, total_steps=100)
    >>> float(schedule(25))  # the peak
    0.01
    """

    def __init__(self, max_lr, total_steps, warmup=0.25, div_factor=25.0,
                 final_div_factor=1e4, name=None):
        super().__init__(max_lr, total_steps, name)
        self.warmup = _check_fraction(warmup, "warmup")
        self.div_factor = float(_check_positive(div_factor, "div_factor"))
        self.final_div_factor = float(_check_positive(final_div_factor, "final_div_factor"))

    def __call__(self, step):
        progress = self.progress(step)
        start = self.max_lr / self.div_factor
        end = start / self.final_div_factor
        rising = progress < self.warmup
        phase = ops.where(rising, progress / self.warmup,
                          (progress - self.warmup) / (1.0 - self.warmup))
        low = ops.where(rising, start, end)
        high, cosine = self.max_lr, 0.5 * (1.0 + ops.cos(math.pi * phase))
        # Rising: from `start` to the peak; falling: from the peak to `end`.
        return ops.where(rising, high + (low - high) * cosine, low + (high - low) * cosine)

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps, "warmup": self.warmup,
                "div_factor": self.div_factor, "final_div_factor": self.final_div_factor,
                "name": self.name}


@keras.saving.register_keras_serializable(package="textrnn")
class SlantedTriangular(_StepSchedule):
    """ULMFiT's slanted triangular rate: a linear rise for `cut_frac` of the steps, then a
    linear decay, between `max_lr / ratio` and `max_lr`.

    `lr = max_lr * (1 + p * (ratio - 1)) / ratio` with `p = t / cut` while `t < cut`, else
    `p = 1 - (t - cut) / (total - cut)`, where `cut = cut_frac * total`.

    Args:
        max_lr: the peak rate.
        total_steps: optimizer steps of the whole schedule.
        cut_frac: share of the steps spent rising, in (0, 1). Default 0.1.
        ratio: how much smaller the lowest rate is than `max_lr`. Default 32.

    Example:

    >>> float(SlantedTriangular(0.01, total_steps=100)(10))
    0.01
    """

    def __init__(self, max_lr, total_steps, cut_frac=0.1, ratio=32.0, name=None):
        super().__init__(max_lr, total_steps, name)
        self.cut_frac = _check_fraction(cut_frac, "cut_frac")
        self.ratio = float(_check_positive(ratio, "ratio"))

    def __call__(self, step):
        progress = self.progress(step)
        p = ops.where(progress < self.cut_frac, progress / self.cut_frac,
                      1.0 - (progress - self.cut_frac) / (1.0 - self.cut_frac))
        return self.max_lr * (1.0 + p * (self.ratio - 1.0)) / self.ratio

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps,
                "cut_frac": self.cut_frac, "ratio": self.ratio, "name": self.name}


def constant_or_schedule(schedule: str, lr: float, total_steps: int):
    """The learning rate a `--schedule` flag names: `lr` itself for `"constant"`, else a
    `OneCycle` or `SlantedTriangular` peaking at `lr` over `total_steps`."""
    if schedule == "constant":
        return lr
    if schedule == "one-cycle":
        return OneCycle(lr, total_steps)
    if schedule == "slanted":
        return SlantedTriangular(lr, total_steps)
    raise ValueError(f"Received an invalid value for argument `schedule`, expected one of "
                     f"{SCHEDULES}, got {schedule!r}.")


def learning_rate_schedule(optimizer) -> _StepSchedule | None:
    """The `OneCycle` / `SlantedTriangular` an optimizer (or a wrapped inner one) follows."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    # Keras keeps the schedule object only in this attribute (`learning_rate` is its value).
    schedule = getattr(inner, "_learning_rate", None)
    return schedule if isinstance(schedule, _StepSchedule) else None


class FitScheduleToBudget(keras.callbacks.Callback):
    """Fits the model's schedule to the time budget, so that it ends when the budget does.

    A schedule sized for `epochs` is still near its peak when `--max-minutes` stops a short
    run. After `warmup_batches` (past compilation) this callback times `timed_batches` steps
    and sets `total_steps` to the step the budget will end at. At the start of every later
    epoch it measures again over the whole previous epoch (validation, samples and the
    checkpoint included) and refits in either direction: a machine that got busier shortens
    the schedule, one that got faster lengthens it again (never past its planned length), so
    the rate neither anneals too late nor sits at its floor while the budget runs on. A changed
    length takes effect by rebuilding the compiled train function (one retrace per epoch at
    most).

    Args:
        max_minutes: the budget, as given to `TimeBudget` (measured from `fit`'s start).
        warmup_batches: batches to skip before timing (the first ones include compiling).
        timed_batches: batches timed for the first estimate.
    """

    def __init__(self, max_minutes: float, warmup_batches: int = 3, timed_batches: int = 10):
        super().__init__()
        self.max_minutes = _check_positive(max_minutes, "max_minutes")
        self.warmup_batches = warmup_batches
        self.timed_batches = timed_batches

    def on_train_begin(self, logs=None):
        self._deadline = time.monotonic() + 60.0 * self.max_minutes
        self._batches = 0
        self._planned_steps = None
        self._since = None  # (time, step) from which the next estimate is measured

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        if self._batches == self.warmup_batches:
            self._since = (time.monotonic(), self._step())
        elif self._batches == self.warmup_batches + self.timed_batches:
            self._refit()

    def on_epoch_begin(self, epoch, logs=None):
        if self._since is not None and not self.model.stop_training:
            self._refit()

    def _step(self) -> int:
        return int(ops.convert_to_numpy(self.model.optimizer.iterations))

    def _refit(self):
        """Sets `total_steps` from the seconds per step measured since `self._since`."""
        now, step = time.monotonic(), self._step()
        since_time, since_step = self._since
        self._since = (now, step)
        schedule = learning_rate_schedule(self.model.optimizer)
        if schedule is None or step <= since_step:
            return
        self._planned_steps = self._planned_steps or schedule.total_steps
        seconds_per_step = (now - since_time) / (step - since_step)
        # 5% of the time left kept for the validation passes still to come; the budget is
        # checked after each step, so the last one starts before the deadline.
        left = 0.95 * max(self._deadline - now, 0.0) / seconds_per_step
        end = min(step + int(left) + 1, self._planned_steps)
        if abs(end - schedule.total_steps) > 0.05 * schedule.total_steps:
            print_msg(f"FitScheduleToBudget: the budget leaves about {end - step} more steps "
                      f"({seconds_per_step:.2f} s each); the schedule now ends at step {end} "
                      f"instead of {schedule.total_steps}.")
            schedule.total_steps = end
            self.model.make_train_function(force=True)
