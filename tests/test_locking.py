"""One writer per index: a second writer gets IndexLocked naming the holder's PID; dead holders are detected."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from newsearch import Archive, IndexLocked, index_paths
from newsearch.cli import main
from newsearch.engine.locking import LOCK_FILE, WriterLock

from test_lifecycle import declare, small_corpus

HOLD_LOCK = """
import os, sys
from newsearch.engine.locking import WriterLock
os.makedirs(sys.argv[1], exist_ok=True)
lock = WriterLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
sys.stdin.read()
lock.release()
"""

DIE_HOLDING_LOCK = """
import os, signal, sys
from newsearch.engine.locking import WriterLock
WriterLock(sys.argv[1]).acquire()
os.kill(os.getpid(), signal.SIGKILL)
"""

WORKER_OUTLIVES_WRITER = """
import multiprocessing, os, signal, sys, time
from newsearch import Archive, Article
archive = Archive.open(sys.argv[1])
writer = archive.writer()
writer.__enter__()
writer.add(Article(title="Uncommitted", body="Never committed."))
pool = multiprocessing.get_context("fork").Pool(1)
print(pool.apply(os.getpid), flush=True)
pool.apply_async(time.sleep, (60,))
time.sleep(0.3)
os.kill(os.getpid(), signal.SIGKILL)
"""


@contextmanager
def lock_held_by_subprocess(index: Path) -> Iterator[int]:
    """Another process holds the index's writer lock until the block ends; yields its PID."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(index)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc.pid
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


def killed_holder(index: Path) -> int:
    """Run a process that takes the lock and dies by SIGKILL; return its PID."""
    proc = subprocess.Popen([sys.executable, "-c", DIE_HOLDING_LOCK, str(index)])
    assert proc.wait(timeout=60) == -signal.SIGKILL
    return proc.pid


def test_second_lock_in_one_process_is_refused(tmp_path: Path) -> None:
    first = WriterLock(str(tmp_path))
    first.acquire()
    with pytest.raises(IndexLocked, match=f"being written by PID {os.getpid()}"):
        WriterLock(str(tmp_path)).acquire()
    first.release()
    second = WriterLock(str(tmp_path))
    second.acquire()
    assert second.stale_pid is None
    second.release()
    assert (tmp_path / LOCK_FILE).read_text() == ""


def test_second_writer_gets_clear_error(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    (corpus / "bakery.txt").write_text("Title: Bakery closes\n\nThe bakery closes.\n", encoding="utf-8")
    with lock_held_by_subprocess(index) as pid:
        with pytest.raises(IndexLocked, match=f"being written by PID {pid}"):
            index_paths([corpus], index=index, jobs=1)
        with pytest.raises(IndexLocked, match=f"being written by PID {pid}"):
            index_paths([corpus], index=index, rebuild=True, jobs=1)
        assert not (tmp_path / "ix.building").exists()
        with Archive.open(index) as archive:
            with pytest.raises(IndexLocked):
                archive.delete(["anything"])
            # Readers are not blocked by a writer.
            assert archive.search("rye").total == 1

        result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index), "-j", "1"])
        assert result.exit_code == 1
        assert result.output == (
            f"Error: {index}: index is being written by PID {pid}; wait for it to finish\n"
        )
    report = index_paths([corpus], index=index, jobs=1)
    assert report.files_indexed == 1 and report.stale_lock_pid is None


def test_first_build_is_locked_before_its_building_folder_is_touched(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    building = tmp_path / "ix.building"
    building.mkdir()
    (building / "manifest.json").write_text("another build's files", encoding="utf-8")
    with lock_held_by_subprocess(index) as pid:
        with pytest.raises(IndexLocked, match=f"PID {pid}"):
            index_paths([corpus], index=index, jobs=1)
        assert (building / "manifest.json").read_text(encoding="utf-8") == "another build's files"
    report = index_paths([corpus], index=index, jobs=1)
    assert report.articles == 3 and not building.exists()


def test_lock_of_a_killed_holder_is_stale_not_blocking(tmp_path: Path) -> None:
    pid = killed_holder(tmp_path)
    assert (tmp_path / LOCK_FILE).read_text() == str(pid)
    lock = WriterLock(str(tmp_path))
    lock.acquire()
    assert lock.stale_pid == pid
    assert (tmp_path / LOCK_FILE).read_text() == str(os.getpid())
    lock.release()


def test_index_run_reports_stale_lock_in_one_line(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    pid = killed_holder(index)
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index), "-j", "1"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("note:")]
    assert notes == [f"note: a previous run (PID {pid}) ended without finishing; its committed batches were kept"]
    # Reported once: the run that found it cleared it.
    assert index_paths([corpus], index=index, jobs=1).stale_lock_pid is None


def test_rebuild_of_a_locked_declared_index_fails_in_one_line(tmp_path: Path) -> None:
    small_corpus(tmp_path)
    indexes = tmp_path / "indexes"
    declare(indexes, "news", ["corpus"])
    runner = CliRunner()
    assert runner.invoke(main, ["rebuild", "news", "--indexes-dir", str(indexes), "-j", "1"]).exit_code == 0
    for args in (["rebuild", "news"], ["rebuild", "news", "--full"]):
        with lock_held_by_subprocess(indexes / "news") as pid:
            result = runner.invoke(main, args + ["--indexes-dir", str(indexes), "-j", "1"])
        assert result.exit_code == 1
        assert result.output.count("\n") == 1
        assert result.output.startswith("Error: ") and f"being written by PID {pid}" in result.output


def test_locks_end_with_the_writer_not_with_its_forked_workers(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    proc = subprocess.Popen([sys.executable, "-c", WORKER_OUTLIVES_WRITER, str(index)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    worker = int(proc.stdout.readline())
    try:
        assert proc.wait(timeout=60) == -signal.SIGKILL
        os.kill(worker, 0)  # the worker is still busy, holding copies of the descriptors
        (corpus / "tram.txt").write_text("Title: Tram line opens\n\nThe tram line opens.\n", encoding="utf-8")
        report = index_paths([corpus], index=index, jobs=1)
        assert report.stale_lock_pid == proc.pid and report.files_indexed == 1
        with Archive.open(index) as archive:
            assert archive.search("opens").total == 1 and archive.search("uncommitted").total == 0
    finally:
        os.kill(worker, signal.SIGKILL)
