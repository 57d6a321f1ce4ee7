"""Crash safety: a writer killed at any moment leaves the last committed state searchable and resumable."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from newsearch import Archive, Article, IndexCorrupt, index_paths
from newsearch.cli import main
from newsearch.ingest import IngestOptions
from newsearch.lifecycle import check
from newsearch.ingest.manifest import Manifest

from conftest import EXAMPLES
from test_lifecycle import QUERIES, snapshot, write_story

STORIES = 300
EXAMPLE_OPTIONS = IngestOptions(section_from_dir=True)


def big_corpus(root: Path, count: int = STORIES) -> Path:
    """Many one-article files, sharing no words with the sample corpus's QUERIES."""
    corpus = root / "big"
    for number in range(count):
        write_story(corpus / f"s{number % 6}", f"story{number:04d}.txt", f"Lantern festival note {number}",
                    f"Volunteers lit lantern{number} along the promenade on evening {number}.",
                    section=f"Desk{number % 6}", date=f"2018-02-{number % 28 + 1:02d}")
    return corpus


def matching(index: Path) -> dict:
    """Per query: the set of matching ids and facet counts (rank order may shift as the collection grows)."""
    with Archive.open(index) as archive:
        out = {}
        for text in QUERIES:
            results = archive.search(text, facets=("section", "year"), limit=100, highlight=False)
            out[text] = (sorted(hit.id for hit in results.hits),
                         {name: sorted((f.value, f.count) for f in counts) for name, counts in results.facets.items()})
        return out


def committed_files(folder: Path) -> int:
    return len(Manifest.load(folder).sources)


