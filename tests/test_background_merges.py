"""Merges while a build goes on: fewer segments, the same answers, nothing lost.

A build merges neighbouring segments of one size tier in a child process and
swaps the result in at a later commit (merge_policy.py, background_merges.py).
These tests use a small policy (three segments of 50 articles and up) so that a
few hundred articles make several tiers, and check the segment count, the
answers against a build that never merged, deletions made while a merge runs,
and a writer cancelled with merges in flight.
"""
from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from newsearch import Archive
from newsearch.engine import merge_policy, store
from newsearch.engine.merge_policy import TieredMerges
from newsearch.engine.segments import PARTS_DIR
from newsearch.ingest import index_paths

from test_merging import _answers, _ids_by_path, _segment_sizes, _write_corpus

SMALL = TieredMerges(factor=3, floor=50)  # builds below write segments of 64 articles (the least batch)
PLAN = TieredMerges(factor=3, floor=20)
QUERIES = ["osprey", "heron harbour", '"storm report"', "ferry OR bridge", "council NOT budget", "note"]


class _Segment:
    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size

    def segment_id(self) -> str:
        return self.name

    def doc_count_all(self) -> int:
        return self.size


def _plan(sizes: list[int], busy: tuple[int, ...] = ()) -> list[list[int]]:
    segments = [_Segment(f"s{i}", size) for i, size in enumerate(sizes)]
    groups = PLAN.plan(segments, {f"s{i}" for i in busy})
    return [[int(s.name[1:]) for s in group] for group in groups]


@pytest.mark.parametrize("sizes, busy, expected", [
    ([20, 25, 59, 20], (), [[0, 1, 2]]),            # tier 0 is 20 to 59 articles
    ([20, 20, 60, 20, 20, 20], (), [[3, 4, 5]]),     # only neighbours of one tier
    ([20, 20, 20, 20], (0,), [[1, 2, 3]]),           # never a segment already being merged
    ([60, 70, 80, 20, 20, 20], (), [[3, 4, 5], [0, 1, 2]]),  # the lowest tier first
    ([19, 19, 19, 19], (), []),                      # under the floor: the commit's own small merges
    ([20, 20, 20, 20, 20, 20, 20], (), [[0, 1, 2], [3, 4, 5]]),
])
def test_the_policy_merges_factor_neighbours_of_one_tier(sizes, busy, expected):
    assert _plan(sizes, busy) == expected


def test_tiers_grow_by_the_factor():
    policy = TieredMerges(factor=10, floor=5_000)
    assert [policy.tier(n) for n in (4_999, 5_000, 49_999, 50_000, 499_999, 500_000)] == [None, 0, 0, 1, 1, 2]
    with pytest.raises(ValueError):
        TieredMerges(factor=1)


def test_a_build_with_merges_ends_with_fewer_segments_and_the_same_answers(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, 600)
    monkeypatch.setattr(merge_policy, "DEFAULT_POLICY", None)
    plain = tmp_path / "plain"
    assert index_paths([corpus], index=plain, jobs=2, batch_size=30).ok
    monkeypatch.setattr(merge_policy, "DEFAULT_POLICY", SMALL)
    merged = tmp_path / "merged"
    report = index_paths([corpus], index=merged, jobs=2, batch_size=30)
    assert report.ok and report.documents == 600 and report.counts["new"] == 600
    unmerged, sizes = _segment_sizes(plain), _segment_sizes(merged)
    assert unmerged == [64] * 9 + [24]
    # nine segments of 64 (tier 0) make three of 192 (tier 1), which make one of 576
    assert sizes == [576, 24]
    ix, _ = store.open_index(merged)
    assert SMALL.plan(ix._segments(), set()) == []  # nothing left that the policy would merge
    assert not (merged / PARTS_DIR).exists()
    for got, want in zip(_answers(merged, QUERIES), _answers(plain, QUERIES)):
        assert got["total"] == want["total"] and got["facets"] == want["facets"]
        assert [h["id"] for h in got["hits"]] == [h["id"] for h in want["hits"]]
        assert [round(h["score"], 4) for h in got["hits"]] == [round(h["score"], 4) for h in want["hits"]]


