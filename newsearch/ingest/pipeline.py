"""sources -> parse -> store: building and updating an index from files.

Worker processes parse batches of spans (sources/spans.py: whole files, or byte
ranges of big ones) and write each batch as a Whoosh segment (batches.py,
segments.py); this process holds the index lock, drops replaced articles, adopts
the segments and commits. After each commit the manifest records the files whose
articles are all committed and where each file committed in part stands, so a
killed or interrupted run loses at most the batches in flight and the next run
resumes there ("resuming: N articles already built").

A first build (no index yet) is built in place, so whatever it commits is
searchable at once; a rebuild over an existing index is built beside it and
swapped in at the end, so the old index serves searches until then.
"""
from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..cores import usable_cores
from .. import __version__
from ..engine import merge_policy
from ..engine import store as _store
from ..errors import IndexCorrupt, IndexLocked, NewsearchError, ParseError, SchemaMismatch
from ..locations import resolve_index_path
from ..engine.locking import LOCK_FILE, WriterLock
from .manifest import MANIFEST_FILE, Fingerprint, Manifest, Partial, file_sha1
from .report import (ENTRY_FILLS, KEPT_LATER, Failure, FailurePolicy, IngestReport, Merge, Progress,  # noqa: F401
                     plural)
from .stopping import Interrupted, check as _check_stop
from ..models import Article
from ..engine.spelling import SPELLING_FILE
from ..stories import EMPTY_SKETCH, STORE_FILE
from ..parse.dispatch import DEFAULT_MAX_BODY_CHARS, ParseOptions
from .batches import Elsewhere, batches, parse_unit, run_batches, share_progress_counter, units
from .merges import EntryMerges
from .spool import Spool
from ..engine.segments import PARTS_DIR, remove_parts
from ..sources.spans import ResumePoint
from ..sources import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    DEFAULT_MAX_FILE_BYTES,
    Skipped,
    SourceFile,
    content_bytes,
    find_sources,
    input_covers,
    resolve,
    resolve_input,
)

# Articles per commit when the caller gives none; smaller means less lost on a crash.
DEFAULT_BATCH_SIZE = 2_000
# A fresh build commits less often: each worker batch becomes a segment that every
# query visits, and a killed build resumes from its last commit anyway. 20,000 long
# articles keep a worker's input and posting pool well under half a gigabyte.
FRESH_BUILD_BATCH_SIZE = 20_000
BATCH_SIZE_ENV = "NEWSEARCH_BATCH_SIZE"
# Segments of one size tier merged at once while a run goes on; 0 turns the merges off.
MERGE_FACTOR_ENV = "NEWSEARCH_MERGE_FACTOR"
# A typical news article as a JSON line, to guess how many articles a file holds.
JSONL_BYTES_PER_ARTICLE = 3_000
# A crawl's bytes (compressed) per article page: requests, metadata, images and other pages besides.
WARC_BYTES_PER_ARTICLE = 30_000
WARC_BATCHES_PER_WORKER = 4
# Fewer articles than this per batch costs more in segments than it gains.
MIN_BATCH = 64


@dataclass(frozen=True)
class IngestOptions:
    """How files are found and read; recorded in the manifest for `check`."""

    kind: str | None = None
    section_from_dir: bool = False
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
    max_body_chars: int = DEFAULT_MAX_BODY_CHARS
    # Pages of a web archive: which capture of a URL is kept ("latest", "first" or "all":
    # every capture its own article), and whether pages that are not articles are indexed too.
    captures: str = "latest"
    all_pages: bool = False

    def __post_init__(self) -> None:
        if self.captures not in CAPTURES:
            raise NewsearchError(f"captures={self.captures!r}: expected one of {', '.join(CAPTURES)}")

    def parse_options(self) -> ParseOptions:
        return ParseOptions(section_from_dir=self.section_from_dir, max_body_chars=self.max_body_chars)

    def to_dict(self) -> dict[str, Any]:
        """The options that decide what is indexed (those left at their default for web
        archives are left out, so indexes built before them compare equal)."""
        found: dict[str, Any] = {"kind": self.kind, "section_from_dir": self.section_from_dir}
        if self.captures != "latest":
            found["captures"] = self.captures
        if self.all_pages:
            found["all_pages"] = True
        return found

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> "IngestOptions":
        """The options an index was built with, from its manifest's settings."""
        return cls(kind=settings.get("kind"), section_from_dir=bool(settings.get("section_from_dir")),
                   captures=str(settings.get("captures") or "latest"), all_pages=bool(settings.get("all_pages")))


