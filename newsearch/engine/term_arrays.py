"""Frequent terms' postings as flat arrays in a file beside each segment.

Whoosh keeps a term's postings in pickled blocks: reading one posting of a body
word costs about 1.8 us in Python (the block's pickle, its zlib stream, the
delta-coded ids, then a pickle per document for the positions), which is what a
query spends its time on at 100,000 articles and more. So when a segment is
written, every term of a positional field with at least MIN_POSTINGS postings is
also written here as four arrays that numpy reads in place from a memory map:

    ids int32[n], weights float32[n], counts int32[n], positions int64|int32[sum(counts)]

(`weights` are Whoosh's stored weights, float32 as in its blocks, so scores
computed from them are the same floats). The file is named like the segment's
own (`MAIN_<id>.nsa`), so Whoosh moves nothing and deletes it with the segment.
It is an accelerator, never the only copy: a segment without one, or a term
missing from it, is read from Whoosh's blocks as before.

File layout: MAGIC and the directory's offset (uint64, little-endian), the arrays
(each aligned to 8 bytes), then the directory: the number of terms n (uint64), an
int64 table of n rows (offset, postings, positions, position bytes), n + 1 uint64
offsets into the keys, and the keys, `fieldname NUL term`, in sorted order. A term
is found by bisection, reading a few keys, so opening a segment's file reads
nothing else (a 1,000,000-article index has dozens of segments, each with tens of
thousands of terms).
"""
from __future__ import annotations

import mmap
import os
import pickle
import struct
from itertools import accumulate
from typing import Any, Callable, Iterable, Sequence
from weakref import WeakKeyDictionary

import numpy as np
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE

MAGIC = b"NSTA\x02\x00\x00\x00"
EXTENSION = "nsa"
# Terms with fewer postings in a segment stay in Whoosh's blocks only: they are
# cheap to read there, and most of a vocabulary is such terms.
MIN_POSTINGS = 64
PART_NAME = "term-arrays.part"  # the file's name while its segment is being written

_HEADER = struct.Struct("<8sQ")
_INT32_LIMIT = 2 ** 31


# Decoded values a decoder keeps: a segment writer's values are mostly one shared
# bytes object per single position (postings.encode_positions), so they repeat.
_DECODED_KEPT = 100_000


def position_decoder(fmt: Any) -> Callable[[bytes], Sequence[int]]:
    """Decode a posting's positions; for Whoosh's own Positions format (a 4-byte
    count, then the pickled gaps, maybe without the pickle's final stop byte)
    without its per-call overhead, and each value unpickled once."""
    if type(fmt) is not Positions:
        return fmt.decode_positions
    decoded: dict[bytes, tuple[int, ...]] = {}

    def decode(value: bytes) -> Sequence[int]:
        found = decoded.get(value)
        if found is None:
            if len(decoded) >= _DECODED_KEPT:
                decoded.clear()
            pickled = value if value[-1:] == b"." else value + b"."
            found = decoded[value] = tuple(accumulate(pickle.loads(pickled[_INT_SIZE:])))
        return found

    return decode


def wants_arrays(field: Any) -> bool:
    """Whether a field's frequent terms get arrays: positional fields (the text)."""
    return type(getattr(field, "format", None)) is Positions


