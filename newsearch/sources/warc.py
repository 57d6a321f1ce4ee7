"""Reading WARC files: records -> captured pages, or the reason a record is not one.

A web archive holds far more than pages: the crawler's requests, metadata, images,
robots.txt, redirects, error pages, and `revisit` records that only point at an
earlier capture. Only `response` and `resource` records whose payload is HTML are
captures of a page; every other record is passed over with a reason the ingest
summary counts. Records are framed by FastWARC (the optional `warc` extra; measured
about three times faster than warcio on the corpus, benchmarks/warc.py); the HTTP
message inside is read here, so chunked transfer and gzip/deflate/br content
encodings are undone with our own limits and a bad body costs one record only.

A `.warc.gz` of one gzip member per record can be entered at any member start, so
a big file is cut into spans of record offsets (sources/spans.py) and a broken
member is stepped over to the next member that decompresses to a WARC record.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

from ..errors import NewsearchError, ParseError
from .bundles import open_stored

INSTALL_HINT = "reading WARC files needs FastWARC: pip install 'newsearch[warc]'"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"})
_GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_CHUNK = 1 << 20
_HTTP_STATUS = re.compile(rb"^HTTP/\d(?:\.\d)?\s+(\d{3})")
_CHUNK_SIZE = re.compile(rb"^\s*([0-9a-fA-F]+)")
_WARC_DATE = re.compile(r"^(\d{4})-?(\d\d)-?(\d\d)(?:[T ]?(\d\d):?(\d\d)(?::?(\d\d))?)?")


@dataclass(frozen=True)
class Capture:
    """One captured page: the HTTP body as the server meant it (transfer and content
    encodings undone), where and when it was fetched."""

    number: int  # the record's number in its file, from 1
    offset: int  # where the record starts in the file (a gzip member start)
    url: str
    fetched: datetime | None
    payload: bytes
    charset: str | None = None


@dataclass(frozen=True)
class Passed:
    """A record that is not a captured page, and why (counted in the summary)."""

    number: int
    offset: int
    reason: str


def require_reader() -> Any:
    """FastWARC's ArchiveIterator, or a clear error naming the extra to install."""
    try:
        from fastwarc.warc import ArchiveIterator
    except ImportError as exc:
        raise NewsearchError(INSTALL_HINT) from exc
    return ArchiveIterator


def looks_like_warc(head: bytes) -> bool:
    """The first (decompressed) bytes of a file are a WARC record header."""
    return head.lstrip(b"\r\n").startswith(b"WARC/")


def is_compressed(path: str) -> bool:
    with open_stored(path) as handle:
        return handle.read(3) == _GZIP_MAGIC


# ---------------------------------------------------------------------------
# Framing: records by offset, stepping over broken gzip members


def frames(path: str, *, start: int = 0, first_record: int = 1) -> Iterator[tuple[int, int, Any]]:
    """(record number, offset, FastWARC record or ParseError) from `start` to the end.

    A record is only valid until the next one is asked for. Bytes that are not a record
    (a gzip member that does not decompress, data left over by a wrong Content-Length)
    become one ParseError, and reading goes on at the next record start found.
    """
    iterator_type = require_reader()
    compressed = is_compressed(path)
    number, offset = first_record, start
    while offset is not None:
        last, problem = None, None
        with open_stored(path) as handle:
            handle.seek(offset)
            try:
                for record in iterator_type(handle, parse_http=False):
                    last = record.stream_pos
                    yield number, record.stream_pos, record
                    number += 1
            except OSError as exc:
                problem = _reason(exc)
        after = offset if last is None else last + 1
        if problem is None:
            if compressed:
                return
            resume = _next_plain_record(path, after)  # FastWARC stops quietly at a bad record
            problem = "not a WARC record; is the Content-Length of the record before it wrong?"
        elif compressed and problem.startswith("a broken gzip member"):
            broken = _next_member(path, after, validate=False)
            resume = _next_member(path, broken + 1) if broken is not None else None
            after = broken if broken is not None else after
        else:
            resume = _next_member(path, after) if compressed else _next_plain_record(path, after)
            problem += "; is the Content-Length of the record before it wrong?"
        if resume is None and not compressed and problem.startswith("not a WARC record"):
            return  # the end of the file
        skip = f"; reading goes on at byte {resume:,}" if resume is not None else ""
        where = f"after the record at byte {last:,}" if last is not None and after == last + 1 else f"at byte {after:,}"
        yield number, after, ParseError(path, f"WARC data {where} cannot be read ({problem}), skipped{skip}",
                                        line=number)
        number += 1
        offset = resume


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return "a broken gzip member: " + text if "zip" in text.lower() or "deflate" in text.lower() else text


def _next_plain_record(path: str, after: int) -> int | None:
    """The offset of the next record header in an uncompressed WARC, after a record's end."""
    for found in _occurrences(path, after, b"\r\n\r\nWARC/"):
        return found + 4
    return None


