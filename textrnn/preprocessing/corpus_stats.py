"""Corpus statistics in one streaming pass: term and document frequency, coverage, Zipf fit.

`CorpusStats` counts, for every token type, its term frequency (TF, occurrences in the whole
corpus) and document frequency (DF, documents it occurs in at least once), plus the numbers of
documents, tokens and types, reading the documents a batch at a time: memory is bounded by the
number of types, not of tokens. Counts from shards or batches merge exactly (`merge`,
`CountTable`), so batches are counted in worker processes with `num_proc=N` (see
`textrnn.preprocessing.counting`), and shards counted apart add up to the whole.

`coverage(k)` is the share of running text the k most frequent types cover, which is what a
vocabulary cut at k keeps; `fit_zipf` (maximum likelihood), `fit_zipf_two_regime` and
`fit_zipf_least_squares` fit Zipf's law, and `zipf_coverage` / `zipf_size_for_coverage` turn
the fit into predicted coverage (`textrnn.preprocessing.zipf`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import datasets
import numpy as np

from textrnn.preprocessing import zipf
from textrnn.preprocessing.count_table import CountTable
from textrnn.preprocessing.counting import (
    count_stream,
    count_tokens,
)
from textrnn.preprocessing.zipf import LeastSquaresFit, ZipfFit
from textrnn.preprocessing.zipf_two_regime import MIN_REGIME_RANKS, TwoRegimeFit, fit_two_regime

# Coverage targets reported by `to_dict` (how many types keep 50% ... 99% of the tokens).
REPORTED_COVERAGES = (0.5, 0.9, 0.95, 0.99)


class CorpusStats:
    """Term frequency, document frequency and corpus sizes, counted in one pass.

    Build with `CorpusStats.from_documents(...)`, or create an empty one and call
    `update(tokens)` once per document. `merge` adds the counts of another `CorpusStats`
    (for shards counted in parallel).

    Attributes:
        term_freq: `Counter` type -> occurrences in the corpus (TF).
        doc_freq: `Counter` type -> number of documents containing it (DF).
        num_docs: number of documents seen.
        num_tokens: number of tokens seen (sum of TF).
        num_types: number of distinct types.

    Example:
    >>> stats = CorpusStats.from_documents([["a", "b", "a"], ["a", "c"]])
    >>> stats.term_freq["a"], stats.doc_freq["a"], stats.num_types
    (3, 2, 3)
    >>> stats.coverage(1)
    0.6
    """

    def __init__(self):
        self.term_freq: Counter[str] = Counter()
        self.doc_freq: Counter[str] = Counter()
        self.num_docs = 0
        self.num_tokens = 0
        self._ranked: list[tuple[str, int]] | None = None
        self._cumulative: np.ndarray | None = None
        self._fits: dict[str, Any] = {}  # default Zipf fits, kept until the counts change

    # === Counting ===

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[str] | Iterable[Sequence[str]] | Any,
        tokenizer: Any = None,
        text_column: str = "text",
        num_proc: int | None = None,
        batch_size: int = 1000,
    ) -> CorpusStats:
        """Count a corpus in one pass.

        Documents are tokenized and counted a batch at a time (`Tokenizer.tokenize_batch`, then
        `Counter.update` over all tokens of the batch), so the loops over tokens run in C.

        Args:
            documents: an iterable of documents (read lazily, once), a `datasets.Dataset` or a
                `datasets.IterableDataset` (its `text_column`, read a batch at a time). Each
                document is a string (with `tokenizer`) or an already tokenized sequence of
                strings (without).
            tokenizer: a textrnn `Tokenizer` (anything with `tokenize(text) -> list[str]`;
                `tokenize_batch` is used where it exists) or a callable `text -> list[str]`;
                None when documents are already token lists.
            text_column: the column read from a `datasets.Dataset`.
            num_proc: worker processes that tokenize and count batches (None or 1: this
                process). Each batch's counts are added to the totals as they arrive. The
                tokenizer must pickle (textrnn tokenizers do, as their config).
            batch_size: documents tokenized and counted at a time (with workers, each batch's
                counts cross the process boundary once, so larger batches cost less merging
                and more memory).

        Returns:
            The filled `CorpusStats`.
        """
        _check_counting_args(documents, text_column, num_proc, batch_size)
        if isinstance(documents, (datasets.Dataset, datasets.IterableDataset)):
            documents = _column(documents, text_column, batch_size)
        stats, totals = cls(), CountTable()
        for counts in count_stream(documents, tokenizer, batch_size, num_proc or 1):
            stats.num_docs += counts.num_docs
            stats.num_tokens += counts.num_tokens
            totals.add(counts.table)
        stats.term_freq, stats.doc_freq = totals.to_counters()
        return stats

    def update(self, tokens: Sequence[str]) -> None:
        """Count one document, given as its list of tokens."""
        self.update_batch([tokens])

    def update_batch(self, documents: Sequence[Sequence[str]]) -> None:
        """Count many documents, each given as its list of tokens.

        Same counts as `update` once per document, but the loops over tokens run in C
        (`textrnn.preprocessing.counting.count_tokens`).
        """
        count_tokens(documents, self.term_freq, self.doc_freq)
        self.num_docs += len(documents)
        self.num_tokens += sum(map(len, documents))
        self._invalidate()

    def merge(self, other: CorpusStats) -> CorpusStats:
        """Add the counts of `other` (e.g. another shard) to this one; returns `self`."""
        self.term_freq.update(other.term_freq)
        self.doc_freq.update(other.doc_freq)
        self.num_docs += other.num_docs
        self.num_tokens += other.num_tokens
        self._invalidate()
        return self

    def _invalidate(self) -> None:
        self._ranked = None
        self._cumulative = None
        self._fits = {}

    @property
    def num_types(self) -> int:
        """Number of distinct token types."""
        return len(self.term_freq)

    # === Ranks and coverage ===

    def ranked(self) -> list[tuple[str, int]]:
        """`(type, TF)` pairs by TF descending, ties by type ascending (deterministic)."""
        if self._ranked is None:
            self._ranked = sorted(self.term_freq.items(), key=lambda item: (-item[1], item[0]))
        return self._ranked

    def frequencies(self) -> np.ndarray:
        """TF of every type in rank order, shape `[num_types]`, int64."""
        return np.fromiter((count for _, count in self.ranked()), np.int64, self.num_types)

    def _cumulative_share(self) -> np.ndarray:
        if self._cumulative is None:
            self._cumulative = np.cumsum(self.frequencies()) / max(self.num_tokens, 1)
        return self._cumulative

    def coverage(self, k: int) -> float:
        """Share of all tokens that are one of the `k` most frequent types (0.0 for k = 0)."""
        if not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"Received an invalid value for argument `k`: {k!r}; "
                             "expected an integer >= 0.")
        if k == 0 or self.num_types == 0:
            return 0.0
        return float(self._cumulative_share()[min(k, self.num_types) - 1])

    def size_for_coverage(self, p: float) -> int:
        """Smallest k such that `coverage(k) >= p`.

        Args:
            p: target share of tokens, in `(0, 1]`.

        Returns:
            The number of most frequent types needed (`num_types` for p = 1).
        """
        if not 0.0 < p <= 1.0:
            raise ValueError(f"Received an invalid value for argument `p`: {p!r}; "
                             "expected a share of tokens in (0, 1], e.g. 0.95.")
        if self.num_types == 0:
            return 0
        k = int(np.searchsorted(self._cumulative_share(), p, side="left")) + 1
        return min(k, self.num_types)

    # === Zipf's law ===

    def fit_zipf(self, min_rank: int = 1, max_rank: int | None = None) -> ZipfFit:
        """Maximum-likelihood Zipf exponent (see `textrnn.preprocessing.zipf.fit_zipf_mle`).

        Args:
            min_rank: first rank to fit (1-based).
            max_rank: last rank to fit; None for every type.

        Returns:
            A `ZipfFit` with the exponent s, its standard error and the KS distance. The
            default fit (all ranks) is computed once and kept until the counts change.
        """
        if (min_rank, max_rank) != (1, None):
            return zipf.fit_zipf_mle(self.frequencies(), min_rank, max_rank)
        if "mle" not in self._fits:
            self._fits["mle"] = zipf.fit_zipf_mle(self.frequencies())
        return self._fits["mle"]

    def fit_zipf_two_regime(self) -> TwoRegimeFit:
        """Head and tail exponents and the bend rank, by maximum likelihood (computed once)."""
        if "two_regime" not in self._fits:
            self._fits["two_regime"] = fit_two_regime(self.frequencies())
        return self._fits["two_regime"]

    def fit_zipf_least_squares(self) -> LeastSquaresFit:
        """Least squares on log-log axes over log-spaced ranks with TF >= 5 (second figure)."""
        return zipf.fit_least_squares(self.frequencies())

    def zipf_coverage(self, k: int, fit: ZipfFit | None = None) -> float:
        """Share of tokens the top `k` types cover if frequencies followed the Zipf fit exactly.

        Args:
            k: number of most frequent types kept.
            fit: a `ZipfFit` to use; None uses `fit_zipf()`.

        Returns:
            The predicted coverage, to compare with the observed `coverage(k)`.
        """
        return (fit or self.fit_zipf()).coverage(k)

    def zipf_size_for_coverage(self, p: float) -> int:
        """Vocabulary size at which `fit_zipf()` predicts coverage `p` (in `(0, 1]`)."""
        return self.fit_zipf().size_for_coverage(p)

    # === Reporting ===

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (sizes, Zipf fit, vocabulary sizes for common coverages).

        No token appears in it, so it is safe to publish with a model.
        """
        return {
            "num_docs": self.num_docs,
            "num_tokens": self.num_tokens,
            "num_types": self.num_types,
            "hapax_legomena": sum(1 for count in self.term_freq.values() if count == 1),
            "zipf": self.zipf_summary(),
            "size_for_coverage": {
                str(p): self.size_for_coverage(p) for p in REPORTED_COVERAGES if self.num_types
            },
        }

    def zipf_summary(self) -> dict[str, Any] | None:
        """Every Zipf estimate, each naming its estimator, JSON-ready; None below 10 types."""
        if self.num_types < 2 * MIN_REGIME_RANKS:
            return None
        return {
            "maximum_likelihood": self.fit_zipf().to_dict(),
            "two_regime": self.fit_zipf_two_regime().to_dict(),
            "least_squares_log_spaced": self.fit_zipf_least_squares().to_dict(),
            "note": zipf.ALPHA_NOTE,
        }

    def __repr__(self) -> str:
        return (f"CorpusStats(num_docs={self.num_docs}, num_tokens={self.num_tokens}, "
                f"num_types={self.num_types})")


def _check_counting_args(documents: Any, text_column: str, num_proc: int | None,
                         batch_size: int) -> None:
    """Validate `from_documents`' arguments before any work."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"Received an invalid value for argument `batch_size`: {batch_size!r}; "
                         "expected a positive integer.")
    if num_proc is not None and (isinstance(num_proc, bool) or not isinstance(num_proc, int)
                                 or num_proc < 1):
        raise ValueError(f"Received an invalid value for argument `num_proc`: {num_proc!r}; "
                         "expected a positive integer or None.")
    if isinstance(documents, datasets.Dataset) and text_column not in documents.column_names:
        raise ValueError(
            f"Received a dataset without the column `text_column`={text_column!r}; "
            f"its columns are {documents.column_names}."
        )


def _column(dataset: datasets.Dataset | datasets.IterableDataset, text_column: str,
            batch_size: int) -> Iterator[Any]:
    """The values of one column, read a batch at a time (memory-mapped rows stay on disk)."""
    return itertools.chain.from_iterable(
        batch[text_column] for batch in dataset.iter(batch_size=batch_size))