class TermArraysWriter:
    """Writes one segment's arrays file, a term at a time, in (field, term) order."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, "wb")
        self._file.write(_HEADER.pack(MAGIC, 0))
        self._directory: dict[str, dict[bytes, tuple[int, int, int, int]]] = {}

    def add(self, fieldname: str, term: bytes, ids: Iterable[int], weights: Iterable[float],
            values: list[bytes], decode: Callable[[bytes], Sequence[int]]) -> None:
        """A term as the segment writer holds it: encoded positions, decoded here."""
        positions: list[int] = []
        counts = []
        for value in values:
            found = decode(value) if value else ()
            counts.append(len(found))
            positions.extend(found)
        self.add_arrays(fieldname, term, np.asarray(ids), np.asarray(weights), np.asarray(counts),
                        np.asarray(positions, dtype=np.int64))

    def add_arrays(self, fieldname: str, term: bytes, ids: np.ndarray, weights: np.ndarray,
                   counts: np.ndarray, positions: np.ndarray) -> None:
        """A term whose arrays are built (also a merge joining segments' arrays);
        positions are kept as int32 where they all fit."""
        wide = len(positions) > 0 and (int(positions.max()) >= _INT32_LIMIT or int(positions.min()) < 0)
        self._write(fieldname, term, ids.astype(np.int32, copy=False), weights.astype(np.float32, copy=False),
                    counts.astype(np.int32, copy=False), positions.astype(np.int64 if wide else np.int32))

    def _write(self, fieldname: str, term: bytes, ids: np.ndarray, weights: np.ndarray,
               counts: np.ndarray, positions: np.ndarray) -> None:
        fh = self._file
        offset = self._align()
        for part in (ids, weights, counts):
            fh.write(part.tobytes())
        self._align()
        fh.write(positions.tobytes())
        self._directory.setdefault(fieldname, {})[term] = (offset, len(ids), len(positions), positions.itemsize)

    def _align(self) -> int:
        place = self._file.tell()
        if place % 8:
            self._file.write(bytes(8 - place % 8))
            place += 8 - place % 8
        return place

    def close(self) -> None:
        """Write the directory and close; an empty file is removed (nothing to speed up)."""
        if not self._directory:
            self.discard()
            return
        keys = sorted((fieldname.encode("utf-8") + b"\x00" + term, entry)
                      for fieldname, terms in self._directory.items() for term, entry in terms.items())
        where = self._align()
        table = np.array([entry for _, entry in keys], dtype=np.int64).reshape(len(keys), 4)
        starts = np.zeros(len(keys) + 1, dtype=np.uint64)
        starts[1:] = np.cumsum([len(key) for key, _ in keys])
        fh = self._file
        fh.write(struct.pack("<Q", len(keys)))
        fh.write(table.tobytes())
        fh.write(starts.tobytes())
        fh.write(b"".join(key for key, _ in keys))
        fh.seek(0)
        fh.write(_HEADER.pack(MAGIC, where))
        fh.close()

    def discard(self) -> None:
        self._file.close()
        try:
            os.remove(self.path)
        except OSError:
            pass


class TermArrays:
    """One segment's arrays file, memory-mapped; views into it cost no copy."""

    def __init__(self, path: str) -> None:
        with open(path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        magic, where = _HEADER.unpack_from(self._map, 0)
        if magic != MAGIC:
            raise ValueError(f"{path}: not a newsearch term-arrays file")
        buffer = self._buffer = memoryview(self._map)
        (self._size,) = struct.unpack_from("<Q", buffer, where)
        where += 8
        self._table = np.frombuffer(buffer, np.int64, 4 * self._size, where).reshape(self._size, 4)
        where += 32 * self._size
        self._starts = np.frombuffer(buffer, np.uint64, self._size + 1, where)
        self._keys = where + 8 * (self._size + 1)

    def _key(self, k: int) -> bytes:
        return self._map[self._keys + int(self._starts[k]):self._keys + int(self._starts[k + 1])]

    def _entry(self, fieldname: str, term: bytes) -> tuple[int, int, int, int] | None:
        wanted = fieldname.encode("utf-8") + b"\x00" + term
        low, high = 0, self._size
        while low < high:
            middle = (low + high) // 2
            if self._key(middle) < wanted:
                low = middle + 1
            else:
                high = middle
        if low < self._size and self._key(low) == wanted:
            offset, size, count, itemsize = self._table[low].tolist()
            return offset, size, count, itemsize
        return None

    def has(self, fieldname: str, term: bytes) -> bool:
        return self._entry(fieldname, term) is not None

    def terms(self) -> Iterable[tuple[str, bytes]]:
        for k in range(self._size):
            fieldname, _, term = self._key(k).partition(b"\x00")
            yield fieldname.decode("utf-8"), term

    def postings(self, fieldname: str, term: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(ids, weights, counts) of a term, or None when this file does not hold it."""
        entry = self._entry(fieldname, term)
        if entry is None:
            return None
        offset, size, _, _ = entry
        buffer = self._buffer
        ids = np.frombuffer(buffer, np.int32, size, offset)
        weights = np.frombuffer(buffer, np.float32, size, offset + 4 * size)
        counts = np.frombuffer(buffer, np.int32, size, offset + 8 * size)
        return ids, weights, counts

    def positions(self, fieldname: str, term: bytes) -> np.ndarray | None:
        """Every position of a term, posting after posting (`counts` says how many each)."""
        entry = self._entry(fieldname, term)
        if entry is None:
            return None
        offset, size, count, itemsize = entry
        start = offset + 12 * size
        start += -start % 8
        return np.frombuffer(self._buffer, np.int64 if itemsize == 8 else np.int32, count, start)


_OPEN: "WeakKeyDictionary[Any, TermArrays | None]" = WeakKeyDictionary()
_LIVE: "WeakKeyDictionary[Any, np.ndarray | None]" = WeakKeyDictionary()


def arrays_path(folder: str, segment_id: str) -> str:
    return os.path.join(folder, f"{segment_id}.{EXTENSION}")


def arrays_of(reader: Any) -> TermArrays | None:
    """The arrays file of a segment reader, opened once per reader; None without one."""
    try:
        if reader in _OPEN:
            return _OPEN[reader]
    except TypeError:
        return None
    found = None
    folder = _folder_of(reader)
    segment = getattr(reader, "segment", None)
    if folder is not None and callable(segment):
        path = arrays_path(folder, segment().segment_id())
        if os.path.exists(path):
            try:
                found = TermArrays(path)
            except (OSError, ValueError, EOFError, struct.error):
                found = None
    _OPEN[reader] = found
    return found


def _folder_of(reader: Any) -> str | None:
    storage = getattr(reader, "_storage", None)
    storage = getattr(storage, "b", storage)  # a compound segment's overlay: the index folder second
    folder = getattr(storage, "folder", None)
    return folder if isinstance(folder, str) else None


def live_mask(reader: Any) -> np.ndarray | None:
    """True for each undeleted document of a segment; None when none is deleted."""
    if reader in _LIVE:
        return _LIVE[reader]
    mask = None
    if reader.has_deletions():
        mask = np.zeros(reader.doc_count_all(), dtype=bool)
        mask[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
    _LIVE[reader] = mask
    return mask


def term_postings(reader: Any, fieldname: str, term: bytes,
                  within: Iterable[int] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(ids, weights as float64) of a term's live postings in one segment (only
    those `within`, if given), or None when the segment has no arrays for it."""
    arrays = arrays_of(reader)
    found = arrays.postings(fieldname, term) if arrays is not None else None
    if found is None:
        return None
    ids, weights, _ = found
    keep = live_mask(reader)
    selected = keep[ids] if keep is not None else None
    if within is not None:
        inside = in_set(ids, within)
        selected = inside if selected is None else selected & inside
    if selected is not None:
        ids, weights = ids[selected], weights[selected]
    return ids, weights.astype(np.float64)


def in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """np.isin(values, sorted_values) for an ascending second array, by bisection:
    neither array is sorted again, which is what makes isin slow on long postings."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values


def in_set(values: np.ndarray, members: Iterable[int]) -> np.ndarray:
    """np.isin(values, members) for a set of documents, by bisection in the sorted
    members (np.isin sorts `values` too, and its first call imports numpy.ma)."""
    ordered = np.sort(as_array(members))
    return in_sorted(values, ordered)


def distinct(values: np.ndarray) -> np.ndarray:
    """np.unique(values) by one sort: np.unique's first call imports numpy.ma, some
    10 ms of a cold query."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def as_array(docs: Iterable[int]) -> np.ndarray:
    if isinstance(docs, np.ndarray):
        return docs
    return np.fromiter(docs, dtype=np.int64)