CAPTURES = ("latest", "first", "all")


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
    skipped: list[Skipped] = field(default_factory=list)  # passed over in folders (READMEs, images)
    # Files to index whose first records a killed run committed: where to go on (by key).
    resume: dict[str, Partial] = field(default_factory=dict)


# What a run does with indexed files that are gone: PRUNE_INPUTS removes those the
# run's own inputs would have found (a folder indexed again means "what is in it now"),
# PRUNE_ALL every file not found under the run's inputs, PRUNE_NONE keeps them.
PRUNE_INPUTS, PRUNE_ALL, PRUNE_NONE = "inputs", "all", "none"


def _prune_mode(prune: bool | str) -> str:
    if prune is True:
        return PRUNE_ALL
    if prune is False:
        return PRUNE_NONE
    if prune not in (PRUNE_INPUTS, PRUNE_ALL, PRUNE_NONE):
        raise NewsearchError(f"prune={prune!r}: expected {PRUNE_INPUTS!r}, {PRUNE_ALL!r} or {PRUNE_NONE!r}")
    return prune


def plan(paths: Iterable[str], manifest: Manifest, *, kind: str | None, prune: bool | str,
         reread: bool = False) -> Plan:
    """Compare the files under `paths` with the manifest (`reread`: treat all as changed).

    `prune` says which indexed files that are gone count as removed (see PRUNE_INPUTS);
    an input that is missing altogether prunes nothing: it is reported as a failure.
    """
    paths = [resolve_input(p) for p in paths]
    to_index: list[SourceFile] = []
    unchanged: list[str] = []
    missing: list[ParseError] = []
    retimed: list[Fingerprint] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for item in find_sources(paths, kind=kind, root=manifest.root, skipped=skipped):
        if isinstance(item, ParseError):
            missing.append(item)
            continue
        key = item.identity
        seen.add(key)
        if reread:
            to_index.append(item)
            continue
        verdict = manifest.is_unchanged(key, item.size, item.mtime)
        if verdict is None:
            known = manifest.sources[key]
            try:
                verdict = file_sha1(item.path) == known.sha1
            except OSError:
                verdict = False
            if verdict:
                retimed.append(Fingerprint(known.path, known.size, item.mtime, known.sha1, known.articles,
                                           known.failures))
        (unchanged.append(key) if verdict else to_index.append(item))
    resume = {}
    for item in to_index:
        partial = manifest.partial.get(item.identity)
        if partial is not None and partial.matches(item.size, item.mtime):
            resume[item.identity] = partial
    mode = _prune_mode(prune)
    gone = sorted(set(manifest.sources) - seen) if mode != PRUNE_NONE else []
    if mode == PRUNE_INPUTS:
        absent = {resolve_input(e.path) for e in missing if e.reason.startswith("no such")}
        present = [p for p in paths if p not in absent]
        gone = [key for key in gone if any(input_covers(p, manifest.abs_of(key)) for p in present)]
    return Plan(to_index, unchanged, gone, missing, len(seen), retimed, skipped, resume)


# ---------------------------------------------------------------------------
# The run


