"""Load local text files (or a Hugging Face hub dataset) into `datasets.Dataset`.

Every reader checks the file first and raises `textrnn.errors.InputError` naming the file (and
line and byte offset where known) for the usual mistakes: a missing or unreadable path, an empty
file, bytes that are not UTF-8, a missing column. `datasets`' own errors for these cases are hard
to read, so the check happens before the file is handed over.

Reading and checking text files (`read_text`, `check_utf8`, `locate_bad_utf8`) lives in
`textrnn.text_files` and is re-exported here. Supported local formats (a `.gz` suffix on any
of them is decompressed on the fly):

| suffix | read as |
|---|---|
| `.txt` | one document per line; blank lines are skipped |
| `.csv` | comma-separated; a header row unless the columns asked for are `"0"`, `"1"`, ... |
| `.tsv` | tab-separated, same header rule, no quoting (`"` is an ordinary character) |
| `.jsonl`, `.json` | one JSON object per line |

Only a name that looks like a Hugging Face hub id, `owner/name` (no file suffix, not an
existing path, and `owner` not a local folder), is passed to
`datasets.load_dataset(name, split=split)` (needs network access). Anything else is a local
path, so a typo (`mycorpus`, `data/corpus.txt`) gets "file not found" at once.

Example:

>>> from textrnn import data, datasets as shipped
>>> docs = data.load_documents(shipped.path("tinyshakespeare"))
>>> docs.column_names
['text']
>>> pairs = data.load_table(shipped.path("eng_fra_tatoeba_5k"), ["0", "1"])
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import datasets
import huggingface_hub
from huggingface_hub import constants as hub_constants
from huggingface_hub.errors import RepositoryNotFoundError

from textrnn.errors import InputError
from textrnn.text_files import (
    ENCODING_ERRORS,
    check_encoding_errors,
    check_utf8,
    locate_bad_utf8,
    read_text,
)

_TEXT_SUFFIXES = (".txt",)
_TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json")
HUB_TIMEOUT = 10.0  # seconds to wait for the hub's answer about a dataset name
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
# Suffixes that make a name a file name, never a hub id.
_FILE_SUFFIXES = (*_TEXT_SUFFIXES, *_TABLE_SUFFIXES, ".gz", ".bz2", ".xz", ".zip", ".tar",
                  ".parquet", ".arrow", ".text", ".dat", ".data", ".md", ".xml", ".html", ".pdf",
                  ".doc", ".docx", ".tok", ".raw")


def load_table(
    source: str | os.PathLike,
    columns: Sequence[str],
    column_names: Sequence[str] | None = None,
    encoding_errors: str = "strict",
    split: str = "train",
    cache_dir: str | None = None,
) -> datasets.Dataset:
    """Load a CSV / TSV / JSONL file (or a hub dataset) and keep the columns asked for.

    CSV and TSV files have a header row unless `column_names` is given or every name in
    `columns` is a position (`"0"`, `"1"`, ...), in which case the file is read headerless and its
    columns are called `"0"`, `"1"`, ... (or `column_names`). All CSV/TSV cells are read as
    strings (`"NA"` stays the text "NA").

    Args:
        source: a local `.csv`, `.tsv`, `.jsonl`/`.json` file (optionally `.gz`), or a hub name.
        columns: the columns to keep, in this order.
        column_names: names for the columns of a headerless CSV/TSV file.
        encoding_errors: `"strict"` or `"replace"` (see `read_text`).
        split: the split to load from a hub dataset.
        cache_dir: where `datasets` keeps its Arrow cache of a local file (default: none;
            the rows are read into memory and the temporary cache removed).

    Returns:
        A `datasets.Dataset` with exactly `columns`.

    Raises:
        InputError: bad path or bytes (see `read_text`), or a column is missing — the message
            names it and lists the columns the file has.
    """
    check_encoding_errors(encoding_errors)
    columns = [str(c) for c in columns]
    path = Path(source)
    if not is_hub_id(source):
        if _format(path) == "text":
            raise InputError(
                f"a .txt file has one column, 'text'; use `load_documents`, or a .csv/.tsv/"
                f".jsonl file for the columns {columns}",
                path,
            )
        with _utf8_copy(path, encoding_errors) as clean:
            dataset = _load_local_table(clean, path, columns, column_names, cache_dir)
    else:
        dataset = _load_hub(str(source), split, cache_dir)
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise InputError(
            f"missing column {missing[0]!r}; available columns: {dataset.column_names}. "
            "Pick one of these (headerless CSV/TSV files name their columns '0', '1', ...)",
            None if is_hub_id(source) else path,
        )
    if len(dataset) == 0:
        raise InputError("file has no rows", path)
    return dataset.select_columns(columns)


def load_documents(
    source: str | os.PathLike,
    text_column: str | None = None,
    encoding_errors: str = "strict",
    split: str = "train",
    cache_dir: str | None = None,
) -> datasets.Dataset:
    """Load documents into a `datasets.Dataset` with one string column, `"text"`.

    Args:
        source: a `.txt` / `.txt.gz` file (one document per line, blank lines skipped), a
            `.csv` / `.tsv` / `.jsonl` file (with `text_column`), or a hub dataset name.
        text_column: the column holding the text; required for tables and hub datasets whose
            text column is not called `"text"`. Ignored for `.txt` files.
        encoding_errors: `"strict"` or `"replace"` (see `read_text`).
        split: the split to load from a hub dataset.
        cache_dir: where `datasets` keeps its Arrow cache of a local file (default: none;
            the rows are read into memory and the temporary cache removed).

    Returns:
        A `datasets.Dataset` with the single column `"text"`, one row per document.

    Raises:
        InputError: see `read_text` and `load_table`; also a file with no documents.
    """
    check_encoding_errors(encoding_errors)
    path = Path(source)
    if not is_hub_id(source) and _format(path) == "text":
        with _utf8_copy(path, encoding_errors) as clean:
            dataset = _load_local("text", clean, cache_dir)
        with _progress_bars_hidden():
            dataset = dataset.filter(_non_blank, batched=True)
        if len(dataset) == 0:
            raise InputError("file is empty (only blank lines); expected UTF-8 text", path)
        return dataset
    dataset = load_table(
        source, [text_column or "text"], encoding_errors=encoding_errors, split=split,
        cache_dir=cache_dir,
    )
    if text_column and text_column != "text":
        dataset = dataset.rename_column(text_column, "text")
    return dataset


# === Helpers ===


def _inner_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _format(path: Path) -> str:
    suffix = _inner_suffix(path)
    if suffix in _TEXT_SUFFIXES:
        return "text"
    if suffix in (".jsonl", ".json"):
        return "json"
    return suffix.lstrip(".")


def is_hub_id(source: str | os.PathLike) -> bool:
    """True when `source` should be loaded from the Hugging Face hub rather than from disk.

    That is `owner/name` (one slash, letters, digits, `_.-`) that is not an existing path,
    whose `owner` is not a local folder and whose name has no file suffix (`.txt`, `.csv`, ...).
    """
    name = os.fspath(source)
    return (_HUB_ID.fullmatch(name) is not None and not Path(name).exists()
            and not Path(name.split("/")[0]).exists()
            and Path(name).suffix.lower() not in _FILE_SUFFIXES)


@contextlib.contextmanager
def _utf8_copy(path: Path, encoding_errors: str) -> Iterator[Path]:
    """Yield `path` if it is valid UTF-8; otherwise raise, or yield a repaired temporary copy."""
    if not path.exists():
        hint = "" if path.suffix or len(path.parts) > 1 else \
            " (a Hugging Face hub dataset is named owner/name)"
        raise InputError(f"file not found{hint}", path)
    if _inner_suffix(path) not in _TEXT_SUFFIXES + _TABLE_SUFFIXES:
        raise InputError(
            f"unsupported file type {''.join(path.suffixes)!r}; expected one of "
            f"{list(_TEXT_SUFFIXES + _TABLE_SUFFIXES)} (optionally .gz)",
            path,
        )
    if check_utf8(path):
        yield path
        return
    if encoding_errors == "strict":
        raise locate_bad_utf8(path)
    with tempfile.TemporaryDirectory(prefix="textrnn-utf8-") as folder:
        clean = Path(folder) / path.name.removesuffix(".gz")
        clean.write_text(read_text(path, "replace"), encoding="utf-8")
        yield clean


def _load_local(builder: str, data_file: Path, cache_dir: str | None,
                **options) -> datasets.Dataset:
    """`datasets.load_dataset(builder, data_files=data_file)` that leaves no cache behind.

    With no `cache_dir`, the Arrow files go to a temporary folder that is removed once the rows
    are in memory: a local file is read again by every run anyway, and the default cache under
    the home directory only grew (about twice the input's size for each file read).
    """
    if cache_dir is not None:
        return datasets.load_dataset(builder, data_files=str(data_file), split="train",
                                     cache_dir=cache_dir, **options)
    with tempfile.TemporaryDirectory(prefix="textrnn-datasets-") as folder, \
            _progress_bars_hidden():
        return datasets.load_dataset(builder, data_files=str(data_file), split="train",
                                     cache_dir=folder, keep_in_memory=True, **options)


@contextlib.contextmanager
def _progress_bars_hidden() -> Iterator[None]:
    """No `datasets` progress bars on stderr while a local file is read (the commands promise
    one line of stderr for an error, and reading a local file takes a moment)."""
    shown = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if shown:
            datasets.enable_progress_bars()


def _load_local_table(
    clean: Path,
    original: Path,
    columns: list[str],
    column_names: Sequence[str] | None,
    cache_dir: str | None,
) -> datasets.Dataset:
    kind = _format(original)
    if kind == "json":
        try:
            return _load_local("json", clean, cache_dir)
        except datasets.exceptions.DatasetGenerationError as error:
            cause = error.__cause__ or error
            raise _locate_bad_json_line(clean, original) or InputError(
                f"malformed JSON lines: {cause}", original) from None
    headerless = column_names is not None or all(c.isdigit() for c in columns)
    header = _first_row(clean, kind)
    if headerless:
        names = list(column_names) if column_names is not None else [
            str(i) for i in range(len(header))
        ]
        options = {"header": None, "names": names}
    else:
        names, options = header, {}
    options.update({"sep": "\t", "quoting": csv.QUOTE_NONE} if kind == "tsv" else {"sep": ","})
    # Every cell is text: no int/float guessing ("007" stays "007") and no "NA" -> missing.
    features = datasets.Features({name: datasets.Value("string") for name in names})
    try:
        return _load_local("csv", clean, cache_dir, features=features, na_filter=False,
                           **options)
    except (datasets.exceptions.DatasetGenerationError, ValueError) as error:
        cause = error.__cause__ or error
        raise InputError(f"malformed {kind.upper()} file: {cause}", original) from None


def _locate_bad_json_line(path: Path, original: Path) -> InputError | None:
    """The first line (1-based) of a JSON-lines file that is not a JSON object, as an
    `InputError`; None when every line is fine (or the file is one JSON document).
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        first_char = handle.read(1)
        handle.seek(0)
        if first_char == "[" or _is_one_document(handle):
            return None
        handle.seek(0)
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as error:
                return InputError(f"malformed JSON: {error.msg} (column {error.colno})",
                                  original, line=number)
            if not isinstance(row, dict):
                return InputError(f"expected one JSON object per line, got a JSON "
                                  f"{_json_kind(row)}", original, line=number)
    return None


def _is_one_document(handle) -> bool:
    """True when the whole file is one JSON value spanning several lines (a `.json` file)."""
    first = handle.readline()
    try:
        json.loads(first)
        return False
    except json.JSONDecodeError:
        pass
    handle.seek(0)
    try:
        json.loads(handle.read())
        return True
    except json.JSONDecodeError:
        return False


def _json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "list", dict: "object"}[type(value)]


