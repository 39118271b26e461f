"""The learning-rate range test (Smith 2017; fastai's `lr_find`): train a throw-away copy of
the model for a few steps while the rate grows exponentially, and read a good rate off the
smoothed loss curve.

>>> result = find_learning_rate(build_model, batches, steps=100)
>>> result.suggestion, result.plot("lr_finder.png")
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import keras
import numpy as np


@dataclass
class LRFinderResult:
    """The rates tried, the smoothed losses, and the suggested rates.

    Attributes:
        learning_rates, losses: one entry per step run (losses smoothed).
        suggestion: the rate to use: the rate of the lowest smoothed loss divided by 10.
        steepest: the rate where the smoothed loss fell fastest (per decade of rate).
        minimum: the rate of the lowest smoothed loss.
    """

    learning_rates: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    suggestion: float = float("nan")
    steepest: float = float("nan")
    minimum: float = float("nan")

    def summary(self) -> str:
        """One line: the steps run and the suggested rates."""
        return (f"{len(self.losses)} steps; suggested learning rate {self.suggestion:.2g} "
                f"(steepest descent at {self.steepest:.2g}, lowest loss at {self.minimum:.2g})")

    def plot(self, path: str | os.PathLike) -> None:
        """Saves loss against rate (log scale) with the suggestions marked, as a PNG."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(5, 3.5), layout="constrained")
        axis = figure.subplots()
        axis.plot(self.learning_rates, self.losses)
        for rate, style, label in ((self.suggestion, "r--", "suggestion (min / 10)"),
                                   (self.steepest, "g:", "steepest descent")):
            if math.isfinite(rate):
                axis.axvline(rate, color=style[0], linestyle=style[1:], label=f"{label} {rate:.2g}")
        axis.set_xscale("log")
        axis.set_xlabel("learning rate")
        axis.set_ylabel("smoothed training loss")
        axis.legend()
        figure.savefig(os.fspath(path), format="png", dpi=100)


def find_learning_rate(
    build_model: Callable[[], keras.Model],
    batches: Iterable[tuple],
    steps: int = 100,
    min_lr: float = 1e-5,
    max_lr: float = 1.0,
    smoothing: float = 0.9,
    stop_factor: float = 4.0,
) -> LRFinderResult:
    """Runs the range test on a new model from `build_model`; the caller's models are untouched.

    Args:
        build_model: returns a new compiled model (its optimizer's learning rate a number,
            which this function overwrites at each step).
        batches: `(x, y)` batches, in training order (repeated if fewer than `steps`).
        steps: at most this many steps; the rate goes from `min_lr` to `max_lr` geometrically.
        smoothing: factor of the exponential moving average of the loss (bias-corrected).
            fastai uses 0.98; over only ~100 steps that average lags ~50 steps behind the
            loss, so the minimum lands late: 0.9 lags ~10.
        stop_factor: stop once the smoothed loss exceeds this many times its minimum, or is
            not finite.

    Returns:
        An `LRFinderResult`.
    """
    if steps < 2:
        raise ValueError(f"Received an invalid value for argument `steps`, expected an "
                         f"integer >= 2, got {steps!r}.")
    if not 0 < min_lr < max_lr:
        raise ValueError(f"Expected 0 < `min_lr` < `max_lr`, got {min_lr!r} and {max_lr!r}.")
    model = build_model()
    batches = list(batches)
    if not batches:
        raise ValueError("Received no batches: the range test needs training data.")
    result, average, best = LRFinderResult(), 0.0, math.inf
    for step in range(steps):
        rate = min_lr * (max_lr / min_lr) ** (step / (steps - 1))
        model.optimizer.learning_rate = rate
        x, y = batches[step % len(batches)][:2]
        logs = model.train_on_batch(x, y, return_dict=True)
        loss = float(logs["loss"])
        average = smoothing * average + (1 - smoothing) * loss
        smoothed = average / (1 - smoothing ** (step + 1))
        if not math.isfinite(smoothed) or (step and smoothed > stop_factor * best):
            break
        best = min(best, smoothed)
        result.learning_rates.append(rate)
        result.losses.append(smoothed)
    return _suggest(result)


def _suggest(result: LRFinderResult) -> LRFinderResult:
    if len(result.losses) < 3:
        return result
    rates, losses = np.asarray(result.learning_rates), np.asarray(result.losses)
    lowest = int(np.argmin(losses))
    result.minimum = float(rates[lowest])
    result.suggestion = result.minimum / 10.0
    # Steepest descent before the minimum (after it the curve only rises), skipping the first
    # tenth of the steps, where the average still follows the first batches' noise.
    start = min(len(losses) // 10, max(lowest - 2, 0))
    end = max(lowest + 1, start + 3)
    slopes = np.gradient(losses[start:end], np.log10(rates[start:end]))
    result.steepest = float(rates[start + int(np.argmin(slopes))])
    return result
