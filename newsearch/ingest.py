"""sources -> parse -> store: building and updating an index from files.

Parsing runs in worker processes; the single Whoosh writer runs here and commits in
batches. After each commit the manifest records the files whose articles are all
committed, so a killed run loses at most one batch and the next run resumes.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from . import store as _store
from .errors import IndexCorrupt, NewsearchError, ParseError
from .locations import resolve_index_path
from .locking import WriterLock
from .manifest import Fingerprint, Manifest, file_sha1
from .models import Article
from .parse.dispatch import DEFAULT_MAX_BODY_CHARS, ParseOptions, parse_document
from .sources import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    DEFAULT_MAX_FILE_BYTES,
    RawDocument,
    SourceFile,
    find_sources,
    iter_lines,
    read_bytes,
)

DEFAULT_BATCH_SIZE = 2_000
JSONL_CHUNK_LINES = 200


@dataclass(frozen=True)
class Failure:
    """One input that could not be indexed, and why."""

    path: str
    reason: str
    line: int | None = None

    @classmethod
    def from_error(cls, error: ParseError) -> "Failure":
        return cls(path=error.path, reason=error.reason, line=error.line)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class Progress:
    """Sent to the progress callback after each unit of work."""

    files_done: int
    files_total: int
    articles: int
    failures: int
    elapsed: float


@dataclass
class IngestReport:
    """What an indexing run did; `ok` is False when any input failed."""

    index: str
    files_found: int = 0
    files_indexed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    articles: int = 0
    articles_removed: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False
    stale_lock_pid: int | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and not self.stopped_early

    @property
    def changed(self) -> bool:
        return bool(self.files_indexed or self.files_removed)

    def summary(self) -> str:
        rate = self.articles / self.seconds if self.seconds > 0 else 0.0
        parts = [
            f"indexed {self.articles:,} articles from {self.files_indexed:,} files",
            f"{self.files_unchanged:,} unchanged",
        ]
        if self.files_removed:
            parts.append(f"{self.files_removed:,} removed")
        parts.append(f"{len(self.failures):,} failed")
        text = ", ".join(parts) + f" in {self.seconds:.1f}s ({rate:,.0f}/s)"
        if not self.changed and not self.failures:
            text += "; index already up to date"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "files_found": self.files_found,
            "files_indexed": self.files_indexed,
            "files_unchanged": self.files_unchanged,
            "files_removed": self.files_removed,
            "articles": self.articles,
            "articles_removed": self.articles_removed,
            "failures": [f.to_dict() for f in self.failures],
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
        }


@dataclass(frozen=True)
class IngestOptions:
    """How files are found and read; recorded in the manifest for `check`."""

    kind: str | None = None
    section_from_dir: bool = False
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
    max_body_chars: int = DEFAULT_MAX_BODY_CHARS

    def parse_options(self) -> ParseOptions:
        return ParseOptions(section_from_dir=self.section_from_dir, max_body_chars=self.max_body_chars)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "section_from_dir": self.section_from_dir}


# ---------------------------------------------------------------------------
# Planning: which files need work


@dataclass
class Plan:
    to_index: list[SourceFile]
    unchanged: list[str]
    removed: list[str]
    missing: list[ParseError]
    found: int


def plan(paths: Iterable[str], manifest: Manifest, *, kind: str | None, prune: bool) -> Plan:
    """Compare the files under `paths` with the manifest."""
    to_index: list[SourceFile] = []
    unchanged: list[str] = []
    missing: list[ParseError] = []
    seen: set[str] = set()
    for item in find_sources(paths, kind=kind):
        if isinstance(item, ParseError):
            missing.append(item)
            continue
        seen.add(item.path)
        verdict = manifest.is_unchanged(item.path, item.size, item.mtime)
        if verdict is None:
            try:
                verdict = file_sha1(item.path) == manifest.sources[item.path].sha1
            except OSError:
                verdict = False
        (unchanged.append(item.path) if verdict else to_index.append(item))
    removed = sorted(set(manifest.sources) - seen) if prune else []
    return Plan(to_index, unchanged, removed, missing, len(seen))


# ---------------------------------------------------------------------------
# Work units, parsed in worker processes


@dataclass(frozen=True)
class Unit:
    """A whole file, or a chunk of a JSON Lines file (last=True closes the file)."""

    source: SourceFile
    lines: tuple[tuple[int, bytes | ParseError], ...] | None = None
    last: bool = True


@dataclass(frozen=True)
class UnitResult:
    unit: Unit
    results: list[Article | ParseError]
    sha1: str | None


def _units(files: list[SourceFile], options: IngestOptions) -> Iterator[Unit]:
    for source in files:
        if source.kind != "jsonl":
            yield Unit(source)
            continue
        chunk: list[tuple[int, bytes | ParseError]] = []
        try:
            for number, line in iter_lines(
                source.path,
                max_line_bytes=options.max_file_bytes,
                max_decompressed_bytes=options.max_decompressed_bytes,
            ):
                chunk.append((number, line))
                if len(chunk) >= JSONL_CHUNK_LINES:
                    yield Unit(source, tuple(chunk), last=False)
                    chunk = []
        except ParseError as exc:
            chunk.append((exc.line or 0, exc))
        yield Unit(source, tuple(chunk), last=True)


def _parse_unit(args: tuple[Unit, IngestOptions]) -> UnitResult:
    """Runs in a worker: read and parse one unit; never raises."""
    unit, options = args
    source = unit.source
    parse_options = options.parse_options()
    results: list[Article | ParseError] = []
    sha1 = None
    if unit.lines is None:
        try:
            data = read_bytes(
                source.path,
                max_bytes=options.max_file_bytes,
                max_decompressed_bytes=options.max_decompressed_bytes,
            )
            raw = RawDocument(source.path, source.kind, data, section_hint=source.section_hint)
            results = parse_document(raw, parse_options)
        except ParseError as exc:
            results = [exc]
    else:
        for number, line in unit.lines:
            if isinstance(line, ParseError):
                results.append(line)
                continue
            raw = RawDocument(source.path, "jsonl", line, line=number, section_hint=source.section_hint)
            results.extend(parse_document(raw, parse_options))
    if unit.last:
        try:
            sha1 = file_sha1(source.path)
        except OSError:
            sha1 = ""
    return UnitResult(unit, results, sha1)


def _map_units(units: Iterator[Unit], options: IngestOptions, jobs: int) -> Iterator[UnitResult]:
    work = ((unit, options) for unit in units)
    if jobs <= 1:
        yield from map(_parse_unit, work)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(jobs) as pool:
        yield from pool.imap(_parse_unit, work, chunksize=4)


# ---------------------------------------------------------------------------
# The run


def index_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    index: str | os.PathLike[str] | None = None,
    rebuild: bool = False,
    prune: bool = False,
    jobs: int | None = None,
    language: str = "en",
    stem: bool = True,
    options: IngestOptions = IngestOptions(),
    batch_size: int = DEFAULT_BATCH_SIZE,
    fail_fast: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> IngestReport:
    """Index every article under `paths`, skipping files unchanged since the last run.

    With `rebuild`, a fresh index is built beside the old one and swapped in at the
    end, so searches keep working (on the old index) during the rebuild and a failed
    rebuild leaves the old index in place.
    """
    started = time.monotonic()
    inputs = [os.path.normpath(os.fspath(p)) for p in paths]
    target = resolve_index_path(index)
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    if rebuild or not _store.exists(target):
        return _build_fresh(inputs, target, language, stem, options, jobs, batch_size, fail_fast, progress, started)
    return _update(inputs, target, prune, options, jobs, batch_size, fail_fast, progress, started)


def _build_fresh(inputs: list[str], target: Path, language: str, stem: bool, options: IngestOptions,
                 jobs: int, batch_size: int, fail_fast: bool, progress: Any, started: float) -> IngestReport:
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.name + ".building")
    if building.exists():
        shutil.rmtree(building)
    index_options = _store.IndexOptions(language=language, stem=stem)
    ix = _store.create_index(building, index_options)
    manifest = Manifest(inputs=inputs, settings=_settings(index_options, options))
    work = plan(inputs, manifest, kind=options.kind, prune=False)
    report = IngestReport(index=str(target), files_found=work.found)
    report.failures.extend(Failure.from_error(e) for e in work.missing)
    guard = WriterLock(str(target)) if target.exists() else None
    if guard:
        guard.acquire()
    try:
        _run(ix, building, manifest, work, options, jobs, batch_size, fail_fast, progress, report, fresh=True)
        ix.close()
        _swap_in(building, target)
    finally:
        if guard:
            guard.release()
    report.seconds = time.monotonic() - started
    return report


def _update(inputs: list[str], target: Path, prune: bool, options: IngestOptions, jobs: int,
            batch_size: int, fail_fast: bool, progress: Any, started: float) -> IngestReport:
    ix, index_options = _store.open_index(target)
    manifest = Manifest.load(target)
    manifest.inputs = sorted(set(manifest.inputs) | set(inputs))
    manifest.settings = _settings(index_options, options)
    work = plan(inputs, manifest, kind=options.kind, prune=prune)
    report = IngestReport(index=str(target), files_found=work.found, files_unchanged=len(work.unchanged))
    report.failures.extend(Failure.from_error(e) for e in work.missing)
    _run(ix, target, manifest, work, options, jobs, batch_size, fail_fast, progress, report, fresh=False)
    report.seconds = time.monotonic() - started
    return report


def _settings(index_options: _store.IndexOptions, options: IngestOptions) -> dict[str, Any]:
    return {**index_options.to_dict(), **options.to_dict()}


def _swap_in(building: Path, target: Path) -> None:
    """Replace `target` with the freshly built index in two renames."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(building, target)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _run(ix: Any, path: Path, manifest: Manifest, work: Plan, options: IngestOptions, jobs: int,
         batch_size: int, fail_fast: bool, progress: Any, report: IngestReport, *, fresh: bool) -> None:
    started = time.monotonic()
    writer = _store.IndexWriter(str(path), ix)
    expected = ix.doc_count()
    completed: list[Fingerprint] = []
    batch_ids: set[str] = set()
    seen_ids: set[str] = set()
    per_file: dict[str, int] = {}

    def commit() -> None:
        nonlocal expected
        writer.commit()
        batch_ids.clear()
        if fresh and ix.doc_count() != expected:
            raise IndexCorrupt(
                f"{path}: index holds {ix.doc_count():,} articles after commit, expected {expected:,}"
            )
        manifest.update(completed)
        completed.clear()
        manifest.save(path)

    with writer:
        report.stale_lock_pid = writer.stale_lock_pid
        if work.removed:
            report.articles_removed += writer.delete_paths(work.removed)
            manifest.forget(work.removed)
            report.files_removed = len(work.removed)
        files_done = 0
        for result in _map_units(_units(work.to_index, options), options, jobs):
            source = result.unit.source
            if not fresh and source.path not in per_file:
                report.articles_removed += writer.delete_paths([source.path])
            per_file.setdefault(source.path, 0)
            for item in result.results:
                if isinstance(item, ParseError):
                    report.failures.append(Failure.from_error(item))
                    if fail_fast:
                        report.stopped_early = True
                        break
                    continue
                if item.id in batch_ids:
                    commit()
                replace = not fresh or item.id in seen_ids
                if fresh and not replace:
                    expected += 1
                writer.add(item, replace=replace)
                batch_ids.add(item.id)
                seen_ids.add(item.id)
                per_file[source.path] += 1
                report.articles += 1
            if result.unit.last:
                files_done += 1
                report.files_indexed += 1
                completed.append(Fingerprint(source.path, source.size, source.mtime, result.sha1 or "",
                                             per_file.pop(source.path, 0)))
            if progress is not None:
                progress(Progress(files_done, len(work.to_index), report.articles, len(report.failures),
                                  time.monotonic() - started))
            if report.stopped_early:
                break
            if writer.pending >= batch_size:
                commit()
        commit()


def parse_paths(
    paths: Iterable[str | os.PathLike[str]], *, options: IngestOptions = IngestOptions()
) -> Iterator[Article | ParseError]:
    """What indexing would store, without touching an index (`newsearch parse`)."""
    for item in find_sources([os.fspath(p) for p in paths], kind=options.kind):
        if isinstance(item, ParseError):
            yield item
            continue
        for unit in _units([item], options):
            yield from _parse_unit((unit, options)).results
