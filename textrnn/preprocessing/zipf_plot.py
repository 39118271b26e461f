"""Plots of a corpus' Zipf fits: rank-frequency (`zipf.png`) and coverage (`coverage.png`).

Uses matplotlib's object API with the Agg canvas (no `pyplot`), so it touches no global figure
state and works without a display.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from textrnn.io import atomic_write
from textrnn.preprocessing.corpus_stats import CorpusStats, ZipfFit

# At most this many points are drawn, spaced evenly in log(rank); 10^7 types stay cheap to plot.
MAX_POINTS = 2000
_FIT_STYLES = ("-", "--", ":", "-.")


def plot_zipf(
    stats: CorpusStats,
    path: str | os.PathLike,
    fits: Mapping[str, Any] | None = None,
    cut_rank: int | None = None,
    title: str = "Rank-frequency (Zipf) plot",
) -> None:
    """Draw frequency against rank on log-log axes and write a PNG.

    Args:
        stats: the corpus counts (at least one type).
        path: the PNG file to write (atomically).
        fits: legend label -> fit (anything with `predict(ranks)`, `min_rank`, `max_rank`,
            e.g. `ZipfFit`, `TwoRegimeFit`, `LeastSquaresFit`), each drawn over its ranks.
        cut_rank: rank of the last type the vocabulary keeps, drawn as a vertical line with the
            share of tokens kept up to there; None draws none.
        title: the axes title.
    """
    frequencies = _frequencies(stats)
    figure, axes = _figure()
    ranks = _sample_ranks(1, frequencies.size)
    axes.loglog(ranks, frequencies[ranks - 1], ".", markersize=3, color="tab:blue",
                label=f"observed ({stats.num_types:,} types)")
    for (label, fit), style in zip((fits or {}).items(), _FIT_STYLES, strict=False):
        fit_ranks = _sample_ranks(fit.min_rank, fit.max_rank)
        axes.loglog(fit_ranks, fit.predict(fit_ranks), style, label=label)
    if cut_rank is not None:
        axes.axvline(cut_rank, linestyle="--", color="tab:red",
                     label=f"cut at rank {cut_rank:,}: "
                           f"top {cut_rank:,} types cover {stats.coverage(cut_rank):.1%}")
    _finish(figure, axes, path, "rank", "term frequency", title)


def plot_coverage(
    stats: CorpusStats,
    path: str | os.PathLike,
    fit: ZipfFit | None = None,
    cut_rank: int | None = None,
    title: str = "Coverage against vocabulary size",
) -> None:
    """Draw the share of tokens the k most frequent types cover, against k (log axis).

    Args:
        stats: the corpus counts (at least one type).
        path: the PNG file to write (atomically).
        fit: a maximum-likelihood `ZipfFit` whose predicted coverage is drawn; None draws none.
        cut_rank: the chosen vocabulary size, marked with its observed and predicted coverage.
        title: the axes title.
    """
    _frequencies(stats)
    figure, axes = _figure()
    sizes = _sample_ranks(1, stats.num_types)
    axes.semilogx(sizes, [stats.coverage(int(k)) for k in sizes], "-", color="tab:blue",
                  label="observed")
    if fit is not None:
        axes.semilogx(sizes, fit.cumulative()[sizes - 1], "--", color="tab:orange",
                      label=f"Zipf MLE s={fit.exponent:.3f}")
    if cut_rank is not None:
        predicted = f", predicted {fit.coverage(cut_rank):.1%}" if fit is not None else ""
        axes.axvline(cut_rank, linestyle=":", color="tab:red",
                     label=f"cut at {cut_rank:,} types: {stats.coverage(cut_rank):.1%}{predicted}")
    axes.set_ylim(0, 1.01)
    _finish(figure, axes, path, "vocabulary size (most frequent types kept)",
            "share of tokens covered", title)


# === Helpers ===


def _frequencies(stats: CorpusStats) -> np.ndarray:
    frequencies = stats.frequencies()
    if frequencies.size == 0:
        raise ValueError("Cannot plot an empty corpus: `stats` has no token types.")
    return frequencies


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _finish(figure: Figure, axes: Axes, path: str | os.PathLike, xlabel: str, ylabel: str,
            title: str) -> None:
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png")


def _sample_ranks(first: int, last: int) -> np.ndarray:
    """Up to `MAX_POINTS` distinct 1-based ranks from first to last, evenly spaced in log."""
    ranks = np.geomspace(first, last, min(last - first + 1, MAX_POINTS))
    return np.unique(np.round(ranks).astype(np.int64))
