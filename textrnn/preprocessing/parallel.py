"""An ordered map over a stream of batches, in worker processes, with bounded memory.

`map_batches(function, batches, state, num_proc)` yields `function(state, batch)` for every
batch, in order. With `num_proc > 1` the batches go to a process pool, at most `2 * num_proc`
at a time (a pool's own `imap` would read the whole stream ahead into memory); `state` (a
tokenizer, a vocabulary) is sent once per worker, not once per batch. This is the pipeline's
one parallel path, for counting and for encoding alike.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

Result = TypeVar("Result")

_WORKER_STATE: dict[str, Any] = {}  # `state`, installed once in each worker process


def map_batches(function: Callable[[Any, list], Result], batches: Iterable[list], state: Any,
                num_proc: int = 1) -> Iterator[Result]:
    """`function(state, batch)` for each batch, in order, in `num_proc` processes.

    Args:
        function: a module-level function (workers import it by name).
        batches: any iterable of batches; read lazily.
        state: the first argument of every call (must pickle when `num_proc > 1`).
        num_proc: worker processes; 1 runs everything in this process.

    Returns:
        An iterator over the results, in the order of `batches`.
    """
    if num_proc <= 1:
        return (function(state, batch) for batch in batches)
    return _pooled(function, batches, state, num_proc)


def _pooled(function, batches, state, num_proc: int) -> Iterator:
    with ProcessPoolExecutor(num_proc, initializer=_install, initargs=(state,)) as pool:
        pending: deque[Future] = deque()
        for batch in batches:
            pending.append(pool.submit(_call, function, batch))
            if len(pending) >= 2 * num_proc:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _install(state: Any) -> None:
    _WORKER_STATE["state"] = state


def _call(function: Callable, batch: list) -> Any:
    return function(_WORKER_STATE["state"], batch)
