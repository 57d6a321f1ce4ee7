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
from array import array
from itertools import chain, groupby
from operator import sub
from typing import Any, Iterable, Iterator

import numpy as np

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from . import term_arrays
from .movable_blocks import compress_block, movable_postings
from .term_arrays import TermArraysWriter, position_decoder, wants_arrays

# What the memory estimate counts for a term's entry and for one posting, besides
# the term's and the value's own bytes: CPython's sizes for two arrays, a list, a
# tuple and a dict slot per term; 4 + 8 bytes in the arrays and a list slot, with
# room for growth, per posting.
_TERM_BYTES = 330
_POSTING_BYTES = 24
# A positional field's occurrence (term number, position, a share of the document's
# entry), counted twice: sorting them into postings at a spill or the finish takes about
# as much again for a while. A new term's vocabulary entry besides its text.
_FLAT_BYTES = 32
_FLAT_TERM_BYTES = 100
# Occurrences turned into postings at a time: bounds the Python lists made from the arrays.
_FLAT_CHUNK = 1 << 16

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


class _FlatField:
    """A positional field's occurrences in arrival order: each term once in `vocab`
    (its number), then a term number and a position per occurrence, and where each
    document's occurrences end. Filing a document is a dictionary look-up per word
    and a few array extends; the postings (grouped by term, then document) are made
    by sorting, when they are spilled or written (records)."""

    __slots__ = ("vocab", "terms", "places", "docs", "ends", "boost")

    def __init__(self, boost: float) -> None:
        self.vocab: dict[str, int] = {}
        self.terms = array("I")
        self.places = array("q")
        self.docs = array("I")
        self.ends = array("Q")
        self.boost = boost

    def records(self, fieldname: str) -> Iterator[_Record]:
        """The field's terms in term order, each with its postings in document order."""
        if not self.terms:
            return
        names = sorted(self.vocab)  # code point order: the order of their UTF-8 bytes
        rank = np.empty(len(names), dtype=np.uint32)
        rank[np.fromiter((self.vocab[name] for name in names), dtype=np.int64, count=len(names))] = \
            np.arange(len(names), dtype=np.uint32)
        ranks = rank[np.frombuffer(self.terms, dtype=np.uint32)]
        del rank
        # Stable: within a term, occurrences stay in document order and, inside a
        # document, in position order (flat_positions gives each term's ascending).
        # Positions are gathered a chunk at a time below: a run's worth at once would be
        # another 8 bytes per occurrence at the moment a worker holds the most.
        order = np.argsort(ranks, kind="stable")
        ranks = ranks[order]
        ends = np.frombuffer(self.ends, dtype=np.uint64).astype(np.int64)
        docs = np.repeat(np.frombuffer(self.docs, dtype=np.uint32), np.diff(ends, prepend=0))[order]
        count = len(ranks)
        first = np.empty(count, dtype=bool)  # where a posting (term, document) starts
        first[0] = True
        np.not_equal(ranks[1:], ranks[:-1], out=first[1:])
        first[1:] |= docs[1:] != docs[:-1]
        starts = np.flatnonzero(first)
        del first
        sizes = np.diff(starts, append=count)
        posting_docs = docs[starts]
        del docs
        # Term r's postings run from term_starts[r] to term_starts[r + 1], its
        # occurrences from term_first[r] to term_first[r + 1].
        bounds = np.searchsorted(ranks[starts], np.arange(len(names) + 1))
        del ranks
        term_starts = bounds.tolist()
        term_first = np.append(starts, count)[bounds].tolist()
        places = np.frombuffer(self.places, dtype=np.int64)
        boost = self.boost
        singles = _SINGLE_POSITIONS
        rank = 0
        while rank < len(names):
            # A run of whole terms holding about _FLAT_CHUNK occurrences.
            top = rank + 1
            while top < len(names) and term_first[top] - term_first[rank] < _FLAT_CHUNK:
                top += 1
            low, high = term_starts[rank], term_starts[top]
            offset = term_first[rank]
            chunk_places = places[order[offset:term_first[top]]].tolist()
            chunk_starts = (starts[low:high] - offset).tolist()
            chunk_sizes = sizes[low:high].tolist()
            chunk_docs = posting_docs[low:high].tolist()
            for r in range(rank, top):
                a, b = term_starts[r] - low, term_starts[r + 1] - low
                counts = chunk_sizes[a:b]
                values = []
                for at, size in zip(chunk_starts[a:b], counts):
                    if size == 1:
                        position = chunk_places[at]
                        encoded = singles.get(position)
                        values.append(encoded if encoded is not None else _encode_single(position))
                    else:
                        values.append(encode_positions(chunk_places[at:at + size]))
                weights = array("d", counts) if boost == 1.0 else array("d", [c * boost for c in counts])
                yield fieldname, names[r].encode("utf-8"), array("I", chunk_docs[a:b]), weights, values
            rank = top


