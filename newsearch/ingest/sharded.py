"""Building an archive of shards: each shard an ordinary index, built by the single-index pipeline.

`newsearch index PATH... --shards N` writes the shard map, then builds every shard
from the same inputs with pipeline.index_paths(shard=(k, N)): each run reads all
inputs and writes only the articles whose id hashes to its shard, so each shard
has its own manifest, lock, resume point, check, rebuild and prune, exactly as a
single index. The first shard also groups every article into stories, in input
order, so the archive's stories are those one index would form.

Where the shards' builds run is the caller's `build` (here, one after the other;
newsearch.cluster runs each as a Dask task).
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..engine import store as _store
from ..errors import NewsearchError
from ..locations import resolve_index_path
from ..shards import ShardMap, is_archive
from .pipeline import index_paths
from .report import IngestReport

# (inputs, [(shard folder, (number, count))], index_paths options) -> a report per shard
BuildShards = Callable[[list[str], list[tuple[str, tuple[int, int]]], dict[str, Any]], list[IngestReport]]


def archive_map(target: Path, shards: int | None) -> ShardMap:
    """The archive's shard map, written for a new archive; a different count is refused."""
    if is_archive(target):
        current = ShardMap.load(target)
        if shards is not None and shards != current.count:
            raise NewsearchError(f"{target}: the archive holds {current.count} shards, not {shards}; "
                                 "build the new layout into another folder")
        return current
    if shards is None:
        raise NewsearchError(f"{target}: not an archive of shards")
    if _store.exists(target) or (target.exists() and any(target.iterdir())):
        raise NewsearchError(f"{target}: already holds an index or other files; give --shards a new or empty folder")
    shard_map = ShardMap.of(shards)
    target.mkdir(parents=True, exist_ok=True)
    shard_map.save(target)
    return shard_map


def build_here(paths: list[str], jobs: list[tuple[str, tuple[int, int]]],
               options: dict[str, Any]) -> list[IngestReport]:
    """Build the shards one after the other in this process (each parses with the run's
    worker processes); an interrupted or stopped shard ends the run, and the next run
    resumes it and builds the rest."""
    reports = []
    for shard_path, shard in jobs:
        reports.append(index_paths(paths, index=shard_path, shard=shard, **options))
        if reports[-1].interrupted or reports[-1].stopped_early:
            break
    return reports


def index_archive(
    paths: Iterable[str | os.PathLike[str]],
    *,
    index: str | os.PathLike[str] | None = None,
    shards: int | None = None,
    build: BuildShards = build_here,
    **options: Any,
) -> IngestReport:
    """Index `paths` into the archive of shards at `index` (created with `shards`
    shards); `options` are index_paths' keyword options, applied to every shard."""
    started = time.monotonic()
    target = resolve_index_path(index)
    shard_map = archive_map(target, shards)
    inputs = [os.fspath(p) for p in paths]
    if "root" in options and options["root"] is not None:
        options["root"] = os.fspath(options["root"])
    jobs = [(str(path), (k, shard_map.count)) for k, path in enumerate(shard_map.paths(target))]
    reports = build(inputs, jobs, options)
    report = combined(str(target), reports)
    report.seconds = time.monotonic() - started
    return report


def combined(index: str, reports: Sequence[IngestReport]) -> IngestReport:
    """One report for the archive: articles summed over shards; inputs (files, failures,
    skips), which every shard met alike, as the first shard saw them."""
    first = reports[0]
    report = IngestReport(index=index, files_found=first.files_found, files_indexed=first.files_indexed,
                          files_unchanged=first.files_unchanged, files_removed=first.files_removed,
                          failures=list(first.failures), skipped=list(first.skipped), policy=first.policy)
    report.counts = {key: sum(r.counts.get(key, 0) for r in reports) for key in first.counts}
    for name in ("articles", "articles_removed", "documents_before", "documents", "dates_rejected",
                 "articles_without_text", "resumed_articles"):
        setattr(report, name, sum(getattr(r, name) for r in reports))
    report.merges = [m for r in reports for m in r.merges]
    report.stopped_early = any(r.stopped_early for r in reports)
    report.interrupted = next((r.interrupted for r in reports if r.interrupted), None)
    report.resumed = any(r.resumed for r in reports)
    report.stale_lock_pid = next((r.stale_lock_pid for r in reports if r.stale_lock_pid), None)
    return report


__all__ = ["archive_map", "build_here", "combined", "index_archive"]
