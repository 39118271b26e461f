"""Partial counts on disk: shards counted apart (one process or machine each), merged exactly.

`write_counts` saves a `CorpusStats` as a folder of two files:

| file | content |
|---|---|
| `counts.parquet` | one row per type: `token` (string), `tf` and `df` (int64), by TF descending |
| `counts.json` | `num_docs`, `num_tokens`, `num_types`, the `level`, `lowercase` and tokenizer |
|  | settings the counts were made with, and the inputs counted |

Any Parquet reader (pandas, pyarrow, `datasets`, DuckDB) reads the table. `read_counts` sums
such folders with Arrow's group-by (`CountTable`): TF, DF and the numbers of documents and
tokens add up exactly, so the merge equals counting the concatenated shards. Folders counted
with different settings are refused, naming the folder that differs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from textrnn.errors import InputError
from textrnn.io import read_json, write_json
from textrnn.preprocessing.corpus_stats import CorpusStats
from textrnn.preprocessing.count_table import SCHEMA, CountTable
from textrnn.preprocessing.registry import load_tokenizer, tokenizer_config
from textrnn.preprocessing.tokenizers import Tokenizer

COUNTS_TABLE = "counts.parquet"
COUNTS_META = "counts.json"
FORMAT = "textrnn.counts"
VERSION = 1
# Settings that must agree for counts to add up; the error names the first that differs.
MATCHED_KEYS = ("level", "lowercase", "tokenizer")


def write_counts(out_dir: str | os.PathLike, stats: CorpusStats, tokenizer: Tokenizer,
                 inputs: Sequence[str]) -> None:
    """Write `stats` as `out_dir/counts.parquet` and `out_dir/counts.json`.

    Args:
        out_dir: the folder (created if missing).
        stats: the counts (a shard's, or shards already merged).
        tokenizer: the char or word tokenizer they were counted with.
        inputs: the files or datasets counted (recorded, and concatenated on merging).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ranked = stats.ranked()
    table = pa.table([pa.array([token for token, _ in ranked], pa.large_string()),
                      pa.array([count for _, count in ranked], pa.int64()),
                      pa.array([stats.doc_freq[token] for token, _ in ranked], pa.int64())],
                     schema=SCHEMA)
    pq.write_table(table, out_dir / COUNTS_TABLE)
    config = tokenizer_config(tokenizer)
    write_json(out_dir / COUNTS_META, {
        "format": FORMAT, "version": VERSION,
        "level": config["level"], "lowercase": bool(getattr(tokenizer, "lowercase", False)),
        "tokenizer": config,
        "num_docs": stats.num_docs, "num_tokens": stats.num_tokens,
        "num_types": stats.num_types, "inputs": [str(source) for source in inputs],
    })


def read_counts(folders: Sequence[str | os.PathLike]
                ) -> tuple[CorpusStats, Tokenizer, list[str]]:
    """Merge the counts written by `write_counts` into one `CorpusStats`.

    Args:
        folders: folders holding `counts.parquet` and `counts.json`.

    Returns:
        `(stats, tokenizer, inputs)`: the summed counts, the tokenizer they were made with and
        every folder's inputs in order.

    Raises:
        InputError: a folder without counts, a bad file, or counts made with other settings
            than the first folder's (the message names the folder and the setting).
    """
    if not folders:
        raise ValueError("Received no folders of counts; pass at least one.")
    stats, totals, inputs, first = CorpusStats(), CountTable(), [], None
    for folder in map(Path, folders):
        meta = _read_meta(folder)
        first = first or (folder, meta)
        _check_same_settings(first, folder, meta)
        totals.add(_read_table(folder / COUNTS_TABLE))
        stats.num_docs += meta["num_docs"]
        stats.num_tokens += meta["num_tokens"]
        inputs.extend(meta.get("inputs", []))
    stats.term_freq, stats.doc_freq = totals.to_counters()
    return stats, load_tokenizer(first[1]["tokenizer"], first[0]), inputs


def read_settings(folder: str | os.PathLike) -> dict[str, Any]:
    """The `counts.json` of a folder of counts (`level`, `lowercase`, sizes, inputs)."""
    return _read_meta(Path(folder))


def _read_meta(folder: Path) -> dict[str, Any]:
    """`counts.json` of a folder, checked to be textrnn counts."""
    path = folder / COUNTS_META
    if not path.is_file():
        raise InputError(f"no {COUNTS_META} here; expected a folder written by "
                         "`textrnn-preprocess ... --counts-only`", folder)
    meta = read_json(path)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(f"not textrnn counts (expected \"format\": \"{FORMAT}\")", path)
    if meta.get("version", 0) > VERSION:
        raise InputError(f"counts of version {meta['version']}; this textrnn reads version "
                         f"{VERSION} and older (upgrade textrnn)", path)
    missing = [key for key in (*MATCHED_KEYS, "num_docs", "num_tokens") if key not in meta]
    if missing:
        raise InputError(f"counts without {missing}", path)
    return meta


def _check_same_settings(first: tuple[Path, dict[str, Any]], folder: Path,
                         meta: dict[str, Any]) -> None:
    """Refuse counts made with another level, lowercasing or tokenizer than the first's."""
    first_folder, first_meta = first
    for key in MATCHED_KEYS:
        if meta[key] != first_meta[key]:
            raise InputError(f"counted with {key}={meta[key]!r} but {first_folder} with "
                             f"{key}={first_meta[key]!r}; merge only counts made with the same "
                             "--level and --lowercase", folder)


def _read_table(path: Path) -> pa.Table:
    """A `(token, tf, df)` table from Parquet, cast to `count_table.SCHEMA`."""
    try:
        table = pq.read_table(path)
        return table.select(SCHEMA.names).cast(SCHEMA)
    except (OSError, KeyError, pa.ArrowInvalid) as error:
        raise InputError(f"cannot read the counts ({' '.join(str(error).split())[:200]})",
                         path) from None