def _first_row(path: Path, kind: str) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        line = handle.readline().rstrip("\r\n")
    if kind == "tsv":
        return line.split("\t")
    return next(csv.reader([line]), [])


def _load_hub(name: str, split: str, cache_dir: str | None) -> datasets.Dataset:
    _check_on_hub(name)
    try:
        return datasets.load_dataset(name, split=split, cache_dir=cache_dir)
    except Exception as error:  # the hub raises many error types; report them all as one
        raise InputError(
            f"not a local file, and loading it as a Hugging Face dataset failed: "
            f"{type(error).__name__}: {error}",
            name,
        ) from None


def _check_on_hub(name: str) -> None:
    """Fails within `HUB_TIMEOUT` seconds when the hub cannot be reached or lacks `name`.

    `datasets.load_dataset` retries an unreachable hub for about half a minute before it says
    so; one metadata request answers at once. Skipped in offline mode (`HF_HUB_OFFLINE=1`),
    where `datasets` reads its cache.
    """
    if hub_constants.HF_HUB_OFFLINE:
        return
    try:
        huggingface_hub.dataset_info(name, timeout=HUB_TIMEOUT)
    except RepositoryNotFoundError:
        raise InputError("no such local file, and no such Hugging Face dataset (or it is "
                         "private)", name) from None
    except Exception as error:  # network errors come from several libraries
        raise InputError(f"no such local file, and the Hugging Face hub could not be reached "
                         f"({type(error).__name__}: {error}); check the name, or the network",
                         name) from None


def _non_blank(batch: dict) -> list[bool]:
    return [bool(text.strip()) for text in batch["text"]]


__all__ = ["ENCODING_ERRORS", "check_utf8", "is_hub_id", "load_documents", "load_table",
           "locate_bad_utf8", "read_text"]
