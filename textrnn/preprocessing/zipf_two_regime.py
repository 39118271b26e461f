"""A two-regime Zipf fit: a head exponent, a tail exponent and the rank of the bend.

Word frequencies in large corpora follow Zipf's law with s near 1 for the commonest words and
a steeper tail beyond a bend (Ferrer i Cancho & Solé 2001). The model here: a token's rank
falls in the head (ranks `1..bend`) with probability q, and within each regime it follows a
truncated Zipf law with its own exponent. For a given bend the likelihood factorises, so the
maximum-likelihood q is the head's share of the tokens and each exponent is
`fit_zipf_mle` on its own ranks; the bend is the candidate (log-spaced ranks) with the highest
total likelihood.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from textrnn.preprocessing.zipf import ZipfFit, fit_zipf_mle

# Candidate bends (log-spaced) and the fewest ranks each regime keeps.
NUM_BEND_CANDIDATES = 60
MIN_REGIME_RANKS = 5


@dataclasses.dataclass(frozen=True)
class TwoRegimeFit:
    """Head and tail Zipf fits joined at `bend`.

    Attributes:
        head: `ZipfFit` of ranks `1..bend`.
        tail: `ZipfFit` of ranks `bend + 1..num_types`.
        bend: the last rank of the head.
        head_share: share of the tokens in the head (q).
        log_likelihood: the maximised log-likelihood of the whole model.
    """

    head: ZipfFit
    tail: ZipfFit
    bend: int
    head_share: float
    log_likelihood: float

    estimator: ClassVar[str] = ("maximum likelihood: truncated Zipf on ranks 1..bend and on "
                                "bend+1..num_types, bend chosen among log-spaced candidates")

    @property
    def min_rank(self) -> int:
        """First rank covered (1)."""
        return self.head.min_rank

    @property
    def max_rank(self) -> int:
        """Last rank covered (the number of types)."""
        return self.tail.max_rank

    def predict(self, ranks: Any) -> np.ndarray:
        """Expected term frequency at each rank (array-like of 1-based ranks), float64."""
        return self.head.predict(ranks) + self.tail.predict(ranks)

    def to_dict(self) -> dict[str, Any]:
        """Head and tail exponents with standard errors, bend and head share, JSON-ready."""
        return {
            "estimator": self.estimator,
            "head_exponent": self.head.exponent,
            "head_stderr": self.head.stderr,
            "tail_exponent": self.tail.exponent,
            "tail_stderr": self.tail.stderr,
            "bend_rank": self.bend,
            "head_share": self.head_share,
            "log_likelihood": self.log_likelihood,
        }


def fit_two_regime(frequencies: np.ndarray) -> TwoRegimeFit:
    """Fit head and tail exponents and the bend by maximum likelihood.

    Args:
        frequencies: TF of every type in rank order (descending), shape `[num_types]`, at
            least `2 * MIN_REGIME_RANKS` types.

    Returns:
        The `TwoRegimeFit` of highest likelihood over `NUM_BEND_CANDIDATES` log-spaced bends.
    """
    num_types = len(frequencies)
    if num_types < 2 * MIN_REGIME_RANKS:
        raise ValueError(f"Cannot fit two Zipf regimes to {num_types} types: each regime needs "
                         f"at least {MIN_REGIME_RANKS} ranks.")
    bends = np.unique(np.round(np.geomspace(MIN_REGIME_RANKS, num_types - MIN_REGIME_RANKS,
                                            NUM_BEND_CANDIDATES)).astype(np.int64))
    fits = (_fit_at(frequencies, int(bend)) for bend in bends)
    return max(fits, key=lambda fit: fit.log_likelihood)


def _fit_at(frequencies: np.ndarray, bend: int) -> TwoRegimeFit:
    head = fit_zipf_mle(frequencies, 1, bend)
    tail = fit_zipf_mle(frequencies, bend + 1, len(frequencies))
    total = head.num_tokens + tail.num_tokens
    share = head.num_tokens / total
    log_likelihood = (head.log_likelihood + tail.log_likelihood
                      + head.num_tokens * math.log(share)
                      + tail.num_tokens * math.log(1 - share))
    return TwoRegimeFit(head, tail, bend, share, log_likelihood)

