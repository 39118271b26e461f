"""Reading the inputs of a preprocessing run lazily: their documents, in batches, on demand.

A run reads its corpus more than once (a sample to train sentencepiece, a pass to count, a
pass to encode), so `Corpus` re-reads its inputs on each pass instead of holding them:

- plain text (`.txt`, `.txt.gz`; one document per line, blank lines skipped) is streamed from
  the file, decoded incrementally (`encoding_errors="replace"` included), so memory is bounded
  by one batch whatever the file's size. The file is checked first (`check_utf8`, one bounded
  pass), so a bad byte in strict mode fails before any work, naming its line and offset;
- tables (`.csv`, `.tsv`, `.jsonl`) go through `textrnn.data.load_documents` with their Arrow
  files in `workdir`, a folder the caller owns and removes, and are read from there
  memory-mapped, a batch at a time;
- Hugging Face hub datasets use the `datasets` cache, as hub users expect.
"""

from __future__ import annotations

import gzip
import itertools
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import datasets

from textrnn.data import is_hub_id, load_documents
from textrnn.errors import InputError
from textrnn.text_files import check_encoding_errors, check_utf8, locate_bad_utf8

TEXT_SUFFIX = ".txt"


class Corpus:
    """The documents of several inputs, in order, read again on every pass.

    Args:
        sources: files (`.txt`, `.csv`, `.tsv`, `.jsonl`, optionally `.gz`) or hub names.
        text_column: the column holding the text in tables and hub datasets.
        encoding_errors: `"strict"` or `"replace"` (bad UTF-8 bytes become U+FFFD).
        workdir: a folder for the Arrow files of tables (None keeps their rows in memory).
        lowercase: lowercase every document as it is read.

    Example:
    >>> corpus = Corpus(["corpus.txt"])
    >>> for batch in corpus.batches(1000):   # lists of up to 1000 strings
    ...     pass
    """

    def __init__(self, sources: Sequence[str | os.PathLike], text_column: str | None = None,
                 encoding_errors: str = "strict", workdir: str | os.PathLike | None = None,
                 lowercase: bool = False):
        check_encoding_errors(encoding_errors)
        self.sources = [str(source) for source in sources]
        self.text_column = text_column
        self.encoding_errors = encoding_errors
        self.workdir = None if workdir is None else str(workdir)
        self.lowercase = lowercase
        # Checked or loaded now, so that a bad input fails before any long work.
        self._tables = {source: self._load_table(source) for source in self.sources
                        if not _is_text_file(source)}
        for source in self.sources:
            if _is_text_file(source):
                self._check_text_file(Path(source))

    def batches(self, batch_size: int) -> Iterator[list[str]]:
        """Consecutive lists of up to `batch_size` documents of every input, in order."""
        for source in self.sources:
            for batch in self._source_batches(source, batch_size):
                yield [text.lower() for text in batch] if self.lowercase else batch

    def texts(self, batch_size: int = 1000) -> Iterator[str]:
        """Every document, one at a time (read `batch_size` at a time)."""
        return itertools.chain.from_iterable(self.batches(batch_size))

    # === Helpers ===

    def _source_batches(self, source: str, batch_size: int) -> Iterator[list[str]]:
        if source in self._tables:
            for batch in self._tables[source].iter(batch_size=batch_size):
                yield batch["text"]
            return
        lines = _non_blank_lines(Path(source), self.encoding_errors)
        while batch := list(itertools.islice(lines, batch_size)):
            yield batch

    def _load_table(self, source: str) -> datasets.Dataset:
        cache_dir = None if is_hub_id(source) else self.workdir
        return load_documents(source, self.text_column, encoding_errors=self.encoding_errors,
                              cache_dir=cache_dir)

    def _check_text_file(self, path: Path) -> None:
        """Missing, empty, unreadable or (strict) not UTF-8: an `InputError` naming the file."""
        if not check_utf8(path) and self.encoding_errors == "strict":
            raise locate_bad_utf8(path)
        if next(_non_blank_lines(path, self.encoding_errors), None) is None:
            raise InputError("file is empty (only blank lines); expected UTF-8 text", path)


def _is_text_file(source: str) -> bool:
    suffixes = [suffix.lower() for suffix in Path(source).suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes = suffixes[:-1]
    return not is_hub_id(source) and suffixes[-1:] == [TEXT_SUFFIX]


def _non_blank_lines(path: Path, encoding_errors: str) -> Iterator[str]:
    """The lines of a UTF-8 text file (plain or `.gz`) without their newline, blank ones skipped.

    Lines split as in `datasets`' text builder (universal newlines), so documents are the same.
    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors=encoding_errors) as handle:
        for line in handle:
            if not line.isspace():
                yield line.rstrip("\n")
