"""Posting blocks whose first document number a merge moves without deflating again."""
import io
import pickle
import random
import zlib

import pytest

from newsearch.engine import deflating
from newsearch.engine.movable_blocks import compress_block, moved_block, moved_first_id


@pytest.fixture(autouse=True, params=["libdeflate", "zlib"])
def deflater(request, monkeypatch):
    """Every test with libdeflate (the `fast` extra) and without it (zlib)."""
    if request.param == "zlib":
        monkeypatch.setattr(deflating, "_libdeflate", None)
    else:
        monkeypatch.setattr(deflating, "_libdeflate", pytest.importorskip("deflate"))
    return request.param


def _block(ids, positions_per_doc=3, seed=0):
    """A block's pickle as the postings writers make it: (deltas, weights, values)."""
    rng = random.Random(seed)
    deltas = tuple([ids[0]] + [b - a for a, b in zip(ids, ids[1:])])
    values = tuple(bytes(rng.randrange(256) for _ in range(positions_per_doc * 2)) for _ in ids)
    weights = tuple(float(rng.randrange(1, 5)) for _ in ids)
    return pickle.dumps((deltas, weights, values), 2)


@pytest.mark.parametrize("first,base", [(0, 7), (3, 300), (250, 70_000), (70_000, 5_000_000), (1_000, 0)])
def test_moved_block_inflates_to_the_moved_pickle(first, base):
    ids = list(range(first, first + 40 * 3, 3))
    raw = _block(ids)
    packed = compress_block(raw, 3, len(ids))
    assert zlib.decompress(packed) == raw
    moved = moved_block(packed, len(ids), base, 3)
    assert zlib.decompress(moved) == moved_first_id(raw, len(ids), base)
    ids_after = [i + base for i in ids]
    deltas, weights, values = pickle.loads(zlib.decompress(moved))
    assert list(_running(deltas)) == ids_after
    assert (weights, values) == pickle.loads(raw)[1:]


def _running(deltas):
    at = 0
    for d in deltas:
        at += d
        yield at


def test_the_compressed_rest_is_copied_not_deflated_again():
    ids = list(range(10, 10 + 128 * 5, 5))
    packed = compress_block(_block(ids, 6), 3, len(ids))
    moved = moved_block(packed, len(ids), 1_000_000, 3)
    # Stored prefix: 2 bytes of zlib header, 5 of the stored block's header, then the
    # pickle up to the first id ("\x80\x02(" and K + 1 byte before, J + 4 bytes after).
    rest_before = packed[2 + 5 + 5:-4]
    rest_after = moved[2 + 5 + 8:-4]
    assert rest_before == rest_after
    # ...and moving again keeps the layout (a segment merged twice).
    again = moved_block(moved, len(ids), 3, 3)
    assert again[2 + 5 + 8:-4] == rest_before
    assert list(_running(pickle.loads(zlib.decompress(again))[0])) == [i + 1_000_003 for i in ids]


def test_a_block_deflated_in_one_stream_is_moved_too():
    """Blocks Whoosh's own writer compressed (and segments written before this layout)."""
    ids = list(range(5, 500, 7))
    raw = _block(ids)
    moved = moved_block(zlib.compress(raw, 3), len(ids), 12_345, 3)
    assert list(_running(pickle.loads(zlib.decompress(moved))[0])) == [i + 12_345 for i in ids]


def test_a_pickle_of_another_shape_is_compressed_whole():
    raw = pickle.dumps(([1, 2, 3, 4, 5], None, ()), 2)  # a list, not a tuple of ints
    packed = compress_block(raw, 3, 5)
    assert zlib.decompress(packed) == raw
    moved = moved_block(packed, 5, 10, 3)
    assert pickle.loads(zlib.decompress(moved))[0][0] == 11


def test_a_corrupt_stored_prefix_is_not_trusted():
    ids = list(range(0, 400, 4))
    raw = _block(ids)
    packed = bytearray(compress_block(raw, 3, len(ids)))
    packed[5] ^= 0xFF  # NLEN no longer complements LEN: zlib itself refuses the stream
    with pytest.raises(zlib.error):
        moved_block(bytes(packed), len(ids), 10, 3)


