"""The compact term-index writer must write exactly the bytes Whoosh's own writes.

Readers of a segment cannot know which writer made its .trm file, so the test is a
byte-for-byte comparison on keys chosen to collide in the hash tables, plus checks
that segment writes and merges use it.
"""
from __future__ import annotations

import random

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter

from newsearch import Archive
from newsearch.engine import term_index
from newsearch.engine.term_index import CompactTermIndex, use_compact_term_index
from newsearch.ingest import index_paths


def _write(storage, name, items, compact):
    writer = OrderedHashWriter(storage.create_file(name))
    if compact:
        writer.__class__ = CompactTermIndex
        writer._start_compact()
    for key, value in items:
        writer.add(key, value)
    writer.close()
    with storage.open_file(name) as f:
        return f.read()


def _items(count, seed):
    rng = random.Random(seed)
    keys = {bytes(rng.choice(b"abcdefghij") for _ in range(rng.randint(1, 12))) for _ in range(count)}
    return [(key, bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))) for key in sorted(keys)]


@pytest.mark.parametrize("count", [0, 1, 300, 20_000])
def test_the_file_is_byte_for_byte_whooshs(tmp_path, count):
    storage = FileStorage(str(tmp_path))
    items = _items(count, seed=count)
    # Twice as many slots as entries in a bucket, so 20,000 keys in 256 buckets collide often.
    ours = _write(storage, "ours.trm", items, compact=True)
    theirs = _write(storage, "theirs.trm", items, compact=False)
    assert len(ours) == len(theirs) and ours == theirs
    reader = OrderedHashReader.open(storage, "ours.trm")
    for key, value in items[:: max(1, len(items) // 200)]:
        assert reader[key] == value
    if items:
        assert list(reader.keys_from(items[len(items) // 2][0]))[0] == items[len(items) // 2][0]
    reader.close()


def test_keys_out_of_order_are_refused(tmp_path):
    writer = OrderedHashWriter(FileStorage(str(tmp_path)).create_file("t.trm"))
    writer.__class__ = CompactTermIndex
    writer._start_compact()
    writer.add(b"b", b"1")
    with pytest.raises(ValueError, match="must increase"):
        writer.add(b"a", b"2")


class _FieldWriter:
    def __init__(self, tindex):
        self._tindex = tindex


def test_a_writer_with_terms_already_added_is_left_alone(tmp_path):
    tindex = OrderedHashWriter(FileStorage(str(tmp_path)).create_file("t.trm"))
    tindex.add(b"a", b"1")
    use_compact_term_index(_FieldWriter(tindex))
    assert type(tindex) is OrderedHashWriter
    fresh = OrderedHashWriter(FileStorage(str(tmp_path)).create_file("u.trm"))
    use_compact_term_index(_FieldWriter(fresh))
    assert type(fresh) is CompactTermIndex


def test_builds_and_merges_write_their_terms_through_it(tmp_path, monkeypatch):
    closed = []
    real = CompactTermIndex._write_hashes

    def counting(self):
        closed.append(sum(len(h) for h in self._hashes))
        real(self)

    monkeypatch.setattr(term_index.CompactTermIndex, "_write_hashes", counting)
    index = tmp_path / "ix"
    for run in range(2):  # two runs, two segments
        folder = tmp_path / f"src{run}"
        folder.mkdir()
        for n in range(6):
            (folder / f"a{n}.txt").write_text(f"Title number {run} {n}\n\nBody text about harbour cranes {n}.\n")
        index_paths([folder], index=index, jobs=1, progress=None)
    assert len(closed) == 2 and all(count > 0 for count in closed)
    with Archive.open(index) as archive:
        archive.optimize(jobs=1)
    assert len(closed) == 3
    with Archive.open(index) as archive:
        assert archive.search("harbour").total == 12
