"""`newsearch serve` as a process: a clean stop on Ctrl+C/SIGTERM, and answers that stay
right while another process writes to the index."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from newsearch import Archive, Article
from newsearch.web import create_app

from web_server import running

BATCH = 7  # articles per commit of the writer process
COMMITS = 4


@pytest.fixture()
def small_index(tmp_path: Path) -> Path:
    path = tmp_path / "ix"
    with Archive.create(path) as archive:
        archive.add([Article(title="Harbour fees rise", body="Port fees rose again.", url="https://ex.org/h")])
    return path


def _start_serve(index: Path, *options: str) -> tuple[subprocess.Popen, str]:
    """`newsearch serve --port 0` in its own process; returns it and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newsearch.cli", "serve", "--index", str(index), "--port", "0", *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A test runner may have SIGINT ignored; the server must see it as a terminal would send it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = process.stderr.readline()
    found = re.search(r"at (http://127\.0\.0\.1:\d+)/ ", first)
    if not found:
        process.kill()
        raise AssertionError(f"serve did not start: {first!r} {process.communicate()[1]!r}")
    return process, found.group(1)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_on_ctrl_c_and_sigterm(small_index, stop):
    process, base = _start_serve(small_index)
    try:
        assert httpx.get(base + "/api/search", params={"q": "harbour"}).json()["total"] == 1
        process.send_signal(stop)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Error" not in err
    assert err.strip().splitlines() == [f"stopped ({stop.name})"]  # after the "serving ..." line read above
    assert out == ""


def _worker_pids(server: subprocess.Popen) -> set[int]:
    """The server's worker processes: its children started by multiprocessing's spawn."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()}


def _wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from /proc (Linux)")
def test_worker_processes_share_the_port_and_a_lost_one_is_replaced(small_index):
    process, base = _start_serve(small_index, "--workers", "2")
    try:
        _wait_for(lambda: len(_worker_pids(process)) == 2)
        first = _worker_pids(process)
        answers = [httpx.get(base + "/api/search", params={"q": "harbour"}).json()["total"] for _ in range(10)]
        assert answers == [1] * 10
        os.kill(min(first), signal.SIGKILL)
        _wait_for(lambda: len(_worker_pids(process)) == 2 and min(first) not in _worker_pids(process))
        _wait_for(lambda: httpx.get(base + "/api/search", params={"q": "harbour"}).status_code == 200)
        workers = _worker_pids(process)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "stopped (SIGTERM)"
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


WRITER = textwrap.dedent("""
    import sys
    from newsearch import Archive, Article
    index, batch = sys.argv[1], int(sys.argv[2])
    for commit, _ in enumerate(sys.stdin, start=1):
        with Archive.open(index) as archive:
            archive.add([Article(title=f"Dredging report {commit}.{k}", body="dredging of the channel",
                                 url=f"https://ex.org/d/{commit}/{k}") for k in range(batch)])
            if commit % 3 == 0:
                archive.optimize()  # merging segments under the readers' feet too
        print(commit * batch, flush=True)
""")


def _page_text(html: str) -> str:
    """A page's words, for a failure message that says what the page showed instead."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())[:1500]


def test_answers_stay_right_while_another_process_writes(small_index):
    """Readers only ever see whole commits, and the next request after a commit sees it."""
    bad: list[str] = []
    stop = threading.Event()
    with Archive.open(small_index) as archive, running(create_app(archive)) as base:

        def hammer() -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                while not stop.is_set():
                    api = client.get("/api/search", params={"q": "dredging"})
                    page = client.get("/", params={"q": "dredging", "page": "1"})
                    if api.status_code != 200 or page.status_code != 200:
                        bad.append(f"{api.status_code} {page.status_code} {api.text[:200]}")
                        continue
                    total = api.json()["total"]
                    shown = int(re.search(r'data-total="(\d+)"', page.text).group(1))
                    # A total is always that of some commit of the writer, never half a batch.
                    for seen in (total, shown):
                        if seen % BATCH or seen > COMMITS * BATCH:
                            bad.append(f"a total of {seen}: not a commit's")

        clients = [threading.Thread(target=hammer) for _ in range(2)]
        for client in clients:
            client.start()
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(small_index), str(BATCH)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            for commit in range(1, COMMITS + 1):
                writer.stdin.write("go\n")
                writer.stdin.flush()
                done = int(writer.stdout.readline())
                assert done == commit * BATCH
                # The writer's commit is finished: the very next request must see it.
                assert httpx.get(base + "/api/search", params={"q": "dredging"}).json()["total"] == done
                page = httpx.get(base + "/", params={"q": "dredging"}).text
                assert f'data-total="{done}"' in page, _page_text(page)
            writer.stdin.close()
            assert writer.wait(timeout=30) == 0
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=30)
            if writer.poll() is None:
                writer.kill()
        assert bad == []
        final = httpx.get(base + "/api/search", params={"q": "dredging", "sort": "newest", "limit": "100"}).json()
        assert final["total"] == COMMITS * BATCH and len({h["id"] for h in final["hits"]}) == COMMITS * BATCH
        assert httpx.get(base + "/api/stats").json()["documents"] == COMMITS * BATCH + 1