def test_the_python_3_10_deflate_gives_the_same_bytes():
    from newsearch.engine.deflating import _deflate_in_steps, zlib_deflate as _deflate
    raw = _block(list(range(0, 900, 3)), 4, seed=2)
    for wbits in (12, -12):
        assert _deflate_in_steps(raw, 3, wbits) == _deflate(raw, 3, wbits)
    assert zlib.decompress(_deflate_in_steps(raw, 3, 12)) == raw


def test_every_compressed_block_an_index_build_writes_is_movable(tmp_path):
    """Terms of one block (written in one step) and of many (through the codec's
    writer) alike: a merge can then move every block without deflating it again."""
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

    from newsearch.engine import store
    from newsearch.engine.movable_blocks import _first_id_span, _holds_stored_prefix
    from newsearch.ingest import index_paths

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    ships = ["ferry", "tanker", "trawler", "barge", "tug", "schooner", "dredger", "liner"]
    for n in range(400):  # "harbour" in every article (four blocks of 128 and the rest), each ship in 50
        (corpus / f"note{n:03d}.txt").write_text(
            f"Harbour note {n}\n\nThe harbour board met on day {n} about the {ships[n % 8]} at the pier.\n",
            encoding="utf-8")
    assert index_paths([corpus], index=tmp_path / "ix", jobs=1).ok
    ix, _ = store.open_index(tmp_path / "ix")
    seen = {1: 0, 2: 0}  # compressed blocks of single-block and multi-block terms
    with ix.searcher() as searcher:
        for reader in (r for r, _ in searcher.leaf_searchers()):
            terms = reader.reader() if hasattr(reader, "reader") else reader
            for (fieldname, btext), info in terms._terms.items():
                if info.is_inlined():
                    continue
                offset = info.extent()[0]
                buf = terms._terms._postfile._buf
                assert bytes(buf[offset:offset + 4]) == WHOOSH3_HEADER_MAGIC
                position, blocks, size = offset + 4, [], 1
                while size > 0:  # the last block's size is negative
                    size = int.from_bytes(buf[position:position + 4], "big", signed=True)
                    start = position + 4
                    header = io.BytesIO(buf[start:start + 96])
                    count, _, _, comp, _, _ = pickle.load(header)
                    blocks.append((count, comp, bytes(buf[start + header.tell():start + abs(size)])))
                    position = start + abs(size)
                for count, comp, data in blocks:
                    if comp:
                        raw = zlib.decompress(data)
                        end = _first_id_span(raw, count)[1]
                        assert end and _holds_stored_prefix(data, raw, end), (fieldname, btext)
                        seen[min(len(blocks), 2)] += 1
    assert seen[1] > 0 and seen[2] >= 4


def test_a_block_bigger_than_the_window_inflates_a_little_at_a_time(deflater):
    """A block pickle of tens of KiB (long position lists) whose values repeat
    pieces of one another from far back inflates, also read out in small pieces (zlib
    then reaches back through its window rather than its output), and its header
    declares a window as far as the compressor may reach: libdeflate has no window
    setting (32 KiB), zlib is told 4 KiB."""
    ids = list(range(0, 128 * 9, 9))
    rng = random.Random(4)
    # Each fifth value a copy of the same 2,000 random bytes, fresh random bytes
    # between: matches only 8 KiB and more back.
    pool = bytes(rng.randrange(256) for _ in range(2_000))
    values = tuple(bytes(pool) if k % 5 == 0 else bytes(rng.randrange(256) for _ in range(2_000))
                   for k in range(len(ids)))
    far = pickle.dumps((tuple([ids[0]] + [9] * (len(ids) - 1)), None, values), 2)
    for block in (_block(ids, positions_per_doc=150, seed=4), far):
        assert len(block) > 4096 * 4
        packed = compress_block(block, 3, len(ids))
        reader = zlib.decompressobj()
        out = bytearray()
        data = packed
        while data:
            out += reader.decompress(data, 512)
            data = reader.unconsumed_tail
        out += reader.flush()
        assert bytes(out) == block
        assert (packed[0] >> 4) + 8 == (15 if deflater == "libdeflate" else 12)  # the header's CINFO
        assert zlib.decompress(moved_block(packed, len(ids), 77, 3)) == moved_first_id(block, len(ids), 77)
