"""`run_lock`: one training command per run folder; stale locks are taken over."""

import os
import subprocess
import sys

import pytest

from textrnn.errors import InputError
from textrnn.lock import run_lock
from textrnn.runs import fit_resumable


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_lock_holds_the_pid_and_is_released_even_on_error(tmp_path):
    lock = tmp_path / "run" / ".lock"
    with run_lock(tmp_path / "run") as run_dir:
        assert run_dir == tmp_path / "run"
        assert lock.read_text().strip() == str(os.getpid())
        with run_lock(run_dir):  # nesting in one process (a command, then fit_resumable)
            pass
        assert lock.exists()
    assert not lock.exists()
    with pytest.raises(RuntimeError), run_lock(tmp_path / "run"):
        raise RuntimeError("training failed")
    assert not lock.exists()


def test_a_second_command_refuses_with_one_line(tmp_path):
    (tmp_path / ".lock").write_text(f"{os.getppid()}\n")  # a live process holds it
    with pytest.raises(InputError, match=rf"process {os.getppid()} is training in this run "
                                         r"folder .*use another --out"), run_lock(tmp_path):
        pass
    with pytest.raises(InputError, match="is training in this run folder"):
        fit_resumable(lambda: None, tmp_path, 1)
    assert (tmp_path / ".lock").read_text().strip() == str(os.getppid())  # left alone


def test_a_stale_lock_is_taken_over(tmp_path):
    for stale in (f"{dead_pid()}\n", f"{os.getpid()}\n"):  # a dead holder; our reused PID
        (tmp_path / ".lock").write_text(stale)
        with run_lock(tmp_path):
            assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
        assert not (tmp_path / ".lock").exists()


def test_a_lock_being_written_is_not_stale_yet(tmp_path):
    (tmp_path / ".lock").write_text("")  # created by O_EXCL, PID not written yet
    with pytest.raises(InputError, match="another process is training"), run_lock(tmp_path):
        pass
    old = 1_000_000_000
    os.utime(tmp_path / ".lock", (old, old))  # long abandoned
    with run_lock(tmp_path):
        pass