def _unmerged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int = 600) -> Path:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, count)
    monkeypatch.setattr(merge_policy, "DEFAULT_POLICY", None)
    path = tmp_path / "ix"
    assert index_paths([corpus], index=path, jobs=2, batch_size=30).ok
    assert _segment_sizes(path) == [64] * (count // 64) + [count % 64]
    return path


def test_articles_deleted_while_merges_run_stay_deleted(tmp_path, monkeypatch):
    path = _unmerged(tmp_path, monkeypatch)
    ids = _ids_by_path(path)
    gone = ["note000.txt", "note031.txt", "note100.txt", "note175.txt", "note239.txt", "note599.txt"]
    ix, _ = store.open_index(path)
    with store.IndexWriter(str(path), ix, merges=SMALL) as writer:
        writer.commit()  # starts the merges of what is committed: nine segments of 64, three groups
        assert writer.merges_running == 3
        assert writer.delete_ids(ids[name] for name in gone) == len(gone)
        writer.commit()
    assert writer.merges_running == 0
    sizes = _segment_sizes(path)
    assert len(sizes) == 2 and sum(sizes) - _deleted_count(path) == 600 - len(gone)
    with Archive.open(path) as archive:
        assert len(archive) == 600 - len(gone)
        found = {Path(hit.path).name for hit in archive.search("note", limit=1000).hits}
        assert found == set(ids) - set(gone)


def _deleted_count(path: Path) -> int:
    ix, _ = store.open_index(path)
    return sum(s.deleted_count() for s in ix._segments())


def test_a_cancelled_writer_stops_its_merges_and_leaves_the_index_as_committed(tmp_path, monkeypatch):
    path = _unmerged(tmp_path, monkeypatch)
    before = _segment_sizes(path)
    ix, _ = store.open_index(path)
    with pytest.raises(KeyboardInterrupt):
        with store.IndexWriter(str(path), ix, merges=SMALL) as writer:
            writer.commit()
            assert writer.merges_running == 3
            raise KeyboardInterrupt
    assert not [p for p in multiprocessing.active_children() if p.name == "newsearch-merge"]
    assert _segment_sizes(path) == before
    with Archive.open(path) as archive:
        assert len(archive) == 600 and archive.search("note", limit=5).total == 600
    # the next run removes what the killed merges left and merges for itself
    monkeypatch.setattr(merge_policy, "DEFAULT_POLICY", SMALL)
    report = index_paths([tmp_path / "corpus"], index=path, jobs=2, batch_size=30)
    assert report.ok and report.documents == 600 and report.counts["unchanged"] == 600
    assert not (path / PARTS_DIR).exists()


def test_new_and_merged_segments_come_with_their_facet_arrays(tmp_path, monkeypatch):
    import json
    import marshal

    from whoosh.reading import SegmentReader

    from newsearch.engine.query import PREBUILT_FIELDS, _build_date_values, _build_facet_values

    sections, authors = ["World", "Business", "Sport"], ["Ann Lee", "Bo Park", "Cy Diaz", "Di Moss"]
    (tmp_path / "feed").mkdir()
    for i in range(200):  # one file each: a batch is then 64 files (the least batch)
        with open(tmp_path / "feed" / f"a{i:03d}.jsonl", "w") as out:
            out.write(json.dumps({"id": f"a{i}", "title": f"Harbour report {i}", "section": sections[i % 3],
                                  "author": authors[i % 4], "date": f"20{10 + i % 12}-0{1 + i % 9}-1{i % 10}",
                                  "body": f"The harbour council met on day {i} about the ferry."}) + "\n")
    monkeypatch.setattr(merge_policy, "DEFAULT_POLICY", SMALL)
    path = tmp_path / "ix"
    assert index_paths([tmp_path / "feed"], index=path, jobs=2, batch_size=30).ok
    assert _segment_sizes(path) == [192, 8]  # three of 64 merged; the last batch of 8 alone
    ix, _ = store.open_index(path)
    for segment in ix._segments():
        reader = SegmentReader(ix.storage, ix.schema, segment)
        try:
            for fieldname in PREBUILT_FIELDS:
                saved = marshal.loads((path / "facets" / f"{segment.segment_id()}.{fieldname}.marshal").read_bytes())
                build = _build_date_values if fieldname in ("local_date", "date") else _build_facet_values
                assert saved == build(reader, fieldname)
            assert set(saved_values(path, segment, "facet_section")) == set(sections)
        finally:
            reader.close()
    with Archive.open(path) as archive:
        found = archive.search("harbour", facets=("section",), limit=1)
        assert {f.value: f.count for f in found.facets["section"]} == {"World": 67, "Business": 67, "Sport": 66}


def test_a_build_ends_without_the_facet_arrays_of_segments_merged_away(tmp_path, monkeypatch):
    """The size of a finished index is what it keeps: the facet arrays of the worker
    segments a merge replaced go at the end of the build, not at some later query."""
    from newsearch.engine import query
    from newsearch.engine.query import PREBUILT_FIELDS

    _one_file_per_article(tmp_path / "feed", 200)
    monkeypatch.setattr(merge_policy, "DEFAULT_POLICY", SMALL)
    monkeypatch.setattr(query, "_is_stale", lambda file: True)  # as if written over a minute ago
    path = tmp_path / "ix"
    assert index_paths([tmp_path / "feed"], index=path, jobs=2, batch_size=30).ok
    ix, _ = store.open_index(path)
    live = {segment.segment_id() for segment in ix._segments()}
    assert len(live) == 2  # three worker segments merged into one, and the last batch
    saved = {file.name for file in (path / "facets").glob("*.marshal")}
    assert saved == {f"{segment}.{field}.marshal" for segment in live for field in PREBUILT_FIELDS}


def test_a_facet_array_saved_for_one_segment_keeps_the_other_segments_arrays(tmp_path, monkeypatch):
    """A query that saves one segment's array (here the ids, which builds leave to
    queries) removes only the files of segments gone from the index, not those of the
    index's other segments, which every later query would otherwise build again."""
    _one_file_per_article(tmp_path / "feed", 150)
    monkeypatch.setattr(merge_policy, "DEFAULT_POLICY", None)
    path = tmp_path / "ix"
    assert index_paths([tmp_path / "feed"], index=path, jobs=2, batch_size=30).ok
    assert len(_segment_sizes(path)) >= 2
    facets = path / "facets"
    for file in facets.glob("*.marshal"):  # written over a minute ago, as after any real build
        os.utime(file, (file.stat().st_atime - 600, file.stat().st_mtime - 600))
    before = {file.name for file in facets.glob("*.marshal")}
    assert before and not any(".id." in name for name in before)
    with Archive.open(path) as archive:
        assert archive.get("a7") is not None  # reads the id column of every segment
        assert archive.search("harbour", facets=("section",), limit=1).total == 150
    after = {file.name for file in facets.glob("*.marshal")}
    assert before <= after and any(".id." in name for name in after)


def _one_file_per_article(folder: Path, count: int) -> None:
    """`count` short articles, one JSON Lines file each (a batch is then 64 files)."""
    folder.mkdir()
    for i in range(count):
        (folder / f"a{i:03d}.jsonl").write_text(json.dumps(
            {"id": f"a{i}", "title": f"Harbour report {i}", "section": "World", "date": "2021-03-04",
             "body": f"The harbour council met on day {i}."}) + "\n")


def saved_values(path: Path, segment, fieldname: str) -> list:
    import marshal

    return marshal.loads((path / "facets" / f"{segment.segment_id()}.{fieldname}.marshal").read_bytes())


def _report_frozen(sender) -> None:
    import gc

    sender.send(gc.get_freeze_count())
    sender.close()


def test_a_merge_process_inherits_the_heap_frozen_and_the_parent_collects_again():
    import gc

    from newsearch.engine.background_merges import frozen_heap

    held = [object() for _ in range(1000)]  # tracked objects the child inherits
    context = multiprocessing.get_context("fork")
    results, sender = context.Pipe(duplex=False)
    with frozen_heap():
        child = context.Process(target=_report_frozen, args=(sender,))
        child.start()
    sender.close()
    frozen_in_child = results.recv()
    child.join()
    assert frozen_in_child >= len(held)  # the child's collector skips what it inherited
    assert gc.get_freeze_count() == 0  # the parent's does not


def test_at_once_holds_merges_back_during_the_build_and_the_end_runs_them_all(tmp_path, monkeypatch):
    path = _unmerged(tmp_path, monkeypatch)
    ix, _ = store.open_index(path)
    one_at_a_time = TieredMerges(factor=3, floor=50, at_once=1)
    with store.IndexWriter(str(path), ix, merges=one_at_a_time) as writer:
        writer.commit()  # three groups of three are ready; only one may start
        assert writer.merges_running == 1
        writer.commit()
        assert writer.merges_running <= 1
    assert writer.merges_running == 0
    # The end of the build merged what was held back, as an unlimited policy would.
    assert sorted(_segment_sizes(path)) == [24, 576]
    with Archive.open(path) as archive:
        assert len(archive) == 600 and archive.search("note", limit=5).total == 600


def test_a_policy_runs_at_least_one_merge_at_a_time():
    with pytest.raises(ValueError, match="at least one merge"):
        TieredMerges(at_once=0)
    assert merge_policy.DEFAULT_POLICY.at_once is not None and merge_policy.DEFAULT_POLICY.at_once >= 1


ORPHAN_PROBE = """
import sys, time
from newsearch.engine import background_merges
background_merges.merge_segments = lambda *args: time.sleep(300)  # a merge that would run on and on
merge = background_merges._Merge(sys.argv[1], None, [])
print(merge._process.pid, flush=True)
time.sleep(300)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process states from /proc")
def test_a_merge_ends_when_the_build_that_started_it_is_killed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    build = subprocess.Popen([sys.executable, "-c", ORPHAN_PROBE, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    child = int(build.stdout.readline())
    try:
        assert _running(child)
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(child), "the merge process outlived the killed build"
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)
        build.kill()