def _next_member(path: str, after: int, *, validate: bool = True) -> int | None:
    """The offset of the first gzip member at or after `after` (that decompresses whole
    to a WARC record header, when `validate`), or None."""
    with open_stored(path) as handle:
        for candidate in _occurrences(path, after, _GZIP_MAGIC):
            if not validate or _is_warc_member(handle, candidate):
                return candidate
    return None


def _occurrences(path: str, after: int, needle: bytes) -> Iterator[int]:
    """Offsets of `needle` in the file from `after` on, reading a chunk at a time."""
    with open_stored(path) as handle:
        position = after
        while True:
            handle.seek(position)
            chunk = handle.read(_SCAN_CHUNK + len(needle))
            if len(chunk) < len(needle):
                return
            at = chunk.find(needle)
            while 0 <= at < _SCAN_CHUNK:
                yield position + at
                at = chunk.find(needle, at + 1)
            position += _SCAN_CHUNK


def _is_warc_member(handle: Any, offset: int) -> bool:
    handle.seek(offset)
    inflater = zlib.decompressobj(31)
    head = b""
    try:
        while not inflater.eof:
            data = handle.read(1 << 16)
            if not data:
                return False
            out = inflater.decompress(data)
            if len(head) < 8:
                head += out[:8]
                if len(head) >= 5 and not looks_like_warc(head):
                    return False
    except zlib.error:
        return False
    return looks_like_warc(head)


def record_offsets(path: str, *, start: int = 0, first_record: int = 1) -> Iterator[tuple[int, int]]:
    """(number, offset) of each record from `start`, reading headers only (for planning)."""
    for number, offset, _ in frames(path, start=start, first_record=first_record):
        yield number, offset


# ---------------------------------------------------------------------------
# Records -> captures


def read_records(path: str, *, start: int = 0, end: int | None = None, first_record: int = 1,
                 max_bytes: int, max_decompressed_bytes: int) -> Iterator[Capture | Passed | ParseError]:
    """Every record that starts in [start, end): a Capture, a Passed, or a ParseError
    naming the record (a cut-off tail, a missing URI, an undecodable body)."""
    for number, offset, record in frames(path, start=start, first_record=first_record):
        if end is not None and offset >= end:
            return
        if isinstance(record, ParseError):
            yield record
            continue
        yield _classify(record, number, offset, path, max_bytes, max_decompressed_bytes)


def _classify(record: Any, number: int, offset: int, path: str, max_bytes: int,
              max_decompressed_bytes: int) -> Capture | Passed | ParseError:
    kind = str(record.record_type).rsplit(".", 1)[-1].lower()
    if kind not in ("response", "resource"):
        reason = {"revisit": "revisit records (the same page as an earlier capture)",
                  "request": "request records", "metadata": "metadata records",
                  "warcinfo": "warcinfo records (about the crawl)"}.get(kind, f"{kind} records")
        return Passed(number, offset, reason)
    headers = record.headers
    url = (headers.get("WARC-Target-URI") or "").strip().strip("<>")

    def failed(reason: str) -> ParseError:
        where = f" ({url})" if url else ""
        return ParseError(path, f"WARC {kind} record at byte {offset:,}{where}: {reason}", line=number)

    if not url:
        return failed("the record header has no WARC-Target-URI")
    length = record.content_length
    if length > max_bytes:
        return failed(f"record is {length:,} bytes, over the {max_bytes:,}-byte limit")
    block = record.reader.read()
    if len(block) < length:
        return failed(f"the file ends {len(block):,} bytes into this {length:,}-byte record "
                      "(a truncated WARC: the crawl stopped here?)")
    fetched = parse_warc_date(headers.get("WARC-Date") or "")
    if kind == "resource":
        media, charset = content_type(headers.get("Content-Type") or "")
        return _page(number, offset, url, fetched, block, media, charset)
    http_type = (headers.get("Content-Type") or "").lower()
    return http_capture(number, offset, url, fetched, block, failed=failed, claims_http="http" in http_type,
                        max_decompressed_bytes=max_decompressed_bytes)


def http_capture(number: int, offset: int, url: str, fetched: datetime | None, block: bytes, *,
                 failed: Any, claims_http: bool, max_decompressed_bytes: int) -> Capture | Passed | ParseError:
    """A captured HTTP response (status line, headers, body) as a page, or why it is none.
    `failed(reason)` makes the ParseError naming the record."""
    if not _HTTP_STATUS.match(block[:16]):
        if claims_http or url.startswith(("http:", "https:")):
            return failed("no HTTP status line in a response record")
        return Passed(number, offset, "responses that are not HTTP (dns:, ftp: ...)")
    head, _, body = block.partition(b"\r\n\r\n")
    if not _ and b"\n\n" in block:
        head, _, body = block.partition(b"\n\n")
    status = int(_HTTP_STATUS.match(head).group(1))
    fields = http_headers(head)
    if 300 <= status < 400:
        return Passed(number, offset, f"redirects (HTTP {status})")
    if status >= 400:
        return Passed(number, offset, f"HTTP error pages ({status})")
    if status != 200 and status != 203:
        return Passed(number, offset, f"responses without a page (HTTP {status})")
    try:
        if "chunked" in fields.get("transfer-encoding", "").lower():
            body = dechunk(body)
        body = decode_content(body, fields.get("content-encoding", ""), max_decompressed_bytes)
    except ValueError as exc:
        return failed(str(exc))
    media, charset = content_type(fields.get("content-type", ""))
    return _page(number, offset, url, fetched, body, media, charset)