def index_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    index: str | os.PathLike[str] | None = None,
    rebuild: bool = False,
    prune: bool | str = PRUNE_INPUTS,
    jobs: int | None = None,
    language: str | None = None,
    stem: bool | None = None,
    options: IngestOptions = IngestOptions(),
    batch_size: int | None = None,
    fail_fast: bool = False,
    progress: Callable[[Progress], None] | None = None,
    root: str | os.PathLike[str] | None = None,
    allow_failures: FailurePolicy | int | None = None,
    stop: Callable[[], str | None] | None = None,
    notify: Callable[[str], None] | None = None,
    shard: tuple[int, int] | None = None,
    spool: Spool | None = None,
) -> IngestReport:
    """Index every article under `paths`, skipping files unchanged since the last run.

    Files are known by their resolved path, or relative to `root` for an index
    declared in a repository (kept by the index once created). Indexed files that
    are gone are removed when this run's inputs would have found them (`prune`:
    "inputs", the default; "all" or True: every file not under these inputs;
    "none" or False: keep them).

    With `rebuild`, a fresh index is built beside the old one and swapped in at the
    end, so searches keep working (on the old index) during the rebuild and a failed
    rebuild leaves the old index in place; a first build is built in place. `language`
    and `stem` default to the existing index's (English with stemming for a new one);
    asking for others without `rebuild` raises SchemaMismatch. `batch_size` defaults to
    $NEWSEARCH_BATCH_SIZE, else 2,000 articles per commit (20,000 for a fresh build).

    `allow_failures` accepts known failures (a count, or a FailurePolicy naming them):
    they are reported, and the report stays `ok`. `stop` is polled at safe points
    (StopSignals turns SIGINT/SIGTERM into it): once it returns a name, the run ends
    with what it committed and the report says `interrupted`. `notify` receives
    one-line notices meant for the user as they happen (a resumed build).

    `shard` (number, count) builds one shard of an archive (ingest/sharded.py): only
    the articles whose id hashes to it are written; the first shard groups them all
    into stories, as one index would; `spool` holds spans parsed beforehand for every
    shard (spool.py), read instead of parsing them again.
    """
    started = time.monotonic()
    inputs = [resolve_input(p) for p in paths]
    target = resolve_index_path(index)
    root_path = resolve(root) if root is not None else None
    jobs = max(1, jobs if jobs is not None else usable_cores())
    if not isinstance(allow_failures, FailurePolicy):
        allow_failures = FailurePolicy(count=max(0, allow_failures or 0))
    run = _Run(options=options, jobs=jobs, fail_fast=fail_fast, progress=progress, stop=stop,
               notify=notify or (lambda message: None), policy=allow_failures, started=started, shard=shard,
               spool=spool)
    _recover_interrupted_swap(target)
    if rebuild or not _store.exists(target):
        run.batch_size = _batch_size(batch_size, default=FRESH_BUILD_BATCH_SIZE)
        index_options = _analysis_for_build(target, language=language, stem=stem)
        return _build_fresh(inputs, target, index_options, run, root=root_path)
    resuming = Manifest.load(target).unfinished is not None
    run.batch_size = _batch_size(batch_size, default=FRESH_BUILD_BATCH_SIZE if resuming else DEFAULT_BATCH_SIZE)
    return _update(inputs, target, prune, run, language=language, stem=stem, root=root_path)


@dataclass
class _Run:
    """How this run goes: the options every step shares."""

    options: IngestOptions
    jobs: int
    fail_fast: bool
    progress: Callable[[Progress], None] | None
    stop: Callable[[], str | None] | None
    notify: Callable[[str], None]
    policy: FailurePolicy
    started: float
    batch_size: int = DEFAULT_BATCH_SIZE
    shard: tuple[int, int] | None = None  # (number, count) when building one shard of an archive
    spool: Spool | None = None  # the archive's spans parsed beforehand

    @property
    def groups_stories(self) -> bool:
        """Whether this run groups articles into stories (a shard other than the first does not)."""
        return self.shard is None or self.shard[0] == 0


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


def _merge_policy() -> merge_policy.TieredMerges | None:
    """The background merge policy of this run: merge_policy's, or $NEWSEARCH_MERGE_FACTOR's."""
    text = os.environ.get(MERGE_FACTOR_ENV, "").strip()
    policy = merge_policy.DEFAULT_POLICY
    if not text:
        return policy
    try:
        factor = int(text)
        default = policy if policy is not None else merge_policy.TieredMerges()
        return None if factor == 0 else merge_policy.TieredMerges(
            factor=factor, floor=default.floor, at_once=default.at_once)
    except ValueError:
        raise NewsearchError(f"{MERGE_FACTOR_ENV}={text!r} is not 0 or a whole number from 2 up") from None


