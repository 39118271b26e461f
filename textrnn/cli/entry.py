"""The wrapper every command's `main` goes through: an error becomes one line and an exit code.

Kept apart from `textrnn.runs` (which needs Keras) so that `textrnn-preprocess` uses it without
loading TensorFlow.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence

from textrnn.errors import InputError, TrainingDiverged

DEBUG_HINT = "(set TEXTRNN_DEBUG=1 for the traceback)"


def cli(main: Callable[[Sequence[str] | None], int | None]) -> Callable[..., int]:
    """Wraps a script's `main(argv)` so that no error prints a traceback.

    Every exception becomes one line on stderr, `error: <message>`, and an exit code:

    | error | exit code |
    |---|---|
    | `InputError`, `ValueError`, `OSError` (bad input, flags, files) | 2 |
    | `TrainingDiverged` (NaN/Inf or exploding loss; the last checkpoint is kept) | 3 |
    | anything else (the line names its type and says how to see the traceback) | 1 |
    | Ctrl-C (`KeyboardInterrupt`): says how to resume | 130 |

    Set `TEXTRNN_DEBUG=1` to get the traceback instead.
    """

    @functools.wraps(main)
    def wrapped(argv: Sequence[str] | None = None) -> int:
        try:
            return main(argv) or 0
        except KeyboardInterrupt:
            print("interrupted: the last checkpoint is intact; run the same command again to "
                  "resume", file=sys.stderr)
            return 130
        except Exception as error:
            if os.environ.get("TEXTRNN_DEBUG"):
                raise
            code, message = error_line(error)
            print(f"error: {message}", file=sys.stderr)
            return code

    return wrapped


def error_line(error: Exception) -> tuple[int, str]:
    """The exit code and the one-line message `cli` prints for `error`."""
    text = " ".join(str(error).split())
    if isinstance(error, TrainingDiverged):
        return 3, text
    if isinstance(error, InputError):
        return 2, text
    if isinstance(error, (ValueError, OSError)):
        return 2, f"{text} {DEBUG_HINT}"
    if len(text) > 300:
        text = text[:297] + "..."
    return 1, " ".join(filter(None, (f"{type(error).__name__}:", text, DEBUG_HINT)))
