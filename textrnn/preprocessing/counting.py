"""Counting tokens fast and in bounded memory, a batch at a time.

`count_batch` counts one batch: the ASCII documents through Arrow's C++ kernels where the
tokenizer allows it exactly (`arrow_counting`), the others by tokenizing the batch and running
`Counter.update` over its token lists chained together (`count_tokens`, loops in C). Each
batch's (token, TF, DF) table is added to running totals summed by Arrow's group-by
(`count_table.CountTable`) as soon as it arrives, in this process or from `num_proc` workers
(`parallel.map_batches`), so memory is bounded by the number of types (and a few batches in
flight), never by the number of tokens. Partial counts merge exactly, so shards counted on
different machines add up to the counts of the whole (`CorpusStats.merge`).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import pyarrow as pa

from textrnn.preprocessing.arrow_counting import count_ascii
from textrnn.preprocessing.count_table import counters_table
from textrnn.preprocessing.parallel import map_batches


class Counts(NamedTuple):
    """Partial counts of some documents; they add up exactly across batches and shards."""

    num_docs: int
    num_tokens: int
    table: pa.Table  # token, tf, df (`count_table.SCHEMA`)


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


def count_batch(tokenizer: Any, texts: list) -> Counts:
    """The counts of one batch of documents (texts with a tokenizer, or token lists without).

    The Arrow fast path (`arrow_counting.count_ascii`) counts the documents it can reproduce
    exactly; the rest are tokenized and counted here.
    """
    tables, num_docs, num_tokens = [], len(texts), 0
    if tokenizer is not None:
        with contextlib.suppress(NotImplementedError):  # a tokenizer Arrow cannot reproduce
            table, num_tokens, texts = count_ascii(tokenizer, texts)
            tables.append(table)
    tokenize_batch = batch_tokenizer(tokenizer)
    term_freq, doc_freq = Counter(), Counter()
    with gc_paused():
        documents = tokenize_batch(texts) if tokenize_batch else texts
        count_tokens(documents, term_freq, doc_freq)
    tables.append(counters_table(term_freq, doc_freq))
    return Counts(num_docs, num_tokens + sum(map(len, documents)), pa.concat_tables(tables))


def count_stream(documents: Iterable, tokenizer: Any, batch_size: int,
                 num_proc: int) -> Iterator[Counts]:
    """The partial counts of consecutive batches of `documents`, in `num_proc` processes.

    The tokenizer travels to each worker once (a textrnn `Tokenizer` as its config); it is
    checked here first, so a bad one fails before any work.
    """
    batch_tokenizer(tokenizer)
    return map_batches(count_batch, batches(documents, batch_size), tokenizer, num_proc)
