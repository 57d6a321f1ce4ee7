"""Reading ARC files (the Internet Archive's format before WARC) as captured pages.

An ARC record is one header line, `URL IP-ADDRESS DATE CONTENT-TYPE LENGTH`, then
LENGTH bytes (an HTTP response for web pages) and a newline; the file starts with a
`filedesc://` record describing it. `.arc.gz` files hold one gzip member per record.
The HTTP message is read as for WARC (warc.http_capture). An ARC file is read by one
worker from the start: it is rarely big, and its records are not addressed by offset.
"""
from __future__ import annotations

import gzip
import zlib
from datetime import datetime, timezone
from typing import Iterator

from ..errors import ParseError
from .bundles import open_stored
from .warc import Capture, Passed, http_capture, read_head

_MAX_HEADER = 8192


def looks_like_arc(head: bytes) -> bool:
    return head.lstrip(b"\r\n").startswith(b"filedesc://")


def is_arc(path: str) -> bool:
    """The file (gzip-compressed or not) starts with an ARC file header."""
    try:
        return looks_like_arc(read_head(path, 16))
    except OSError:
        return False


def read_arc(path: str, *, max_bytes: int, max_decompressed_bytes: int) -> Iterator[Capture | Passed | ParseError]:
    """Every record of an ARC file, numbered from 1 (see the module notes)."""
    try:
        stored = open_stored(path)
        with gzip.GzipFile(fileobj=stored, mode="rb") if _is_gzip(path) else stored as handle:
            number, offset = 0, 0
            while True:
                line = handle.readline(_MAX_HEADER)
                if not line:
                    return
                offset += len(line)
                if not line.strip():
                    continue  # the newline after a record
                number += 1
                fields = line.decode("latin-1").split()
                if len(fields) < 5 or not fields[-1].isdigit():
                    yield ParseError(path, f"ARC record at byte {offset - len(line):,}: not an ARC header line "
                                           f"({line[:60]!r}); reading stops here", line=number)
                    return
                url, length = fields[0], int(fields[-1])
                if length > max_bytes:
                    yield ParseError(path, f"ARC record ({url}): {length:,} bytes, over the {max_bytes:,}-byte "
                                           "limit; reading stops here", line=number)
                    return
                block = handle.read(length)
                offset += len(block)
                if len(block) < length:
                    yield ParseError(path, f"ARC record ({url}): the file ends {len(block):,} bytes into this "
                                           f"{length:,}-byte record (a truncated ARC file)", line=number)
                    return
                if url.startswith("filedesc://"):
                    yield Passed(number, offset, "ARC file headers (about the crawl)")
                    continue

                def failed(reason: str, url: str = url) -> ParseError:
                    return ParseError(path, f"ARC record ({url}): {reason}", line=number)

                yield http_capture(number, offset, url, _arc_date(fields[2]), block, failed=failed,
                                   claims_http=False, max_decompressed_bytes=max_decompressed_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        yield ParseError(path, f"cannot read the ARC file ({exc})")


def _is_gzip(path: str) -> bool:
    with open_stored(path) as handle:
        return handle.read(2) == b"\x1f\x8b"


def _arc_date(text: str) -> datetime | None:
    """'19961104142103' (UTC) -> a datetime; None when it is not one."""
    try:
        return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
