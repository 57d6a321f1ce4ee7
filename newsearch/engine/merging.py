"""Merging Whoosh segments by copying their postings, not re-indexing them.

Whoosh's own merge (SegmentWriter.add_reader) feeds every posting of every
segment back through its sorting pool, a pickle per posting, which costs as much
as indexing the articles again. Segments already hold each term's postings in
document order, so a merge only has to walk the term dictionaries side by side
and append each segment's posting blocks with its document numbers moved up by
the documents before it. A block of a segment without deletions is copied with
one number changed (the first id: the rest are deltas), which the blocks we write
keep outside their deflated part (movable_blocks.py); a segment with deleted
documents has its postings re-encoded without them. Stored fields, columns and
field lengths are copied document by document (stored fields as the deflated bytes
they are kept in).

The merged segment is written in a private folder under the index (as worker
segments are, see segments.py) and swapped in for its sources at a commit
(`swap_in`), so a merge can run in another process while the index is in use.
"""
from __future__ import annotations

import heapq
import mmap
import os
import pickle
import shutil
import struct
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from io import BytesIO
from functools import partial
from itertools import groupby
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from whoosh import columns as whoosh_columns
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, WHOOSH3_HEADER_MAGIC, W3PerDocReader
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.system import _INT_SIZE, pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from .deflating import deflated_under_pickle
from .movable_blocks import movable_postings, moved_block, moved_first_id
from .ranking import posting_blocks
from .segments import PARTS_DIR, prebuild_facets
from .term_arrays import TermArraysWriter, arrays_of, arrays_path, position_decoder
from .term_index import use_compact_term_index

Progress = Callable[[int], None]  # called with the number of documents just copied
MergeProgress = Callable[[int, int], None]  # documents copied so far, documents to copy


@dataclass
class MergedSegment:
    """A merged segment waiting in its private folder, with what it replaces."""

    segment: Any
    folder: str
    # source segment id -> (its deleted documents when merged, old docnum -> new docnum)
    sources: dict[str, tuple[frozenset[int], dict[int, int]]] = field(default_factory=dict)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def merge_segments(index_path: str, schema: Any, segments: list[Any], *,
                   progress: Progress | None = None) -> MergedSegment:
    """Write one segment holding the live documents of `segments`, in their order."""
    if any(f.vector or f.separate_spelling() for f in schema):
        raise ValueError("merging does not copy term vectors or separate spelling fields")
    folder = os.path.join(index_path, PARTS_DIR, "merge-" + uuid.uuid4().hex)
    os.makedirs(folder)
    storage = FileStorage(index_path)
    readers = [SegmentReader(storage, schema, s) for s in segments]
    try:
        writer = SegmentWriter(FileStorage(folder).create_index(schema), _lk=False)
        use_compact_term_index(writer.fieldwriter)
        docmaps = _copy_documents(writer, schema, readers, progress)
        lengths = _copy_postings(writer, schema, readers, docmaps)
        writer.perdocwriter.close()
        writer.fieldwriter.close()
        writer.pool.cleanup()
        writer.get_segment()._fieldlengths = lengths
        writer._assemble_segment()
        segment = writer.get_segment()
        writer._finish()
        _merge_arrays(readers, docmaps, arrays_path(folder, segment.segment_id()))
        prebuild_facets(index_path, folder, schema, segment)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        for reader in readers:
            reader.close()
    sources = {s.segment_id(): (frozenset(s.deleted_docs()), docmap) for s, docmap in zip(segments, docmaps)}
    return MergedSegment(segment, folder, sources)


def _merge_arrays(readers: list[Any], docmaps: list[dict[int, int]], path: str) -> None:
    """The merged segment's term arrays (term_arrays.py): every term some source holds
    arrays for, with its postings from every source (read from Whoosh's blocks where a
    source had too few to keep arrays), renumbered as the documents were."""
    sources = [arrays_of(reader) for reader in readers]
    if not any(sources):
        return
    maps = [arrays._map for arrays in sources if arrays is not None and isinstance(getattr(arrays, "_map", None), mmap.mmap)]
    numbers = [_renumbering(reader, docmap) for reader, docmap in zip(readers, docmaps)]
    keys = sorted(set().union(*(set(arrays.terms()) for arrays in sources if arrays is not None)))
    writer = TermArraysWriter(path)
    try:
        for number, (fieldname, term) in enumerate(keys):
            if number % _RELEASE_ARRAYS_EVERY == 0:
                _release_pages(readers, maps)
            parts = [_source_arrays(reader, arrays, fieldname, term)
                     for reader, arrays in zip(readers, sources)]
            ids, weights, counts, positions = [], [], [], []
            for part, renumber in zip(parts, numbers):
                if part is None:
                    continue
                new = renumber[part[0]]
                kept = new >= 0
                ids.append(new[kept])
                weights.append(part[1][kept])
                counts.append(part[2][kept])
                positions.append(part[3][np.repeat(kept, part[2])])
            if ids:
                writer.add_arrays(fieldname, term, np.concatenate(ids), np.concatenate(weights),
                                  np.concatenate(counts), np.concatenate(positions))
    except _Unreadable:  # no arrays rather than arrays missing some postings
        writer.discard()
        return
    except BaseException:
        writer.discard()
        raise
    writer.close()


