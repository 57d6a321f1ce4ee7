"""An Archive kept open while another one commits answers each new commit right.

A long-lived reader (the web server's) refreshes its searcher after every commit; the
per-reader arrays it caches (facet values, article ids, dates) must be those of the
new reader, even when CPython gives the new reader the address of one let go earlier.
"""
from __future__ import annotations

import gc

from newsearch import Archive, Article
from newsearch.engine.per_reader import PerReader
from newsearch.engine.query import FacetCache

BATCH = 3


def test_a_reader_open_across_commits_and_merges_sees_each_commit_whole(tmp_path):
    path = tmp_path / "ix"
    with Archive.create(path) as archive:
        archive.add([Article(title="Harbour fees", body="Port fees rose.", url="https://ex.org/h", section="port")])
    wrong: list[str] = []
    with Archive.open(path) as reader, Archive.open(path) as writer:
        for commit in range(1, 31):
            writer.add([Article(title=f"Dredging {commit}.{k}", body="dredging of the channel",
                                url=f"https://ex.org/d/{commit}/{k}", section=f"s{commit}") for k in range(BATCH)])
            writer.optimize()  # one new segment per commit: readers come and go
            results = reader.search("dredging", facets=["section"], limit=1000, sort="newest")
            expected_ids = {f"https://ex.org/d/{c}/{k}" for c in range(1, commit + 1) for k in range(BATCH)}
            sections = {f.value: f.count for f in results.facets["section"]}
            if results.total != commit * BATCH:
                wrong.append(f"commit {commit}: total {results.total}")
            if {hit.url for hit in results.hits} != expected_ids:
                wrong.append(f"commit {commit}: other articles listed")
            if sections != {f"s{c}": BATCH for c in range(1, commit + 1)}:
                wrong.append(f"commit {commit}: sections {sorted(sections.items())[:3]}...")
    assert wrong == []


class _Proxy:
    """A reader seen through a small object, so that a new one can be made to land at
    the address of one let go (CPython reuses freed blocks of a size first)."""

    def __init__(self, reader) -> None:
        self._reader = reader

    def __getattr__(self, name):
        return getattr(self._reader, name)


def _commit(path, first: int, count: int) -> None:
    with Archive.open(path) as archive:
        archive.add([Article(title=f"Dredging {n}", body="dredging", url=f"https://ex.org/d/{n}",
                             section=f"s{n}") for n in range(first, first + count)])


def test_facet_arrays_are_never_those_of_a_reader_let_go_at_the_same_address(tmp_path, monkeypatch):
    from newsearch.engine import per_reader

    # Every reader gets the same id(): the collision a freed reader's reused address
    # causes, made certain rather than left to CPython's allocator.
    monkeypatch.setattr(per_reader, "id", lambda obj: 1, raising=False)
    path = tmp_path / "ix"
    with Archive.create(path):
        pass
    _commit(path, 0, 2)
    cache = FacetCache(path)
    with Archive.open(path) as archive:
        old = archive._engine._current_searcher()
        first = _Proxy(old.reader())
        before = cache.values(first, "section")
        _commit(path, 2, 3)
        new_reader = archive._engine._current_searcher().reader()
        del first
        second = _Proxy(new_reader)
        after = cache.values(second, "section")
    assert before == ["s0", "s1"]
    assert sorted(after) == ["s0", "s1", "s2", "s3", "s4"]


class _Reader:
    """Stands in for a Whoosh reader: any object that takes weak references."""


def test_per_reader_values_belong_to_that_object_and_go_with_it():
    memo: PerReader[str] = PerReader()
    first, second = _Reader(), _Reader()
    memo.put(first, "section", "of the first")
    assert memo.get(first, "section") == "of the first"
    assert memo.get(second, "section") is None
    assert memo.get(first, "author") is None
    del first
    gc.collect()
    assert len(memo) == 0  # nothing kept for a reader that is gone


def test_per_reader_never_answers_for_another_object_at_a_reused_address():
    memo: PerReader[int] = PerReader()
    answers = []
    for generation in range(200):  # CPython reuses freed addresses: collisions come fast
        reader = _Reader()
        answers.append(memo.get(reader, "ids"))
        memo.put(reader, "ids", generation)
        del reader
    assert answers == [None] * 200


def test_per_reader_keeps_at_most_its_limit():
    memo: PerReader[int] = PerReader(limit=4)
    readers = [_Reader() for _ in range(10)]
    for number, reader in enumerate(readers):
        memo.put(reader, "x", number)
    assert len(memo) <= 4
    assert memo.get(readers[-1], "x") == 9
