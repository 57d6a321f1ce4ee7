"""A batch segment's postings, gathered term by term and written in whole blocks.

Whoosh's writer keeps one tuple per posting in a pool, sorts them all at the end
(pickling runs of them to disk whenever its memory estimate fills) and hands them to
the postings writer one call at a time. For a batch of articles that is a third of the
build (benchmarks/README.md, "Where a build's time goes").

Here each term of a field gets its own arrays of document numbers, weights and
encoded values as documents come in. Document numbers only grow, so every list is in
order as it stands: the finish sorts only the terms, and fills the postings writer's
buffer a block at a time, with the block statistics Whoosh's own writer keeps
(tests/test_segments.py compares what a search reads from both). Text fields are
filed flat (a term number and a position per word) and grouped by one sort.

Past the memory limit what is gathered goes to run files: a text field's occurrences
as arrays sorted by term (no per-term work), other fields a pickle per term; the finish
merges text runs a chunk of whole terms at a time with numpy, the others a term at a
time.
"""
from __future__ import annotations

import heapq
import os
import pickle
import struct
import uuid
from array import array
from itertools import chain, groupby
from operator import itemgetter, sub
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
# Positions gathered at a time when a positional field's occurrences go to a run file.
_WRITE_CHUNK = 1 << 20

# Blocks of at most this many postings are written uncompressed.
SMALL_BLOCK = 4

# One term of one field: document numbers, weights, encoded values (b"" for none).
_Entry = tuple[array, array, list]
# A term as written to a run file or handed to the writer.
_Record = tuple[str, bytes, array, array, list]
# A term as the segment writer takes it: a _Record and, for a frequent term of a
# positional field, its occurrence counts and positions as arrays (else None), which
# the term arrays then need not decode from the values again.
_FullRecord = tuple[str, bytes, array, array, list, "tuple[np.ndarray, np.ndarray] | None"]


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

    def sorted_occurrences(self) -> _MemoryRun:
        """The occurrences sorted by term (code point order: the order of their UTF-8
        bytes), then document, then position."""
        names = sorted(self.vocab)
        rank = np.empty(len(names), dtype=np.uint32)
        rank[np.fromiter((self.vocab[name] for name in names), dtype=np.int64, count=len(names))] = \
            np.arange(len(names), dtype=np.uint32)
        ranks = rank[np.frombuffer(self.terms, dtype=np.uint32)]
        del rank
        # Stable: within a term, occurrences stay in document order and, inside a
        # document, in position order (flat_positions gives each term's ascending).
        order = np.argsort(ranks, kind="stable")
        offsets = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(ranks, minlength=len(names)), out=offsets[1:])
        del ranks
        ends = np.frombuffer(self.ends, dtype=np.uint64).astype(np.int64)
        docs = np.repeat(np.frombuffer(self.docs, dtype=np.uint32), np.diff(ends, prepend=0))[order]
        return _MemoryRun(names, offsets, docs, np.frombuffer(self.places, dtype=np.int64), order)


