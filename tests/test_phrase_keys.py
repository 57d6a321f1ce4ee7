"""The quick phrase check on sorted keys (ranking._adjacent_by_sorted_keys) against
a check by hand on Python sets, and the bisection membership against numpy.isin."""
import numpy as np
import pytest

from newsearch.engine.ranking import _adjacent_by_sorted_keys
from newsearch.engine.term_arrays import in_sorted


def _word(rng, candidates, highest):
    """(weights, candidate place per position, positions) as adjacent_in_arrays builds them."""
    places, positions = [], []
    for place in range(candidates):
        chosen = sorted(rng.choice(highest, size=rng.integers(1, 6), replace=False).tolist())
        places += [place] * len(chosen)
        positions += chosen
    return (np.ones(candidates), np.array(places, dtype=np.int64), np.array(positions, dtype=np.int64))


def _by_hand(btexts, per_word):
    held = {btext: set(zip(per_word[btext][1].tolist(), per_word[btext][2].tolist())) for btext in btexts}
    first = btexts[0]
    found = set()
    for place, position in held[first]:
        if all((place, position + offset) in held[btext] for offset, btext in enumerate(btexts)):
            found.add(place)
    return found


@pytest.mark.parametrize("btexts", [[b"a", b"b"], [b"a", b"b", b"c"], [b"a", b"b", b"a"], [b"a", b"a"]])
def test_the_quick_phrase_check_finds_what_a_check_by_hand_finds(btexts):
    rng = np.random.default_rng(7)
    for _ in range(30):
        per_word = {btext: _word(rng, 40, 12) for btext in dict.fromkeys(btexts)}
        places = _adjacent_by_sorted_keys(btexts, per_word, 40)
        assert places is not None
        assert set(places.tolist()) == _by_hand(btexts, per_word)
        assert np.all(np.diff(places) >= 0)


def test_the_quick_phrase_check_declines_keys_that_do_not_ascend_or_would_overflow():
    unsorted = {b"a": (np.ones(1), np.array([0, 0]), np.array([5, 2])), b"b": (np.ones(1), np.array([0]), np.array([3]))}
    assert _adjacent_by_sorted_keys([b"a", b"b"], unsorted, 1) is None
    huge = {b"a": (np.ones(1), np.array([0]), np.array([2 ** 60])), b"b": (np.ones(1), np.array([0]), np.array([1]))}
    assert _adjacent_by_sorted_keys([b"a", b"b"], huge, 8) is None


def test_membership_by_bisection_agrees_with_isin():
    rng = np.random.default_rng(3)
    for size in (0, 1, 17, 500):
        haystack = np.unique(rng.integers(0, 1000, size=size))
        needles = rng.integers(-5, 1005, size=300)
        assert in_sorted(needles, haystack).tolist() == np.isin(needles, haystack).tolist()


def test_joins_by_bisection_agree_with_numpy_set_operations():
    from newsearch.engine.query import _common_places, _union

    rng = np.random.default_rng(11)
    for a_size, b_size in ((0, 5), (5, 0), (30, 400), (400, 30), (200, 200)):
        a = np.unique(rng.integers(0, 600, size=a_size))
        b = np.unique(rng.integers(0, 600, size=b_size))
        _, want_a, want_b = np.intersect1d(a, b, assume_unique=True, return_indices=True)
        at_a, at_b = _common_places(a, b)
        assert at_a.tolist() == want_a.tolist() and at_b.tolist() == want_b.tolist()
        assert _union(a, b, at_b).tolist() == np.union1d(a, b).tolist()


def test_a_union_of_ids_out_of_order_is_still_numpys_union():
    from newsearch.engine.query import _common_places, _union

    a, b = np.array([9, 2, 5]), np.array([5, 1, 9, 7])
    at_a, at_b = _common_places(a, b)
    assert sorted(zip(a[at_a].tolist(), b[at_b].tolist())) == [(5, 5), (9, 9)]
    assert _union(a, b, at_b).tolist() == np.union1d(a, b).tolist()
