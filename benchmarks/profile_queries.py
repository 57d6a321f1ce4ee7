"""Where newsearch's query time goes: the query mix of a speed.py run, profiled.

    python benchmarks/speed.py --n 100000 --engines newsearch --no-html --build-only
    python benchmarks/profile_queries.py /tmp/newsearch-bench            # timings by kind
    python benchmarks/profile_queries.py /tmp/newsearch-bench --profile  # cProfile, top functions

Runs the queries of `WORKDIR/queries.json` (the same mix, warm-up included) against
`WORKDIR/indexes/newsearch-jsonl` in this process, as speed.py's query worker does:
the top 10 with section, author and year facets, no snippets.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import speed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path, help="a speed.py --workdir")
    parser.add_argument("--index", type=Path, help="default: WORKDIR/indexes/newsearch-jsonl")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions instead")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    queries = json.loads((args.workdir / "queries.json").read_text())
    started = time.perf_counter()
    run = speed.newsearch_open(args.index or args.workdir / "indexes" / "newsearch-jsonl")
    opened = time.perf_counter()
    run(queries[0])
    print(f"open {1000 * (opened - started):.0f} ms, first query {1000 * (time.perf_counter() - opened):.0f} ms")
    warm, timed = queries[:speed.WARMUP_QUERIES], queries[speed.WARMUP_QUERIES:]
    for query in warm:
        run(query)
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for query in timed:
            run(query)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top // 2)
        return 0
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    slowest = []
    for query in timed:
        begun = time.perf_counter()
        total, _, _ = run(query)
        ms = 1000 * (time.perf_counter() - begun)
        latencies.append(ms)
        by_kind[query["kind"]].append(ms)
        slowest.append((ms, total, speed.query_text(query)))
    print(f"{len(latencies)} queries: p50 {speed.percentile(latencies, 50):.1f} ms, "
          f"p95 {speed.percentile(latencies, 95):.1f}, p99 {speed.percentile(latencies, 99):.1f}, "
          f"mean {statistics.mean(latencies):.1f}")
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:7s} {len(values):4d} queries  p50 {speed.percentile(values, 50):7.1f}  "
              f"p95 {speed.percentile(values, 95):7.1f}")
    print("slowest:")
    for ms, total, text in sorted(slowest, reverse=True)[:8]:
        print(f"  {ms:8.1f} ms {total:9,d} hits  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
