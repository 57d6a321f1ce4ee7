"""Work for the parser processes: batches of input files, each written as one segment.

A worker reads, parses and analyses a batch's files and writes their articles
as a complete Whoosh segment of its own (segments.py); the indexing process
only decides what to keep and adopts finished segments. So every core does the
whole job, and nothing bigger than article ids and errors comes back.

A batch that kills its process twice (a crash in a C library, the OOM killer)
is split and its files run one per batch, so only the file that kills again
is given up on; a batch whose article breaks the writer is split the same way.
"""
from __future__ import annotations

import multiprocessing
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..analysis.detect import load_model
from ..errors import NewsearchError, ParseError
from .manifest import file_sha1
from ..models import Article
from ..parse.dispatch import ParseOptions, parse_document
from ..shards import shard_of
from ..stories import sketch
from ..sources import RawDocument, Skipped, SourceFile, read_bytes
from ..sources.arc import is_arc, read_arc
from ..sources.warc import Capture, Passed, read_records
from ..sources.spans import ResumePoint, Span, plan_spans, span_records
from .spool import Away, Spool, spooled
from .stopping import Interrupted
from .workers import map_in_processes

if TYPE_CHECKING:
    from .pipeline import IngestOptions
    from ..engine.segments import WrittenSegment
    from ..engine.store import IndexOptions

# Posting memory of one worker's Whoosh pool before it spills to disk.
WORKER_LIMIT_MB = 64

# The unit of work is a span of a source (sources/spans.py): a whole file, or a byte
# range of a JSON Lines file with the point to resume from once it is committed.
Unit = Span


def units(files: Iterable[SourceFile], options: IngestOptions,
          resume: dict[str, ResumePoint] | None = None) -> Iterator[Span]:
    """Files as spans of work, each JSON Lines file cut into spans of records,
    starting from its resume point (keyed by the file's identity) when it has one."""
    for source in files:
        yield from plan_spans(source, resume=(resume or {}).get(source.identity, ResumePoint()),
                              max_line_bytes=options.max_file_bytes,
                              max_decompressed_bytes=options.max_decompressed_bytes)


def parse_unit(unit: Span, options: IngestOptions) -> list[Article | ParseError]:
    """Read and parse one span; never raises. Records passed over are left out."""
    return [item for _, item in parse_span(unit, options) if not isinstance(item, Skipped)]


Parsed = tuple[int | None, "Article | ParseError | Skipped"]


def parse_span(unit: Span, options: IngestOptions) -> list[Parsed]:
    """Read and parse one span into (line or None, article, error or record passed over)
    pairs; never raises."""
    source = unit.source
    parse_options = options.parse_options()
    if source.kind == "warc":
        return parse_warc_span(unit, options)
    if source.kind != "jsonl" and unit.records is None:
        try:
            data = read_bytes(
                source.path,
                max_bytes=options.max_file_bytes,
                max_decompressed_bytes=options.max_decompressed_bytes,
            )
            raw = RawDocument(source.identity, source.kind, data, section_hint=source.section_hint)
            return [(getattr(item, "line", None) if isinstance(item, ParseError) else None, item)
                    for item in parse_document(raw, parse_options)]
        except ParseError as exc:
            return [(exc.line, _named(exc, source))]
    results: list[tuple[int | None, Article | ParseError]] = []
    for number, line in span_records(unit, max_line_bytes=options.max_file_bytes,
                                     max_decompressed_bytes=options.max_decompressed_bytes):
        if isinstance(line, ParseError):
            results.append((number, _named(line, source)))
            continue
        raw = RawDocument(source.identity, "jsonl", line, line=number, section_hint=source.section_hint)
        results.extend((number, item) for item in parse_document(raw, parse_options))
    return results


def parse_warc_span(unit: Span, options: IngestOptions) -> list[Parsed]:
    """The captured pages of a WARC span as articles; other records passed over or failed."""
    source = unit.source
    parse_options = replace(options.parse_options(), articles_only=not options.all_pages)
    results: list[Parsed] = []
    limits = {"max_bytes": options.max_file_bytes, "max_decompressed_bytes": options.max_decompressed_bytes}
    try:
        found = read_arc(source.path, **limits) if is_arc(source.path) else read_records(
            source.path, start=unit.start, end=unit.end, first_record=unit.first_record, **limits)
        for item in found:
            if isinstance(item, ParseError):
                results.append((item.line, _named(item, source)))
            elif isinstance(item, Passed):
                results.append((item.number, Skipped(source.identity, item.reason, line=item.number)))
            else:
                results.extend((item.number, parsed) for parsed in _capture_articles(item, source, options,
                                                                                     parse_options))
    except NewsearchError as exc:  # the reader is not installed, or the file is not a WARC
        results.append((None, ParseError(source.identity, str(exc))))
    except OSError as exc:
        results.append((None, ParseError(source.identity, f"cannot read: {exc.strerror or exc}")))
    return results


