"""Rank-frequency plot on log-log axes, with the Zipf fit and the vocabulary cut marked.

Uses matplotlib's object API with the Agg canvas (no `pyplot`), so it touches no global figure
state and works without a display.
"""

from __future__ import annotations

import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from textrnn.io import atomic_write
from textrnn.preprocessing.corpus_stats import CorpusStats, ZipfFit

# At most this many points are drawn, spaced evenly in log(rank); 10^7 types stay cheap to plot.
MAX_POINTS = 2000


def plot_zipf(
    stats: CorpusStats,
    path: str | os.PathLike,
    fit: ZipfFit | None = None,
    cut_rank: int | None = None,
    title: str = "Rank-frequency (Zipf) plot",
) -> None:
    """Draw frequency against rank on log-log axes and write a PNG.

    Args:
        stats: the corpus counts (at least one type).
        path: the PNG file to write (atomically).
        fit: a Zipf fit to draw over its rank range; None draws none.
        cut_rank: rank of the last type the vocabulary keeps, drawn as a vertical line with the
            share of tokens kept up to there; None draws none.
        title: the axes title.
    """
    frequencies = stats.frequencies()
    if frequencies.size == 0:
        raise ValueError("Cannot plot an empty corpus: `stats` has no token types.")
    figure = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    ranks = _sample_ranks(frequencies.size)
    axes.loglog(ranks, frequencies[ranks - 1], ".", markersize=3, color="tab:blue",
                label=f"observed ({stats.num_types:,} types)")
    if fit is not None:
        fit_ranks = np.geomspace(fit.min_rank, fit.max_rank, 100)
        axes.loglog(fit_ranks, fit.predict(fit_ranks), "-", color="tab:orange",
                    label=f"Zipf fit s={fit.exponent:.3f}, r²={fit.r2:.3f} "
                          f"(ranks {fit.min_rank}–{fit.max_rank})")
    if cut_rank is not None:
        axes.axvline(cut_rank, linestyle="--", color="tab:red",
                     label=f"cut at rank {cut_rank:,}: "
                           f"top {cut_rank:,} types cover {stats.coverage(cut_rank):.1%}")
    axes.set_xlabel("rank")
    axes.set_ylabel("term frequency")
    axes.set_title(title)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png")


def _sample_ranks(num_types: int) -> np.ndarray:
    """Up to `MAX_POINTS` distinct 1-based ranks, evenly spaced on a log scale."""
    ranks = np.geomspace(1, num_types, min(num_types, MAX_POINTS))
    return np.unique(np.round(ranks).astype(np.int64))
