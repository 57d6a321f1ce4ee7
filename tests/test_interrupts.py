"""Ctrl-C and SIGTERM: a real signal to a real `newsearch index` process, during a
fresh build and during an update, at several points. The run ends within two
seconds without a traceback from any process, what it committed stays searchable,
the next run resumes from there (inside a big file too) without parsing again what
was committed, and the end result equals an uninterrupted build."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from newsearch import Archive, index_paths
from newsearch.cli import main
from newsearch.ingest import IngestOptions
from newsearch.lifecycle import check

from test_lifecycle import write_story

OPTIONS = IngestOptions(section_from_dir=True)
RECORDS = 600


def corpus(root: Path) -> Path:
    """Text files in three section folders, a big plain JSON Lines export and a gzip one.
    Every title holds the word Lantern, which the tampering below rewrites."""
    folder = root / "corpus"
    for number in range(30):
        write_story(folder / f"desk{number % 3}", f"story{number:03d}.txt", f"Lantern walk {number}",
                    f"Volunteers carried lanterns along route {number} on a cold evening.",
                    section="", date=f"2019-0{number % 9 + 1}-11")
    lines = [json.dumps({"title": f"Lantern record {n}", "body": f"Wire copy {n} about harbour lights {n % 17}.",
                         "section": f"wire{n % 4}", "date": f"20{10 + n % 9}-03-04", "url": f"https://w.test/{n}"})
             for n in range(RECORDS)]
    (folder / "exports").mkdir()
    (folder / "exports" / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "exports" / "older.jsonl.gz").write_bytes(gzip.compress(
        ("\n".join(line.replace("w.test", "o.test") for line in lines[:300]) + "\n").encode()))
    return folder


def state(index: Path) -> dict:
    """What must be equal between an interrupted-then-resumed build and an uninterrupted one."""
    with Archive.open(index) as archive:
        everything = archive.search("", facets=("section", "year"), limit=1, highlight=False)
        return {
            "ids": sorted(archive.ids()),
            "facets": {name: sorted((c.value, c.count) for c in counts) for name, counts in everything.facets.items()},
            "harbour": archive.search("harbour lights", limit=1).total,
        }


def manifest(index: Path) -> dict:
    try:
        return json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# How long a stopped run may take to end: it finishes the batch a worker has started and
# commits; generous so that a busy CI machine does not fail a correct stop.
STOP_SECONDS = 30
# The README says a stop takes a second or two; the check allows for a loaded machine.
PROMPT_STOP_SECONDS = 5.0


def interrupt(args: list[str], until: Callable[[], bool], sig: int, *, timeout: float = 90) -> tuple[int, str, float]:
    """Run `newsearch ARGS` (two workers, tiny commits); once `until()` holds, send `sig` to its
    whole process group, as a terminal's Ctrl-C does. Returns exit code, stderr, seconds to exit."""
    env = {**os.environ, "NEWSEARCH_BATCH_SIZE": "30"}
    proc = subprocess.Popen([sys.executable, "-m", "newsearch.cli", *args, "-j", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while not until():
            if proc.poll() is not None:
                pytest.fail(f"the run ended before the signal: {proc.stderr.read() if proc.stderr else ''}")
            if time.monotonic() > deadline:
                pytest.fail("the run never reached the point to interrupt")
            time.sleep(0.005)
        sent = time.monotonic()
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the run did not end within {STOP_SECONDS} s of the signal")
        took = time.monotonic() - sent
        return proc.returncode, proc.stderr.read() if proc.stderr else "", took
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def tamper_committed(index: Path, folder: Path) -> int:
    """Rewrite every committed input (and the committed part of a file committed in part)
    with other words of the same length, keeping size and modification time: if the next
    run parsed them again, their articles would change and the end result would differ."""
    data = manifest(index)
    committed = [s["path"] for s in data.get("sources", [])]
    cut = {p["path"]: p["offset"] for p in data.get("partial", [])}
    for path in committed + list(cut):
        file = Path(path)
        if file.suffix == ".gz":
            continue  # a compressed file cannot keep its size when rewritten; plain files say enough
        stat = file.stat()
        content = file.read_bytes()
        end = cut.get(path, len(content))
        file.write_bytes(content[:end].replace(b"Lantern", b"Zantern") + content[end:])
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return len(committed)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("reference")
    folder = corpus(root)
    index_paths([folder], index=root / "ix", jobs=2, options=OPTIONS)
    fresh = state(root / "ix")
    change(folder)
    index_paths([folder], index=root / "ix", jobs=2, options=OPTIONS)
    return {"fresh": fresh, "updated": state(root / "ix")}


def change(folder: Path) -> None:
    """An update's worth of work: new files, a changed one, a removed one."""
    for number in range(30):
        write_story(folder / "desk9", f"late{number:03d}.txt", f"Late lantern note {number}",
                    f"Latecomers lit lantern {number} by the pier.", section="", date="2021-05-05")
    lines = [json.dumps({"title": f"Lantern update {n}", "body": f"Update {n} on harbour lights {n % 13}.",
                         "date": "2022-01-0{}".format(n % 9 + 1), "url": f"https://u.test/{n}"}) for n in range(RECORDS)]
    (folder / "exports" / "update.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_story(folder / "desk0", "story000.txt", "Lantern walk moved", "The walk moved to the park.", section="")
    (folder / "desk1" / "story001.txt").unlink()


POINTS = {
    "early": lambda index: len(manifest(index).get("sources", [])) >= 3,
    "inside the big file": lambda index: bool(manifest(index).get("partial")),
}


@pytest.mark.parametrize("point,sig", [("early", signal.SIGINT), ("inside the big file", signal.SIGINT),
                                       ("inside the big file", signal.SIGTERM)])
def test_interrupted_first_build_keeps_its_work_and_resumes_to_the_same_index(tmp_path: Path, reference: dict,
                                                                              point: str, sig: int) -> None:
    folder, index = corpus(tmp_path), tmp_path / "ix"
    code, stderr, took = interrupt(["index", str(folder), "--index", str(index), "--section-from-dir"],
                                   lambda: POINTS[point](index), sig)
    name = signal.Signals(sig).name
    assert code == (130 if sig == signal.SIGINT else 143), stderr
    assert took < PROMPT_STOP_SECONDS, f"took {took:.2f}s to stop"
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert f"interrupted by {name}" in stderr and "run the same command again to resume" in stderr
    assert not (tmp_path / "ix.building").exists()
    kept = manifest(index)["unfinished"]
    with Archive.open(index) as archive:  # searchable at once: there was no older index to protect
        assert len(archive) == kept > 0
    assert f"index holds {kept:,} articles" in stderr  # the interrupted run says truly what it kept
    stale = CliRunner().invoke(main, ["check", "--index", str(index)])
    assert stale.exit_code == 1 and f"a run stopped after committing {kept:,} articles" in stale.output

    tamper_committed(index, folder)
    resumed = CliRunner().invoke(main, ["index", str(folder), "--index", str(index), "--section-from-dir",
                                        "-j", "2", "--json"])
    assert resumed.exit_code == 0, resumed.output
    assert f"resuming: {kept:,} articles already built" in resumed.output
    assert state(index) == reference["fresh"]
    assert check(index=index).fresh


def test_interrupted_update_resumes_to_the_same_index(tmp_path: Path, reference: dict) -> None:
    folder, index = corpus(tmp_path), tmp_path / "ix"
    index_paths([folder], index=index, jobs=2, options=OPTIONS)
    before = len(manifest(index)["sources"])
    change(folder)
    code, stderr, took = interrupt(["index", str(folder), "--index", str(index), "--section-from-dir"],
                                   lambda: bool(manifest(index).get("partial")), signal.SIGINT)
    assert code == 130 and took < PROMPT_STOP_SECONDS and "Traceback" not in stderr, stderr
    assert "interrupted by SIGINT" in stderr
    with Archive.open(index) as archive:
        assert archive.search("lantern").total > 0
    resumed = CliRunner().invoke(main, ["index", str(folder), "--index", str(index), "--section-from-dir", "-j", "2"])
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: " in resumed.output
    assert state(index) == reference["updated"]
    assert len(manifest(index)["sources"]) == before + 30 + 1 - 1
    assert check(index=index).fresh


def test_ctrl_c_in_one_process_mode_also_stops_cleanly(tmp_path: Path) -> None:
    """With --jobs 1 the parsing runs in the indexing process itself."""
    folder, index = corpus(tmp_path), tmp_path / "ix"
    env = {**os.environ, "NEWSEARCH_BATCH_SIZE": "30"}
    proc = subprocess.Popen([sys.executable, "-m", "newsearch.cli", "index", str(folder), "--index", str(index),
                             "-j", "1"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while not manifest(index).get("sources") and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=STOP_SECONDS)
    assert proc.returncode == 130 and "Traceback" not in stderr and "interrupted by SIGINT" in stderr, stderr
    shutil.rmtree(index)