def _build_fresh(inputs: list[str], target: Path, index_options: _store.IndexOptions, run: _Run, *,
                 root: str | None) -> IngestReport:
    """Build a new index: in place when there is none yet, else into `<index>.building`
    and swapped in at the end; a killed build of the same inputs resumes.

    The lock is taken on the target folder (created empty for a first build) before
    the building folder is touched, so two builders never share one.
    """
    _ensure_replaceable(target)
    created = not _store.exists(target)
    target.mkdir(parents=True, exist_ok=True)
    guard = WriterLock(str(target))
    guard.acquire()
    building = target.with_name(target.name + _store.BUILDING_SUFFIX)
    settings = _settings(index_options, run.options)
    in_place = False
    try:
        if root is None and not created:
            root = Manifest.load(target).root  # a declared index rebuilt by path keeps its keys
        resumed = _resumable(building, inputs, settings, root)
        if resumed:
            ix, _ = _store.open_index(building)
            manifest = Manifest.load(building)
        else:
            if building.exists():
                _ensure_replaceable(building)
                shutil.rmtree(building)
            in_place = created  # nothing to protect: what is committed is searchable at once
            ix = _store.create_index(target if in_place else building, index_options)
            manifest = Manifest(inputs=inputs, settings=settings, root=root)
        folder = target if in_place else building
        # A resumed build may hold files deleted since, and part of a file cut off by
        # the crash: prune, and replace by path (fresh=False) rather than append.
        work = plan(inputs, manifest, kind=run.options.kind, prune=PRUNE_ALL if resumed else PRUNE_NONE)
        report = _start_report(target, work, manifest, run, resumed=resumed)
        if in_place:
            guard.release()  # the writer takes the same lock on the same folder
        try:
            _run(ix, folder, manifest, work, run, report, fresh=not resumed)
        except IndexLocked:
            raise  # another builder took the folder: it is theirs now
        except BaseException:
            if in_place and not (target / MANIFEST_FILE).exists():
                shutil.rmtree(target, ignore_errors=True)  # nothing was committed: leave no empty index
                created = False
            raise
        report.stale_lock_pid = guard.stale_pid or report.stale_lock_pid
        finished = not report.stopped_early and not report.interrupted
        if not in_place:
            if finished:
                _store.advance_generation(ix, beyond=_store.generation(target))
            ix.close()
            if finished:
                _swap_in(building, target)
        else:
            ix.close()
    finally:
        guard.release()
        if created:
            _remove_if_only_lock(target)
    report.seconds = time.monotonic() - run.started
    return report


def _start_report(target: Path, work: Plan, manifest: Manifest, run: _Run, *, resumed: bool) -> IngestReport:
    """The report as planning leaves it: files found, unchanged, passed over, missing."""
    report = IngestReport(index=str(target), files_found=work.found, files_unchanged=len(work.unchanged),
                          skipped=work.skipped, policy=run.policy)
    report.counts["unchanged"] = sum(manifest.sources[key].articles for key in work.unchanged)
    report.failures.extend(Failure.from_error(e) for e in work.missing)
    report.failures.extend(recorded_failures(manifest, work.unchanged))
    if manifest.unfinished is not None or resumed:
        report.resumed = True
        report.resumed_articles = manifest.unfinished if manifest.unfinished is not None else sum(
            fp.articles for fp in manifest.sources.values())
        run.notify(f"resuming: {plural(report.resumed_articles, 'article')} already built")
    return report


def _ensure_replaceable(target: Path) -> None:
    """Refuse to build over a folder holding anything but an index: the swap deletes it."""
    if not target.exists():
        return
    ours = {LOCK_FILE, MANIFEST_FILE, _store.META_FILE, _store.FACET_CACHE_DIR, PARTS_DIR, STORE_FILE,
            STORE_FILE + "-journal", SPELLING_FILE, SPELLING_FILE + "-journal"}
    foreign = sorted(
        p.name for p in target.iterdir()
        if p.name.removesuffix(".tmp") not in ours and not _store.is_engine_file(p.name)
    ) if target.is_dir() else [target.name]
    if foreign:
        raise NewsearchError(
            f"{target}: not an index folder (it holds {foreign[0]!r}); give --index a new or empty folder"
        )


def _resumable(building: Path, inputs: list[str], settings: dict[str, Any], root: str | None) -> bool:
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
        and bool(manifest.sources or manifest.partial)
        and manifest.settings == settings
        and sorted(manifest.inputs) == sorted(inputs)
        and manifest.root == root
    )


def _remove_if_only_lock(folder: Path) -> None:
    """Undo the empty folder a failed first build created to hold its lock."""
    try:
        if folder.is_dir() and {p.name for p in folder.iterdir()} <= {LOCK_FILE}:
            shutil.rmtree(folder, ignore_errors=True)
    except OSError:
        pass


