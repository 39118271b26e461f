"""Counting tokens fast: batched tokenizing, C-level counter updates, `Dataset.map` workers.

`CorpusStats.from_documents` counts in this process a batch at a time (`count_tokens` over a
batch's token lists chained together, so the loops over tokens run in C), or, for a
`datasets.Dataset`, with `count_dataset`: `Dataset.map(batched=True, num_proc=N)` counts each
batch in a worker and Arrow's group-by sums the per-batch counts. That is the one parallel path.

textrnn once also forked its own pool for Python lists. It was removed, being a second parallel
path that measured no faster here: 16 MB of KJV verses (124k documents, word level, 2 cores
shared with other jobs at load 5-6), best of 5 interleaved runs: one process 2.46 s wall / 2.45
s CPU, the fork pool at num_proc=2 2.47 s / 2.43 s, `Dataset.map(num_proc=2)` 3.08 s / 3.18 s.
On an idle multi-core machine a pool does save wall time, and `Dataset.map` does the same with
~30% more CPU for Arrow and pickling; wrap a list in `datasets.Dataset.from_dict` to use it.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.compute as pc

# (num_docs, num_tokens, term frequencies, document frequencies)
Counts = tuple[int, int, Counter, Counter]


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


def batch_tokenizer(tokenizer: Any) -> Callable[[list[str]], list[list[str]]] | None:
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


def batches(documents: Iterable, batch_size: int) -> Iterator[list]:
    """Consecutive lists of `batch_size` documents (the last one shorter)."""
    documents = iter(documents)
    while batch := list(itertools.islice(documents, batch_size)):
        yield batch


def count_tokens(documents: Sequence[Sequence[str]], term_freq: Counter,
                 doc_freq: Counter) -> None:
    """Add the TF and DF of `documents` (each a list of tokens) to the two counters.

    `Counter.update` runs over all tokens of the batch chained together (TF) and over each
    document's set of types chained together (DF), so the loops over tokens run in C.
    """
    if any(isinstance(tokens, str) for tokens in documents):
        raise ValueError(
            "Received a string for argument `tokens`; expected a sequence of tokens. "
            "Pass a `tokenizer` to `from_documents`, or tokenize the text first."
        )
    term_freq.update(itertools.chain.from_iterable(documents))
    doc_freq.update(itertools.chain.from_iterable(map(set, documents)))


def count_dataset(dataset: datasets.Dataset, tokenizer: Any, text_column: str,
                  num_proc: int | None, batch_size: int) -> Counts:
    """Count `dataset[text_column]` with `Dataset.map` (in `num_proc` workers when > 1)."""
    if len(dataset) == 0:  # `map` over no rows returns no columns at all
        return 0, 0, Counter(), Counter()
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
    return _sum_partial_counts(counted.with_format("arrow")[:])


def _count_batch(texts: list, tokenizer: Any) -> dict[str, list]:
    """Count one batch of documents; returns one row holding the batch's partial counts.

    Worker processes receive `tokenizer` through `dill` (a sentencepiece model travels as its
    serialized contents, so a worker can never read a newer file than the caller used).
    """
    tokenize_batch = batch_tokenizer(tokenizer)
    term_freq, doc_freq = Counter(), Counter()
    with gc_paused():
        documents = tokenize_batch(texts) if tokenize_batch else texts
        count_tokens(documents, term_freq, doc_freq)
    types = list(term_freq)
    return {
        "types": [types],
        "tf": [[term_freq[t] for t in types]],
        "df": [[doc_freq[t] for t in types]],
        "num_docs": [len(texts)],
        "num_tokens": [sum(term_freq.values())],
    }


def _sum_partial_counts(table: pa.Table) -> Counts:
    """Sum per-batch counts (rows of `_count_batch`) with Arrow's group-by, in C."""
    num_docs = int(pc.sum(table["num_docs"]).as_py() or 0)
    num_tokens = int(pc.sum(table["num_tokens"]).as_py() or 0)
    flat = pa.table({name: pc.list_flatten(table[name]) for name in ("types", "tf", "df")})
    totals = flat.group_by("types").aggregate([("tf", "sum"), ("df", "sum")])
    types = totals["types"].to_pylist()
    term_freq = Counter(dict(zip(types, totals["tf_sum"].to_pylist(), strict=True)))
    doc_freq = Counter(dict(zip(types, totals["df_sum"].to_pylist(), strict=True)))
    return num_docs, num_tokens, term_freq, doc_freq
