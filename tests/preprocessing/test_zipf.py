"""Zipf fits: maximum likelihood (by hand, on seeded samples), two regimes, least squares."""

import math

import numpy as np
import pytest

from textrnn.preprocessing import zipf
from textrnn.preprocessing.zipf import ZipfFit, fit_least_squares, fit_zipf_mle
from textrnn.preprocessing.zipf_two_regime import fit_two_regime


def zipf_probabilities(s, num_types):
    weights = np.arange(1, num_types + 1, dtype=float) ** -s
    return weights / weights.sum()


def test_mle_by_hand_on_two_ranks():
    # 3 tokens of rank 1, 1 of rank 2: P(1) = 1 / (1 + 2^-s) = 3/4, so s = log2(3).
    fit = fit_zipf_mle(np.array([3, 1]))
    assert fit.exponent == pytest.approx(math.log2(3), abs=1e-9)
    # Observed information: 4 tokens x Var[log r] = 4 * (3/4)(1/4) * ln(2)^2.
    assert fit.stderr == pytest.approx(1 / math.sqrt(4 * 3 / 16 * math.log(2) ** 2))
    assert fit.log_likelihood == pytest.approx(3 * math.log(3 / 4) + math.log(1 / 4))
    assert fit.ks_distance == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(fit.predict([1, 2, 3]), [3, 1, 0])


@pytest.mark.parametrize(("s", "seed"), [(0.8, 0), (1.0, 1), (1.3, 2)])
def test_mle_recovers_the_exponent_of_a_seeded_sample_within_two_standard_errors(s, seed):
    counts = np.random.default_rng(seed).multinomial(200_000, zipf_probabilities(s, 2000))
    fit = fit_zipf_mle(counts)  # in true rank order: the estimator's own model
    assert abs(fit.exponent - s) < 2 * fit.stderr
    assert fit.stderr < 0.005 and fit.ks_distance < 0.01 and fit.num_tokens == 200_000


def test_standard_error_matches_the_spread_of_the_estimates():
    rng = np.random.default_rng(7)
    p = zipf_probabilities(1.1, 100)
    fits = [fit_zipf_mle(rng.multinomial(5000, p)) for _ in range(60)]
    spread = np.std([fit.exponent for fit in fits], ddof=1)
    assert spread == pytest.approx(np.mean([fit.stderr for fit in fits]), rel=0.25)


def test_coverage_and_size_for_coverage_follow_harmonic_numbers():
    fit = ZipfFit(exponent=1.0, stderr=0.0, ks_distance=0.0, log_likelihood=0.0, min_rank=1,
                  max_rank=1000, num_tokens=10_000)
    expected = np.sum(1 / np.arange(1, 11)) / np.sum(1 / np.arange(1, 1001))
    assert fit.coverage(10) == pytest.approx(expected)
    assert fit.coverage(0) == 0.0 and fit.coverage(5000) == pytest.approx(1.0)
    assert fit.size_for_coverage(expected) == 10
    assert fit.size_for_coverage(1.0) == 1000
    assert fit.predict(np.arange(1, 1001)).sum() == pytest.approx(10_000)
    with pytest.raises(ValueError, match="`p`"):
        fit.size_for_coverage(0.0)


def test_tied_counts_fit_a_flat_law_and_bad_ranges_are_refused():
    assert fit_zipf_mle(np.array([5, 5, 5, 5])).exponent == 0.0
    with pytest.raises(ValueError, match="at least two token types"):
        fit_zipf_mle(np.array([5, 4, 3]), min_rank=2, max_rank=5)
    with pytest.raises(ValueError, match="at least two"):
        fit_zipf_mle(np.array([5]))


def test_a_chosen_rank_range_is_truncated_at_both_ends():
    counts = np.random.default_rng(3).multinomial(500_000, zipf_probabilities(1.2, 300))
    fit = fit_zipf_mle(counts, min_rank=10, max_rank=200)
    assert (fit.min_rank, fit.max_rank) == (10, 200)
    assert fit.num_tokens == counts[9:200].sum()
    assert abs(fit.exponent - 1.2) < 2 * fit.stderr
    assert fit.pmf([9, 201]).tolist() == [0.0, 0.0]


def test_two_regimes_recover_head_tail_and_bend():
    ranks = np.arange(1, 5001, dtype=float)
    bend, head, tail = 100, 0.7, 1.8
    weights = np.where(ranks <= bend, ranks**-head, bend ** (tail - head) * ranks**-tail)
    counts = np.random.default_rng(5).multinomial(2_000_000, weights / weights.sum())
    fit = fit_two_regime(counts)
    assert bend / 1.25 <= fit.bend <= bend * 1.25
    assert fit.head.exponent == pytest.approx(head, abs=0.05)
    assert fit.tail.exponent == pytest.approx(tail, abs=0.05)
    assert fit.head_share == pytest.approx(counts[: fit.bend].sum() / 2_000_000)
    assert fit.log_likelihood > fit_zipf_mle(counts).log_likelihood
    summary = fit.to_dict()
    assert summary["bend_rank"] == fit.bend and "estimator" in summary
    with pytest.raises(ValueError, match="at least 5 ranks"):
        fit_two_regime(np.arange(9, 0, -1))


def test_least_squares_on_log_spaced_ranks():
    frequencies = np.round(1000 * np.arange(1, 201, dtype=float) ** -1.2).astype(int)
    first, last = zipf.default_zipf_range(frequencies)
    assert first == 1 and frequencies[last - 1] >= zipf.ZIPF_MIN_FREQ > frequencies[last]
    fit = fit_least_squares(frequencies)
    assert abs(fit.exponent - 1.2) < 0.02 and fit.max_rank == last and fit.r2 > 0.99
    assert fit.num_points <= zipf.LEAST_SQUARES_POINTS
    assert fit.predict([1])[0] == pytest.approx(np.exp(fit.intercept))
    assert "least squares" in fit.to_dict()["estimator"]