class TermPostings:
    """The postings of one segment being written, by field and term."""

    def __init__(self, folder: str, *, limitmb: float) -> None:
        self._folder = folder
        self._limit = int(limitmb * 1024 * 1024)
        self._fields: dict[str, dict[bytes, _Entry]] = {}
        self._flat: dict[str, _FlatField] = {}
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

    def add_flat(self, fieldname: str, docnum: int, terms: list[str], places: list[int], boost: float) -> int:
        """One document's occurrences in a positional field, as NewsText.flat_positions
        gives them (terms and positions side by side): what `add` does with index()'s
        tuples, without a tuple, an encoding or three appends per term. Returns the
        field's length (its occurrences)."""
        if not terms:
            return 0
        flat = self._flat.get(fieldname)
        if flat is None:
            flat = self._flat[fieldname] = _FlatField(boost)
        vocab = flat.vocab
        numbers = list(map(vocab.get, terms))
        size = len(terms) * _FLAT_BYTES
        if None in numbers:
            for k, term in enumerate(terms):
                if numbers[k] is None:
                    number = vocab.get(term)
                    if number is None:
                        number = vocab[term] = len(vocab)
                        size += _FLAT_TERM_BYTES + len(term)
                    numbers[k] = number
        flat.terms.extend(numbers)
        flat.places.extend(places)
        flat.docs.append(docnum)
        flat.ends.append(len(flat.terms))
        self._size += size
        if self._size > self._limit:
            self._spill()
        return len(terms)

    def __bool__(self) -> bool:
        return bool(self._fields) or bool(self._flat) or bool(self._runs)

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
        self._flat = {}
        self._size = 0

    def _in_memory(self) -> Iterator[_Record]:
        for fieldname in sorted(self._fields.keys() | self._flat.keys()):
            terms = self._fields.get(fieldname)
            flat = self._flat.get(fieldname)
            if flat is None:
                for term in sorted(terms):  # type: ignore[union-attr]
                    ids, weights, values = terms[term]  # type: ignore[index]
                    yield fieldname, term, ids, weights, values
            elif terms is None:
                yield from flat.records(fieldname)
            else:
                yield from _interleaved(fieldname, terms, flat)

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
                movable_postings(fieldwriter)
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
        self._flat = {}


def _interleaved(fieldname: str, terms: dict[bytes, _Entry], flat: _FlatField) -> Iterator[_Record]:
    """A field filed both ways (some documents' values were not text): each term's
    postings from both, put back in document order."""
    from_flat = {term: (ids, weights, values) for _, term, ids, weights, values in flat.records(fieldname)}
    for term in sorted(terms.keys() | from_flat.keys()):
        parts = [part for part in (terms.get(term), from_flat.get(term)) if part is not None]
        ids = array("I", chain.from_iterable(part[0] for part in parts))
        weights = array("d", chain.from_iterable(part[1] for part in parts))
        values = [value for part in parts for value in part[2]]
        order = sorted(range(len(ids)), key=ids.__getitem__)
        yield (fieldname, term, array("I", [ids[k] for k in order]), array("d", [weights[k] for k in order]),
               [values[k] for k in order])


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
        data = compress_block(data, comp, count)
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
