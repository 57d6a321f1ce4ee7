"""Work in parallel processes that survives one of them dying.

multiprocessing.Pool waits forever for a task whose worker was killed (out of
memory, a crash inside a C extension such as lxml), which would hang an overnight
run. concurrent.futures notices instead (BrokenProcessPool): the unfinished items
are then retried one per fresh process, so only the item that kills its process
again is given up on, and the rest of the run carries on.

When the caller stops early (an interrupted run closes the generator), the
workers are ended at once rather than waited for: a batch in flight may take
many seconds, and its result would be dropped anyway.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, TypeVar

from .stopping import quiet_worker

T = TypeVar("T")
R = TypeVar("R")

WAIT_TICK = 0.25  # seconds between on_wait calls
DIED = "the parser process died on this input (out of memory, or a crash in a C library)"


def map_in_processes(
    func: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int,
    on_death: Callable[[T, str], R],
    window: int | None = None,
    on_wait: Callable[[], None] | None = None,
    with_items: bool = False,
) -> Iterator[Any]:
    """func(item) for every item, in order, in `jobs` processes.

    An item whose process dies (twice: once in the pool, once alone) yields
    on_death(item, reason) instead. At most `window` items are in flight, so a long
    input stream is never read far ahead of the results. `on_wait` is called a few
    times a second while the next result is not ready; `with_items` yields
    (item, result) pairs.
    """
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    window = window or jobs * 4
    source = iter(items)
    pending: deque[tuple[T, Future[R] | None]] = deque()  # None: the pool broke before it took the item
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=quiet_worker)
    try:
        while True:
            while len(pending) < window and (not pending or pending[-1][1] is not None):
                try:
                    item = next(source)
                except StopIteration:
                    break
                try:
                    pending.append((item, pool.submit(func, item)))
                except BrokenProcessPool:
                    pending.append((item, None))
            if not pending:
                return
            item, future = pending.popleft()
            try:
                if future is None:
                    raise BrokenProcessPool(DIED)
                if on_wait is not None:
                    while not wait([future], timeout=WAIT_TICK).done:
                        on_wait()
                result = future.result()
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                retry = [item] + [waiting for waiting, _ in pending]
                pending.clear()
                for one in retry:
                    alone = _alone(func, one, context, on_death)
                    yield (one, alone) if with_items else alone
                pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=quiet_worker)
                continue
            yield (item, result) if with_items else result
    except BaseException:  # the caller stopped early (GeneratorExit) or was interrupted
        _end_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's processes now, without waiting for the items they hold."""
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        try:
            process.terminate()
        except (OSError, AttributeError):
            pass
    for process in processes.values():
        process.join(timeout=1)


def _alone(func: Callable[[T], R], item: T, context: object, on_death: Callable[[T, str], R]) -> R:
    with ProcessPoolExecutor(1, mp_context=context, initializer=quiet_worker) as solo:  # type: ignore[arg-type]
        try:
            return solo.submit(func, item).result()
        except BrokenProcessPool:
            return on_death(item, DIED)
