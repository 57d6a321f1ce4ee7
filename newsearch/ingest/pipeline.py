"""sources -> parse -> store: building and updating an index from files.

Worker processes parse batches of files and write each batch as a Whoosh segment
(batches.py, segments.py); this process holds the index lock, drops replaced
articles, adopts the segments and commits. After each commit the manifest records
the files whose articles are all committed, so a killed run loses at most the
batches in flight and the next run resumes.
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .. import __version__
from ..engine import store as _store
from ..errors import IndexCorrupt, NewsearchError, ParseError, SchemaMismatch
from ..locations import resolve_index_path
from ..engine.locking import LOCK_FILE, WriterLock
from .manifest import MANIFEST_FILE, Fingerprint, Manifest, file_sha1
from ..models import Article
from ..stories import STORE_FILE, sketch
from ..parse.dispatch import DEFAULT_MAX_BODY_CHARS, ParseOptions
from .batches import batches, parse_unit, run_batches, share_progress_counter, units
from ..engine.segments import PARTS_DIR, remove_parts
from ..sources import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    DEFAULT_MAX_FILE_BYTES,
    SourceFile,
    content_bytes,
    find_sources,
)

# Articles per commit when the caller gives none; smaller means less lost on a crash.
DEFAULT_BATCH_SIZE = 2_000
# A fresh build commits less often: each worker batch becomes a segment that every
# query visits, and a killed build resumes from its last commit anyway. 20,000 long
# articles keep a worker's input and posting pool well under half a gigabyte.
FRESH_BUILD_BATCH_SIZE = 20_000
BATCH_SIZE_ENV = "NEWSEARCH_BATCH_SIZE"
# A typical news article as a JSON line, to guess how many articles a file holds.
JSONL_BYTES_PER_ARTICLE = 3_000
# Fewer articles than this per batch costs more in segments than it gains.
MIN_BATCH = 64


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
    """Sent to the progress callback a few times a second during a run."""

    files_done: int
    files_total: int
    articles: int
    failures: int
    elapsed: float
    bytes_done: int = 0  # of input read so far (uncompressed), the measure of how far a run is
    bytes_total: int = 0


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
    resumed: bool = False

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
        if self.resumed:
            text += "; resumed an interrupted build"
        elif not self.changed and not self.failures:
            text += "; index already up to date"
        if self.stopped_early:
            text += "; stopped at the first failure (a fresh build is not swapped in)"
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
            "resumed": self.resumed,
            "stale_lock_pid": self.stale_lock_pid,
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
    # Unchanged files whose modification time moved (a fresh checkout, a cache restore):
    # recorded so the next run need not hash them again.
    retimed: list[Fingerprint] = field(default_factory=list)


def plan(paths: Iterable[str], manifest: Manifest, *, kind: str | None, prune: bool,
         reread: bool = False) -> Plan:
    """Compare the files under `paths` with the manifest (`reread`: treat all as changed)."""
    to_index: list[SourceFile] = []
    unchanged: list[str] = []
    missing: list[ParseError] = []
    retimed: list[Fingerprint] = []
    seen: set[str] = set()
    for item in find_sources(paths, kind=kind):
        if isinstance(item, ParseError):
            missing.append(item)
            continue
        seen.add(item.path)
        if reread:
            to_index.append(item)
            continue
        verdict = manifest.is_unchanged(item.path, item.size, item.mtime)
        if verdict is None:
            known = manifest.sources[item.path]
            try:
                verdict = file_sha1(item.path) == known.sha1
            except OSError:
                verdict = False
            if verdict:
                retimed.append(Fingerprint(known.path, known.size, item.mtime, known.sha1, known.articles,
                                           known.failures))
        (unchanged.append(item.path) if verdict else to_index.append(item))
    removed = sorted(set(manifest.sources) - seen) if prune else []
    return Plan(to_index, unchanged, removed, missing, len(seen), retimed)


# ---------------------------------------------------------------------------
# The run


def index_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    index: str | os.PathLike[str] | None = None,
    rebuild: bool = False,
    prune: bool = False,
    jobs: int | None = None,
    language: str | None = None,
    stem: bool | None = None,
    options: IngestOptions = IngestOptions(),
    batch_size: int | None = None,
    fail_fast: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> IngestReport:
    """Index every article under `paths`, skipping files unchanged since the last run.

    With `rebuild`, a fresh index is built beside the old one and swapped in at the
    end, so searches keep working (on the old index) during the rebuild and a failed
    rebuild leaves the old index in place. `language` and `stem` default to the
    existing index's (English with stemming for a new one); asking for others
    without `rebuild` raises SchemaMismatch. `batch_size` defaults to
    $NEWSEARCH_BATCH_SIZE, else 2,000 articles per commit (20,000 for a fresh build).
    """
    started = time.monotonic()
    inputs = [os.path.normpath(os.fspath(p)) for p in paths]
    target = resolve_index_path(index)
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    _recover_interrupted_swap(target)
    if rebuild or not _store.exists(target):
        batch_size = _batch_size(batch_size, default=FRESH_BUILD_BATCH_SIZE)
        index_options = _analysis_for_build(target, language=language, stem=stem)
        return _build_fresh(inputs, target, index_options, options, jobs, batch_size, fail_fast, progress,
                            started)
    return _update(inputs, target, prune, options, jobs, _batch_size(batch_size), fail_fast, progress, started,
                   language=language, stem=stem)


def _analysis_for_build(target: Path, *, language: str | None, stem: bool | None) -> _store.IndexOptions:
    """Options not given are kept from the index being rebuilt, so a rebuild never switches language."""
    try:
        current = _store.read_meta(target).get("analysis", {}) if _store.exists(target) else {}
    except NewsearchError:
        current = {}
    return _store.IndexOptions(
        language=language or str(current.get("language", "en")),
        stem=stem if stem is not None else bool(current.get("stem", True)),
    )


def _batch_size(given: int | None, *, default: int = DEFAULT_BATCH_SIZE) -> int:
    if given is not None:
        return max(1, given)
    text = os.environ.get(BATCH_SIZE_ENV, "").strip()
    try:
        return max(1, int(text)) if text else default
    except ValueError:
        raise NewsearchError(f"{BATCH_SIZE_ENV}={text!r} is not a whole number") from None


def _build_fresh(inputs: list[str], target: Path, index_options: _store.IndexOptions, options: IngestOptions,
                 jobs: int, batch_size: int, fail_fast: bool, progress: Any, started: float) -> IngestReport:
    """Build into `<index>.building` and swap it in; a killed build of the same inputs resumes.

    The lock is taken on the target folder (created empty for a first build) before
    the building folder is touched, so two builders never share one.
    """
    _ensure_replaceable(target)
    created = not _store.exists(target)
    target.mkdir(parents=True, exist_ok=True)
    guard = WriterLock(str(target))
    guard.acquire()
    building = target.with_name(target.name + _store.BUILDING_SUFFIX)
    try:
        settings = _settings(index_options, options)
        resumed = _resumable(building, inputs, settings)
        if resumed:
            ix, _ = _store.open_index(building)
            manifest = Manifest.load(building)
        else:
            if building.exists():
                _ensure_replaceable(building)
                shutil.rmtree(building)
            ix = _store.create_index(building, index_options)
            manifest = Manifest(inputs=inputs, settings=settings)
        # A resumed build may hold files deleted since, and part of a file cut off by
        # the crash: prune, and replace by path (fresh=False) rather than append.
        work = plan(inputs, manifest, kind=options.kind, prune=resumed)
        report = IngestReport(index=str(target), files_found=work.found, files_unchanged=len(work.unchanged),
                              resumed=resumed)
        report.failures.extend(Failure.from_error(e) for e in work.missing)
        report.failures.extend(recorded_failures(manifest, work.unchanged))
        _run(ix, building, manifest, work, options, jobs, batch_size, fail_fast, progress, report,
             fresh=not resumed)
        report.stale_lock_pid = guard.stale_pid or report.stale_lock_pid
        if not report.stopped_early:
            _store.advance_generation(ix, beyond=_store.generation(target))
        ix.close()
        if not report.stopped_early:
            _swap_in(building, target)
    finally:
        guard.release()
        if created:
            _remove_if_only_lock(target)
    report.seconds = time.monotonic() - started
    return report


def _ensure_replaceable(target: Path) -> None:
    """Refuse to build over a folder holding anything but an index: the swap deletes it."""
    if not target.exists():
        return
    ours = {LOCK_FILE, MANIFEST_FILE, _store.META_FILE, _store.FACET_CACHE_DIR, PARTS_DIR, STORE_FILE,
            STORE_FILE + "-journal"}
    foreign = sorted(
        p.name for p in target.iterdir()
        if p.name.removesuffix(".tmp") not in ours and not _store.is_engine_file(p.name)
    ) if target.is_dir() else [target.name]
    if foreign:
        raise NewsearchError(
            f"{target}: not an index folder (it holds {foreign[0]!r}); give --index a new or empty folder"
        )


def _resumable(building: Path, inputs: list[str], settings: dict[str, Any]) -> bool:
    """Whether `building` is a killed build of these inputs, by this version, worth continuing."""
    if not _store.exists(building):
        return False
    try:
        meta = _store.read_meta(building)
    except NewsearchError:
        return False
    manifest = Manifest.load(building)
    return (
        meta.get("newsearch_version") == __version__
        and meta.get("schema_version") == _store.SCHEMA_VERSION
        and bool(manifest.sources)
        and manifest.settings == settings
        and sorted(manifest.inputs) == sorted(inputs)
    )


def _remove_if_only_lock(folder: Path) -> None:
    """Undo the empty folder a failed first build created to hold its lock."""
    try:
        if folder.is_dir() and {p.name for p in folder.iterdir()} <= {LOCK_FILE}:
            shutil.rmtree(folder, ignore_errors=True)
    except OSError:
        pass


def _update(inputs: list[str], target: Path, prune: bool, options: IngestOptions, jobs: int,
            batch_size: int, fail_fast: bool, progress: Any, started: float, *,
            language: str | None, stem: bool | None) -> IngestReport:
    ix, index_options = _store.open_index(target)
    _check_analysis(target, index_options, language=language, stem=stem)
    manifest = Manifest.load(target)
    manifest.inputs = sorted(set(manifest.inputs) | set(inputs))
    settings = _settings(index_options, options)
    # Files read with other options (format, section from folder) would keep stale
    # articles if skipped as unchanged, so they are all read again.
    reread = bool(manifest.sources) and any(
        manifest.settings.get(key) != value for key, value in options.to_dict().items()
    )
    manifest.settings = settings
    work = plan(inputs, manifest, kind=options.kind, prune=prune, reread=reread)
    report = IngestReport(index=str(target), files_found=work.found, files_unchanged=len(work.unchanged))
    report.failures.extend(Failure.from_error(e) for e in work.missing)
    report.failures.extend(recorded_failures(manifest, work.unchanged))
    _run(ix, target, manifest, work, options, jobs, batch_size, fail_fast, progress, report, fresh=False)
    report.seconds = time.monotonic() - started
    return report


def _check_analysis(target: Path, current: _store.IndexOptions, *, language: str | None,
                    stem: bool | None) -> None:
    """Analysis is fixed when an index is created; asking for other options needs a rebuild."""
    for key, wanted in (("language", language), ("stem", stem)):
        have = getattr(current, key)
        if wanted is not None and wanted != have:
            raise SchemaMismatch(
                f"{target}: index was built with {key}={have!r}, not {wanted!r}; "
                "index again with --rebuild (or run `newsearch rebuild`) to change it"
            )


def _settings(index_options: _store.IndexOptions, options: IngestOptions) -> dict[str, Any]:
    return {**index_options.to_dict(), **options.to_dict()}


def _swap_in(building: Path, target: Path) -> None:
    """Replace `target` with the freshly built index in two renames.

    The caller's lock file moves with the old folder, so it stays held until the
    swap is over; `_recover_interrupted_swap` finishes a swap cut off between renames.
    """
    old = target.with_name(target.name + _store.REPLACED_SUFFIX)
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(building, target)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _recover_interrupted_swap(target: Path) -> None:
    """Finish (or clean up after) a swap killed between its renames.

    `<index>.replaced` only exists during a swap: with the target gone, the building
    folder is complete and goes in; with the target present, it is left over.
    """
    old = target.with_name(target.name + _store.REPLACED_SUFFIX)
    if not old.is_dir():
        return
    lock = WriterLock(str(old))
    lock.acquire()  # IndexLocked while the swapping process is still alive
    try:
        building = target.with_name(target.name + _store.BUILDING_SUFFIX)
        if not target.exists() and _store.exists(building):
            os.replace(building, target)
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
    finally:
        lock.release()


def _run(ix: Any, path: Path, manifest: Manifest, work: Plan, options: IngestOptions, jobs: int,
         batch_size: int, fail_fast: bool, progress: Any, report: IngestReport, *, fresh: bool) -> None:
    if fail_fast and report.failures:
        report.stopped_early = True  # a path that could not be found or read is already the first failure
        return
    started = time.monotonic()
    writer = _store.IndexWriter(str(path), ix)
    expected = _store.doc_count(ix)
    completed: list[Fingerprint] = []
    # Articles of this run not yet committed: id -> (its segment, document number),
    # so a later copy of the same article drops the earlier one.
    uncommitted: dict[str, tuple[Any, int]] = {}
    seen_ids: set[str] = set()
    per_file: dict[str, int] = {}
    file_failures: dict[str, list[tuple[int | None, str]]] = {}
    counter = share_progress_counter()

    def commit() -> None:
        writer.commit()
        uncommitted.clear()
        held = _store.doc_count(ix)
        if held != expected:  # a lost segment or document must not pass silently
            raise IndexCorrupt(f"{path}: index holds {held:,} articles after commit, expected {expected:,}")
        manifest.update(completed)
        completed.clear()
        with _store.storage_errors(str(path)):
            manifest.save(path)

    def report_progress() -> None:
        if progress is not None:
            progress(Progress(counter[0], len(work.to_index), max(report.articles, counter[1]),
                              len(report.failures), time.monotonic() - started,
                              bytes_done=counter[2], bytes_total=bytes_total))

    manifest.update(work.retimed)
    bytes_total = sum(content_bytes(source) for source in work.to_index)
    analysis = _store.options_from_meta(str(path), _store.read_meta(path))
    size = _per_batch(work.to_index, batch_size, jobs)
    with writer:
        report.stale_lock_pid = writer.stale_lock_pid
        remove_parts(path)
        if work.removed:
            removed = writer.delete_paths(work.removed)
            report.articles_removed += removed
            expected -= removed
            manifest.forget(work.removed)
            report.files_removed = len(work.removed)
        todo = batches(units(work.to_index, options), size=size, index_path=str(path), analysis=analysis,
                       options=options)
        results = run_batches(todo, jobs=jobs, on_wait=report_progress)
        try:
            for result in results:
                if result.storage_error is not None:
                    with _store.storage_errors(str(path)):
                        raise result.storage_error
                written, docnum = result.written, 0
                for outcome in result.outcomes:
                    source = outcome.source
                    if not fresh and source.path not in per_file:
                        removed = writer.delete_paths([source.path])
                        report.articles_removed += removed
                        expected -= removed
                    per_file.setdefault(source.path, 0)
                    for item in outcome.items:
                        if isinstance(item, ParseError):
                            report.failures.append(Failure.from_error(item))
                            file_failures.setdefault(source.path, []).append((item.line, item.reason))
                            if fail_fast:
                                report.stopped_early = True
                                break
                            continue
                        earlier = uncommitted.get(item)
                        if earlier is not None:
                            earlier[0].drop(earlier[1])
                            expected -= 1
                        elif not fresh or item in seen_ids:
                            expected -= writer.delete_ids([item])
                        expected += 1
                        date, found = outcome.sketches.get(item, (None, sketch("")))
                        writer.stories.assign(item, date, found)
                        uncommitted[item] = (written, docnum)
                        docnum += 1
                        seen_ids.add(item)
                        per_file[source.path] += 1
                        report.articles += 1
                    if report.stopped_early:
                        break
                    if outcome.last:
                        report.files_indexed += 1
                        completed.append(Fingerprint(source.path, source.size, source.mtime, outcome.sha1 or "",
                                                     per_file.pop(source.path, 0),
                                                     tuple(file_failures.pop(source.path, ()))))
                if written is not None:
                    for later in range(docnum, len(written.ids)):  # after a fail-fast stop
                        written.drop(later)
                    writer.add_segment(written)
                report_progress()
                if report.stopped_early:
                    break
                if writer.pending >= batch_size:
                    commit()
            commit()
        finally:
            results.close()  # stops the workers before their private folders go
            remove_parts(path)


def _per_batch(files: list[SourceFile], batch_size: int, jobs: int) -> int:
    """Articles per worker batch: at most a commit's worth, and small enough that
    every worker gets a share of a small run. JSON Lines sizes are guessed from bytes."""
    guess = 0
    for source in files:
        if source.kind == "jsonl":
            guess += max(1, source.size * (4 if source.path.endswith(".gz") else 1) // JSONL_BYTES_PER_ARTICLE)
        else:
            guess += 1
    return max(MIN_BATCH, min(batch_size, -(-guess // jobs)))


def recorded_failures(manifest: Manifest, paths: Iterable[str]) -> list[Failure]:
    """Failures of files skipped as unchanged: a bad file keeps failing every run (and
    keeps the exit code non-zero) until it is fixed, instead of passing silently."""
    found = []
    for path in paths:
        known = manifest.sources.get(path)
        for line, reason in known.failures if known else ():
            found.append(Failure(path=path, reason=f"{reason} (unchanged since it failed)", line=line))
    return found


def parse_paths(
    paths: Iterable[str | os.PathLike[str]], *, options: IngestOptions = IngestOptions()
) -> Iterator[Article | ParseError]:
    """What indexing would store, without touching an index (`newsearch parse`)."""
    for item in find_sources([os.fspath(p) for p in paths], kind=options.kind):
        if isinstance(item, ParseError):
            yield item
            continue
        for unit in units([item], options):
            yield from parse_unit(unit, options)