class _Unreadable(Exception):
    """A source's postings this module cannot read a block at a time."""


def _renumbering(reader: Any, docmap: dict[int, int]) -> np.ndarray:
    """Old document number -> new one, -1 for a document the merge left out."""
    renumber = np.full(reader.doc_count_all(), -1, dtype=np.int64)
    if docmap:
        renumber[np.fromiter(docmap.keys(), dtype=np.int64)] = np.fromiter(docmap.values(), dtype=np.int64)
    return renumber


def _source_arrays(reader: Any, arrays: Any, fieldname: str, term: bytes) -> tuple[np.ndarray, ...] | None:
    """(ids, weights, counts, positions) of one term in one source segment."""
    found = arrays.postings(fieldname, term) if arrays is not None else None
    if found is not None:
        return (*found, arrays.positions(fieldname, term).astype(np.int64))
    if (fieldname, term) not in reader:
        return None
    decode = position_decoder(reader.schema[fieldname].format)
    ids: list[int] = []
    weights: list[float] = []
    counts: list[int] = []
    positions: list[int] = []
    blocks = posting_blocks(reader, fieldname, term, values=True)
    if blocks is None:
        raise _Unreadable(fieldname)
    for block_ids, block_weights, values in blocks:
        ids.extend(block_ids)
        weights.extend(block_weights)
        for value in values:
            where = list(decode(value)) if value else []
            counts.append(len(where))
            positions.extend(where)
    return (np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32),
            np.asarray(counts, dtype=np.int32), np.asarray(positions, dtype=np.int64))


def _copy_documents(writer: Any, schema: Any, readers: list[Any], progress: Progress | None) -> list[dict[int, int]]:
    """Stored fields, field lengths and columns of every live document; returns the docnum maps."""
    pdw = writer.perdocwriter
    names = list(schema.names())
    raw_out = _stored_bytes_writer(pdw)
    docmaps = []
    docnum = 0
    for reader in readers:
        columns = {}
        for name in names:
            coltype = schema[name].column_type
            if coltype and reader.has_column(name):
                creader = reader.column_reader(name, coltype)
                if isinstance(creader, whoosh_columns.TranslatingColumnReader):
                    creader = creader.raw_column()
                columns[name] = (coltype, creader)
        lengths = [(name, schema[name], _lengths(reader, name)) for name in names]
        docmap = {}
        raw_in = _stored_bytes_reader(reader) if raw_out is not None else None
        for old in reader.all_doc_ids():
            if docnum % _RELEASE_EVERY == 0:
                _release_pages(readers)
            docmap[old] = docnum
            pdw.start_doc(docnum)
            if raw_in is not None:
                stored: dict[str, Any] = {}
                data = raw_in(old)
                if data:
                    raw_out(docnum, data)
            else:
                stored = reader.stored_fields(old)
            for name, fieldobj, column in lengths:
                pdw.add_field(name, fieldobj, stored.get(name), column[old] if column else 0)
            for name, (coltype, creader) in columns.items():
                pdw.add_column_value(name, coltype, creader[old])
            pdw.finish_doc()
            docnum += 1
        writer.docnum = docnum
        docmaps.append(docmap)
        if progress is not None:
            progress(len(docmap))
    return docmaps


def _stored_bytes_writer(pdw: Any) -> Callable[[int, bytes], None] | None:
    """Where a document's stored fields go as the bytes Whoosh keeps them (pickled,
    then deflated): a merge copies them so instead of inflating, unpickling,
    pickling and deflating each document again. None for another codec's writer."""
    child = deflated_under_pickle(getattr(pdw, "_colwriters", {}).get("_stored"), "Writer")
    return partial(whoosh_columns.VarBytesColumn.Writer.add, child) if child is not None else None


