"""Load on `newsearch serve`: concurrent clients against the Reuters index on loopback.

Why: a search page is the library's query plus facets, a histogram, templating and
HTTP; the target is that serving costs little on top, so the same run first times
the library's own `Archive.search` for the same pages (one at a time, in this process,
before any load), then starts `newsearch serve` in its own process on 127.0.0.1 and
lets CLIENTS clients fetch search pages for SECONDS seconds, each waiting THINK
seconds between pages (0: as fast as it can). The run is bounded in time and stops
by itself; only 127.0.0.1 is ever contacted.

    python benchmarks/web_load.py                      # 20 clients, 30 s, Reuters
    python benchmarks/web_load.py --think 1.0          # clients that read a page a second
    python benchmarks/web_load.py --clients 5 --seconds 10 --index /tmp/ix

Target: no errors, and page p95 at most twice the library's query p95 plus 20 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speed import REUTERS, make_queries, percentile, query_text  # noqa: E402

SERVE_START_SECONDS = 60
HARD_LIMIT_SLACK = 30  # seconds past --seconds after which everything is stopped regardless


def page_params(q: dict[str, Any]) -> dict[str, str]:
    """A query of the mix as the search page's URL parameters."""
    params = {"q": query_text(q)}
    if "since" in q:
        params["since"], params["until"] = q["since"][:10], q["until"][:10]
    return params


def ensure_index(source: Path, index: Path, jobs: int) -> None:
    """Build the index once; an index of an older schema is built again."""
    from newsearch import Archive, index_paths
    from newsearch.errors import IndexNotFound, SchemaMismatch

    try:
        Archive.open(index).close()
        return
    except IndexNotFound:
        rebuild = False
    except SchemaMismatch:
        rebuild = True
    print(f"indexing {source} into {index} (once; reused by later runs)", file=sys.stderr, flush=True)
    report = index_paths([source], index=index, jobs=jobs, rebuild=rebuild)
    if not report.ok:
        raise SystemExit(f"indexing {source} failed: {report}")


def library_latencies(index: Path, mix: list[dict[str, str]], *, rounds: int
                      ) -> tuple[list[dict[str, str]], list[float]]:
    """The searches the library accepts, and seconds per Archive.search with what the
    search page asks for (its facets, 10 hits)."""
    from newsearch import Archive, NewsearchError
    from newsearch.web.params import PAGE_FACETS, SearchParams

    times = []
    queries = []
    with Archive.open(index) as archive:
        for params in mix:  # also the warm-up: the first searches open readers and caches
            try:
                archive.search(params["q"], **SearchParams.from_pairs(params.items()).search_options(PAGE_FACETS))
            except NewsearchError:  # a stop word alone: the page would show the message, not results
                continue
            queries.append(params)
        for _ in range(rounds):
            for params in queries:
                options = SearchParams.from_pairs(params.items()).search_options(PAGE_FACETS)
                started = time.perf_counter()
                archive.search(params["q"], **options)
                times.append(time.perf_counter() - started)
    return queries, times


def _callers(index: str, mix: list[dict[str, str]], callers: int, seconds: float, offset: int) -> list[float]:
    """`callers` threads, each with its own Archive, searching nonstop for `seconds`
    (the work of one process of library_under_load)."""
    import threading

    from newsearch import Archive
    from newsearch.web.params import PAGE_FACETS, SearchParams

    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    def caller(number: int) -> None:
        k = (offset + number) * 7
        with Archive.open(index) as archive:
            while time.monotonic() < deadline:
                params = mix[k % len(mix)]
                k += 1
                started = time.perf_counter()
                archive.search(params["q"], **SearchParams.from_pairs(params.items()).search_options(PAGE_FACETS))
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + HARD_LIMIT_SLACK)
    return latencies


def library_under_load(index: Path, mix: list[dict[str, str]], *, clients: int, seconds: float,
                       processes: int) -> list[float]:
    """Seconds per Archive.search when `clients` callers search nonstop at once, spread
    over `processes` processes as the server spreads them over its workers: the library
    under the load the web benchmark puts on the server, without HTTP or pages."""
    import concurrent.futures
    import multiprocessing

    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
        runs = [pool.submit(_callers, str(index), mix, share, seconds, sum(shares[:n]))
                for n, share in enumerate(shares)]
        return [latency for run in runs for latency in run.result(timeout=seconds + HARD_LIMIT_SLACK + 60)]


def start_server(index: Path, threads: int, workers: int = 1) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "newsearch.cli", "serve", "--index", str(index), "--port", "0",
         "--threads", str(threads), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    found = re.search(r"at (http://127\.0\.0\.1:\d+)/ ", line)
    if not found:
        process.kill()
        raise SystemExit(f"newsearch serve did not start: {line.strip()}")
    return process, found.group(1)


