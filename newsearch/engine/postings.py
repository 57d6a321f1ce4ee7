"""A batch segment's postings, gathered term by term and written in whole blocks.

Whoosh's writer keeps one tuple per posting in a pool, sorts them all at the end
(pickling runs of them to disk whenever its memory estimate fills) and hands them to
the postings writer one call at a time. For a batch of articles that is a third of the
build (benchmarks/README.md, "Where a build's time goes").

Here each term of a field gets its own arrays of document numbers, weights and
encoded values as documents come in. Document numbers only grow, so every list is in
order as it stands: the finish sorts only the terms, and fills the postings writer's
buffer a block at a time, with the block statistics Whoosh's own writer keeps
(tests/test_segments.py compares what a search reads from both). Past the memory limit the terms gathered so
far go to a run file in term order, and the finish merges runs a term at a time.
"""
from __future__ import annotations

import heapq
import os
import pickle
import struct
import uuid
import zlib
from array import array
from itertools import chain, groupby
from operator import sub
from typing import Any, Iterable, Iterator

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from . import term_arrays
from .term_arrays import TermArraysWriter, position_decoder, wants_arrays

# What the memory estimate counts for a term's entry and for one posting, besides
# the term's and the value's own bytes: CPython's sizes for two arrays, a list, a
# tuple and a dict slot per term; 4 + 8 bytes in the arrays and a list slot, with
# room for growth, per posting.
_TERM_BYTES = 330
_POSTING_BYTES = 24

# Blocks of at most this many postings are written uncompressed.
SMALL_BLOCK = 4

# One term of one field: document numbers, weights, encoded values (b"" for none).
_Entry = tuple[array, array, list]
# A term as written to a run file or handed to the writer.
_Record = tuple[str, bytes, array, array, list]


# Encoded single positions, by position: most terms occur once in a field, and with
# sentence numbers in the positions (analysis/boundaries.py) the same few hundred
# thousand values recur from article to article. Bounded: cleared when full.
_SINGLE_POSITIONS: dict[int, bytes] = {}
_SINGLE_POSITIONS_KEPT = 200_000
_ONE = pack_uint(1)
# W3TermInfo's fixed part (flags, total weight, documents, min and max length bytes,
# max weight, first and last document), then where its postings start and how long.
_TERM_INFO = struct.Struct("!BfIBBfII").pack


def encode_positions(positions: list[int]) -> bytes:
    """Whoosh's Positions encoding (count, then pickled deltas), written out here
    so the fast path needs no Token objects."""
    if len(positions) == 1:
        encoded = _SINGLE_POSITIONS.get(positions[0])
        return encoded if encoded is not None else _encode_single(positions[0])
    deltas = [positions[0]]
    deltas.extend(b - a for a, b in zip(positions, positions[1:]))
    return pack_uint(len(deltas)) + pickle.dumps(deltas, 2)


def _encode_single(position: int) -> bytes:
    if len(_SINGLE_POSITIONS) >= _SINGLE_POSITIONS_KEPT:
        _SINGLE_POSITIONS.clear()
    encoded = _SINGLE_POSITIONS[position] = _ONE + pickle.dumps([position], 2)
    return encoded


def _new_entry() -> _Entry:
    return array("I"), array("d"), []


class FieldLengths:
    """Each document's field length as the one byte Whoosh stores, kept in memory,
    for the length bounds of posting blocks (Whoosh reads them back from the column
    file it has just written, a seek per posting)."""

    def __init__(self) -> None:
        self.by_field: dict[str, bytearray] = {}

    def record(self, fieldname: str, docnum: int, length: int) -> None:
        column = self.by_field.get(fieldname)
        if column is None:
            column = self.by_field[fieldname] = bytearray()
        if len(column) <= docnum:
            column.extend(bytes(docnum + 1 - len(column)))
        column[docnum] = length_to_byte(length)

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        """Whoosh's interface, for its own postings path (the fallback)."""
        column = self.by_field.get(fieldname)
        if column is None:
            return default
        encoded = column[docnum] if docnum < len(column) else 0
        return byte_to_length(encoded) if encoded else None


