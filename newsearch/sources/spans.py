"""Units of work: a source, or a byte range of one, with the point to resume from.

One big input (a JSON Lines export, later a WARC file) must neither be one unit of
work (one worker parses it while the others idle, and a run killed near its end
starts it again from zero) nor be read whole by the process that hands out work.
So a source is cut into spans. A span is a range [start, end) of the source in
the source's own offsets, with the number of its first record for messages:

- a plain JSON Lines file: byte offsets of the file; the worker seeks to `start`
  and reads the lines that begin before `end` itself (a byte-range split);
- a gzip-compressed JSON Lines file: offsets of the decompressed stream. A gzip
  stream cannot be entered in the middle, so the span carries its lines
  (`records`), read once by the planner, and the workers parse them;
- a WARC file of one gzip member per record (sources/warc.py): compressed offsets
  of member starts, where reading can begin directly (`start`), like a plain file;
- any other file: one span, the whole file (`start=0, end=None`).

After the span is committed, the source's work stands at `resume` (the offset
just past the span and the number of the next record): the manifest records that
point with the file's fingerprint (size, modification time), and the next run
starts there when the file is unchanged. `end=None` means "to the end of the
source"; the span that reaches it is the source's `last`, and committing it
completes the source.
"""
from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from typing import Iterator

from ..errors import NewsearchError, ParseError
from .files import DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_FILE_BYTES, SourceFile, is_member, open_input

# Records per span: small enough to spread one big file over every worker and to
# resume close to where a run stopped, large enough to be cheap to hand out.
SPAN_RECORDS = 200
# WARC records per span: about 50 pages of a crawl (a quarter of its records are pages),
# so even a small crawl is shared by every worker.
SPAN_WARC_RECORDS = 200
WARC_RECORDS_PER_PAGE = 4  # request, response, metadata, and a share of the other records
_READ_CHUNK = 1 << 20

Record = tuple[int, "bytes | ParseError"]  # (record number, its bytes or why it cannot be read)


@dataclass(frozen=True)
class ResumePoint:
    """Where work on a source stands: the offset the next record starts at, and its number."""

    offset: int = 0
    record: int = 1