def _capture_articles(capture: Capture, source: SourceFile, options: IngestOptions,
                      parse_options: ParseOptions) -> list[Article | ParseError | Skipped]:
    raw = RawDocument(source.identity, "html", capture.payload, line=capture.number, url=capture.url,
                      fetched=capture.fetched, charset=capture.charset)
    found: list[Article | ParseError | Skipped] = []
    for item in parse_document(raw, parse_options):
        if isinstance(item, Article) and options.captures == "all" and item.fetched is not None:
            item = item.with_changes(id=f"{item.fetched:%Y%m%d%H%M%S}/{item.id}")
        found.append(item)
    return found


def _named(error: ParseError, source: SourceFile) -> ParseError:
    """An error from reading names the file as the index knows it."""
    if error.path == source.identity:
        return error
    return ParseError(source.identity, error.reason, line=error.line)


def _sha1_if_last(unit: Unit) -> str | None:
    if not unit.last:
        return None
    try:
        return file_sha1(unit.source.path)
    except OSError:
        return ""


# ---------------------------------------------------------------------------
# Batches


class Elsewhere(str):
    """The id of an article parsed by a shard's build that another shard holds: it is
    not written here, only grouped into stories (by the shard that keeps the grouping)."""


@dataclass(frozen=True)
class Batch:
    """Spans whose articles go into one new segment of the index at `index_path`;
    with `shard` (number, count), only the articles whose id hashes to that shard."""

    units: tuple[Span, ...]
    index_path: str
    analysis: IndexOptions
    options: IngestOptions
    shard: tuple[int, int] | None = None
    sketches: bool = True  # sketch bodies for story grouping
    spool: Spool | None = None  # spans parsed beforehand for every shard (spool.py)

    def split(self) -> list["Batch"]:
        return [Batch((unit,), self.index_path, self.analysis, self.options, self.shard, self.sketches,
                      self.spool) for unit in self.units]

    def parsed(self, unit: Span) -> list[Parsed]:
        """The span parsed: read from the spool when it holds it, else parsed here."""
        found = spooled(self.spool, unit, self.options, self.shard[0]) if self.spool and self.shard else None
        return found if found is not None else parse_span(unit, self.options)


@dataclass(frozen=True)
class UnitOutcome:
    """One span's articles (their ids, in segment order) and parse errors, in input order."""

    source: SourceFile
    last: bool
    items: list[str | ParseError]
    sha1: str | None
    resume: ResumePoint | None = None  # where the source stands once this span is committed
    lines: tuple[int | None, ...] = ()  # the line (record) of each item, None for a whole file

    def __post_init__(self) -> None:
        if len(self.lines) != len(self.items):
            object.__setattr__(self, "lines", tuple(getattr(i, "line", None) for i in self.items))
    # article id -> (date, sketch of its body as bytes) for story grouping in the indexing
    # process: bytes cross processes and wait for the commit in a quarter of the memory
    sketches: dict[str, tuple[Any, bytes]] = field(default_factory=dict)
    dates_rejected: int = 0  # dates the articles gave that were dropped as implausible
    without_text: int = 0  # articles indexed from their metadata alone
    skipped: tuple[Skipped, ...] = ()  # records passed over (WARC requests, images, pages that are not articles)
    fetched: tuple[datetime | None, ...] = ()  # capture time of each item (pages of web archives), for --captures
    entries: dict[str, Article] = field(default_factory=dict)  # feed and sitemap entries by id, for merges


@dataclass
class BatchResult:
    """What a worker made of a batch. `storage_error` is a failure to write (a full
    disk): the run must stop. `broken` asks for the batch to be split and redone."""

    outcomes: list[UnitOutcome] = field(default_factory=list)
    written: WrittenSegment | None = None
    storage_error: OSError | None = None
    broken: str | None = None


def batches(work: Iterable[Span], *, size: int, index_path: str, analysis: IndexOptions,
            options: IngestOptions, shard: tuple[int, int] | None = None,
            sketches: bool = True, spool: Spool | None = None) -> Iterator[Batch]:
    """Group units into batches of about `size` articles."""
    group: list[Unit] = []
    count = 0
    for unit in work:
        group.append(unit)
        count += unit.articles
        if count >= size:
            yield Batch(tuple(group), index_path, analysis, options, shard, sketches, spool)
            group, count = [], 0
    if group:
        yield Batch(tuple(group), index_path, analysis, options, shard, sketches, spool)


