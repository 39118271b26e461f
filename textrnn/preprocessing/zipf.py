"""Zipf's law `f(r) ∝ r^-s`: a maximum-likelihood fit, its coverage, and a least-squares figure.

`fit_zipf_mle` treats every token of the corpus as an independent draw of its rank from a Zipf
distribution truncated to the ranks `min_rank..max_rank`, `P(r) = r^-s / sum_q q^-s`, and
maximises the likelihood in s. The score equation says the model's mean log-rank equals the
corpus' mean log-rank; its derivative is the variance of the log-rank, so the observed Fisher
information is `num_tokens * Var_s[log r]` and the standard error its inverse square root. That
standard error only measures sampling noise under the model; real text is not exactly Zipfian
(the head is flatter than the tail), which `ks_distance` (the largest gap between the observed
and the fitted cumulative share of tokens by rank) shows. `fit_two_regime`
(`textrnn.preprocessing.zipf_two_regime`) fits a head and a tail exponent with a bend.

`fit_least_squares` is the old estimator, kept as a second figure: ordinary least squares of
log f on log r over log-spaced ranks (so the thousands of tail ranks do not outvote the head).
Least squares on a log-log plot is a biased estimator of a power law (Clauset, Shalizi &
Newman 2009), hence not the headline figure.

s is the exponent of the *rank-frequency* law. Clauset et al.'s estimator is fitted to the
*frequency distribution* (how many types occur n times), `P(n) ∝ n^-alpha`, and for a Zipf
rank-frequency law `alpha = 1 + 1/s`: s = 1 is alpha = 2. `ALPHA_NOTE` says so in `stats.json`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import brentq

# Frequencies below this floor are left out of the least-squares fit (see `default_zipf_range`).
ZIPF_MIN_FREQ = 5
# Largest exponent searched; far beyond natural text (about 0.7-2), so it never binds there.
MAX_EXPONENT = 20.0
# Log-spaced ranks used by the least-squares fit.
LEAST_SQUARES_POINTS = 100
ALPHA_NOTE = ("s is the exponent of the rank-frequency law f(r) ∝ r^-s. The exponent of the "
              "frequency distribution P(n) ∝ n^-alpha (Clauset, Shalizi & Newman 2009) is "
              "alpha = 1 + 1/s, a different number (s = 1 is alpha = 2).")


@dataclasses.dataclass(frozen=True)
class ZipfFit:
    """A maximum-likelihood fit of the truncated Zipf law `P(r) ∝ r^-s`, r in `min_rank..max_rank`.

    Attributes:
        exponent: s.
        stderr: standard error of s from the observed Fisher information (sampling noise only).
        ks_distance: largest gap between the observed and fitted cumulative share of tokens by
            rank (0 is a perfect fit).
        log_likelihood: the maximised log-likelihood (natural log).
        min_rank: first rank fitted (1-based, inclusive).
        max_rank: last rank fitted (inclusive).
        num_tokens: tokens of the fitted ranks (the sample size).
    """

    exponent: float
    stderr: float
    ks_distance: float
    log_likelihood: float
    min_rank: int
    max_rank: int
    num_tokens: int

    estimator: ClassVar[str] = ("maximum likelihood: discrete Zipf truncated to the observed "
                                "ranks, every token a draw of its rank")

    def pmf(self, ranks: Any) -> np.ndarray:
        """Probability of each rank (array-like of 1-based ranks; 0 outside the range)."""
        ranks = np.asarray(ranks, dtype=np.float64)
        inside = (ranks >= self.min_rank) & (ranks <= self.max_rank)
        log_z = _moments(_log_ranks(self.min_rank, self.max_rank), self.exponent)[2]
        return np.where(inside, np.exp(-self.exponent * np.log(np.maximum(ranks, 1)) - log_z),
                        0.0)

    def predict(self, ranks: Any) -> np.ndarray:
        """Expected term frequency at each rank: `num_tokens * pmf(ranks)`, float64."""
        return self.num_tokens * self.pmf(ranks)

    def cumulative(self) -> np.ndarray:
        """Predicted share of tokens of ranks `min_rank..r`, for every r, `[num_ranks]`."""
        return np.cumsum(self.pmf(np.arange(self.min_rank, self.max_rank + 1)))

    def coverage(self, k: int) -> float:
        """Predicted share of tokens the `k` most frequent types cover (ranks up to k)."""
        if k < self.min_rank:
            return 0.0
        return float(self.cumulative()[min(k, self.max_rank) - self.min_rank])

    def size_for_coverage(self, p: float) -> int:
        """Smallest rank k whose predicted `coverage(k)` reaches p (in `(0, 1]`)."""
        if not 0.0 < p <= 1.0:
            raise ValueError(f"Received an invalid value for argument `p`: {p!r}; expected a "
                             "share of tokens in (0, 1], e.g. 0.95.")
        cumulative = self.cumulative()
        index = int(np.searchsorted(cumulative, p * (1 - 1e-12), side="left"))
        return self.min_rank + min(index, len(cumulative) - 1)

    def to_dict(self) -> dict[str, Any]:
        """The fields and the estimator's name, JSON-ready."""
        return {"estimator": self.estimator, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class LeastSquaresFit:
    """A least-squares line `log f(r) = intercept - exponent * log r` (natural logs).

    Attributes:
        exponent: s (positive for a falling rank-frequency curve).
        intercept: log C, the fitted log-frequency at rank 1.
        r2: coefficient of determination on log-log axes (1.0 is a perfect line).
        min_rank: first rank used (1-based, inclusive).
        max_rank: last rank used (inclusive).
        num_points: distinct log-spaced ranks the line was fitted to.
    """

    exponent: float
    intercept: float
    r2: float
    min_rank: int
    max_rank: int
    num_points: int

    estimator: ClassVar[str] = ("least squares of log frequency on log rank, over log-spaced "
                                "ranks with frequency >= 5")

    def predict(self, ranks: Any) -> np.ndarray:
        """Fitted frequency at each rank (array-like of 1-based ranks), as float64."""
        ranks = np.asarray(ranks, dtype=np.float64)
        return np.exp(self.intercept - self.exponent * np.log(ranks))

    def to_dict(self) -> dict[str, Any]:
        """The fields and the estimator's name, JSON-ready."""
        return {"estimator": self.estimator, **dataclasses.asdict(self)}


def fit_zipf_mle(frequencies: np.ndarray, min_rank: int = 1,
                 max_rank: int | None = None) -> ZipfFit:
    """Maximum-likelihood Zipf exponent of the tokens of ranks `min_rank..max_rank`.

    Args:
        frequencies: TF of every type in rank order (descending), shape `[num_types]`.
        min_rank: first rank fitted (1-based).
        max_rank: last rank fitted; None for the last type.

    Returns:
        A `ZipfFit` (exponent, standard error, KS distance, log-likelihood).
    """
    max_rank = len(frequencies) if max_rank is None else max_rank
    _check_ranks(min_rank, max_rank, len(frequencies))
    counts = np.asarray(frequencies[min_rank - 1 : max_rank], dtype=np.float64)
    log_r = _log_ranks(min_rank, max_rank)
    num_tokens = counts.sum()
    mean_log_rank = float(counts @ log_r) / num_tokens
    exponent = _solve_exponent(log_r, mean_log_rank)
    _, variance, log_z = _moments(log_r, exponent)
    fitted = np.cumsum(np.exp(-exponent * log_r - log_z))
    observed = np.cumsum(counts) / num_tokens
    return ZipfFit(
        exponent=exponent,
        stderr=float(1.0 / np.sqrt(num_tokens * variance)) if variance > 0 else float("inf"),
        ks_distance=float(np.max(np.abs(observed - fitted))),
        log_likelihood=float(-exponent * num_tokens * mean_log_rank - num_tokens * log_z),
        min_rank=int(min_rank), max_rank=int(max_rank), num_tokens=int(num_tokens),
    )


def default_zipf_range(frequencies: np.ndarray) -> tuple[int, int]:
    """The rank range of the least-squares fit: rank 1 to the last rank with TF >= 5.

    Below a few occurrences, integer counts tie over long runs of ranks (thousands of hapaxes
    share frequency 1), a staircase that flattens the log-log tail and biases a least-squares
    slope. If fewer than two ranks reach the floor, all ranks are used.

    Args:
        frequencies: TF of every type in rank order (descending), shape `[num_types]`.
    """
    last = int(np.searchsorted(-frequencies, -ZIPF_MIN_FREQ, side="right"))
    return (1, last if last >= 2 else len(frequencies))


def fit_least_squares(frequencies: np.ndarray, min_rank: int = 1,
                      max_rank: int | None = None) -> LeastSquaresFit:
    """Least-squares line on log-log axes through up to 100 log-spaced ranks.

    Args:
        frequencies: TF of every type in rank order (descending), shape `[num_types]`.
        min_rank: first rank to fit (1-based).
        max_rank: last rank to fit; None uses `default_zipf_range` (TF >= 5).

    Returns:
        A `LeastSquaresFit` with the exponent s, intercept log C and r².
    """
    if max_rank is None:
        max_rank = max(default_zipf_range(frequencies)[1], min_rank)
    _check_ranks(min_rank, max_rank, len(frequencies))
    ranks = np.unique(np.round(np.geomspace(min_rank, max_rank, LEAST_SQUARES_POINTS)))
    log_rank = np.log(ranks)
    log_freq = np.log(np.asarray(frequencies, dtype=np.float64)[ranks.astype(np.int64) - 1])
    slope, intercept = np.polyfit(log_rank, log_freq, 1)
    residual = log_freq - (intercept + slope * log_rank)
    total = np.sum((log_freq - log_freq.mean()) ** 2)
    r2 = 1.0 - float(np.sum(residual**2) / total) if total > 0 else 1.0
    return LeastSquaresFit(float(-slope), float(intercept), r2, int(min_rank), int(max_rank),
                           len(ranks))


# === Helpers ===


def _check_ranks(min_rank: int, max_rank: int, num_types: int) -> None:
    if not 1 <= min_rank < max_rank <= num_types:
        raise ValueError(
            f"Cannot fit Zipf's law on ranks {min_rank}..{max_rank}: expected "
            f"1 <= min_rank < max_rank <= num_types ({num_types}). A fit needs at least two "
            "token types."
        )


def _log_ranks(min_rank: int, max_rank: int) -> np.ndarray:
    return np.log(np.arange(min_rank, max_rank + 1, dtype=np.float64))


def _moments(log_r: np.ndarray, s: float) -> tuple[float, float, float]:
    """Mean and variance of log r under `P(r) ∝ r^-s`, and the log normaliser log sum r^-s."""
    weights = np.exp(-s * (log_r - log_r[0]))  # scaled by min_rank^s: no overflow, first is 1
    total = weights.sum()
    mean = float(weights @ log_r) / total
    variance = float(weights @ (log_r - mean) ** 2) / total
    return mean, variance, float(np.log(total) - s * log_r[0])


def _solve_exponent(log_r: np.ndarray, mean_log_rank: float) -> float:
    """The s whose model mean log-rank is `mean_log_rank` (it falls as s grows)."""
    def excess(s: float) -> float:
        return _moments(log_r, s)[0] - mean_log_rank

    if excess(0.0) <= 0:  # counts no more skewed than uniform (e.g. a run of tied types)
        return 0.0
    if excess(MAX_EXPONENT) >= 0:
        return MAX_EXPONENT
    return float(brentq(excess, 0.0, MAX_EXPONENT, xtol=1e-10))