def run_and_kill(args: list[str], until: Callable[[], bool], *, during: Callable[[], None] = lambda: None,
                 timeout: float = 60) -> int:
    """Run `newsearch ARGS` with tiny batches, SIGKILL it once `until()` holds; return its PID."""
    env = {**os.environ, "NEWSEARCH_BATCH_SIZE": "4"}
    proc = subprocess.Popen([sys.executable, "-m", "newsearch.cli", *args, "-j", "1", "-q"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while not until():
            if proc.poll() is not None:
                pytest.fail(f"the run ended before it could be killed: {proc.stderr.read() if proc.stderr else ''}")
            if time.monotonic() > deadline:
                pytest.fail("the run never reached the point where it should be killed")
            during()
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return proc.pid


def test_killed_update_keeps_committed_state_and_resumes(tmp_path: Path) -> None:
    corpus, index = big_corpus(tmp_path), tmp_path / "ix"
    index_paths([EXAMPLES], index=index, options=EXAMPLE_OPTIONS, jobs=1)
    before = matching(index)
    base_files = committed_files(index)
    with Archive.open(index) as archive:
        base_docs = len(archive)
    assert before["harbor"][0] and base_docs >= 20

    seen_sizes: list[int] = []

    def search_meanwhile() -> None:
        # A reader during the write sees committed states only, never an error.
        with Archive.open(index) as archive:
            seen_sizes.append(len(archive))
            assert archive.search("harbor").total == len(before["harbor"][0])

    pid = run_and_kill(["index", str(EXAMPLES), str(corpus), "--index", str(index), "--section-from-dir"],
                       until=lambda: committed_files(index) > base_files + 8, during=search_meanwhile)

    committed = committed_files(index)
    assert base_files + 8 < committed < base_files + STORIES
    assert matching(index) == before
    with Archive.open(index) as archive:
        size = len(archive)
        assert base_docs + committed - base_files <= size < base_docs + STORIES
        assert archive.search("lantern0").total == 1
    assert seen_sizes == sorted(seen_sizes) and seen_sizes[0] == base_docs
    assert not check(index=index).fresh

    result = CliRunner().invoke(main, ["index", str(EXAMPLES), str(corpus), "--index", str(index),
                                       "--section-from-dir", "-j", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert f"note: a previous run (PID {pid}) ended without finishing" in result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["stale_lock_pid"] == pid
    assert report["files_unchanged"] == committed
    assert report["files_indexed"] == base_files + STORIES - committed
    with Archive.open(index) as archive:
        ids = list(archive.ids())
        assert len(ids) == len(set(ids)) == base_docs + STORIES
        assert archive.search("lantern").total == STORIES
    assert matching(index) == before
    assert check(index=index).fresh


def test_killed_rebuild_leaves_old_index_and_next_rebuild_resumes(tmp_path: Path) -> None:
    corpus, index = big_corpus(tmp_path, 200), tmp_path / "ix"
    building = tmp_path / "ix.building"
    index_paths([EXAMPLES, corpus], index=index, options=EXAMPLE_OPTIONS, jobs=1)
    before = snapshot(index)

    pid = run_and_kill(["index", str(EXAMPLES), str(corpus), "--index", str(index), "--section-from-dir",
                        "--rebuild"], until=lambda: committed_files(building) > 10)
    assert snapshot(index) == before
    done = committed_files(building)

    report = index_paths([EXAMPLES, corpus], index=index, options=EXAMPLE_OPTIONS, rebuild=True, jobs=1)
    assert report.resumed and report.stale_lock_pid == pid
    assert report.files_unchanged == done and report.files_indexed == report.files_found - done
    assert "resumed an interrupted build" in report.summary()
    assert not building.exists()
    assert snapshot(index) == before
    assert check(index=index).fresh


def test_killed_first_build_is_searchable_at_once_and_next_run_resumes(tmp_path: Path) -> None:
    corpus, index = big_corpus(tmp_path, 200), tmp_path / "ix"
    run_and_kill(["index", str(corpus), "--index", str(index)], until=lambda: committed_files(index) > 0)
    assert not (tmp_path / "ix.building").exists()
    done = committed_files(index)
    with Archive.open(index) as archive:  # no older index to protect: what was committed is searchable
        assert len(archive) >= done > 0
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index), "-j", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert "resuming: " in result.output and "already built" in result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["resumed"] and report["files_unchanged"] == done
    with Archive.open(index) as archive:
        assert len(archive) == 200 and archive.search("lantern199").total == 1
    assert check(index=index).fresh


def _records(count: int) -> str:
    return "".join(
        json.dumps({"title": f"Record {n}", "body": f"Archive record {n} mentions keyword{n}.",
                    "url": f"https://records.example.org/{n}", "date": "2020-05-05"}) + "\n"
        for n in range(count)
    )


@pytest.mark.parametrize("update", [False, True], ids=["fresh", "update"])
def test_crash_between_commit_and_manifest_does_not_duplicate(tmp_path: Path, update: bool,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A long JSON Lines file is committed in parts; a crash after a part leaves no duplicates."""
    corpus, index = tmp_path / "corpus", tmp_path / "ix"
    for name in ("a1.txt", "a2.txt"):
        write_story(corpus / "a", name, f"Short note {name}", f"Text of {name}.")
    if update:
        index_paths([corpus], index=index, jobs=1)
    (corpus / "b").mkdir()
    (corpus / "b" / "records.jsonl").write_text(_records(450), encoding="utf-8")

    crash_after_second_commit(monkeypatch, lambda: index_paths([corpus], index=index, jobs=1, batch_size=100))

    report = index_paths([corpus], index=index, jobs=1)
    # An interrupted update resumes as an interrupted first build does.
    assert report.files_indexed == 1 and report.files_unchanged == 2 and report.resumed
    with Archive.open(index) as archive:
        ids = list(archive.ids())
        assert len(ids) == len(set(ids)) == 452
        assert archive.search("keyword449").total == 1
    assert check(index=index).fresh


def test_killed_first_build_keeps_its_work_when_other_inputs_come_next(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "ix"
    for name in ("a1.txt", "a2.txt"):
        write_story(corpus / "a", name, f"Short note {name}", f"Text of {name}.")
    (corpus / "b").mkdir()
    (corpus / "b" / "records.jsonl").write_text(_records(450), encoding="utf-8")
    crash_after_second_commit(monkeypatch, lambda: index_paths([corpus], index=index, jobs=1, batch_size=100))
    kept = committed_files(index)
    assert kept == 2 and not (tmp_path / "ix.building").exists()

    report = index_paths([corpus / "a"], index=index, jobs=1)
    assert report.resumed and report.files_unchanged == 2
    with Archive.open(index) as archive:
        assert archive.search("keyword1").total == 1  # the records committed before the crash stay
    assert not check(index=index).fresh  # the records file is not complete yet
    finished = index_paths([corpus], index=index, jobs=1)
    assert finished.ok
    with Archive.open(index) as archive:
        ids = list(archive.ids())
        assert len(ids) == len(set(ids)) == 452
    assert check(index=index).fresh


def crash_after_second_commit(monkeypatch: pytest.MonkeyPatch, run: Callable[[], object]) -> None:
    """Run `run` with the manifest write after its second commit failing, as a kill there would."""
    saves = 0
    original = Manifest.save

    def crash_on_second_save(self: Manifest, path: str) -> None:
        nonlocal saves
        saves += 1
        if saves == 2:
            raise RuntimeError("simulated crash after a commit")
        original(self, path)

    monkeypatch.setattr(Manifest, "save", crash_on_second_save)
    with pytest.raises(RuntimeError, match="simulated"):
        run()
    monkeypatch.setattr(Manifest, "save", original)


def one_story_index(root: Path) -> tuple[Path, Path]:
    corpus, index = root / "corpus", root / "ix"
    write_story(corpus, "one.txt", "Harbour crane repaired", "The harbour crane was repaired.")
    index_paths([corpus], index=index, jobs=1)
    return corpus, index


def test_readers_see_the_last_committed_state(tmp_path: Path) -> None:
    _, index = one_story_index(tmp_path)
    extra = Article(title="Zeppelin over the bay", body="A zeppelin flew over the bay.",
                    date=datetime(2021, 1, 1, tzinfo=timezone.utc))
    with Archive.open(index) as reader, Archive.open(index) as writer_side:
        with writer_side.writer() as writer:
            writer.add(extra)
            assert reader.search("zeppelin").total == 0 and len(reader) == 1
            with Archive.open(index) as late_reader:
                assert late_reader.search("zeppelin").total == 0
            writer.commit()
            assert reader.search("zeppelin").total == 1 and len(reader) == 2
            writer.delete_ids([extra.id])
            assert reader.search("zeppelin").total == 1
        assert reader.search("zeppelin").total == 0


def test_long_lived_reader_matches_a_new_one_after_updates_and_merges(tmp_path: Path) -> None:
    corpus, index = one_story_index(tmp_path)
    with Archive.open(index) as reader:
        assert reader.search("crane").total == 1
        for round_number in range(4):
            write_story(corpus, "one.txt", f"Harbour crane repaired {round_number}",
                        f"The harbour crane was repaired, round {round_number}.")
            index_paths([corpus], index=index, jobs=1)
            assert reader.search("crane").total == 1 and len(reader) == 1
        Archive.open(index).optimize()
        assert [hit.title for hit in reader.search("crane").hits] == ["Harbour crane repaired 3"]
        assert len(reader) == 1


def test_reader_keeps_working_across_a_rebuild_swap(tmp_path: Path) -> None:
    corpus, index = one_story_index(tmp_path)
    with Archive.open(index) as reader:
        assert reader.search("crane").total == 1
        write_story(corpus, "two.txt", "Second crane ordered", "A second crane was ordered.")
        index_paths([corpus], index=index, rebuild=True, jobs=1)
        assert reader.search("crane").total == 2


def test_swap_cut_between_renames_is_finished_by_next_run(tmp_path: Path) -> None:
    corpus, index = one_story_index(tmp_path)
    write_story(corpus, "two.txt", "Second crane ordered", "A second crane was ordered.")
    index_paths([corpus], index=tmp_path / "new", jobs=1)
    # The state a kill between the two renames of a swap leaves behind.
    os.replace(index, tmp_path / "ix.replaced")
    os.replace(tmp_path / "new", tmp_path / "ix.building")

    report = index_paths([corpus], index=index, jobs=1)
    assert report.files_indexed == 0 and report.files_unchanged == 2
    assert not (tmp_path / "ix.replaced").exists() and not (tmp_path / "ix.building").exists()
    with Archive.open(index) as archive:
        assert archive.search("crane").total == 2


def test_leftover_old_folder_is_removed(tmp_path: Path) -> None:
    corpus, index = one_story_index(tmp_path)
    shutil.copytree(index, tmp_path / "ix.replaced")
    shutil.copytree(index, tmp_path / "ix.old")  # a user's backup, not ours
    assert index_paths([corpus], index=index, jobs=1).files_unchanged == 1
    assert index_paths([corpus], index=index, rebuild=True, jobs=1).articles == 1
    assert not (tmp_path / "ix.replaced").exists()
    assert (tmp_path / "ix.old" / "manifest.json").exists()


def test_rebuild_stopped_by_fail_fast_keeps_the_old_index(tmp_path: Path) -> None:
    corpus, index = one_story_index(tmp_path)
    write_story(corpus, "two.txt", "Second crane ordered", "A second crane was ordered.")
    (corpus / "aaa.txt").write_text("   \n", encoding="utf-8")
    report = index_paths([corpus], index=index, rebuild=True, fail_fast=True, jobs=1)
    assert report.stopped_early and not report.ok
    assert "stopped at the first failure" in report.summary()
    with Archive.open(index) as archive:
        assert archive.search("crane").total == 1
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index), "--rebuild", "-j", "1"])
    # The resumed build completes; the empty file is still bad, so it is reported again.
    assert result.exit_code == 1, result.output
    assert "aaa.txt: empty file" in result.output
    with Archive.open(index) as archive:
        assert archive.search("crane").total == 2


def test_damaged_index_files_say_rebuild_and_a_rebuild_repairs(tmp_path: Path) -> None:
    corpus, index = one_story_index(tmp_path)
    for toc in index.glob("_MAIN_*.toc"):
        toc.write_bytes(toc.read_bytes()[:50])
    with pytest.raises(IndexCorrupt, match="newsearch rebuild"):
        Archive.open(index)
    with pytest.raises(IndexCorrupt):
        check(index=index)
    result = CliRunner().invoke(main, ["query", "crane", "--index", str(index)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith("Error: ") and "newsearch rebuild" in result.output
    assert index_paths([corpus], index=index, rebuild=True, jobs=1).articles == 1
    with Archive.open(index) as archive:
        assert archive.search("crane").total == 1


def test_damaged_manifest_costs_a_reindex_not_duplicates(tmp_path: Path) -> None:
    corpus, index = one_story_index(tmp_path)
    write_story(corpus, "two.txt", "Second crane ordered", "A second crane was ordered.")
    index_paths([corpus], index=index, jobs=1)
    (index / "manifest.json").write_text('{"sources": [', encoding="utf-8")
    report = index_paths([corpus], index=index, jobs=1)
    assert report.files_indexed == 2
    with Archive.open(index) as archive:
        assert len(archive) == 2 and archive.search("crane").total == 2
    assert check(index=index).fresh


def test_rebuild_accepts_the_temporary_folder_a_killed_writer_leaves(tmp_path: Path) -> None:
    corpus, index = one_story_index(tmp_path)
    (index / "MAIN.tmp").mkdir()
    (index / "MAIN.tmp" / "pool.tmp").write_bytes(b"half-written postings")
    assert index_paths([corpus], index=index, rebuild=True, jobs=1).articles == 1
    with Archive.open(index) as archive:
        assert archive.search("crane").total == 1


def test_reader_arriving_between_the_swap_renames_waits_for_the_new_index(tmp_path: Path) -> None:
    import threading

    _, index = one_story_index(tmp_path)
    # Mid-swap: the old index renamed away, the new one not yet renamed in.
    os.replace(index, tmp_path / "ix.new")
    (tmp_path / "ix.replaced").mkdir()
    later = threading.Timer(0.3, os.replace, (tmp_path / "ix.new", index))
    later.start()
    try:
        with Archive.open(index) as archive:
            assert archive.search("crane").total == 1
    finally:
        later.join()


def test_kills_at_many_moments_never_break_the_index(tmp_path: Path) -> None:
    """Kill update and rebuild runs after varied delays while files change; every committed state is consistent."""
    import random

    corpus, index = big_corpus(tmp_path, 160), tmp_path / "ix"
    index_paths([corpus / "s0"], index=index, jobs=1)
    delays = random.Random(5).sample([0.1 * n for n in range(3, 18)], 5)
    for round_number, delay in enumerate(delays):
        for number in (0, 6, 7):  # files that change between runs
            write_story(corpus / f"s{number % 6}", f"story{number:04d}.txt", f"Lantern festival note {number}",
                        f"Volunteers lit lantern{number} on evening round{round_number}.")
        args = ["index", str(corpus), "--index", str(index)] + (["--rebuild"] if round_number % 2 else [])
        proc = subprocess.Popen([sys.executable, "-m", "newsearch.cli", *args, "-j", "1", "-q"],
                                env={**os.environ, "NEWSEARCH_BATCH_SIZE": "1"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        assert proc.wait(timeout=30) in (0, -signal.SIGKILL)  # finished or killed, never an error
        for folder in (index, tmp_path / "ix.building"):
            if (folder / "manifest.json").exists():
                assert_consistent(folder)

    index_paths([corpus], index=index, jobs=1)
    with Archive.open(index) as archive:
        ids = list(archive.ids())
        assert len(ids) == len(set(ids)) == 160
        assert archive.search(f"round{len(delays) - 1}").total == 3
        assert archive.search(f"round{len(delays) - 2}").total == 0
    assert check(index=index).fresh
    assert not (tmp_path / "ix.replaced").exists()


def assert_consistent(folder: Path) -> None:
    """Opens; no duplicate ids; every file the manifest calls done has all its articles in the index."""
    manifest = Manifest.load(folder)
    with Archive.open(folder) as archive:
        hits = list(archive.iter_results(""))
    assert len({hit.id for hit in hits}) == len(hits)
    per_path: dict[str, int] = {}
    for hit in hits:
        per_path[hit.path] = per_path.get(hit.path, 0) + 1
    for path, fp in manifest.sources.items():
        assert per_path.get(path, 0) == fp.articles, path