TIMING = re.compile(r"(\w+);dur=([\d.]+)")


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, as lean as a client can be, so
    that the benchmark's own process takes little of the cores it shares with the server
    (the run prints the CPU time it used)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def load(base: str, paths: list[str], *, clients: int, seconds: float, think: float,
               max_requests: int) -> tuple[list[float], dict[str, list[float]], list[str]]:
    """Every page's latency in seconds, the server's own timings of them (its
    Server-Timing header: `queue` waiting for a thread, `app` searching and rendering),
    and a line per failed request."""
    latencies: list[float] = []
    server: dict[str, list[float]] = {"queue": [], "app": []}
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    host, port = base.removeprefix("http://").split(":")

    async def client(number: int) -> None:
        k = number * 7
        connection = Connection(host, int(port))
        if think:  # people do not all click at the same instant: starts spread over one pause
            await asyncio.sleep(think * number / clients)
        while time.monotonic() < deadline and len(latencies) + len(errors) < max_requests:
            path = paths[k % len(paths)]
            k += 1
            started = time.perf_counter()
            try:
                status, headers, body = await asyncio.wait_for(connection.get(path), timeout=30)
                elapsed = time.perf_counter() - started
                if status == 200 and b'data-total="' in body:
                    latencies.append(elapsed)
                    for name, value in TIMING.findall(headers.get("server-timing", "")):
                        server.setdefault(name, []).append(float(value) / 1000)
                else:
                    errors.append(f"{status} {path}: {body[:120]!r}")
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
                errors.append(f"{type(exc).__name__} {path}: {exc}")
                await connection.close()
            if think:
                await asyncio.sleep(think)
        await connection.close()

    await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(clients))),
                           timeout=seconds + HARD_LIMIT_SLACK)
    return latencies, server, errors


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=REUTERS, help="JSON Lines to index (default: Reuters)")
    parser.add_argument("--index", type=Path, default=Path("/tmp/newsearch-web-load/ix"),
                        help="built from --source when missing, reused otherwise")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=0.0, help="seconds each client waits between pages")
    parser.add_argument("--threads", type=int, default=2, help="the server's --threads")
    parser.add_argument("--workers", type=int, default=1, help="the server's --workers (processes)")
    parser.add_argument("--same-load", action="store_true",
                        help="also time the library with --clients nonstop callers over --workers processes")
    parser.add_argument("--queries", type=int, default=200, help="distinct searches in the mix")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the mix for the library's timing")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    ensure_index(args.source, args.index, args.jobs)
    mix = [page_params(q) for q in make_queries(args.source, count=args.queries, seed=args.seed)]
    mix, library = library_latencies(args.index, mix, rounds=args.rounds)
    paths = ["/?" + urlencode(params) for params in mix]
    loaded = (library_under_load(args.index, mix, clients=args.clients, seconds=args.seconds,
                                 processes=args.workers) if args.same_load and not args.think else [])

    server, base = start_server(args.index, args.threads, args.workers)
    try:
        started = time.monotonic()
        cpu_before = time.process_time()
        pages, server_times, errors = asyncio.run(load(base, paths, clients=args.clients, seconds=args.seconds,
                                         think=args.think, max_requests=args.max_requests))
        took = time.monotonic() - started
        client_cpu = time.process_time() - cpu_before
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    lib_p95 = percentile(library, 95)
    target = 2 * lib_p95 + 0.020
    page_p95 = percentile(pages, 95) if pages else float("nan")
    print(f"{args.source.name}: {len(mix)} searches (top 10, facets section/author/source/tag/year/month), "
          f"server --workers {args.workers} --threads {args.threads}, {args.clients} clients for {args.seconds:g} s, think {args.think:g} s")
    print()
    print("| measured | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| library `Archive.search`, one at a time | {len(library):,} | 0 | {len(library) / sum(library):.1f} | "
          f"{ms(percentile(library, 50))} | {ms(lib_p95)} | {ms(percentile(library, 99))} | {ms(max(library))} |")
    if loaded:
        print(f"| library `Archive.search`, {args.clients} nonstop callers in {args.workers} process(es) | "
              f"{len(loaded):,} | 0 | {len(loaded) / args.seconds:.1f} | {ms(percentile(loaded, 50))} | "
              f"{ms(percentile(loaded, 95))} | {ms(percentile(loaded, 99))} | {ms(max(loaded))} |")
    if pages:
        print(f"| search page over HTTP | {len(pages) + len(errors):,} | {len(errors)} | {len(pages) / took:.1f} | "
              f"{ms(percentile(pages, 50))} | {ms(page_p95)} | {ms(percentile(pages, 99))} | {ms(max(pages))} |")
        for name, what in (("queue", "of which waiting for a server thread"),
                           ("app", "of which searching and rendering (server's own timing)")):
            times = server_times.get(name) or [0.0]
            print(f"| {what} | | | | {ms(percentile(times, 50))} | {ms(percentile(times, 95))} | "
                  f"{ms(percentile(times, 99))} | {ms(max(times))} |")
    print()
    print(f"the clients' own process used {client_cpu:.1f} s of CPU in {took:.1f} s")
    met = not errors and page_p95 <= target
    print(f"target: page p95 <= 2 x {ms(lib_p95)} + 20 = {ms(target)} ms and no errors: "
          f"{'met' if met else 'NOT met'} (page p95 {ms(page_p95)} ms, {len(errors)} errors)")
    if loaded:
        same = 2 * percentile(loaded, 95) + 0.020
        print(f"against the library under the same load: page p95 <= 2 x {ms(percentile(loaded, 95))} + 20 = "
              f"{ms(same)} ms: {'met' if not errors and page_p95 <= same else 'NOT met'}")
    for line in errors[:10]:
        print("  error:", line)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