def write_batch(batch: Batch) -> BatchResult:
    """Runs in a worker: parse the batch and write its articles as one segment. Never raises."""
    from ..engine.segments import SegmentBuilder
    from ..engine.store import article_fields, build_schema

    schema = _schemas.get(batch.analysis)
    if schema is None:  # one per worker process: caches hang off the schema's fields
        schema = _schemas[batch.analysis] = build_schema(batch.analysis)
    try:
        builder = SegmentBuilder(batch.index_path, schema, limitmb=WORKER_LIMIT_MB)
    except OSError as exc:
        return BatchResult(storage_error=exc)
    result = BatchResult()
    try:
        for unit in batch.units:
            items: list[str | ParseError] = []
            rejected = without_text = 0
            lines: list[int | None] = []
            sketches: dict[str, tuple[Any, bytes]] = {}
            skipped: list[Skipped] = []
            fetched: list[datetime | None] = []
            entries: dict[str, Article] = {}
            for line, item in batch.parsed(unit):
                if isinstance(item, Skipped):
                    skipped.append(item)
                    continue
                lines.append(line)
                fetched.append(getattr(item, "fetched", None))
                if isinstance(item, ParseError):
                    items.append(item)
                    continue
                if isinstance(item, Away):  # parsed beforehand, held by another shard
                    if batch.sketches and item.sketch is not None:
                        sketches[item.id] = (item.date, item.sketch.to_bytes())
                    items.append(Elsewhere(item.id))
                    continue
                if batch.sketches:
                    sketches[item.id] = (item.date, sketch(item.body).to_bytes())
                if batch.shard is not None and shard_of(item.id, batch.shard[1]) != batch.shard[0]:
                    items.append(Elsewhere(item.id))
                    continue
                builder.add(article_fields(item, batch.analysis))
                items.append(item.id)
                rejected += item.dates_rejected
                without_text += not item.body
                if item.feed and item.path == item.feed:
                    entries[item.id] = item
            result.outcomes.append(UnitOutcome(unit.source, unit.last, items, _sha1_if_last(unit), unit.resume,
                                               tuple(lines), sketches, dates_rejected=rejected,
                                               without_text=without_text, skipped=tuple(skipped),
                                               fetched=tuple(fetched), entries=entries))
            _count_progress(unit)
        result.written = builder.finish()
    except OSError as exc:
        builder.discard()
        return BatchResult(storage_error=exc)
    except Interrupted:  # the run is stopping (in this process, with jobs=1)
        builder.discard()
        raise
    except Exception as exc:  # an analyzer or writer bug: redo the files one by one
        builder.discard()
        return BatchResult(broken=f"cannot index article: {type(exc).__name__}: {exc}")
    return result


_schemas: dict[IndexOptions, Any] = {}


def _died(batch: Batch, reason: str) -> BatchResult:
    return BatchResult(broken=reason)


def _given_up(batch: Batch, reason: str) -> BatchResult:
    """A one-unit batch that failed again: one failure for its file (or its lines)."""
    unit = batch.units[0]
    line = None
    if unit.source.kind in ("jsonl", "warc"):
        line = unit.first_record
        noun = "lines" if unit.source.kind == "jsonl" else "records"
        reason += f" (somewhere in {noun} {line}-{line + unit.count - 1})"
    error = ParseError(unit.source.identity, reason, line=line)
    return BatchResult(outcomes=[UnitOutcome(unit.source, unit.last, [error], _sha1_if_last(unit), unit.resume)])


def run_batches(work: Iterable[Batch], *, jobs: int,
                on_wait: Callable[[], None] | None = None) -> Iterator[BatchResult]:
    """write_batch over every batch, in order, in `jobs` processes (here when jobs is 1).

    `on_wait` is called every fraction of a second while a batch is being written,
    for progress reports (read the counter from share_progress_counter)."""
    global _on_unit
    if jobs <= 1:
        _on_unit = on_wait
        pairs: Iterator[tuple[Batch, BatchResult]] = ((batch, write_batch(batch)) for batch in work)
    else:
        load_model()  # shared by the forked workers instead of loaded by each
        pairs = map_in_processes(write_batch, work, jobs=jobs, on_death=_died, window=jobs + 1,
                                 on_wait=on_wait, with_items=True)
    try:
        for batch, result in pairs:
            if result.broken is None:
                yield result
            elif len(batch.units) > 1:
                yield from run_batches(batch.split(), jobs=jobs, on_wait=on_wait)
            else:
                yield _given_up(batch, result.broken)
    finally:
        _on_unit = None


# ---------------------------------------------------------------------------
# Progress: workers count finished units in shared memory; the parent reads it.

_progress_counter: Any = None
_on_unit: Callable[[], None] | None = None  # the progress hook when batches run in this process


def share_progress_counter() -> Any:
    """A counter of (files finished, articles parsed, bytes read) visible to forked workers."""
    global _progress_counter
    _progress_counter = multiprocessing.get_context("fork").Array("q", 3, lock=False)
    return _progress_counter


def _count_progress(unit: Span) -> None:
    counter = _progress_counter
    if counter is not None:
        counter[0] += 1 if unit.last else 0
        counter[1] += unit.articles
        counter[2] += unit.content_bytes
    if _on_unit is not None:
        _on_unit()