@dataclass(frozen=True)
class Span:
    """Records of one source that start in [start, end), for one worker (see the module notes)."""

    source: SourceFile
    start: int = 0
    end: int | None = None  # None: to the end of the source
    first_record: int = 1
    count: int = 1  # records in the span (for a whole file: one document, a guess)
    records: tuple[Record, ...] | None = None  # already read, when the source cannot be entered at `start`
    resume: ResumePoint | None = None  # where the source stands once this span is done (None: finished)
    content_bytes: int = 0  # input bytes the span covers, for progress

    @property
    def last(self) -> bool:
        """Finishing this span finishes its source."""
        return self.end is None

    @property
    def articles(self) -> int:
        """About how many articles the span holds, to size batches: its records, except in
        a WARC, where requests, metadata and other records come with each page."""
        return max(1, self.count // WARC_RECORDS_PER_PAGE) if self.source.kind == "warc" else self.count

    @property
    def whole(self) -> bool:
        """The span is a whole document (a page, a text file, a JSON file)."""
        return (self.records is None and self.start == 0 and self.end is None
                and self.source.kind not in ("jsonl", "warc"))


def whole_source(source: SourceFile) -> Span:
    return Span(source, count=1, content_bytes=source.size)


def plan_spans(
    source: SourceFile,
    *,
    resume: ResumePoint = ResumePoint(),
    records_per_span: int | None = None,  # default: SPAN_RECORDS, SPAN_WARC_RECORDS for a WARC
    max_line_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> Iterator[Span]:
    """Cut a source into spans, starting at `resume`. Never raises: a source that
    cannot be read ends with a span holding the error as its last record."""
    if source.kind == "warc":
        yield from plan_warc_spans(source, resume=resume, records_per_span=records_per_span or SPAN_WARC_RECORDS)
        return
    if source.kind != "jsonl":
        yield whole_source(source)
        return
    records_per_span = records_per_span or SPAN_RECORDS
    compressed = source.path.lower().endswith(".gz") or is_member(source.path)  # cannot be entered mid-way
    start, first, chunk, size = resume.offset, resume.record, [], 0
    try:
        for number, line, after in read_lines(source.path, start=resume.offset, first_record=resume.record,
                                              max_line_bytes=max_line_bytes,
                                              max_decompressed_bytes=max_decompressed_bytes):
            chunk.append((number, line))
            size = after - start
            if len(chunk) >= records_per_span:
                yield Span(source, start, after, first, len(chunk), tuple(chunk) if compressed else None,
                           ResumePoint(after, number + 1), size)
                start, first, chunk = after, number + 1, []
    except ParseError as error:
        chunk.append((error.line or first, error))
        compressed = True  # the records must travel: a worker would only meet the same error
    yield Span(source, start, None, first, max(1, len(chunk)), tuple(chunk) if compressed else None, None,
               max(0, size if chunk else 0))


def plan_warc_spans(source: SourceFile, *, resume: ResumePoint = ResumePoint(),
                    records_per_span: int = SPAN_WARC_RECORDS) -> Iterator[Span]:
    """Cut a WARC file into spans of record offsets, reading record headers only.

    Workers enter the file at a span's first record themselves; a file that cannot be
    read at all is one span, whose worker reports why."""
    from .arc import is_arc
    from .warc import record_offsets

    if is_arc(source.path):  # read from the start by one worker (sources/arc.py)
        yield Span(source, 0, None, 1, 1, None, None, source.size)
        return
    start, first, count = resume.offset, resume.record, 0
    try:
        for number, offset in record_offsets(source.path, start=resume.offset, first_record=resume.record):
            if count >= records_per_span:
                yield Span(source, start, offset, first, count, None, ResumePoint(offset, number), offset - start)
                start, first, count = offset, number, 0
            count += 1
    except (OSError, NewsearchError):
        pass  # the last span's worker meets the same problem and names it
    yield Span(source, start, None, first, max(1, count), None, None, max(0, source.size - start))


def span_records(
    span: Span,
    *,
    max_line_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> Iterator[Record]:
    """The records of a line-based span: the ones it carries, or the lines of its byte range."""
    if span.records is not None:
        yield from span.records
        return
    try:
        for number, line, after in read_lines(span.source.path, start=span.start, first_record=span.first_record,
                                              max_line_bytes=max_line_bytes,
                                              max_decompressed_bytes=max_decompressed_bytes):
            yield number, line
            if span.end is not None and after >= span.end:
                return
    except ParseError as error:
        yield error.line or span.first_record, error


def read_lines(
    path: str,
    *,
    start: int = 0,
    first_record: int = 1,
    max_line_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> Iterator[tuple[int, bytes | ParseError, int]]:
    """(line number, bytes, offset after the line) for each non-blank line from `start`,
    .gz or not, without loading the file. `start` must be a line start (a resume point or
    a span boundary); offsets of a .gz file are in its decompressed stream.

    An overlong line is yielded as a ParseError so the lines after it still count; an
    unreadable or oversized file raises ParseError.
    """
    compressed = path.lower().endswith(".gz") or is_member(path)
    total = start

    def count(size: int) -> None:
        nonlocal total
        total += size
        if compressed and total > max_decompressed_bytes:
            raise ParseError(path, f"decompresses to more than {max_decompressed_bytes:,} bytes (limit), refused")

    try:
        with open_input(path) as handle:
            if start:
                handle.seek(start)  # in a gzip stream: decompresses up to there, no parsing
            number = first_record - 1
            while line := handle.readline(max_line_bytes + 1):
                number += 1
                count(len(line))
                if len(line) <= max_line_bytes:
                    if line.strip():
                        yield number, line, total
                    continue
                # Too long: skip the rest of the line without ever holding it whole.
                rest = line
                while not rest.endswith(b"\n") and (rest := handle.readline(_READ_CHUNK)):
                    count(len(rest))
                yield number, ParseError(path, f"line is over the {max_line_bytes:,}-byte limit", line=number), total
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ParseError(path, f"not a valid gzip file ({exc})") from exc
    except OSError as exc:
        raise ParseError(path, f"cannot read: {exc.strerror or exc}") from exc


def file_state(path: str) -> tuple[int, float] | None:
    """(size, modification time): the fingerprint a resume point is checked against."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime
