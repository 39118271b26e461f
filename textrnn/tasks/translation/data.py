"""Parallel sentences for the translator: load a table of pairs and split it.

`load_parallel` reads a TSV / CSV / JSONL (or hub) table of sentence pairs, skips and counts
pairs with an empty side, and splits them: by a split column when the table has one (the
shipped Bible subset is split by book), otherwise at random (90/5/5, seeded).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from textrnn.data import load_table
from textrnn.errors import InputError

SPLITS = ("train", "validation", "test")


@dataclass
class ParallelCorpus:
    """Sentence pairs per split (`sources[split][i]` translates to `targets[split][i]`) and
    what was dropped on the way (`counts["empty_pairs"]`)."""

    sources: dict[str, list[str]]
    targets: dict[str, list[str]]
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: the pairs per split and the pairs skipped."""
        sizes = "/".join(str(len(self.sources[name])) for name in SPLITS)
        return (f"pairs train/validation/test: {sizes}; {self.counts.get('empty_pairs', 0)} "
                "with an empty side skipped")


def _clean(text) -> str:
    # One line per sentence: tabs and newlines would break test_predictions.tsv.
    return " ".join(str(text or "").split())


def load_parallel(source: str | os.PathLike, source_column: str, target_column: str,
                  split_column: str | None = None, seed: int = 0,
                  fractions: tuple[float, float] = (0.9, 0.05),
                  encoding_errors: str = "strict") -> ParallelCorpus:
    """Loads sentence pairs and splits them into train / validation / test.

    Args:
        source: a `.tsv`/`.csv`/`.jsonl` file (optionally `.gz`) or a hub dataset name.
        source_column, target_column: the columns holding the two languages (`"0"`, `"1"`,
            ... for a headerless file).
        split_column: a column with the values `train` / `validation` / `test`; None splits
            at random with `seed` and `fractions` (train, validation; test is the rest).
        encoding_errors: `"strict"` or `"replace"` (undecodable bytes become U+FFFD).

    Returns:
        The corpus; `counts["empty_pairs"]` is the number of pairs skipped for an empty side.
        `InputError` when no pair has two sides, a split label is unknown, or the train or
        test split is empty.
    """
    table = load_table(source, [source_column, target_column, *filter(None, [split_column])],
                       encoding_errors=encoding_errors)
    pairs = list(zip(map(_clean, table[source_column]), map(_clean, table[target_column]),
                     table[split_column] if split_column else [None] * len(table), strict=True))
    kept = [pair for pair in pairs if pair[0] and pair[1]]
    if not kept:
        raise InputError(f"no sentence pair has text in both columns {source_column!r} and "
                         f"{target_column!r}", source)
    names = (_labelled_splits(kept, split_column, source) if split_column
             else _random_splits(len(kept), seed, fractions))
    corpus = ParallelCorpus({name: [] for name in SPLITS}, {name: [] for name in SPLITS},
                            {"empty_pairs": len(pairs) - len(kept)})
    for (src, tgt, _), name in zip(kept, names, strict=True):
        corpus.sources[name].append(src)
        corpus.targets[name].append(tgt)
    _check_splits(corpus, source)
    return corpus


def _check_splits(corpus: ParallelCorpus, source) -> None:
    for name in ("train", "test"):
        if not corpus.sources[name]:
            raise InputError(f"the {name} split is empty; give more pairs or other split "
                             "labels", source)


def _labelled_splits(pairs: list[tuple], split_column: str, source) -> list[str]:
    unknown = sorted({split for *_, split in pairs} - set(SPLITS))
    if unknown:
        raise InputError(f"column {split_column!r} holds {unknown}; expected only {SPLITS}",
                         source)
    return [split for *_, split in pairs]


def _random_splits(n: int, seed: int, fractions: tuple[float, float]) -> np.ndarray:
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.cumsum(np.asarray(fractions) * n).astype(int)
    names = np.empty(n, dtype=object)
    for name, part in zip(SPLITS, np.split(order, cuts), strict=True):
        names[part] = name
    return names