def _update(inputs: list[str], target: Path, prune: bool | str, run: _Run, *,
            language: str | None, stem: bool | None, root: str | None) -> IngestReport:
    ix, index_options = _store.open_index(target)
    _check_analysis(target, index_options, language=language, stem=stem)
    manifest = Manifest.load(target)
    if manifest.root is None and root is not None and not manifest.sources:
        manifest.root = root
    # --prune makes the index hold exactly these inputs; otherwise it holds them all.
    known = set(inputs) if _prune_mode(prune) == PRUNE_ALL else set(manifest.inputs) | set(inputs)
    manifest.inputs = sorted(known)
    settings = _settings(index_options, run.options)
    # Files read with other options (format, section from folder) would keep stale
    # articles if skipped as unchanged, so they are all read again.
    wanted = run.options.to_dict()
    keys = set(wanted) | (set(manifest.settings) & {"captures", "all_pages"})
    reread = bool(manifest.sources) and any(manifest.settings.get(key) != wanted.get(key) for key in keys)
    manifest.settings = settings
    work = plan(inputs, manifest, kind=run.options.kind, prune=prune, reread=reread)
    report = _start_report(target, work, manifest, run, resumed=False)
    _run(ix, target, manifest, work, run, report, fresh=False)
    report.seconds = time.monotonic() - run.started
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


class _Tally:
    """This run's counts, split into what is committed and what is not yet: an
    interrupted run reports the committed part only."""

    def __init__(self, report: IngestReport) -> None:
        self.report = report
        self.counts = dict.fromkeys(("new", "replaced", "merged"), 0)
        self.failures: list[Failure] = []
        self.merges: list[Merge] = []
        self.skipped: list[Skipped] = []
        self.files_indexed = 0
        self.files_removed = 0
        self.articles = 0
        self.dates_rejected = 0
        self.articles_without_text = 0

    def commit(self) -> None:
        report = self.report
        for key, value in self.counts.items():
            report.counts[key] = report.counts.get(key, 0) + value
            self.counts[key] = 0
        report.failures.extend(self.failures)
        report.merges.extend(self.merges)
        report.skipped.extend(self.skipped)
        report.files_indexed += self.files_indexed
        report.files_removed += self.files_removed
        report.articles += self.articles
        report.dates_rejected += self.dates_rejected
        report.articles_without_text += self.articles_without_text
        self.failures, self.merges, self.skipped = [], [], []
        self.files_indexed = self.files_removed = self.articles = 0
        self.dates_rejected = self.articles_without_text = 0


def _run(ix: Any, path: Path, manifest: Manifest, work: Plan, run: _Run, report: IngestReport, *,
         fresh: bool) -> None:
    """Index `work` into the index at `path`, committing every `run.batch_size` articles."""
    report.documents_before = report.documents = _store.doc_count(ix)
    if run.fail_fast and report.failures:
        report.stopped_early = True  # a path that could not be found or read is already the first failure
        return
    try:
        _check_stop(run.stop)
        _write(ix, path, manifest, work, run, report, fresh=fresh)
    except Interrupted as stopped:
        report.interrupted = stopped.name
    report.documents = _store.doc_count(ix)
    new = report.counts["new"]
    report.articles_removed = max(0, report.documents_before + new - report.documents)


