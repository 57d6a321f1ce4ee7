"""Whoosh's term index (the segment's .trm file), written with a few bytes per term.

Whoosh's OrderedHashWriter remembers every term it has written as a (hash, file
position) tuple in one of 256 Python lists until it closes, so it can append the hash
tables after the terms. That costs some 120 bytes a term: a merged segment of a large
archive holds millions of terms, and its merge process held hundreds of megabytes for
nothing but those tuples (benchmarks/README.md). `CompactTermIndex` keeps the same two
numbers in typed arrays (12 bytes a term) and writes the same bytes: readers cannot
tell the files apart (tests/test_term_index.py compares them byte for byte).

`use_compact_term_index` swaps it into a Whoosh field writer just made, before any
term was added.
"""
from __future__ import annotations

import struct
from array import array
from typing import Any

import numpy as np
from whoosh.filedb.filetables import OrderedHashWriter

_BUCKETS = 256
# A key's and its value's lengths before them, as Whoosh writes them.
_LENGTHS = struct.Struct("!ii").pack
# One slot of a bucket's hash table as Whoosh writes it: struct "!Iq" (hash, position).
_SLOT = np.dtype([("hash", ">u4"), ("position", ">i8")])


class CompactTermIndex(OrderedHashWriter):
    """An OrderedHashWriter whose pending hash entries live in typed arrays."""

    def _start_compact(self) -> None:
        self.buckets = None  # Whoosh's tuple lists: unused here
        self._hashes = [array("I") for _ in range(_BUCKETS)]
        self._positions = [array("q") for _ in range(_BUCKETS)]
        # Where the next key lands: only `add` writes to the file until the hash tables,
        # and asking the file (`tell`) costs a system call per term.
        self._at = self.dbfile.tell()

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self.lastkey:
            raise ValueError(f"term index keys must increase: {self.lastkey!r}..{key!r}")
        position = self._at
        self.index.append(position)  # the ordered part: where each key starts
        self.dbfile.write(_LENGTHS(len(key), len(value)) + key + value)
        self._at = position + 8 + len(key) + len(value)
        hashed = self.hashfn(key)
        bucket = hashed & 0xFF
        self._hashes[bucket].append(hashed)
        self._positions[bucket].append(position)
        self.lastkey = key

    def _write_hashes(self) -> None:
        """Each bucket's open-addressing table, twice as many slots as entries, an
        entry in the first free slot from (hash >> 8) % slots on: Whoosh's layout."""
        dbfile = self.dbfile
        for hashes, positions in zip(self._hashes, self._positions):
            start = dbfile.tell()
            slots = 2 * len(hashes)
            self.directory.append((start, slots))
            if not slots:
                continue
            table_hashes = [0] * slots
            table_positions = [0] * slots  # 0 marks a free slot: no key starts there
            for hashed, position in zip(hashes, positions):
                slot = (hashed >> 8) % slots
                while table_positions[slot]:
                    slot = (slot + 1) % slots
                table_hashes[slot] = hashed
                table_positions[slot] = position
            table = np.empty(slots, dtype=_SLOT)
            table["hash"] = table_hashes
            table["position"] = table_positions
            dbfile.write(table.tobytes())
        self._hashes = self._positions = []


def use_compact_term_index(fieldwriter: Any) -> None:
    """Make a fresh W3FieldWriter keep its pending term index compactly."""
    tindex = fieldwriter._tindex
    if type(tindex) is not OrderedHashWriter or tindex.index or any(tindex.buckets):
        return  # another codec, or terms already written: leave it as it is
    tindex.__class__ = CompactTermIndex
    tindex._start_compact()
