"""Whoosh segments written whole by worker processes, then adopted by the index.

A Whoosh writer is single-threaded: fed by parallel parsers it becomes the
bottleneck and leaves the other cores idle. So each worker writes a complete
segment for its batch of articles (analysis, postings, stored fields, columns)
in a private folder under the index, and the process holding the index lock
only renames the finished segment file in and writes the table of contents
(`commit_with`). A segment that is never adopted (a killed run) is only a
folder under PARTS_DIR, which the next run removes; the index itself never
refers to it.

It drives SegmentWriter through methods Whoosh uses for its own multi-process
writer (_finalize_segment, _merge_segments, _commit_toc); whoosh-reloaded is pinned
for that reason, and tests/test_segments.py checks that a segment written here holds
exactly what Whoosh's own writer would write.

Part of the engine package, the only one that imports whoosh.
"""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from functools import partial
from typing import Any, Collection

from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from .deflating import deflated_under_pickle, zlib_compress
from .postings import FieldLengths, TermPostings
from .spelling import PackedWords, WordCounts
from .term_arrays import PART_NAME as ARRAYS_PART
from .term_arrays import TermArraysWriter, arrays_path
from .term_index import use_compact_term_index

# Private folders of segments being written; Whoosh's own clean-up skips names
# that start with a dot, so it never deletes a worker's files mid-write.
PARTS_DIR = ".parts"
# Segments below this many articles are merged once SMALL_SEGMENTS_TO_MERGE of them exist.
SMALL_SEGMENT = 5_000
SMALL_SEGMENTS_TO_MERGE = 10