class _MemoryRun:
    """A positional field's occurrences sorted by term, in memory: the terms in order
    (`names`), where each term's occurrences start (`offsets`, one more than the
    terms), their documents in that order, and their positions gathered through
    `order` a slice at a time (a run's worth at once would be another 8 bytes per
    occurrence at the moment a worker holds the most)."""

    def __init__(self, names: list[str], offsets: np.ndarray, docs: np.ndarray, places: np.ndarray,
                 order: np.ndarray) -> None:
        self.names, self.offsets = names, offsets
        self._docs, self._places, self._order = docs, places, order

    def load_names(self) -> list[str]:
        return self.names

    def occurrences(self, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        """Documents and positions of occurrences low to high."""
        return self._docs[low:high], self._places[self._order[low:high]]

    def write(self, path: str) -> _FileRun:
        """Write to a run file (the spill of a positional field) and forget the arrays."""
        count = len(self._docs)
        with open(path, "wb") as fh:
            pickle.dump((self.names, count), fh, pickle.HIGHEST_PROTOCOL)
            at = fh.tell()
            self.offsets.tofile(fh)
            self._docs.tofile(fh)
            for low in range(0, count, _WRITE_CHUNK):
                self._places[self._order[low:low + _WRITE_CHUNK]].tofile(fh)
        return _FileRun(path, at, len(self.names), count, self.offsets)


class _FileRun:
    """A spilled positional field's occurrences, sorted as _MemoryRun's, read back
    a slice at a time; only the term offsets stay in memory (the names are read
    again when the runs are merged)."""

    def __init__(self, path: str, at: int, terms: int, count: int, offsets: np.ndarray) -> None:
        self.path = path
        self.offsets = offsets
        self._docs_at = at + (terms + 1) * 8
        self._places_at = self._docs_at + count * 4
        self._fh: Any = None

    def load_names(self) -> list[str]:
        with open(self.path, "rb") as fh:
            names, _ = pickle.load(fh)
        return names

    def occurrences(self, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        if self._fh is None:
            self._fh = open(self.path, "rb")
        fh = self._fh
        fh.seek(self._docs_at + low * 4)
        docs = np.fromfile(fh, dtype=np.uint32, count=high - low)
        fh.seek(self._places_at + low * 8)
        return docs, np.fromfile(fh, dtype=np.int64, count=high - low)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


_Run = _MemoryRun | _FileRun


def _flat_records(fieldname: str, runs: list[_Run], boost: float) -> Iterator[_Record]:
    """The terms of a positional field filed in `runs` (earlier documents first), in
    term order, each with its postings in document order and, for a term of at least
    term_arrays.MIN_POSTINGS postings, its occurrence counts and positions as arrays.

    Runs are merged a chunk of whole terms at a time: each run's share of a chunk is
    one slice of it (a run is sorted by term), and a stable sort of the chunk by term
    keeps the runs' order within each term."""
    if len(runs) == 1:
        names = runs[0].load_names()
        mapped = [np.arange(len(names), dtype=np.int64)]
    else:
        known: set[str] = set()
        for run in runs:
            known.update(run.load_names())
        names = sorted(known)
        del known
        number = dict(zip(names, range(len(names))))
        mapped = [np.fromiter(map(number.__getitem__, run.load_names()), dtype=np.int64) for run in runs]
        del number
    total = np.zeros(len(names), dtype=np.int64)
    for run, where in zip(runs, mapped):
        total[where] += np.diff(run.offsets)
    term_first = np.zeros(len(names) + 1, dtype=np.int64)
    np.cumsum(total, out=term_first[1:])
    del total
    rank = 0
    while rank < len(names):
        # A run of whole terms holding about _FLAT_CHUNK occurrences.
        top = int(np.searchsorted(term_first, term_first[rank] + _FLAT_CHUNK))
        top = min(max(top, rank + 1), len(names))
        keys, docs, places = _chunk(runs, mapped, rank, top)
        count = len(keys)
        first = np.empty(count, dtype=bool)  # where a posting (term, document) starts
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        first[1:] |= docs[1:] != docs[:-1]
        starts = np.flatnonzero(first)
        del first
        sizes = np.diff(starts, append=count)
        # Term r's postings run from bounds[r - rank] to bounds[r - rank + 1].
        bounds = np.searchsorted(keys[starts], np.arange(rank, top + 1)).tolist()
        chunk_sizes = sizes.tolist()
        chunk_docs = docs[starts].tolist()
        ends = starts.tolist() + [count]
        values_all = _encoded_values(places, starts, sizes, ends)
        for r in range(rank, top):
            a, b = bounds[r - rank], bounds[r - rank + 1]
            counts = chunk_sizes[a:b]
            values = values_all[a:b]
            weights = array("d", counts) if boost == 1.0 else array("d", [c * boost for c in counts])
            raw = (sizes[a:b], places[ends[a]:ends[b]]) if b - a >= term_arrays.MIN_POSTINGS else None
            yield fieldname, names[r].encode("utf-8"), array("I", chunk_docs[a:b]), weights, values, raw
        rank = top
    for run in runs:
        if isinstance(run, _FileRun):
            run.close()


def _encoded_values(places: np.ndarray, starts: np.ndarray, sizes: np.ndarray, ends: list[int]) -> list[bytes]:
    """Each posting's encoded positions (its occurrences run from starts[k] for
    sizes[k]): most postings hold one position, whose encoding the cache mostly has,
    so those are looked up all at once."""
    firsts = places[starts].tolist()
    values = list(map(_SINGLE_POSITIONS.get, firsts))
    several = np.flatnonzero(sizes > 1).tolist()
    if several:
        chunk_places = places.tolist()
        for k in several:
            values[k] = encode_positions(chunk_places[ends[k]:ends[k + 1]])
    if None in values:
        for k, value in enumerate(values):
            if value is None:
                values[k] = _encode_single(firsts[k])
    return values  # type: ignore[return-value]


def _chunk(runs: list[_Run], mapped: list[np.ndarray], low: int, high: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Term numbers, documents and positions of the occurrences of terms low to high
    (numbers in the merged vocabulary), by term, then run, then document and position."""
    keys, docs, places = [], [], []
    for run, where in zip(runs, mapped):
        first, last = np.searchsorted(where, [low, high]).tolist()
        if first == last:
            continue
        offsets = run.offsets[first:last + 1]
        run_docs, run_places = run.occurrences(int(offsets[0]), int(offsets[-1]))
        keys.append(np.repeat(where[first:last], np.diff(offsets)))
        docs.append(run_docs)
        places.append(run_places)
    if len(keys) == 1:
        return keys[0], docs[0], places[0]
    all_keys = np.concatenate(keys)
    order = np.argsort(all_keys, kind="stable")
    return all_keys[order], np.concatenate(docs)[order], np.concatenate(places)[order]


class TermPostings:
    """The postings of one segment being written, by field and term."""

    def __init__(self, folder: str, *, limitmb: float) -> None:
        self._folder = folder
        self._limit = int(limitmb * 1024 * 1024)
        self._fields: dict[str, dict[bytes, _Entry]] = {}
        self._flat: dict[str, _FlatField] = {}
        self._size = 0
        self._runs: list[str] = []  # run files of the fields filed term by term
        self._flat_runs: dict[str, list[_FileRun]] = {}  # and of the positional fields
        self._boosts: dict[str, float] = {}  # each positional field's boost, from its first posting
        self.spills = 0

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
            self._boosts.setdefault(fieldname, boost)
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
        return bool(self._fields) or bool(self._flat) or bool(self._runs) or bool(self._flat_runs)

    def _spill(self) -> None:
        """Write the postings gathered so far to run files, in term order, and forget
        them: the fields filed term by term to one pickled file, each positional
        field's sorted occurrences to a file of arrays (no per-term work)."""
        if self._fields:
            path = os.path.join(self._folder, f"postings-{uuid.uuid4().hex}.run")
            with open(path, "wb") as fh:
                for fieldname, term, ids, weights, values in self._in_memory():
                    # One pickle per term, each read by a fresh unpickler (shared memos
                    # would have to stay in step).
                    pickle.dump((fieldname, term, ids.tobytes(), weights.tobytes(), values), fh,
                                pickle.HIGHEST_PROTOCOL)
            self._runs.append(path)
        for fieldname, flat in self._flat.items():
            if flat.terms:
                path = os.path.join(self._folder, f"occurrences-{uuid.uuid4().hex}.run")
                self._flat_runs.setdefault(fieldname, []).append(flat.sorted_occurrences().write(path))
        self._fields = {}
        self._flat = {}
        self._size = 0
        self.spills += 1

    def _in_memory(self) -> Iterator[_Record]:
        """The fields filed term by term, as gathered since the last spill."""
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

    def _term_records(self) -> Iterator[_Record]:
        """The fields filed term by term, from run files and memory, in (field, term)
        order. Runs hold earlier documents than later runs and memory, and the merge
        keeps that order among equal terms."""
        if not self._runs:
            yield from self._in_memory()
            return
        sources = [self._read_run(path) for path in self._runs] + [self._in_memory()]
        merged = heapq.merge(*sources, key=_field_and_term)
        for _, group in groupby(merged, key=_field_and_term):
            yield _joined(list(group))

    def _positional_fields(self) -> list[str]:
        return sorted(self._flat_runs.keys() | {name for name, flat in self._flat.items() if flat.terms})

    def _positional_runs(self, fieldname: str) -> list[_Run]:
        """A positional field's run files and what memory holds since (sorted only
        now, a field at a time)."""
        runs: list[_Run] = list(self._flat_runs.get(fieldname, []))
        flat = self._flat.get(fieldname)
        if flat is not None and flat.terms:
            runs.append(flat.sorted_occurrences())
        return runs

    def full_records(self) -> Iterator[_FullRecord]:
        """Every term in (field, term) order with all its postings in document order
        (and, for frequent terms of positional fields, their positions as arrays)."""
        by_field = groupby(self._term_records(), key=itemgetter(0))
        pending = next(by_field, None)
        for fieldname in self._positional_fields():
            while pending is not None and pending[0] < fieldname:
                yield from ((*record, None) for record in pending[1])
                pending = next(by_field, None)
            runs = self._positional_runs(fieldname)
            flat = _flat_records(fieldname, runs, self._boosts[fieldname])
            if pending is not None and pending[0] == fieldname:
                yield from _both_ways(pending[1], flat)
                pending = next(by_field, None)
            else:
                yield from flat
        while pending is not None:
            yield from ((*record, None) for record in pending[1])
            pending = next(by_field, None)

    def records(self) -> Iterator[_Record]:
        """Every term in (field, term) order with all its postings in document order."""
        for fieldname, term, ids, weights, values, _ in self.full_records():
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
        for fieldname, term, ids, weights, values, raw in self.full_records():
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
                if raw is not None:
                    arrays.add_arrays(fieldname, term, np.frombuffer(ids, dtype=np.uint32),  # type: ignore[union-attr]
                                      np.frombuffer(weights, dtype=np.float64), raw[0], raw[1])
                else:
                    arrays.add(fieldname, term, ids, weights, values, decode)  # type: ignore[union-attr]
        if current is not None:
            fieldwriter.finish_field()

    def cleanup(self) -> None:
        paths = self._runs + [run.path for runs in self._flat_runs.values() for run in runs]
        for path in paths:
            try:
                os.remove(path)
            except OSError:
                pass
        self._runs = []
        self._flat_runs = {}
        self._fields = {}
        self._flat = {}


def _field_and_term(record: _Record) -> tuple[str, bytes]:
    return record[0], record[1]


def _joined(parts: list[_Record]) -> _Record:
    """One term's records from successive runs (earlier documents first) as one."""
    fieldname, term, ids, weights, values = parts[0]
    for part in parts[1:]:
        ids.extend(part[2])
        weights.extend(part[3])
        values.extend(part[4])
    return fieldname, term, ids, weights, values


def _both_ways(terms: Iterable[_Record], flat: Iterator[_FullRecord]) -> Iterator[_FullRecord]:
    """A field filed both ways (some documents' values were not text): each term's
    postings from both, put back in document order."""
    merged = heapq.merge(((*record, None) for record in terms), flat, key=itemgetter(1))
    for term, group in groupby(merged, key=itemgetter(1)):
        parts = list(group)
        if len(parts) == 1:
            yield parts[0]
            continue
        ids = array("I", chain.from_iterable(part[2] for part in parts))
        weights = array("d", chain.from_iterable(part[3] for part in parts))
        values = [value for part in parts for value in part[4]]
        order = sorted(range(len(ids)), key=ids.__getitem__)
        yield (parts[0][0], term, array("I", [ids[k] for k in order]), array("d", [weights[k] for k in order]),
               [values[k] for k in order], None)


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
