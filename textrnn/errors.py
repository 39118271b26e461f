"""Errors textrnn raises for bad user input and for training that went wrong.

`InputError` is a `ValueError` whose message names the file (and line or byte offset where
known), so a command-line tool can print it as one line and exit non-zero. `TrainingDiverged`
says that a loss became NaN/Inf or exploded; the last good checkpoint is kept.
"""

from __future__ import annotations

from os import PathLike


class InputError(ValueError):
    """Bad input that the user can fix: names the file and position where known.

    Args:
        message: what is wrong and, ideally, what to do about it.
        path: the offending file, if any.
        line: 1-based line number, if known.
        offset: 0-based byte offset, if known (used for decoding errors).
    """

    def __init__(
        self,
        message: str,
        path: str | PathLike | None = None,
        line: int | None = None,
        offset: int | None = None,
    ):
        self.path = None if path is None else str(path)
        self.line = line
        self.offset = offset
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}" if where else f"line {self.line}"
        if self.offset is not None:
            where += f" (byte {self.offset})"
        return f"{where}: {self.reason}" if where else self.reason


class TrainingDiverged(RuntimeError):
    """Training produced a non-finite or exploding loss (or non-finite weights) and stopped.

    The epoch that diverged was not checkpointed: the last good checkpoint is intact and a
    rerun resumes from it (with a lower learning rate, say).

    Args:
        message: what happened, where, and what to do about it.
        epoch: the 1-based epoch that diverged.
        step: the 1-based step within the epoch, where known.
        checkpoint: the last good checkpoint file, or None when there is none yet.
    """

    def __init__(self, message: str, epoch: int, step: int | None = None,
                 checkpoint: str | PathLike | None = None):
        self.epoch = epoch
        self.step = step
        self.checkpoint = None if checkpoint is None else str(checkpoint)
        super().__init__(message)
