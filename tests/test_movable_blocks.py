"""Posting blocks whose first document number a merge moves without deflating again."""
import pickle
import random
import zlib

import pytest

from newsearch.engine.movable_blocks import compress_block, moved_block, moved_first_id


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
    from newsearch.engine.movable_blocks import _deflate, _deflate_in_steps
    raw = _block(list(range(0, 900, 3)), 4, seed=2)
    for wbits in (12, -12):
        assert _deflate_in_steps(raw, 3, wbits) == _deflate(raw, 3, wbits)
    assert zlib.decompress(_deflate_in_steps(raw, 3, 12)) == raw