def _write(ix: Any, path: Path, manifest: Manifest, work: Plan, run: _Run, report: IngestReport, *,
           fresh: bool) -> None:
    started = time.monotonic()
    writer = _store.IndexWriter(str(path), ix, stories=run.groups_stories, merges=_merge_policy())
    expected = _store.doc_count(ix)
    tally = _Tally(report)
    completed: list[Fingerprint] = []
    partial: dict[str, Partial] = {}  # files committed in part by the batch in progress
    # Articles of this run not yet committed: id -> (its segment, document number),
    # so a later copy of the same article drops the earlier one.
    uncommitted: dict[str, tuple[Any, int]] = {}
    # Every article of this run: id -> its file number and line (_Origin), to name the other
    # input of a merge. One int per article: a build of millions holds them all.
    origins: dict[str, int] = {}
    captured: dict[str, datetime] = {}  # id -> capture time of the kept capture, for pages of web archives
    merges = EntryMerges(writer, fresh=fresh)
    files: list[str] = []
    deleted_by_path: set[str] = set()  # ids the index held for files read again: those come back replaced
    per_file: dict[str, int] = {}
    file_failures: dict[str, list[tuple[int | None, str]]] = {}
    counter = share_progress_counter()
    base = manifest.unfinished or 0
    committed = 0

    def commit() -> None:
        nonlocal committed
        writer.commit()
        if merges.apply():  # entries fill the pages of their URLs, now readable
            writer.commit()
        uncommitted.clear()
        held = _store.doc_count(ix)
        if held != expected:  # a lost segment or document must not pass silently
            raise IndexCorrupt(f"{path}: index holds {held:,} articles after commit, expected {expected:,}")
        committed += tally.articles
        tally.commit()
        manifest.partial.update(partial)
        partial.clear()
        manifest.update(completed)
        completed.clear()
        manifest.unfinished = base + committed
        with _store.storage_errors(str(path)):
            manifest.save(path)

    def report_progress(merging: bool = False) -> None:
        _check_stop(run.stop)
        if run.progress is not None:
            run.progress(Progress(counter[0], len(work.to_index), max(report.articles + tally.articles, counter[1]),
                                  len(report.failures) + len(tally.failures), time.monotonic() - started,
                                  bytes_done=counter[2], bytes_total=bytes_total,
                                  merging=writer.merging_documents if merging else 0))

    manifest.update(work.retimed)
    bytes_total = sum(max(0, content_bytes(source) - (work.resume[source.identity].offset
                                                      if source.identity in work.resume else 0))
                      for source in work.to_index)
    analysis = _store.options_from_meta(str(path), _store.read_meta(path))
    size = _per_batch(work.to_index, run.batch_size, run.jobs)
    with writer:
        report.stale_lock_pid = writer.stale_lock_pid
        remove_parts(path)
        if work.removed:
            expected -= writer.delete_paths(work.removed)
            manifest.forget(work.removed)
            tally.files_removed = len(work.removed)
        starts = {key: ResumePoint(p.offset, p.record) for key, p in work.resume.items()}
        todo = batches(units(work.to_index, run.options, starts), size=size, index_path=str(path),
                       analysis=analysis, options=run.options, shard=run.shard, sketches=run.groups_stories,
                       spool=run.spool)
        results = run_batches(todo, jobs=run.jobs, on_wait=report_progress)
        try:
            for result in results:
                if result.storage_error is not None:
                    with _store.storage_errors(str(path)):
                        raise result.storage_error
                written, docnum = result.written, 0
                for outcome in result.outcomes:
                    source = outcome.source
                    key = source.identity
                    if key not in per_file:
                        files.append(key)
                        if key in work.resume:  # its committed part stays
                            per_file[key] = work.resume[key].articles
                            file_failures[key] = list(work.resume[key].failures)
                        elif not fresh:
                            expected -= writer.delete_paths([key], ids=deleted_by_path)
                    per_file.setdefault(key, 0)
                    number = len(files) - 1
                    tally.dates_rejected += outcome.dates_rejected
                    tally.articles_without_text += outcome.without_text
                    tally.skipped.extend(outcome.skipped)
                    absorbed = merges.textless_absorbed
                    for item, line, fetched in zip(outcome.items, outcome.lines,
                                                   outcome.fetched or (None,) * len(outcome.items)):
                        if isinstance(item, ParseError):
                            tally.failures.append(Failure.from_error(item))
                            file_failures.setdefault(key, []).append((item.line, item.reason))
                            if run.fail_fast and not run.policy.allowed([Failure.from_error(item)]):
                                report.stopped_early = True
                                break
                            continue
                        if isinstance(item, Elsewhere):  # held by another shard: grouped here only
                            if run.groups_stories:
                                date, found = outcome.sketches.get(item, (None, EMPTY_SKETCH))
                                writer.stories.assign(str(item), date, found)
                            continue
                        packed = origins.get(item)
                        origin = _Origin.unpack(packed) if packed is not None else None
                        if origin is not None and _loses_to_other_capture(fetched, captured.get(item),
                                                                          run.options.captures):
                            written.drop(docnum)  # another capture of the same page is kept
                            docnum += 1
                            tally.skipped.append(Skipped(key, CAPTURE_SKIPPED[run.options.captures], line=line))
                            continue
                        if fetched is not None:
                            captured[item] = fetched
                        if merges.entry_fills_page(item, outcome.entries.get(item), origin is not None):
                            written.drop(docnum)  # the page of this entry's URL is kept, filled by it
                            docnum += 1
                            per_file[key] += 1
                            if origin is not None:
                                tally.counts["merged"] += 1
                                tally.merges.append(Merge(key, line, files[origin[0]], origin[1], item, ENTRY_FILLS))
                            else:
                                tally.counts["replaced"] += 1  # the page the index held is filled
                            continue
                        earlier = uncommitted.get(item)
                        held_before = 0
                        if earlier is not None:
                            earlier[0].drop(earlier[1])
                            expected -= 1
                        elif origin is not None or not fresh:
                            held_before = writer.delete_ids([item])
                            expected -= held_before
                        if origin is not None:
                            tally.counts["merged"] += 1
                            tally.merges.append(Merge(key, line, files[origin[0]], origin[1], item,
                                                      ENTRY_FILLS if item in merges.pending else KEPT_LATER))
                        elif held_before or item in deleted_by_path:
                            tally.counts["replaced"] += 1
                        else:
                            tally.counts["new"] += 1
                        expected += 1
                        if run.groups_stories:
                            date, found = outcome.sketches.get(item, (None, EMPTY_SKETCH))
                            writer.stories.assign(item, date, found)
                        uncommitted[item] = (written, docnum)
                        origins[item] = _Origin.pack(number, line)
                        docnum += 1
                        per_file[key] += 1
                        tally.articles += 1
                    tally.articles_without_text -= merges.textless_absorbed - absorbed
                    if report.stopped_early:
                        break
                    if not outcome.last and outcome.resume is not None:
                        partial[key] = Partial(key, source.size, source.mtime, outcome.resume.offset,
                                               outcome.resume.record, per_file[key],
                                               tuple(file_failures.get(key, ())))
                    if outcome.last:
                        partial.pop(key, None)
                        tally.files_indexed += 1
                        completed.append(Fingerprint(key, source.size, source.mtime, outcome.sha1 or "",
                                                     per_file.pop(key, 0), tuple(file_failures.pop(key, ()))))
                if written is not None:
                    for later in range(docnum, len(written.ids)):  # after a fail-fast stop
                        written.drop(later)
                    writer.add_segment(written)
                report_progress()
                if report.stopped_early:
                    break
                if writer.pending >= run.batch_size:
                    commit()
            commit()
            writer.finish_merges(waiting=lambda: report_progress(merging=True))
        finally:
            results.close()  # stops the workers before their private folders go
            remove_parts(path)
    if not report.stopped_early:
        manifest.unfinished = None  # the run is complete: the next one does not resume
        with _store.storage_errors(str(path)):
            manifest.save(path)


