"""Time speed.py's query mix on an index it built, each query as the best of N passes.

Why: single passes of speed.py move by 10-30% between runs of the same code on this
shared machine, too much to tell a 10% change. Comparing two versions of the code:
build with each (speed.py --build-only, PYTHONPATH=COPY), then run this script
alternately with each copy on PYTHONPATH against its own workdir:

    PYTHONPATH=COPY python benchmarks/best_of.py --workdir DIR --label before

Prints p50, p95 and p99 of the per-query best times, the sum, and the sum per kind.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

FACETS = ("section", "author", "year")


def _search_args(query: dict) -> tuple[str, dict]:
    text = ('"%s"' % " ".join(query["terms"])) if query["phrase"] else " ".join(query["terms"])
    window = {"since": query["since"], "until": query["until"]} if query.get("since") else {}
    return text, window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="a speed.py --workdir holding queries.json")
    parser.add_argument("--index", default="newsearch-jsonl", help="the index under WORKDIR/indexes")
    parser.add_argument("--passes", type=int, default=3, help="timed passes after one warm-up pass")
    parser.add_argument("--label", default="newsearch")
    args = parser.parse_args()

    from newsearch import Archive

    queries = json.loads((args.workdir / "queries.json").read_text())
    best = [float("inf")] * len(queries)
    with Archive.open(args.workdir / "indexes" / args.index) as archive:
        for run in range(args.passes + 1):
            for k, query in enumerate(queries):
                text, window = _search_args(query)
                start = time.perf_counter()
                archive.search(text, facets=FACETS, highlight=False, **window)
                if run:
                    best[k] = min(best[k], (time.perf_counter() - start) * 1000)
    ordered = sorted(best)
    kinds: dict[str, float] = {}
    for query, ms in zip(queries, best):
        kinds[query["kind"]] = kinds.get(query["kind"], 0.0) + ms
    pick = lambda share: ordered[min(len(ordered) - 1, int(len(ordered) * share))]
    print(f"{args.label}: {len(best)} queries, best of {args.passes}: p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, "
          f"p99 {pick(0.99):.1f} ms, sum {sum(best):,.0f} ms; by kind "
          + ", ".join(f"{kind} {ms:,.0f}" for kind, ms in sorted(kinds.items())))


if __name__ == "__main__":
    main()
