"""One training command per run folder: a lock file holding the holder's PID.

`run_lock(run_dir)` is taken by `textrnn.runs.fit_resumable` and, before anything of the run is
written, by each command's training path; `check_writable` checks `--out` first.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from textrnn.errors import InputError

LOCK_FILE = ".lock"
# A lock file with no readable PID younger than this is being written, not stale.
_LOCK_GRACE_SECONDS = 10.0
_HELD_LOCKS: dict[Path, int] = {}  # lock files this process holds -> nesting depth


def check_writable(folder: str | os.PathLike, flag: str = "--out") -> Path:
    """Create `folder` if needed and check that files can be written in it.

    Raises:
        InputError: `folder` is a file, or cannot be created or written; names `flag`.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{flag} must be a folder, but this is a file", folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check.", suffix=".tmp"):
            pass
    except OSError as error:
        raise InputError(f"{flag} is not writable: {error.strerror or error}", folder) from None
    return folder


# === Run lock ===


@contextlib.contextmanager
def run_lock(run_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold `run_dir/.lock` (holding this process's PID) while the block runs.

    The file is created with `O_EXCL`, so only one process holds it; a lock left by a process
    that no longer runs is taken over. The lock is released when the block ends, also on an
    error. Nesting in one process is allowed (`fit_resumable` takes it inside a command that
    already holds it).

    Yields:
        `run_dir` as a `Path` (created if missing).

    Raises:
        InputError: another live process holds the lock.
    """
    run_dir = check_writable(run_dir)
    path = run_dir.resolve() / LOCK_FILE
    if path not in _HELD_LOCKS:
        _acquire(path)
    _HELD_LOCKS[path] = _HELD_LOCKS.get(path, 0) + 1
    try:
        yield run_dir
    finally:
        _HELD_LOCKS[path] -= 1
        if not _HELD_LOCKS[path]:
            del _HELD_LOCKS[path]
            if _lock_holder(path) == os.getpid():
                path.unlink(missing_ok=True)


def _acquire(path: Path) -> None:
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(path)
            if (holder is None and _age(path) < _LOCK_GRACE_SECONDS) or _alive(holder):
                shown = f"process {holder}" if holder else "another process"
                raise InputError(f"{shown} is training in this run folder (see {LOCK_FILE}); "
                                 "wait for it to finish, or use another --out",
                                 path.parent) from None
            path.unlink(missing_ok=True)  # stale: its holder is gone
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        return
    raise InputError("cannot take the run folder's lock (it keeps reappearing)", path)


def _lock_holder(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _alive(pid: int | None) -> bool:
    """True when process `pid` runs (not this one: a lock we do not hold is another's)."""
    if not pid or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it runs, as another user
        return True
    return True
