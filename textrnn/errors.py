"""Errors textrnn raises for bad user input.

`InputError` is a `ValueError` whose message names the file (and line or byte offset where
known), so a command-line tool can print it as one line and exit non-zero.
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
