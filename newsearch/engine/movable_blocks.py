"""Posting blocks whose document numbers a merge can move without compressing again.

A Whoosh posting block is a pickle of (ids, weights, values), zlib-compressed when
it holds more than a few postings. Its first id is absolute and the rest are
deltas, so a merge that moves a segment's documents up by `base` changes one int
near the start of each block, and with one zlib stream over the whole pickle it
had to inflate and deflate every block again: a quarter of a merge's time.

So the blocks we write keep that int outside the compressed part. The zlib stream
is laid out as

    zlib header | stored deflate block: the pickle up to and including the first id
                | deflate of the rest (one raw stream, ends with the final block)
                | adler32 of the whole pickle

which any zlib reader inflates as one stream (Whoosh's own readers among them). A
merge replaces the stored block, copies the compressed rest as it is and computes
the checksum again (`moved_block`); a block laid out any other way (written by
Whoosh itself, or before this layout) is inflated and deflated as before.
"""
from __future__ import annotations

import pickle
import zlib
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3PostingsWriter
from whoosh.util.numeric import length_to_byte

from . import deflating

__all__ = ["MovablePostingsWriter", "compress_block", "movable_postings", "moved_block", "moved_first_id"]

# Rest of a block compressed with a 4 KiB window: a block's pickle is a few KiB at
# most, and zlib sets up a small window faster (readers inflate any window size).
WINDOW_BITS = 12
# The pickle's int opcodes (protocol 2) and their widths in bytes.
_INT_WIDTHS = {b"K": 1, b"M": 2, b"J": 4}
_STORED_HEADER = 5  # a stored deflate block's first byte (not final, type 0), LEN, NLEN
_headers: dict[tuple[int, int], bytes] = {}
_deflate = deflating.zlib_deflate


def _zlib_header(level: int, wbits: int) -> bytes:
    header = _headers.get((level, wbits))
    if header is None:
        header = _headers[(level, wbits)] = _deflate(b"", level, wbits)[:2]
    return header


def _first_id_span(raw: bytes | memoryview, count: int) -> tuple[int, int]:
    """Where the first id's pickled int (opcode and bytes) starts and ends in a
    block's pickle; (0, 0) when the pickle is not in the shape protocol 2 gives a
    tuple of ints (a MARK first when it holds more than three): then nothing can be
    moved in place."""
    at = 2 if count <= 3 else 3
    if raw[:2] != b"\x80\x02" or (count > 3 and raw[2:3] != b"("):
        return 0, 0
    width = _INT_WIDTHS.get(bytes(raw[at:at + 1]))
    return (at, at + 1 + width) if width is not None else (0, 0)


def _stored(prefix: bytes) -> bytes:
    size = len(prefix)
    return b"\x00" + size.to_bytes(2, "little") + (size ^ 0xFFFF).to_bytes(2, "little") + prefix


def compress_block(raw: bytes, level: int, count: int) -> bytes:
    """A block's pickle compressed at `level` with its first id stored, not deflated."""
    end = _first_id_span(raw, count)[1]
    if not end:
        return _deflate(raw, level, WINDOW_BITS)
    rest, wbits = deflating.raw_deflate(raw[end:], level, WINDOW_BITS)
    return _zlib_header(level, wbits) + _stored(raw[:end]) + rest + zlib.adler32(raw).to_bytes(4, "big")


def moved_first_id(raw: bytes, count: int, base: int) -> bytes:
    """A block's pickle with its first id moved up by base. Only that int is
    re-encoded; a pickle in any other shape is loaded and dumped again."""
    start, end = _first_id_span(raw, count)
    if end:
        opcode = raw[start:start + 1]
        old = int.from_bytes(raw[start + 1:end], "little", signed=opcode == b"J")
        return raw[:start] + _pickled_int(old + base) + raw[end:]
    ids, weights, values = pickle.loads(raw)
    return pickle.dumps(((ids[0] + base,) + tuple(ids[1:]), weights, values), 2)


def moved_block(data: bytes | memoryview, count: int, base: int, level: int) -> bytes:
    """A compressed block (as stored after its info) with its first id moved up by base."""
    raw = zlib.decompress(data)
    end = _first_id_span(raw, count)[1]
    if end and _holds_stored_prefix(data, raw, end):
        start = 2 + _STORED_HEADER + end
        prefix = moved_first_id(raw[:end], count, base)
        checksum = zlib.adler32(memoryview(raw)[end:], zlib.adler32(prefix))
        return bytes(data[:2]) + _stored(prefix) + bytes(data[start:len(data) - 4]) + checksum.to_bytes(4, "big")
    return _deflate(moved_first_id(raw, count, base), level, WINDOW_BITS)


def _holds_stored_prefix(data: bytes | memoryview, raw: bytes, end: int) -> bool:
    """Whether a block's zlib stream starts with the pickle's first `end` bytes as
    a stored deflate block (the layout compress_block writes)."""
    if len(data) < 2 + _STORED_HEADER + end + 4 or data[2] != 0:
        return False
    size = int.from_bytes(data[3:5], "little")
    return (size == end and int.from_bytes(data[5:7], "little") == size ^ 0xFFFF
            and data[7:7 + end] == raw[:end])


def _pickled_int(value: int) -> bytes:
    """An int as pickle protocol 2 writes it (BININT1, BININT2 or BININT)."""
    if value <= 0xFF:
        return b"K" + value.to_bytes(1, "little")
    if value <= 0xFFFF:
        return b"M" + value.to_bytes(2, "little")
    return b"J" + value.to_bytes(4, "little", signed=True)


class MovablePostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer with its blocks compressed by compress_block; the
    block info and the order of the bytes are the codec's own."""

    def _write_block(self, last: bool = False) -> None:
        postfile = self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        data = pickle.dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), 2)
        comp = self._compression
        if comp:
            data = compress_block(data, comp, len(ids))
        info = pickle.dumps((len(ids), ids[-1], self._maxweight, comp,
                             length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        size = len(info) + len(data)
        postfile.write_int(-size if last else size)
        postfile.write(info)
        postfile.write(data)
        self._blockcount += 1
        self._new_block()


def movable_postings(fieldwriter: Any) -> None:
    """Make the postings writer of a W3FieldWriter's current field write movable
    blocks (call after start_field; another codec's writer is left alone)."""
    postwriter = getattr(fieldwriter, "_postwriter", None)
    if type(postwriter) is W3PostingsWriter:
        postwriter.__class__ = MovablePostingsWriter
