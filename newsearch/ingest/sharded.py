"""Building an archive of shards: each shard an ordinary index, built by the single-index pipeline.

`newsearch index PATH... --shards N` writes the shard map, parses the spans every
shard's build needs once, into a spool split by shard (spool.py), then builds every
shard with pipeline.index_paths(shard=(k, N), spool=...): each run plans all inputs
and writes only the articles whose id hashes to its shard, read from the spool, so
each shard has its own manifest, lock, resume point, check, rebuild and prune,
exactly as a single index. The first shard also groups every article into stories,
in input order, so the archive's stories are those one index would form.

Where the parsing and the shards' builds run is the caller's `parse` and `build`
(here, parser processes, then one shard after the other; newsearch.cluster runs
parse tasks, then each shard's build as a task).
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..cores import usable_cores
from ..engine import store as _store
from ..errors import NewsearchError
from ..locations import resolve_index_path
from ..shards import ShardMap, is_archive
from ..sources import resolve
from ..sources.spans import ResumePoint, Span
from .batches import units
from .manifest import Manifest
from .pipeline import PRUNE_NONE, IngestOptions, index_paths, plan
from .report import IngestReport
from .spool import Spool, spool_span, sweep
from .workers import map_in_processes

# (inputs, [(shard folder, (number, count))], index_paths options) -> a report per shard
BuildShards = Callable[[list[str], list[tuple[str, tuple[int, int]]], dict[str, Any]], list[IngestReport]]
# (spool, groups of spans, options, index_paths options) -> parses them into the spool
ParseSpans = Callable[[Spool, list[tuple[Span, ...]], IngestOptions, dict[str, Any]], None]
# Articles per parse task: enough to outweigh a task's cost, few enough to share the work out.
SPOOL_TASK_ARTICLES = 1_000


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


def spool_group(job: tuple[Spool, tuple[Span, ...], IngestOptions]) -> int:
    """Runs in a parser: the spans of one parse task into the spool; the articles parsed."""
    spool, group, options = job
    return sum(spool_span(spool, unit, options) for unit in group)


def parse_here(spool: Spool, groups: list[tuple[Span, ...]], options: IngestOptions,
               run: dict[str, Any]) -> None:
    """Parse the groups in the run's parser processes (here with one job); a stop asked
    for ends the parsing, and the shards' builds then stop at their first check."""
    stop = run.get("stop")
    jobs = max(1, run.get("jobs") or usable_cores())
    work = [(spool, group, options) for group in groups]
    results = (map(spool_group, work) if jobs <= 1 else
               map_in_processes(spool_group, work, jobs=jobs, on_death=lambda job, reason: 0))
    try:
        for _ in results:
            if stop is not None and stop():
                break
    finally:
        getattr(results, "close", lambda: None)()  # stops the parser processes


def spans_to_parse(inputs: list[str], paths: list[Path], options: dict[str, Any]) -> list[tuple[Span, ...]]:
    """The spans the shards' builds will ask for, each once, in parse-task groups: the
    files each shard's manifest does not hold unchanged, from each one's resume point.
    A span guessed wrong is only parsed again by the build that needs it."""
    ingest = options.get("options") or IngestOptions()
    root = options.get("root")
    starts: dict[tuple[str, ResumePoint], Any] = {}
    for path in paths:
        manifest = Manifest() if options.get("rebuild") else Manifest.load(path)
        if manifest.root is None and root is not None:
            manifest.root = resolve(root)
        work = plan(inputs, manifest, kind=ingest.kind, prune=PRUNE_NONE, reread=bool(options.get("rebuild")))
        for source in work.to_index:
            partial = work.resume.get(source.identity)
            point = ResumePoint(partial.offset, partial.record) if partial else ResumePoint()
            starts.setdefault((source.identity, point), source)
    groups: list[tuple[Span, ...]] = []
    group: list[Span] = []
    for (key, point), source in starts.items():
        for unit in units([source], ingest, {key: point}):
            group.append(unit)
            if sum(u.articles for u in group) >= SPOOL_TASK_ARTICLES:
                groups.append(tuple(group))
                group = []
    return groups + ([tuple(group)] if group else [])


def index_archive(
    paths: Iterable[str | os.PathLike[str]],
    *,
    index: str | os.PathLike[str] | None = None,
    shards: int | None = None,
    build: BuildShards = build_here,
    parse: ParseSpans = parse_here,
    **options: Any,
) -> IngestReport:
    """Index `paths` into the archive of shards at `index` (created with `shards`
    shards); `options` are index_paths' keyword options, applied to every shard.
    Each input is parsed once, by `parse`, for all the shards `build` then writes."""
    started = time.monotonic()
    target = resolve_index_path(index)
    shard_map = archive_map(target, shards)
    inputs = [os.fspath(p) for p in paths]
    if "root" in options and options["root"] is not None:
        options["root"] = os.fspath(options["root"])
    jobs = [(str(path), (k, shard_map.count)) for k, path in enumerate(shard_map.paths(target))]
    sweep(target)
    spool = Spool.beside(target, shard_map.count)
    try:
        groups = spans_to_parse(inputs, shard_map.paths(target), options)
        if groups:
            parse(spool, groups, options.get("options") or IngestOptions(), options)
        reports = build(inputs, jobs, {**options, "spool": spool})
    finally:
        spool.remove()
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


__all__ = ["archive_map", "build_here", "combined", "index_archive", "parse_here", "spans_to_parse", "spool_group"]
