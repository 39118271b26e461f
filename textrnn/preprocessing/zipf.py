"""Zipf's law: a least-squares fit of a rank-frequency curve and the coverage it predicts.

Zipf's law says the frequency of the type of rank r falls like `f(r) = C * r^-s` (s near 1 for
words in natural text). `fit_zipf` estimates s by least squares on `log f = log C - s log r`;
`zipf_coverage(k, ...)` turns the fit into the share of running text the k most frequent types
cover, which is what a vocabulary cut at k keeps. `CorpusStats.fit_zipf` and
`CorpusStats.zipf_coverage` call these with a corpus' frequencies.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

# Frequencies below this floor are left out of the default fit (see `default_zipf_range`).
ZIPF_MIN_FREQ = 5


@dataclasses.dataclass(frozen=True)
class ZipfFit:
    """A least-squares fit of `log f(r) = intercept - exponent * log r` (natural logs).

    Attributes:
        exponent: Zipf's s (positive for a falling rank-frequency curve).
        intercept: log C, the fitted log-frequency at rank 1.
        r2: coefficient of determination of the fit on log-log axes (1.0 is a perfect line).
        min_rank: first rank used (1-based, inclusive).
        max_rank: last rank used (inclusive).
    """

    exponent: float
    intercept: float
    r2: float
    min_rank: int
    max_rank: int

    def predict(self, ranks: Any) -> np.ndarray:
        """Fitted frequency at each rank (array-like of 1-based ranks), as float64."""
        ranks = np.asarray(ranks, dtype=np.float64)
        return np.exp(self.intercept - self.exponent * np.log(ranks))

    def to_dict(self) -> dict[str, float | int]:
        """The fields as a JSON-ready dict."""
        return dataclasses.asdict(self)


def default_zipf_range(frequencies: np.ndarray) -> tuple[int, int]:
    """The rank range `fit_zipf` uses by default: rank 1 to the last rank with TF >= 5.

    Below a few occurrences, integer counts tie over long runs of ranks (thousands of hapaxes
    share frequency 1), a staircase that flattens the log-log tail and biases a least-squares
    slope; a frequency floor is the usual remedy. If fewer than two ranks reach the floor, all
    ranks are used.

    Args:
        frequencies: TF of every type in rank order (descending), shape `[num_types]`.
    """
    last = int(np.searchsorted(-frequencies, -ZIPF_MIN_FREQ, side="right"))
    return (1, last if last >= 2 else len(frequencies))


def fit_zipf(frequencies: np.ndarray, min_rank: int = 1, max_rank: int | None = None) -> ZipfFit:
    """Fit Zipf's law `f(r) = C * r^-s` by least squares on log-log axes.

    Args:
        frequencies: TF of every type in rank order (descending), shape `[num_types]`.
        min_rank: first rank to fit (1-based).
        max_rank: last rank to fit; None uses `default_zipf_range` (ranks whose TF is at least
            5), which keeps the tied low-frequency tail out of the fit.

    Returns:
        A `ZipfFit` with the exponent s, intercept log C and r².
    """
    num_types = len(frequencies)
    if max_rank is None:
        max_rank = max(default_zipf_range(frequencies)[1], min_rank)
    if not 1 <= min_rank < max_rank <= num_types:
        raise ValueError(
            f"Cannot fit Zipf's law on ranks {min_rank}..{max_rank}: expected "
            f"1 <= min_rank < max_rank <= num_types ({num_types}). A fit needs at least two "
            "token types."
        )
    log_rank = np.log(np.arange(min_rank, max_rank + 1, dtype=np.float64))
    log_freq = np.log(np.asarray(frequencies[min_rank - 1 : max_rank], dtype=np.float64))
    slope, intercept = np.polyfit(log_rank, log_freq, 1)
    residual = log_freq - (intercept + slope * log_rank)
    total = np.sum((log_freq - log_freq.mean()) ** 2)
    r2 = 1.0 - float(np.sum(residual**2) / total) if total > 0 else 1.0
    return ZipfFit(float(-slope), float(intercept), r2, int(min_rank), int(max_rank))


def zipf_coverage(k: int, num_types: int, fit: ZipfFit) -> float:
    """Share of tokens the top `k` of `num_types` types cover if frequencies followed `fit`.

    This is `H(k, s) / H(num_types, s)`, where `H(n, s) = sum_{r<=n} r^-s`.
    """
    return harmonic(min(k, num_types), fit.exponent) / harmonic(num_types, fit.exponent)


def harmonic(n: int, s: float) -> float:
    """Generalised harmonic number `H(n, s) = sum_{r=1}^{n} r^-s` (for Zipf predictions)."""
    return float(np.sum(np.arange(1, n + 1, dtype=np.float64) ** -s)) if n > 0 else 0.0
