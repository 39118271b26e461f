"""Atomic file writes and safe JSON reading.

Every file a run folder holds is written through `atomic_write`: the data goes to a temporary
file in the same folder, is flushed to disk, and replaces the target with `os.replace`, so a
crash at any moment leaves either the old file or the new one, never a torn mix. Temporary
names start with `.` and contain `.tmp`, so `remove_stale_temporaries` can clear what a killed
writer left behind. JSON is strict: NaN and Infinity are refused, never written.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from textrnn.errors import InputError

TMP_MARK = ".tmp"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside `path` that atomically replaces it when the block ends cleanly.

    For writers that want a file name rather than an open file (`model.save`,
    `save_weights`): write to the yielded path; it is flushed to disk and renamed over `path`.

    Args:
        path: the final file. Its folder is created if missing.
        suffix: suffix of the temporary name (Keras checks `.keras` / `.weights.h5`);
            `.tmp` is put in front of it unless it starts with `.tmp` already.

    Yields:
        The temporary path. On an exception it is removed and `path` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not suffix.startswith(TMP_MARK):
        suffix = TMP_MARK + suffix
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


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files (`.*.tmp*`) that writers killed mid-write left in `folder`.

    Only call this while no other process writes into `folder` (hold its run lock).

    Returns:
        The files removed.
    """
    removed = []
    for path in Path(folder).glob(f".*{TMP_MARK}*"):
        if path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write `data` as indented UTF-8 JSON, atomically.

    Raises:
        ValueError: `data` holds NaN or +-Infinity (not JSON); the message names the key.
    """
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:
        where, value = _first_non_finite(data) or ("a value", "NaN/Infinity")
        raise ValueError(f"{path}: cannot write {where} = {value}: strict JSON has no NaN or "
                         "Infinity (the figure it stands for was not computed)") from None
    with atomic_write(path) as handle:
        handle.write(text + "\n")


def _first_non_finite(data: Any, where: str = "") -> tuple[str, float] | None:
    """The key path (`a.b[2]`) and value of the first NaN/Infinity in `data`, if any."""
    if isinstance(data, float) and not math.isfinite(data):
        return where or "the value", data
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, (list, tuple)) else ()
    for key, value in items:
        found = _first_non_finite(value, f"{where}[{key}]" if isinstance(key, int)
                                  else f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


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
