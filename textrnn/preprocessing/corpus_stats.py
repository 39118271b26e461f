"""Corpus statistics in one streaming pass: term and document frequency, Zipf fit, coverage.

`CorpusStats` counts, for every token type, its term frequency (TF, occurrences in the whole
corpus) and document frequency (DF, documents it occurs in at least once), plus the numbers of
documents, tokens and types. Counts from shards merge exactly, so a `datasets.Dataset` is counted
in parallel with `Dataset.map(batched=True, num_proc=N)`.

Zipf's law says the frequency of the type of rank r falls like `f(r) = C * r^-s` (s near 1 for
words in natural text). `fit_zipf` estimates s by least squares on `log f = log C - s log r`;
`zipf_coverage(k)` turns the fit into the share of running text the k most frequent types cover,
which is what a vocabulary cut at k keeps (compare with the observed `coverage(k)`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
import multiprocessing as mp
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Frequencies below this floor are left out of the default Zipf fit (see `fit_zipf`).
ZIPF_MIN_FREQ = 5
# `from_documents(num_proc=...)` forks workers for sequences of at least this many characters
# per worker; forking and merging cost ~0.05 s, counting 1M characters ~0.07 s on one core.
PARALLEL_MIN_SIZE = 1_000_000
# Coverage targets reported by `to_dict` (how many types keep 50% ... 99% of the tokens).
REPORTED_COVERAGES = (0.5, 0.9, 0.95, 0.99)


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
            documents: an iterable of documents, a `datasets.Dataset` (counted with `map`), or
                a `datasets.IterableDataset` (streamed). Each document is a string (with
                `tokenizer`) or an already tokenized sequence of strings (without).
            tokenizer: a textrnn `Tokenizer` (anything with `tokenize(text) -> list[str]`;
                `tokenize_batch` is used where it exists) or a callable `text -> list[str]`;
                None when documents are already token lists.
            text_column: the column read from a `datasets.Dataset`.
            num_proc: worker processes. A `datasets.Dataset` is counted with
                `Dataset.map(batched=True, num_proc=...)`; a sequence (e.g. a list) holding at
                least `PARALLEL_MIN_SIZE` characters per worker is split into `num_proc`
                contiguous parts counted by forked processes (where the platform can fork).
                Other iterables, smaller sequences, None and 1 count in this process.
            batch_size: documents tokenized and counted at a time (and per `map` batch: each
                batch's counts cross the process boundary once, so larger batches cost less
                merging and more memory).

        Returns:
            The filled `CorpusStats`.
        """
        tokenize_batch = _batch_tokenizer(tokenizer)
        if isinstance(documents, datasets.Dataset):
            if text_column not in documents.column_names:
                raise ValueError(
                    f"Received a dataset without the column `text_column`={text_column!r}; "
                    f"its columns are {documents.column_names}."
                )
            return cls._from_dataset(documents, tokenizer, text_column, num_proc, batch_size)
        if isinstance(documents, datasets.IterableDataset):  # streamed: one row at a time
            documents = (row[text_column] for row in documents)
        parts = _worker_parts(documents, num_proc)
        if len(parts) > 1:
            return _count_forked(documents, parts, tokenize_batch, batch_size)
        return _count_iterable(documents, tokenize_batch, batch_size)

    @classmethod
    def _from_dataset(cls, dataset, tokenizer, text_column, num_proc, batch_size) -> CorpusStats:
        if len(dataset) == 0:  # `map` over no rows returns no columns at all
            return cls()
        counted = dataset.map(
            _count_batch,
            batched=True,
            batch_size=batch_size,
            num_proc=num_proc if num_proc and num_proc > 1 else None,
            input_columns=[text_column],
            remove_columns=dataset.column_names,
            fn_kwargs={"tokenizer": tokenizer},
            # The per-batch counts are small: keep them in memory; recount every time.
            keep_in_memory=True,
            load_from_cache_file=False,
            desc="Counting tokens",
        )
        return cls._from_partial_counts(counted.with_format("arrow")[:])

    @classmethod
    def _from_partial_counts(cls, table: pa.Table) -> CorpusStats:
        """Sum per-batch counts (rows of `_count_batch`) with Arrow's group-by, in C."""
        stats = cls()
        stats.num_docs = int(pc.sum(table["num_docs"]).as_py() or 0)
        stats.num_tokens = int(pc.sum(table["num_tokens"]).as_py() or 0)
        flat = pa.table({name: pc.list_flatten(table[name]) for name in ("types", "tf", "df")})
        totals = flat.group_by("types").aggregate([("tf", "sum"), ("df", "sum")])
        types = totals["types"].to_pylist()
        stats.term_freq = Counter(dict(zip(types, totals["tf_sum"].to_pylist(), strict=True)))
        stats.doc_freq = Counter(dict(zip(types, totals["df_sum"].to_pylist(), strict=True)))
        return stats

    def update(self, tokens: Sequence[str]) -> None:
        """Count one document, given as its list of tokens."""
        self.update_batch([tokens])

    def update_batch(self, documents: Sequence[Sequence[str]]) -> None:
        """Count many documents, each given as its list of tokens.

        Same counts as `update` once per document, but the loops over tokens run in C:
        `Counter.update` over all tokens of the batch chained together (TF) and over each
        document's set of types chained together (DF).
        """
        if any(isinstance(tokens, str) for tokens in documents):
            raise ValueError(
                "Received a string for argument `tokens`; expected a sequence of tokens. "
                "Pass a `tokenizer` to `from_documents`, or tokenize the text first."
            )
        self.term_freq.update(itertools.chain.from_iterable(documents))
        self.doc_freq.update(itertools.chain.from_iterable(map(set, documents)))
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

    def default_zipf_range(self) -> tuple[int, int]:
        """The rank range `fit_zipf` uses by default: rank 1 to the last rank with TF >= 5.

        Below a few occurrences, integer counts tie over long runs of ranks (thousands of
        hapaxes share frequency 1), a staircase that flattens the log-log tail and biases a
        least-squares slope; a frequency floor is the usual remedy. If fewer than two ranks
        reach the floor, all ranks are used.
        """
        frequencies = self.frequencies()
        last = int(np.searchsorted(-frequencies, -ZIPF_MIN_FREQ, side="right"))
        return (1, last if last >= 2 else self.num_types)

    def fit_zipf(self, min_rank: int = 1, max_rank: int | None = None) -> ZipfFit:
        """Fit Zipf's law `f(r) = C * r^-s` by least squares on log-log axes.

        Args:
            min_rank: first rank to fit (1-based).
            max_rank: last rank to fit; None uses `default_zipf_range()` (ranks whose TF is at
                least 5), which keeps the tied low-frequency tail out of the fit.

        Returns:
            A `ZipfFit` with the exponent s, intercept log C and r².
        """
        if max_rank is None:
            max_rank = max(self.default_zipf_range()[1], min_rank)
        if not 1 <= min_rank < max_rank <= self.num_types:
            raise ValueError(
                f"Cannot fit Zipf's law on ranks {min_rank}..{max_rank}: expected "
                f"1 <= min_rank < max_rank <= num_types ({self.num_types}). A fit needs at "
                "least two token types."
            )
        log_rank = np.log(np.arange(min_rank, max_rank + 1, dtype=np.float64))
        log_freq = np.log(self.frequencies()[min_rank - 1 : max_rank].astype(np.float64))
        slope, intercept = np.polyfit(log_rank, log_freq, 1)
        residual = log_freq - (intercept + slope * log_rank)
        total = np.sum((log_freq - log_freq.mean()) ** 2)
        r2 = 1.0 - float(np.sum(residual**2) / total) if total > 0 else 1.0
        return ZipfFit(float(-slope), float(intercept), r2, int(min_rank), int(max_rank))

    def zipf_coverage(self, k: int, fit: ZipfFit | None = None) -> float:
        """Share of tokens the top `k` types cover if frequencies followed the Zipf fit exactly.

        With `num_types` = N this is `H(k, s) / H(N, s)`, where `H(n, s) = sum_{r<=n} r^-s`.

        Args:
            k: number of most frequent types kept.
            fit: a `ZipfFit` to use; None fits with the defaults.

        Returns:
            The predicted coverage, to compare with the observed `coverage(k)`.
        """
        fit = fit or self.fit_zipf()
        return harmonic(min(k, self.num_types), fit.exponent) / harmonic(self.num_types,
                                                                         fit.exponent)

    # === Reporting ===

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (sizes, Zipf fit, vocabulary sizes for common coverages).

        No token appears in it, so it is safe to publish with a model.
        """
        try:
            fit = self.fit_zipf().to_dict()
        except ValueError:
            fit = None
        return {
            "num_docs": self.num_docs,
            "num_tokens": self.num_tokens,
            "num_types": self.num_types,
            "hapax_legomena": sum(1 for count in self.term_freq.values() if count == 1),
            "zipf": fit,
            "size_for_coverage": {
                str(p): self.size_for_coverage(p) for p in REPORTED_COVERAGES if self.num_types
            },
        }

    def __repr__(self) -> str:
        return (f"CorpusStats(num_docs={self.num_docs}, num_tokens={self.num_tokens}, "
                f"num_types={self.num_types})")


# === Counting helpers (module level so that worker processes can import them) ===


def _batch_tokenizer(tokenizer: Any) -> Callable[[list[str]], list[list[str]]] | None:
    """`texts -> token lists` for a Tokenizer (its `tokenize_batch`) or a callable; None stays."""
    if tokenizer is None:
        return None
    if hasattr(tokenizer, "tokenize_batch"):
        return tokenizer.tokenize_batch
    tokenize = getattr(tokenizer, "tokenize", tokenizer)
    if callable(tokenize):
        return lambda texts: list(map(tokenize, texts))
    raise ValueError(
        f"Received an invalid value for argument `tokenizer`: {tokenizer!r}; expected a "
        "textrnn Tokenizer, a callable `text -> list[str]`, or None for token lists."
    )


def _count_iterable(documents: Iterable, tokenize_batch, batch_size: int) -> CorpusStats:
    """Count documents in this process, `batch_size` at a time."""
    stats = CorpusStats()
    documents = iter(documents)
    while batch := list(itertools.islice(documents, batch_size)):
        with gc_paused():
            stats.update_batch(tokenize_batch(batch) if tokenize_batch else batch)
    return stats


def _worker_parts(documents: Any, num_proc: int | None) -> list[tuple[int, int]]:
    """`[start, stop)` ranges of about equal text for forked workers; [] to count in process.

    Only sequences are split (their length and slices are known without reading twice), only
    where `fork` exists (workers then share the documents with no copying or pickling), and
    only into parts of at least `PARALLEL_MIN_SIZE` characters (tokens for token lists), below
    which starting a process costs more than it saves.
    """
    if (not num_proc or num_proc < 2 or not isinstance(documents, Sequence)
            or isinstance(documents, str) or "fork" not in mp.get_all_start_methods()):
        return []
    sizes = np.cumsum(np.fromiter(map(len, documents), np.int64, len(documents)))
    workers = min(num_proc, int(sizes[-1]) // PARALLEL_MIN_SIZE if len(sizes) else 0)
    if workers < 2:
        return []
    targets = sizes[-1] * np.arange(1, workers) / workers
    bounds = [0, *np.searchsorted(sizes, targets, side="right").tolist(), len(documents)]
    return list(itertools.pairwise(bounds))


def _count_forked(documents: Sequence, parts, tokenize_batch, batch_size: int) -> CorpusStats:
    """Count `parts` of `documents` in forked processes (this one counts the first) and merge.

    With `fork` the children inherit the documents and the tokenizer, so nothing is pickled on
    the way in; each child sends back only its two Counters.
    """
    context = mp.get_context("fork")
    shared = (documents, tokenize_batch, batch_size)
    # No cyclic collection on either side while they share memory: a collection writes to the
    # header of every tracked object (~500k once TensorFlow is imported), so each one would
    # copy nearly all shared pages (the copy-on-write cost `gc.freeze`'s documentation names).
    with gc_paused(), context.Pool(len(parts) - 1, _share, (shared,)) as pool:
        pending = pool.map_async(_count_part, parts[1:])
        stats = _count_part(parts[0], shared)
        for other in pending.get():
            stats.merge(other)
    return stats


_SHARED: tuple | None = None  # (documents, tokenize_batch, batch_size) in forked workers


def _share(shared: tuple) -> None:
    global _SHARED
    _SHARED = shared
    gc.disable()  # for the worker's short life (see `_count_forked`)


def _count_part(part: tuple[int, int], shared: tuple | None = None) -> CorpusStats:
    documents, tokenize_batch, batch_size = shared or _SHARED
    return _count_iterable(itertools.islice(documents, *part), tokenize_batch, batch_size)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block that allocates many lists.

    Tokenizing a batch creates one list per document; every few hundred of them trigger a
    collection that walks *all* tracked objects of the process (about 500k once TensorFlow is
    imported), which made counting 4x slower. Token lists hold no reference cycles, so nothing
    is lost by collecting after the block instead.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _count_batch(texts: list, tokenizer: Any) -> dict[str, list]:
    """Count one batch of documents; returns one row holding the batch's partial counts.

    Worker processes receive `tokenizer` through `dill` (a sentencepiece model travels as its
    serialized contents, so a worker can never read a newer file than the caller used).
    """
    stats = _count_iterable(texts, _batch_tokenizer(tokenizer), max(len(texts), 1))
    types = list(stats.term_freq)
    return {
        "types": [types],
        "tf": [[stats.term_freq[t] for t in types]],
        "df": [[stats.doc_freq[t] for t in types]],
        "num_docs": [stats.num_docs],
        "num_tokens": [stats.num_tokens],
    }


def harmonic(n: int, s: float) -> float:
    """Generalised harmonic number `H(n, s) = sum_{r=1}^{n} r^-s` (for Zipf predictions)."""
    return float(np.sum(np.arange(1, n + 1, dtype=np.float64) ** -s)) if n > 0 else 0.0