def _page(number: int, offset: int, url: str, fetched: datetime | None, body: bytes, media: str,
          charset: str | None) -> Capture | Passed:
    if not media:
        head = body[:512].lstrip().lower()
        media = "text/html" if head.startswith((b"<!doctype html", b"<html", b"<head", b"<!--")) else ""
    if media not in HTML_TYPES:
        return Passed(number, offset, f"not HTML pages ({media or 'no content type'})")
    return Capture(number, offset, url, fetched, body, charset)


def http_headers(head: bytes) -> dict[str, str]:
    """An HTTP message's header fields (lower-cased names; repeated ones joined by commas)."""
    fields: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines()[1:]:
        name, colon, value = line.partition(":")
        if colon and name.strip():
            key = name.strip().lower()
            fields[key] = f"{fields[key]}, {value.strip()}" if key in fields else value.strip()
    return fields


def content_type(value: str) -> tuple[str, str | None]:
    """'text/html; charset=UTF-8' -> ('text/html', 'utf-8')."""
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, found = param.partition("=")
        if name.strip().lower() == "charset" and found.strip().strip("\"'"):
            charset = found.strip().strip("\"'").lower()
    return media.strip().lower(), charset


def dechunk(body: bytes) -> bytes:
    """Undo `Transfer-Encoding: chunked`; a body that is not chunked after all is kept."""
    out, position = [], 0
    while position < len(body):
        end = body.find(b"\n", position)
        if end < 0:
            break
        size_match = _CHUNK_SIZE.match(body[position:end])
        if size_match is None:
            return body if not out else b"".join(out)
        size = int(size_match.group(1), 16)
        if size == 0:
            break
        start = end + 1
        out.append(body[start:start + size])
        position = start + size
        if body[position:position + 2] == b"\r\n":
            position += 2
        elif body[position:position + 1] == b"\n":
            position += 1
    return b"".join(out) if out else body


def decode_content(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo `Content-Encoding` (gzip, deflate, br), refusing more than `limit` bytes. A
    body that is not actually encoded (crawlers that store it decoded and keep the header)
    is kept as it is."""
    for name in [e.strip().lower() for e in encoding.split(",") if e.strip()][::-1]:
        if name in ("identity", "none"):
            continue
        if name in ("gzip", "x-gzip"):
            if not body.startswith(b"\x1f\x8b"):
                continue
            body = _inflate(body, 31, limit, name)
        elif name == "deflate":
            try:
                body = _inflate(body, 15, limit, name)
            except ValueError:
                body = _inflate(body, -15, limit, name)  # raw deflate, as some servers send
        elif name == "br":
            body = _unbrotli(body, limit)
        else:
            raise ValueError(f"unknown Content-Encoding {name!r}")
    return body


def _inflate(body: bytes, wbits: int, limit: int, name: str) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"body does not decompress as Content-Encoding {name} ({exc})") from exc
    if len(out) > limit:
        raise ValueError(f"body decompresses to more than {limit:,} bytes (limit), refused")
    return out


def _unbrotli(body: bytes, limit: int) -> bytes:
    try:
        import brotli
    except ImportError:
        raise ValueError("Content-Encoding br needs the brotli package: pip install 'newsearch[warc]'") from None
    try:
        out = brotli.Decompressor().process(body, output_buffer_limit=limit + 1)  # brotli >= 1.2
    except brotli.error as exc:
        raise ValueError(f"body does not decompress as Content-Encoding br ({exc})") from exc
    if len(out) > limit:
        raise ValueError(f"body decompresses to more than {limit:,} bytes (limit), refused")
    return out


def parse_warc_date(value: str) -> datetime | None:
    """WARC-Date (ISO 8601 in UTC, sometimes without separators or seconds) -> aware UTC; None if unusable."""
    match = _WARC_DATE.match(value.strip())
    if not match:
        return None
    parts = [int(p) if p else 0 for p in match.groups()]
    try:
        return datetime(*parts, tzinfo=timezone.utc)
    except ValueError:
        return None


def read_head(path: str, size: int = 16) -> bytes:
    """A file's first bytes, decompressed when it is gzip (for content sniffing)."""
    with open_stored(path) as handle:
        raw = handle.read(4096)
    if raw.startswith(_GZIP_MAGIC):
        try:
            return zlib.decompressobj(31).decompress(raw, size)
        except zlib.error:
            return b""
    return raw[:size]