class _Origin:
    """Where an article of a run came from, (file number, line or None), as one int."""

    SHIFT = 40  # lines below 2**40; the file number above

    @staticmethod
    def pack(number: int, line: int | None) -> int:
        return number << _Origin.SHIFT | (0 if line is None else line + 1)

    @staticmethod
    def unpack(packed: int) -> tuple[int, int | None]:
        line = packed & ((1 << _Origin.SHIFT) - 1)
        return packed >> _Origin.SHIFT, (line - 1 if line else None)


CAPTURE_SKIPPED = {"latest": "captures of a page captured again later (the latest is kept)",
                   "first": "captures of a page captured earlier (the first is kept)"}


def _loses_to_other_capture(new: datetime | None, kept: datetime | None, captures: str) -> bool:
    """Whether a capture met after another of the same page is passed over: with
    "latest", when it is older than the one kept; with "first", when it is not older.
    Inputs that are not captures (no capture time) follow the usual rule: the later input wins."""
    if new is None or kept is None or captures == "all":
        return False
    return new < kept if captures == "latest" else new >= kept


def _per_batch(files: list[SourceFile], batch_size: int, jobs: int) -> int:
    """Articles per worker batch: at most a commit's worth, and small enough that
    every worker gets a share of a small run. JSON Lines sizes are guessed from bytes."""
    guess = 0
    for source in files:
        if source.kind == "jsonl":
            guess += max(1, source.size * (4 if source.path.endswith(".gz") else 1) // JSONL_BYTES_PER_ARTICLE)
        elif source.kind == "warc":
            guess += max(1, source.size // WARC_BYTES_PER_ARTICLE)
        else:
            guess += 1
    # A crawl's page count is a guess and its spans come whole: a few batches per worker
    # keep every worker busy to the end.
    shares = jobs * (WARC_BATCHES_PER_WORKER if any(source.kind == "warc" for source in files) else 1)
    return max(MIN_BATCH, min(batch_size, -(-guess // shares)))


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