def _stored_bytes_reader(reader: Any) -> Callable[[int], bytes] | None:
    """A source document's stored fields as stored (see _stored_bytes_writer), or None."""
    perdoc = getattr(reader, "_perdoc", None)
    if type(perdoc) is not W3PerDocReader:
        return None
    child = deflated_under_pickle(perdoc._cached_reader("_stored", STORED_COLUMN), "Reader")
    return partial(whoosh_columns.VarBytesColumn.Reader.__getitem__, child) if child is not None else None


# Documents or terms copied between two releases of the pages read so far.
_RELEASE_EVERY = 20_000
_RELEASE_ARRAYS_EVERY = 200  # terms with arrays are the frequent ones: megabytes each
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)  # not on Windows


def _release_pages(readers: list[Any], maps: Sequence[mmap.mmap] = ()) -> None:
    """Unmap the pages of the sources' memory maps read so far.

    A merge reads every byte of its sources once, front to back, through memory
    maps; each page it touched would count in its resident memory (3.7 GB for a
    merge of 200,000 generated articles) although nothing reads it again. The
    pages stay in the page cache: a later read maps them again without reading
    the disk."""
    for mapped in [*(_compound_map(reader) for reader in readers), *maps]:
        if isinstance(mapped, mmap.mmap) and _DONTNEED is not None:
            try:
                mapped.madvise(_DONTNEED)
            except (OSError, ValueError):
                pass


def _compound_map(reader: Any) -> Any:
    """The memory map of a segment reader's compound file (Whoosh overlays it on the
    index folder's storage), or None."""
    storage = getattr(reader, "_storage", None)
    storage = getattr(storage, "a", storage)  # OverlayStorage(compound file, folder)
    return getattr(storage, "_source", None)


def _lengths(reader: Any, fieldname: str) -> list[int] | None:
    """A field's length for every document of a segment (as stored: one byte each), or None."""
    perdoc = reader._perdoc
    if not perdoc.has_column("_%s_len" % fieldname):
        return None
    column = perdoc._cached_reader("_%s_len" % fieldname, LENGTHS_COLUMN)
    return [byte_to_length(b) if b else 0 for b in column] if column is not None else None


def _copy_postings(writer: Any, schema: Any, readers: list[Any], docmaps: list[dict[int, int]]) -> dict[str, int]:
    """Every term's postings, segment after segment; returns the merged field length totals."""
    fieldwriter = writer.fieldwriter
    bases = []
    base = 0
    for reader in readers:
        bases.append(base)
        base += reader.doc_count()
    totals: dict[str, int] = defaultdict(int)
    for reader in readers:
        for name, total in reader.segment()._fieldlengths.items():
            totals[name] += total
    lengths_cache: dict[tuple[int, str], list[int] | None] = {}
    fieldnames = sorted({n for r in readers for n in r.indexed_field_names() if n in schema})
    for fieldname in fieldnames:
        fieldobj = schema[fieldname]
        fieldwriter.start_field(fieldname, fieldobj)
        movable_postings(fieldwriter)
        boost = fieldobj.format.field_boost or 1.0
        for number, (btext, sources) in enumerate(groupby(_merged_terms(readers, fieldname), key=lambda item: item[0])):
            if number % _RELEASE_EVERY == 0:
                _release_pages(readers)
            term = _TermCopy(fieldwriter, fieldobj, btext)
            for _, i, terminfo in sources:
                reader = readers[i]
                if reader.has_deletions() or terminfo.is_inlined():
                    key = (i, fieldname)
                    if key not in lengths_cache:
                        lengths_cache[key] = _lengths(reader, fieldname)
                    dropped = term.add_remapped(reader, fieldname, btext, docmaps[i], lengths_cache[key])
                    totals[fieldname] -= round(dropped / boost)
                else:
                    term.add_blocks(reader, terminfo, bases[i])
            term.finish()
        fieldwriter.finish_field()
    return dict(totals)


def _merged_terms(readers: list[Any], fieldname: str) -> Iterator[tuple[bytes, int, Any]]:
    """(term bytes, segment index, term info) of one field across segments, in term order."""
    def terms(i: int, reader: Any) -> Iterator[tuple[bytes, int, Any]]:
        if fieldname not in reader.indexed_field_names():
            return
        for (name, btext), terminfo in reader._terms.items_from(fieldname, b""):
            if name != fieldname:
                return
            yield btext, i, terminfo

    return heapq.merge(*(terms(i, r) for i, r in enumerate(readers)))


