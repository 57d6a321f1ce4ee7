"""Segment files are read in place: the stream over a buffer reads as BytesIO does,
and an opened index holds no copy of its segment files."""
from __future__ import annotations

import pickle
import random
from io import BytesIO

from newsearch import Archive
from newsearch.engine.files import InPlaceBufferFile
from newsearch.models import Article


def test_the_stream_reads_seeks_and_unpickles_as_bytesio_does():
    rng = random.Random(9)
    data = pickle.dumps([{"a": 1, "b": [1.5, "x\ny"]}, "line\nbreak", 7], protocol=2)
    data += bytes(rng.randrange(256) for _ in range(3000)) + b"\nlast line\n" + b"tail"
    view = memoryview(data)
    ours, theirs = InPlaceBufferFile(view), BytesIO(data)
    assert pickle.load(ours) == pickle.load(theirs)
    assert ours.tell() == theirs.tell()
    # pickles longer than the first slice read, one after another, then the bytes after them
    long_ones = [list(range(n)) for n in (0, 5, 40, 400, 4000)]
    packed = b"".join(pickle.dumps(value, protocol=protocol) for value in long_ones for protocol in (2, 5)) + b"after"
    stream = InPlaceBufferFile(memoryview(packed))
    assert [stream.read_pickle() for _ in range(10)] == [value for value in long_ones for _ in (2, 5)]
    assert stream.read() == b"after"
    for _ in range(500):
        action = rng.choice(["read", "readline", "seek", "seek_end", "seek_here"])
        if action == "read":
            size = rng.choice([-1, 0, 1, 7, 300, 5000])
            assert ours.read(size) == theirs.read(size)
        elif action == "readline":
            size = rng.choice([-1, 3, 600])
            assert ours.readline(size) == theirs.readline(size)
        elif action == "seek":
            where = rng.randrange(len(data) + 10)
            assert ours.seek(where) == theirs.seek(where)
        elif action == "seek_end":
            back = -rng.randrange(len(data))
            assert ours.seek(back, 2) == theirs.seek(back, 2)
        else:
            step = rng.randrange(-50, 50)
            if theirs.tell() + step >= 0:
                assert ours.seek(step, 1) == theirs.seek(step, 1)
        assert ours.tell() == theirs.tell()
    target_ours, target_theirs = bytearray(10), bytearray(10)
    ours.seek(5), theirs.seek(5)
    assert ours.readinto(target_ours) == theirs.readinto(target_theirs)
    assert target_ours == target_theirs


def test_an_open_index_reads_its_segments_through_the_memory_map(tmp_path):
    with Archive.create(tmp_path / "ix") as archive:
        archive.add([Article(id=f"a{n}", title=f"Harbour report {n}", body="The harbour reopened. " * 40)
                     for n in range(50)])
    with Archive.open(tmp_path / "ix") as archive:
        assert archive.search("harbour", limit=5, highlight=False).total == 50
        searcher = archive._engine._current_searcher()
        leaf = searcher.reader().leaf_readers()[0][0] if hasattr(searcher.reader(), "leaf_readers") else searcher.reader()
        postings = leaf._terms._postfile
        assert isinstance(postings, InPlaceBufferFile)
        assert isinstance(postings._buf, memoryview)  # a view of the map, not a copy
