"""Atomic file writes and safe JSON reading.

Every file a run folder holds is written through `atomic_write`: the data goes to a temporary
file in the same folder, is flushed to disk, and replaces the target with `os.replace`, so a
crash at any moment leaves either the old file or the new one, never a torn mix.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from textrnn.errors import InputError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside `path` that atomically replaces it when the block ends cleanly.

    For writers that want a file name rather than an open file (`model.save`,
    `save_weights`): write to the yielded path; it is flushed to disk and renamed over `path`.

    Args:
        path: the final file. Its folder is created if missing.
        suffix: suffix of the temporary name (Keras checks `.keras` / `.weights.h5`).

    Yields:
        The temporary path. On an exception it is removed and `path` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp_name)
        with open(tmp_name, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file that atomically replaces `path` when the block ends cleanly.

    Args:
        path: the final file. Its folder is created if missing.
        mode: `"w"` (text, UTF-8) or `"wb"` (bytes).

    Yields:
        The open temporary file. On an exception it is removed and `path` is untouched.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"Received an invalid value for argument `mode`: {mode!r}; "
                         "expected 'w' or 'wb'.")
    encoding = None if "b" in mode else "utf-8"
    with atomic_path(path) as tmp_path, open(tmp_path, mode, encoding=encoding) as handle:
        yield handle


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write `data` as indented UTF-8 JSON, atomically."""
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False, sort_keys=False)
        handle.write("\n")


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file, raising `InputError` naming the file (and line) when it is bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except UnicodeDecodeError as error:
        raise InputError("not valid UTF-8", path, offset=error.start) from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"malformed JSON: {error.msg}", path, line=error.lineno) from None
