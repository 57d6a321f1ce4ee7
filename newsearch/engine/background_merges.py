"""Segment merges running in child processes while the writer goes on.

A merge reads only committed segment files, which never change (deletions live
in the table of contents), and writes its result in a private folder under the
index (merging.py); the writer swaps finished merges in at its next commit
(`merging.swap_in`, which carries over documents deleted meanwhile). So a merge
never blocks a commit, and a killed or cancelled merge leaves only a folder the
next run removes: the index never refers to it.

Each merge is a forked process at a lower priority than the build's workers,
which keep the cores first; its result (the new segment and the document-number
maps of its sources) comes back over a pipe.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from ..cores import usable_cores
from .merge_policy import TieredMerges
from .merging import MergedSegment, merge_segments

# How much the merge process yields to the build's workers (os.nice increment).
MERGE_NICENESS = 10


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Fork inside this block and the child's garbage collector leaves the parent's
    objects alone (gc.freeze). Otherwise its first full collection walks, and so
    writes to, every object it inherited, and each page of the indexing process's
    heap becomes a private copy in the merge process. The parent collects them again
    once the block ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class MergeFailed(Exception):
    """A background merge ended without a segment; the message says why."""


class _Merge:
    """One merge in its own process."""

    def __init__(self, index_path: str, schema: Any, segments: list[Any]) -> None:
        self.sources = {s.segment_id() for s in segments}
        self.documents = sum(s.doc_count() for s in segments)
        context = multiprocessing.get_context("fork")
        self._results, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_merge_in_child,
                                        args=(index_path, schema, segments, sender, os.getpid()),
                                        name="newsearch-merge", daemon=True)
        with frozen_heap():
            self._process.start()
        sender.close()

    def done(self) -> bool:
        return self._results.poll() or not self._process.is_alive()

    def result(self) -> MergedSegment:
        """The merged segment (waits for it); MergeFailed when the merge broke."""
        try:
            outcome, value = self._results.recv()
        except EOFError:
            outcome, value = "error", f"the merge process ended with code {self._process.exitcode}"
        finally:
            self._results.close()
            self._process.join()
        if outcome != "ok":
            raise MergeFailed(value)
        return value

    def stop(self) -> None:
        """Kill the merge; its private folder is left for the next run to remove."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._results.close()


def _merge_in_child(index_path: str, schema: Any, segments: list[Any], sender: Any, parent: int) -> None:
    threading.Thread(target=_end_with_parent, args=(parent,), name="newsearch-merge-watch", daemon=True).start()
    try:
        os.nice(MERGE_NICENESS)
    except OSError:
        pass
    try:
        merged = merge_segments(index_path, schema, segments)
    except BaseException as exc:  # noqa: BLE001 - reported to the writer, which raises it
        sender.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        sender.send(("ok", merged))
    finally:
        sender.close()


def _end_with_parent(parent: int, every: float = 1.0) -> None:
    """End this merge process once the process that started it is gone. A build killed
    outright (SIGKILL, the OOM killer) cannot stop its merges, which would otherwise run
    on for many minutes, writing a segment nobody adopts; the folder they leave is
    removed by the next run."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


class BackgroundMerges:
    """The merges of one writer: started after its commits, swapped in at later ones."""

    def __init__(self, index_path: str, schema: Any, policy: TieredMerges) -> None:
        self.index_path = index_path
        self.schema = schema
        self.policy = policy
        self._running: list[_Merge] = []
        self.merged_documents = 0  # documents the finished merges copied, for reports and tests

    @staticmethod
    def possible() -> bool:
        """A daemonic process (a Dask worker, a pool worker) may not start processes."""
        return not multiprocessing.current_process().daemon and os.name == "posix"

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def merging_documents(self) -> int:
        return sum(merge.documents for merge in self._running)

    @property
    def busy(self) -> set[str]:
        """Ids of the segments running merges read."""
        return set().union(*(merge.sources for merge in self._running))

    def start(self, segments: list[Any], *, finishing: bool = False) -> int:
        """Start the merges the policy asks for among committed `segments`, at most the
        policy's `at_once` running while the build goes on and one per core when
        `finishing` (nothing else left to do); returns how many."""
        limit = usable_cores() if finishing else self.policy.at_once
        groups = self.policy.plan(segments, self.busy)
        if limit is not None:
            groups = groups[:max(0, limit - len(self._running))]
        for group in groups:
            self._running.append(_Merge(self.index_path, self.schema, group))
        return len(groups)

    def finished(self, *, wait: bool = False, waiting: Callable[[], None] | None = None) -> list[MergedSegment]:
        """Merged segments ready to swap in (with `wait`, after every running merge
        ends, calling `waiting` about once a second meanwhile)."""
        while wait and any(not merge.done() for merge in self._running):
            if waiting is not None:
                waiting()
            time.sleep(0.2 if waiting is None else 1.0)
        ready = [merge for merge in self._running if merge.done()]
        self._running = [merge for merge in self._running if merge not in ready]
        results: list[MergedSegment] = []
        try:
            for merge in ready:
                results.append(merge.result())
        except BaseException:
            for part in results:
                part.discard()
            raise
        self.merged_documents += sum(len(docmap) for part in results for _, docmap in part.sources.values())
        return results

    def stop(self) -> None:
        """Kill every running merge (cancel, interrupt, optimize)."""
        running, self._running = self._running, []
        for merge in running:
            merge.stop()


__all__ = ["BackgroundMerges", "MergeFailed"]