class _TermCopy:
    """One term's posting list in the new segment, assembled from the sources' lists.

    Copied blocks are held back one step so the last block written carries the
    codec's end-of-list mark (a negative length); re-encoded postings go through
    the codec's own postings writer."""

    def __init__(self, fieldwriter: Any, fieldobj: Any, btext: bytes) -> None:
        self._fieldwriter = fieldwriter
        fieldwriter.start_term(btext)
        self._post = fieldwriter._postwriter
        self._terminfo = self._post._terminfo
        self._file = self._post._postfile
        self._pending: Any = None  # the last block written (bytes after its size), held back
        self._btext = btext

    def add_blocks(self, reader: Any, terminfo: Any, base: int) -> None:
        """Append a segment's blocks for this term with document numbers moved up by base."""
        self._flush_postings()
        postfile = reader._terms._postfile
        offset, length = terminfo.extent()
        buf = getattr(postfile, "_buf", None)
        if buf is None:  # a posting file read as a stream, not in place (files.py)
            buf, offset = postfile.get(offset, length), 0
        if bytes(buf[offset:offset + 4]) != WHOOSH3_HEADER_MAGIC:
            raise ValueError("not a whoosh3 posting list")
        if base:
            self._add_moved_blocks(buf, offset + 4, base)
        else:
            self._add_raw_blocks(buf, offset + 4)
        ti = self._terminfo
        ti._weight += terminfo._weight
        ti._df += terminfo._df
        if terminfo._minlength is not None:
            ti._minlength = terminfo._minlength if ti._minlength is None else min(ti._minlength, terminfo._minlength)
        ti._maxlength = max(ti._maxlength, terminfo._maxlength)
        ti._maxweight = max(ti._maxweight, terminfo._maxweight)
        if ti._minid is None:
            ti._minid = terminfo._minid + base
        ti._maxid = terminfo._maxid + base

    def _add_raw_blocks(self, buf: Any, position: int) -> None:
        """Blocks whose document numbers stay: every block but the last is copied as one
        run of bytes, the last is held back for its end-of-list mark."""
        start = position
        while True:
            size = _unpack_int(buf, position)[0]
            if size < 0:
                break
            position += _INT_SIZE + size
        self._write_pending(last=False)
        if position > start:
            self._write_run(buf[start:position], _count_blocks(buf, start, position))
        self._pending = buf[position + _INT_SIZE:position + _INT_SIZE - size]

    def _add_moved_blocks(self, buf: Any, position: int, base: int) -> None:
        """Blocks rewritten with their first document number (the others are deltas)
        and their last one moved up by base."""
        while True:
            size = _unpack_int(buf, position)[0]
            last = size < 0
            size = abs(size)
            start = position + _INT_SIZE
            header = BytesIO(buf[start:start + min(size, _HEADER_SLICE)])
            count, maxid, maxweight, comp, minlen, maxlen = pickle.load(header)
            data = buf[start + header.tell():start + size]
            raw = moved_block(data, count, base, comp) if comp else moved_first_id(bytes(data), count, base)
            info = pickle.dumps((count, maxid + base, maxweight, comp, minlen, maxlen), 2)
            self._write_pending(last=False)
            self._pending = info + raw
            if last:
                return
            position = start + size

    def add_remapped(self, reader: Any, fieldname: str, btext: bytes, docmap: dict[int, int],
                     lengths: list[int] | None) -> float:
        """Re-encode a segment's postings for this term, skipping deleted documents;
        returns the weight the deleted documents carried (for the field length total)."""
        self._write_pending(last=False)
        matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
        dropped = 0.0
        post = self._post
        while matcher.is_active():
            old = matcher.id()
            new = docmap.get(old)
            if new is None:
                dropped += matcher.weight()
            else:
                value = matcher.value()
                post.add_posting(new, matcher.weight(), b"" if value is None else value,
                                 (lengths[old] or None) if lengths else None)
            matcher.next()
        return dropped

    def finish(self) -> None:
        post, ti = self._post, self._terminfo
        if self._pending is not None:
            self._write_pending(last=True)
        elif len(post):
            post._write_block(last=True)
        post._terminfo = None
        if not post._blockcount:
            return  # every posting belonged to deleted documents: the term goes
        ti.set_extent(post._startoffset, self._file.tell() - post._startoffset)
        fw = self._fieldwriter
        fw._tindex.add(pack_ushort(fw._fieldid) + self._btext, ti.to_bytes())

    def _flush_postings(self) -> None:
        if len(self._post):
            self._post._write_block(last=False)

    def _write_run(self, blocks: Any, count: int) -> None:
        """Write whole blocks (each with its size) as they are."""
        post = self._post
        if not post._blockcount:
            self._file.write(WHOOSH3_HEADER_MAGIC)
        self._file.write(blocks)
        post._blockcount += count

    def _write_pending(self, *, last: bool) -> None:
        if self._pending is None:
            return
        block, self._pending = self._pending, None
        post = self._post
        if not post._blockcount:
            self._file.write(WHOOSH3_HEADER_MAGIC)
        self._file.write(pack_int(-len(block) if last else len(block)))
        self._file.write(block)
        post._blockcount += 1


