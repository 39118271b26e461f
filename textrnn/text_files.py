"""Reading text files (plain or `.gz`) as UTF-8, with errors that name the file, line and byte.

Memory stays bounded by one chunk while checking (`check_utf8`), so large files can be checked
before they are handed to `datasets`.
"""

from __future__ import annotations

import codecs
import gzip
import os
from collections.abc import Iterator
from pathlib import Path

from textrnn.errors import InputError

ENCODING_ERRORS = ("strict", "replace")
_CHUNK_BYTES = 1 << 20


def read_text(path: str | os.PathLike, encoding_errors: str = "strict") -> str:
    """Read a whole UTF-8 text file (plain or `.gz`) into one string.

    Args:
        path: the file.
        encoding_errors: `"strict"` raises on bytes that are not UTF-8; `"replace"` turns them
            into U+FFFD and carries on.

    Returns:
        The decoded text.

    Raises:
        InputError: the path is missing or unreadable, the file is empty, or (strict) a byte
            sequence is not UTF-8 — the message names the file, line and byte offset.
    """
    check_encoding_errors(encoding_errors)
    path = Path(path)
    data = b"".join(_read_chunks(path))
    if not data.strip():
        raise InputError("file is empty; expected UTF-8 text", path)
    try:
        return data.decode("utf-8", errors=encoding_errors)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(_not_utf8_message(), path, line=line, offset=error.start) from None


def check_utf8(path: str | os.PathLike) -> bool:
    """Scan a file (plain or `.gz`) in chunks and tell whether it is non-empty valid UTF-8.

    Memory stays bounded by one chunk, so this works on files larger than memory.

    Args:
        path: the file.

    Returns:
        True when the file is valid UTF-8.

    Raises:
        InputError: the file is missing, unreadable or empty. Bad bytes return False instead,
            so that callers can choose to replace them (see `locate_bad_utf8`).
    """
    path = Path(path)
    decoder = codecs.getincrementaldecoder("utf-8")()
    non_blank = False
    for chunk in _read_chunks(path):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
        non_blank = non_blank or not text.isspace() and bool(text)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    if not non_blank:
        raise InputError("file is empty; expected UTF-8 text", path)
    return True


def locate_bad_utf8(path: str | os.PathLike) -> InputError:
    """Build the `InputError` for the first non-UTF-8 byte of `path` (line and byte offset)."""
    path = Path(path)
    decoder = codecs.getincrementaldecoder("utf-8")()
    position, newlines = 0, 0
    for chunk in _read_chunks(path):
        pending = decoder.getstate()[0]
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            data = pending + chunk
            offset = position - len(pending) + error.start
            line = newlines + data.count(b"\n", len(pending), error.start) + 1
            return InputError(_not_utf8_message(), path, line=line, offset=offset)
        position += len(chunk)
        newlines += chunk.count(b"\n")
    return InputError(_not_utf8_message() + " (truncated at the end)", path, offset=position)


def check_encoding_errors(encoding_errors: str) -> None:
    """Raises `ValueError` unless `encoding_errors` is one of `ENCODING_ERRORS`."""
    if encoding_errors not in ENCODING_ERRORS:
        raise ValueError(
            f"Received an invalid value for argument `encoding_errors`: {encoding_errors!r}; "
            f"expected one of {ENCODING_ERRORS}."
        )


def _not_utf8_message() -> str:
    return ("not valid UTF-8; convert the file to UTF-8, or pass encoding_errors='replace' "
            "(--encoding-errors replace) to turn bad bytes into U+FFFD")


def _read_chunks(path: Path) -> Iterator[bytes]:
    """Yield the (decompressed) bytes of `path` in chunks, with clear errors for bad paths."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                yield chunk
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path) from None
    except PermissionError:
        raise InputError("cannot read: permission denied", path) from None
    except (gzip.BadGzipFile, EOFError) as error:
        raise InputError(f"not a valid gzip file ({error})", path) from None