class TermPostings:
    """The postings of one segment being written, by field and term."""

    def __init__(self, folder: str, *, limitmb: float) -> None:
        self._folder = folder
        self._limit = int(limitmb * 1024 * 1024)
        self._fields: dict[str, dict[bytes, _Entry]] = {}
        self._size = 0
        self._runs: list[str] = []

    def add(self, fieldname: str, docnum: int, items: Iterable[tuple[bytes, Any, float, bytes | None]]) -> None:
        """One document's postings in one field: (term, frequency, weight, encoded value)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
        size = 0
        for term, _, weight, encoded in items:
            entry = terms.get(term)
            if entry is None:
                entry = terms[term] = _new_entry()
                size += _TERM_BYTES + len(term)
            entry[0].append(docnum)
            entry[1].append(weight)
            entry[2].append(encoded or b"")
            size += _POSTING_BYTES + len(encoded or b"")
        self._size += size
        if self._size > self._limit:
            self._spill()

    def add_positions(self, fieldname: str, docnum: int, found: dict[str, list[int]], boost: float) -> int:
        """One document's postings in a positional field, from term -> positions (as
        NewsText.positions gives them): what `add` does with index()'s tuples, without
        building them. Returns the field's length (its positions)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
        size = length = 0
        singles = _SINGLE_POSITIONS
        for text, where in found.items():
            term = text.encode("utf-8")
            entry = terms.get(term)
            if entry is None:
                entry = terms[term] = _new_entry()
                size += _TERM_BYTES + len(term)
            count = len(where)
            if count == 1:  # encode_positions' common case, without the call
                encoded = singles.get(where[0])
                if encoded is None:
                    encoded = _encode_single(where[0])
            else:
                encoded = encode_positions(where)
            entry[0].append(docnum)
            entry[1].append(count * boost)
            entry[2].append(encoded)
            length += count
            size += _POSTING_BYTES + len(encoded)
        self._size += size
        if self._size > self._limit:
            self._spill()
        return length

    def __bool__(self) -> bool:
        return bool(self._fields) or bool(self._runs)

    def _spill(self) -> None:
        """Write the terms gathered so far to a run file, in term order, and forget them."""
        path = os.path.join(self._folder, f"postings-{uuid.uuid4().hex}.run")
        with open(path, "wb") as fh:
            for fieldname, term, ids, weights, values in self._in_memory():
                # One pickle per term, each read by a fresh unpickler (shared memos
                # would have to stay in step).
                pickle.dump((fieldname, term, ids.tobytes(), weights.tobytes(), values), fh,
                            pickle.HIGHEST_PROTOCOL)
        self._runs.append(path)
        self._fields = {}
        self._size = 0

    def _in_memory(self) -> Iterator[_Record]:
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            for term in sorted(terms):
                ids, weights, values = terms[term]
                yield fieldname, term, ids, weights, values

    @staticmethod
    def _read_run(path: str) -> Iterator[_Record]:
        with open(path, "rb") as fh:
            while True:
                try:
                    fieldname, term, id_bytes, weight_bytes, values = pickle.load(fh)
                except EOFError:
                    return
                ids, weights = array("I"), array("d")
                ids.frombytes(id_bytes)
                weights.frombytes(weight_bytes)
                yield fieldname, term, ids, weights, values

    def records(self) -> Iterator[_Record]:
        """Every term in (field, term) order with all its postings in document order.
        Runs hold earlier documents than later runs and memory, and the merge keeps
        that order among equal terms."""
        if not self._runs:
            yield from self._in_memory()
            return
        sources = [self._read_run(path) for path in self._runs] + [self._in_memory()]
        merged = heapq.merge(*sources, key=lambda record: (record[0], record[1]))
        for (fieldname, term), group in groupby(merged, key=lambda record: (record[0], record[1])):
            parts = list(group)
            ids, weights, values = parts[0][2], parts[0][3], parts[0][4]
            for part in parts[1:]:
                ids.extend(part[2])
                weights.extend(part[3])
                values.extend(part[4])
            yield fieldname, term, ids, weights, values

    def postings(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        """One tuple per posting, in order, as Whoosh's pool gives them."""
        for fieldname, term, ids, weights, values in self.records():
            for docnum, weight, value in zip(ids, weights, values):
                yield fieldname, term, docnum, weight, value

    def write(self, fieldwriter: Any, schema: Any, lengths: FieldLengths,
              arrays: TermArraysWriter | None = None) -> None:
        """Write every term through Whoosh's field writer, a block at a time, and the
        frequent terms of positional fields to `arrays` too (term_arrays.py)."""
        current = None
        postwriter = postfile = tindex = None
        column = bytearray()
        decode = None
        at = None  # where the postings file's next write lands, while only this loop writes to it
        for fieldname, term, ids, weights, values in self.records():
            if fieldname != current:
                if current is not None:
                    fieldwriter.finish_field()
                fieldwriter.start_field(fieldname, schema[fieldname])
                at = None
                postwriter = fieldwriter._postwriter
                level = postwriter._compression
                limit = postwriter._blocklimit
                postfile, tindex = fieldwriter._postfile, fieldwriter._tindex
                field_key = pack_ushort(fieldwriter._fieldid)
                column = lengths.by_field.get(fieldname, bytearray())
                current = fieldname
                field = schema[fieldname]
                fixed_size = field.format.fixed_value_size()
                decode = position_decoder(field.format) if arrays is not None and wants_arrays(field) else None
            if len(ids) <= limit:
                if at is None:
                    at = postfile.tell()
                info, at = _write_one_block(postfile, at, ids, weights, values, column, level, fixed_size)
                tindex.add(field_key + term, info)
            else:
                fieldwriter.start_term(term)
                _fill_blocks(postwriter, ids, weights, values, column, level)
                fieldwriter.finish_term()
                at = None  # the codec wrote: ask the file again
            if decode is not None and len(ids) >= term_arrays.MIN_POSTINGS:
                arrays.add(fieldname, term, ids, weights, values, decode)  # type: ignore[union-attr]
        if current is not None:
            fieldwriter.finish_field()

    def cleanup(self) -> None:
        for path in self._runs:
            try:
                os.remove(path)
            except OSError:
                pass
        self._runs = []
        self._fields = {}


def _fill_blocks(postwriter: Any, ids: array, weights: array, values: list, column: bytearray,
                 level: int) -> None:
    """Hand one term's postings to Whoosh's W3PostingsWriter: each full block is
    written, the last one is left buffered for its finish_postings, which is what its
    add_posting does one posting at a time (it sets the same block statistics).

    Equal values in a block are made one object (_shared_values). Blocks of a few postings are stored
    uncompressed (the block says so, and readers skip the decompression): zlib makes
    them no smaller, and most terms have only a few postings."""
    limit = postwriter._blocklimit
    count = len(ids)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        postwriter._ids = block_ids
        postwriter._weights = array("f", block_weights)
        postwriter._maxweight = _max_weight(block_weights)
        postwriter._values = _shared_values(values[start:end])
        low, high = _length_bytes(block_ids, column)
        postwriter._minlength = byte_to_length(low) if low else None
        postwriter._maxlength = byte_to_length(high) if high else 0
        postwriter._compression = level if end - start > SMALL_BLOCK else 0
        if end < count:
            postwriter._write_block()


def _write_one_block(postfile: Any, start: int, ids: array, weights: array, values: list, column: bytearray,
                     level: int, fixed_size: int | None) -> tuple[bytes, int]:
    """Write a term whose postings fit one block at `start` (where the file stands),
    as W3PostingsWriter would (start, one last block, finish), and return its
    W3TermInfo bytes for the term index and where the file stands after it. Asking
    the file (`tell`) costs a system call per term.

    Most terms of a segment have a posting or two; going through the codec's writer
    and term info objects cost each of them a dozen method calls and attribute
    updates (a tenth of a worker's time), for bytes that are simple to lay out."""
    count = len(ids)
    last = ids[-1]
    stored_weights = array("f", weights)  # the block keeps weights as 32-bit floats
    first = stored_weights[0]
    if stored_weights.count(first) == count:
        mini_weights = None if first == 1.0 else first
    else:
        mini_weights = tuple(stored_weights)
    top = _max_weight(weights)
    mini_values: Any
    if fixed_size is None or fixed_size < 0:
        mini_values = tuple(_shared_values(values))
    elif fixed_size == 0:
        mini_values = None
    else:
        mini_values = b"".join(values)
    low, high = _length_bytes(ids, column)
    deltas = (last,) if count == 1 else tuple(map(sub, ids, chain((0,), ids)))
    data = pickle.dumps((deltas, mini_weights, mini_values), 2)
    comp = level if count > SMALL_BLOCK else 0
    if comp:
        data = zlib.compress(data, comp)
    info = pickle.dumps((count, last, top, comp, low, high), 2)
    size = len(info) + len(data)
    postfile.write(WHOOSH3_HEADER_MAGIC + pack_int(-size) + info + data)
    total = sum(stored_weights)
    info = _TERM_INFO(0, total, count, low, high, top, ids[0], last) + pack_long(start) + pack_int(size + 8)
    return info, start + size + 8


def _max_weight(weights: array) -> float:
    """A block's maximum weight as Whoosh's writer keeps it (0 when none is positive)."""
    top = max(weights)
    return top if top > 0 else 0


def _shared_values(values: list) -> list:
    """A block's non-empty values, equal ones made one object: the block's pickle then
    refers back to the first copy, so its bytes depend on the values only, not on which
    objects a cache or a run file happened to share."""
    if len(values) == 1:
        return [values[0]] if values[0] else []
    shared: dict[bytes, bytes] = {}
    return [shared.setdefault(value, value) for value in values if value]


def _length_bytes(ids: array, column: bytearray) -> tuple[int, int]:
    """The shortest and longest length bytes of a block's documents ((0, 0) when none
    has a length: a stored length byte is never 0)."""
    known = len(column)
    lengths = [column[d] for d in ids if d < known and column[d]]
    return (min(lengths), max(lengths)) if lengths else (0, 0)