@dataclass
class WrittenSegment:
    """A finished segment waiting in its private folder to be adopted."""

    segment: Any  # Whoosh's segment object: picklable, names its files
    folder: str
    ids: list[str] = field(default_factory=list)  # article id by document number
    words: PackedWords = field(default_factory=PackedWords)  # its printed words, for suggestions (spelling.py)

    def drop(self, docnum: int) -> None:
        """Mark one of its documents deleted (a later copy of the same article won)."""
        self.segment.delete_document(docnum)

    @property
    def doc_count(self) -> int:
        return self.segment.doc_count()

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class _BatchWriter(SegmentWriter):
    """A SegmentWriter for one private segment that gathers postings per term
    (postings.py) and keeps field lengths in memory."""

    def __init__(self, ix: Any, folder: str, *, limitmb: float, **kwargs: Any) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        use_compact_term_index(self.fieldwriter)
        self._lengths = FieldLengths()
        self._postings = TermPostings(folder, limitmb=limitmb)
        self._folder = folder
        self._whoosh_pool_used = False
        add_field = self.perdocwriter.add_field

        def add_field_recording_length(fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
            if length:
                self._lengths.record(fieldname, self.docnum, length)
            add_field(fieldname, fieldobj, value, length)

        self.perdocwriter.add_field = add_field_recording_length
        _compress_stored_fields_with(self.perdocwriter, zlib_compress())
        # Term vectors and separate spelling words need Whoosh's full add_document.
        self._special = any(f.vector or f.separate_spelling() for f in self.schema)

    def add_document(self, **fields: Any) -> None:
        """Whoosh's add_document for plain fields (no boosts, vectors or spelling),
        handing each field's postings to the pool in one step rather than one call
        per posting; anything else goes through Whoosh's own."""
        if any(name.startswith("_") and not name.startswith("_stored_") for name in fields) or self._special:
            self._whoosh_pool_used = True
            return super().add_document(**fields)
        schema, perdocwriter, postings = self.schema, self.perdocwriter, self._postings
        docnum = self.docnum
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdocwriter.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                flat_positions = getattr(field, "flat_positions", None)  # NewsText's (store.py)
                flat = flat_positions(value) if flat_positions is not None else None
                if flat is not None:
                    counted = postings.add_flat(name, docnum, flat[0], flat[1], field.format.field_boost)
                    length = counted if field.scorable else 0
                elif field.indexed:
                    items = list(field.index(value))
                    if field.scorable:
                        length = sum(item[1] for item in items)
                    postings.add(name, docnum, items)
                stored = fields.get("_stored_" + name, value)
                perdocwriter.add_field(name, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(name, column, field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        if self._whoosh_pool_used:
            # Some documents went through Whoosh's own add_document: its pool sorts all.
            for item in self._postings.postings():
                self.pool.add(item)
            self._postings.cleanup()
            self.fieldwriter.add_postings(self.schema, self._lengths, self.pool.iter_postings())
        else:
            arrays = TermArraysWriter(os.path.join(self._folder, ARRAYS_PART))
            try:
                self._postings.write(self.fieldwriter, self.schema, self._lengths, arrays)
            except BaseException:
                arrays.discard()
                raise
            arrays.close()
            self._postings.cleanup()
        self.fieldwriter.close()

    def _close_segment(self) -> None:
        super()._close_segment()
        self._postings.cleanup()


def _compress_stored_fields_with(perdocwriter: Any, compress: Any) -> None:
    """Have Whoosh's stored-fields column deflate each document with `compress`
    (deflating.py); a codec laid out otherwise keeps its own."""
    child = deflated_under_pickle(getattr(perdocwriter, "_colwriters", {}).get("_stored"), "Writer")
    if child is not None:
        child._compress = compress


class SegmentBuilder:
    """Writes one segment in a private folder under the index (used in a worker)."""

    def __init__(self, index_path: str, schema: Any, *, limitmb: int) -> None:
        self.index_path = index_path
        self.folder = os.path.join(index_path, PARTS_DIR, uuid.uuid4().hex)
        os.makedirs(self.folder)
        private = FileStorage(self.folder).create_index(schema)
        self._writer = _BatchWriter(private, self.folder, _lk=False, limitmb=limitmb)
        self.ids: list[str] = []
        self._words = WordCounts()

    def add(self, fields: dict[str, Any]) -> None:
        self._writer.add_document(**fields)
        self.ids.append(fields["id"])
        self._words.add(fields.get("title"), fields.get("summary"), fields.get("body"))

    def finish(self) -> WrittenSegment | None:
        """Write the segment's files; None (and nothing left behind) when it is empty."""
        if not self.ids:
            self.discard()
            return None
        writer = self._writer
        segment = writer._finalize_segment()
        writer._finish()
        part = os.path.join(self.folder, ARRAYS_PART)
        if os.path.exists(part):  # named as the segment's files now that they are assembled
            os.replace(part, arrays_path(self.folder, segment.segment_id()))
        prebuild_facets(self.index_path, self.folder, writer.schema, segment)
        return WrittenSegment(segment, self.folder, self.ids, PackedWords(self._words.table()))

    def discard(self) -> None:
        try:
            self._writer.cancel()
        except Exception:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def prebuild_facets(index_path: str, folder: str, schema: Any, segment: Any) -> None:
    """The facet arrays of a new segment in its private folder (query.FacetCache)."""
    from .query import prebuild_facet_values  # query.py imports store.py, which imports this module

    reader = SegmentReader(FileStorage(folder), schema, segment)
    try:
        prebuild_facet_values(index_path, reader)
    finally:
        reader.close()


def prune_facets(index_path: str, live: Collection[str]) -> None:
    """Remove the facet arrays of segments merged away (query.FacetCache)."""
    from .query import prune_facet_values

    prune_facet_values(index_path, live)


def merge_small_segments(writer: Any, segments: list[Any], busy: Collection[str] = ()) -> list[Any]:
    """The merge policy of every commit: once SMALL_SEGMENTS_TO_MERGE segments of
    under SMALL_SEGMENT articles have piled up (small update runs), merge them into
    one; never rewrite a big segment, nor one a background merge is reading (`busy` ids).

    Whoosh's default policy merges by a Fibonacci rule that, with a few dozen
    equal segments (a big build's worker batches), rewrites half the index at one
    commit, in one process, holding it in memory."""
    small = [s for s in segments if s.doc_count_all() < SMALL_SEGMENT and s.segment_id() not in busy]
    if len(small) < SMALL_SEGMENTS_TO_MERGE:
        return segments
    for segment in small:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in small]


def commit_with(writer: Any, written: list[WrittenSegment], index_path: str, busy: Collection[str] = ()) -> None:
    """Commit a Whoosh writer's own changes (deletions, additions, small-segment
    merges, sparing `busy` segments) together with segments written elsewhere, in one
    new generation."""
    final = writer._merge_segments(partial(merge_small_segments, busy=busy), None, None)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    for part in written:
        prefix = part.segment.segment_id() + "."
        for name in os.listdir(part.folder):
            if name.startswith(prefix):
                os.replace(os.path.join(part.folder, name), os.path.join(index_path, name))
        final.append(part.segment)
    writer._commit_toc(final)
    writer._finish()
    for part in written:
        part.discard()


def remove_parts(index_path: str | os.PathLike[str]) -> None:
    """Remove private segment folders left by a run that was killed (call under the lock)."""
    shutil.rmtree(Path(index_path) / PARTS_DIR, ignore_errors=True)