def _count_blocks(buf: Any, position: int, end: int) -> int:
    count = 0
    while position < end:
        position += _INT_SIZE + _unpack_int(buf, position)[0]
        count += 1
    return count


_unpack_int = struct.Struct("!i").unpack_from
# A block header (six numbers pickled) is a few dozen bytes.
_HEADER_SLICE = 96


def swap_in(writer: Any, merged: list[MergedSegment], index_path: str) -> list[Any]:
    """The writer's segment list with each merged segment in place of its sources.

    Documents deleted in a source since it was merged are deleted in the merged
    segment too; a merge whose sources are no longer all in the index is dropped."""
    by_id = {s.segment_id(): s for s in writer.segments}
    final = list(writer.segments)
    for part in merged:
        if not all(sid in by_id for sid in part.sources):
            part.discard()
            continue
        for sid, (deleted, docmap) in part.sources.items():
            for old in set(by_id[sid].deleted_docs()) - deleted:
                if old in docmap:
                    part.segment.delete_document(docmap[old])
        prefix = part.segment.segment_id() + "."
        for name in os.listdir(part.folder):
            if name.startswith(prefix):
                os.replace(os.path.join(part.folder, name), os.path.join(index_path, name))
        part.discard()
        first = min(i for i, s in enumerate(final) if s.segment_id() in part.sources)
        final = [s for s in final[:first] if s.segment_id() not in part.sources] + [part.segment] + \
                [s for s in final[first:] if s.segment_id() not in part.sources]
    return final


def groups_of(segments: list[Any], count: int) -> list[list[Any]]:
    """Neighbouring segments in `count` groups of about equal document counts."""
    total = sum(s.doc_count_all() for s in segments) or 1
    groups: list[list[Any]] = [[]]
    done = 0
    for segment in segments:
        if groups[-1] and done >= total * len(groups) / count:
            groups.append([])
        groups[-1].append(segment)
        done += segment.doc_count_all()
    return groups


def optimize(writer: Any, index_path: str, *, jobs: int = 1,
             progress: MergeProgress | None = None) -> None:
    """Commit a Whoosh writer with all the index's segments merged into one.

    With jobs > 1, neighbouring groups of segments are merged in that many
    processes first, then their results (no deletions left, so every block is
    copied) into one. `progress` gets (documents copied, documents to copy)."""
    if writer._added:
        writer.segments.append(writer._finalize_segment())
    else:
        writer._close_segment()
    segments = [s for s in writer.segments if s.doc_count()]
    groups = groups_of(segments, jobs) if jobs > 1 and len(segments) > jobs else [segments]
    live = sum(s.doc_count() for s in segments)
    todo = live * (2 if len(groups) > 1 else 1)
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, todo)

    if len(segments) > 1 or any(s.has_deletions() for s in segments):
        if len(groups) > 1:
            merged = _merge_groups(index_path, writer.schema, groups, step)
            writer.segments = swap_in(writer, merged, index_path)
        final = merge_segments(index_path, writer.schema, list(writer.segments), progress=step)
        writer.segments = swap_in(writer, [final], index_path)
    writer._commit_toc([s for s in writer.segments if s.doc_count()])
    writer._finish()


def _merge_groups(index_path: str, schema: Any, groups: list[list[Any]], step: Callable[[int], None]) -> list[MergedSegment]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    merged: list[MergedSegment] = []
    with ProcessPoolExecutor(len(groups), mp_context=context) as pool:
        futures = [pool.submit(merge_segments, index_path, schema, group) for group in groups]
        try:
            for future, group in zip(futures, groups):
                merged.append(future.result())
                step(sum(s.doc_count() for s in group))
        except BaseException:
            for part in merged:
                part.discard()
            raise
    return merged


__all__ = ["MergeProgress", "MergedSegment", "groups_of", "merge_segments", "optimize", "swap_in"]
