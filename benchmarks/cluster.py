"""One index against an archive of shards on a real Dask LocalCluster, in the same run.

Builds the Reuters corpus (../shared/corpus/jsonl/reuters21578.jsonl.gz) as one index
(2 parser processes) and as an archive of 4 shards built by 2 Dask worker processes,
then runs the 200 searches of tests/shard_queries.py on both and prints:

- whether every answer is identical (ids in order, totals, facets, suggestions,
  snippets, stories, scores) and the largest relative score difference of all matches;
- build time of each and the ratio (target: sharded with 2 workers <= 1.2x one index);
- query latency p50/p95 on one index, on the shards in this process and on the
  cluster, and the cluster's p50 overhead per query (target <= 15 ms): without the
  statistics cache, with it (the 200 searches share some query texts), and with
  every search repeated;
- per-shard figures: articles, build share and the time of a shard's own scoring.

usage: python benchmarks/cluster.py [--workers 2] [--shards 4] [--queries 200] [--keep DIR]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from shard_queries import answer, queries  # noqa: E402

from newsearch import Archive, index_paths  # noqa: E402
from newsearch.cluster import Cluster, build_on, open_shards, parse_on  # noqa: E402
from newsearch.engine.sharded import ShardedIndex  # noqa: E402
from newsearch.ingest.sharded import index_archive  # noqa: E402

CORPUS = HERE.parent.parent / "shared" / "corpus" / "jsonl" / "reuters21578.jsonl.gz"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def timed(call, *args, **kwargs):
    start = time.perf_counter()
    result = call(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build here and keep the indexes (reused when present)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="a JSON Lines file (default: Reuters)")
    args = parser.parse_args()
    if not args.corpus.is_file():
        parser.error(f"{args.corpus}: no such corpus file")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ns-cluster-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    single_path, archive_path = folder / "one", folder / "archive"
    cluster = Cluster(f"local:{args.workers}")
    try:
        build_one = build_many = None
        if not single_path.exists():
            start = time.perf_counter()
            index_paths([args.corpus], index=single_path, jobs=args.workers)
            build_one = time.perf_counter() - start
        shard_reports, parse_seconds = [], []
        if not archive_path.exists():
            builder = build_on(cluster)

            def build(paths, jobs, options):
                reports = builder(paths, jobs, options)
                shard_reports.extend(reports)
                return reports

            start = time.perf_counter()
            parser = parse_on(cluster)

            def parse(*given):
                begun = time.perf_counter()
                parser(*given)
                parse_seconds.append(time.perf_counter() - begun)

            index_archive([args.corpus], index=archive_path, shards=args.shards, build=build, parse=parse)
            build_many = time.perf_counter() - start
        specs = queries()[: args.queries]
        with Archive.open(single_path) as single, Archive.open(archive_path) as here, \
                Archive(ShardedIndex.open(archive_path, shards=open_shards(archive_path, "", cluster=cluster),
                                          stats_cache=0)) as far, \
                Archive(ShardedIndex.open(archive_path,
                                          shards=open_shards(archive_path, "", cluster=cluster))) as kept:
            for text, options in specs[:20]:  # warm every reader and facet cache
                for archive in (single, here, far, kept):
                    archive.search(text, **options)
            kept._engine._cache.clear()  # warmed, but no statistics kept from the warming
            times: dict[str, list[float]] = {"one index": [], "shards here": [], "shards on cluster": [],
                                             "cluster, stats kept": [], "cluster, repeated": [],
                                             "one index, repeated": []}
            differ = []
            for text, options in specs:
                a, t1 = timed(single.search, text, **options)
                b, t2 = timed(here.search, text, **options)
                c, t3 = timed(far.search, text, **options)  # no statistics kept
                d, t4 = timed(kept.search, text, **options)  # kept from earlier searches of the same text only
                e, t5 = timed(kept.search, text, **options)  # the same search again: its statistics are kept
                _, t6 = timed(single.search, text, **options)  # and again on one index, as warm
                for name, took in zip(times, (t1, t2, t3, t4, t5, t6)):
                    times[name].append(took)
                if not answer(a) == answer(b) == answer(c) == answer(d) == answer(e):
                    differ.append((text, options))
            worst = 0.0
            for text, options in specs[:: max(1, len(specs) // 40)]:
                request = single._request(text, None, None, None, None, None, None, None, (), "relevance",
                                          options.get("match", "all"), 1, 1, False, False)
                one, many = single._engine.matches(request), far._engine.matches(request)
                if [m.id for m in one] != [m.id for m in many]:
                    differ.append((text, "every match"))
                for x, y in zip(one, many):
                    if x.score:
                        worst = max(worst, abs(x.score - y.score) / abs(x.score))
            shard_counts = [s.documents for s in here._engine._shards.each("stats")]
            request = single._request("oil prices", None, None, None, None, None, None, None, ("section",), "relevance",
                                      "all", 10, 1, True, False)
            engine = here._engine
            request, stats, _ = engine._gathered(request)
            per_shard = [timed(engine._shards.on, k, "ranked", request, stats, wanted=10)[1]
                         for k in range(engine.count)]
        print(f"{args.corpus.name}: {sum(shard_counts):,} articles; {args.shards} shards of {shard_counts}; "
              f"{args.workers} Dask worker processes on 127.0.0.1; {len(specs)} searches")
        print(f"identical answers: {len(specs) - len([d for d in differ if d[1] != 'every match'])}/{len(specs)}; "
              f"every-match lists differing: {len([d for d in differ if d[1] == 'every match'])}; "
              f"largest relative score difference {worst:.1e}")
        for text, options in differ[:10]:
            print(f"  differs: {text!r} {options}")
        if build_one and build_many:
            print(f"build: one index {build_one:.1f}s (2 parser processes), {args.shards} shards on the cluster "
                  f"{build_many:.1f}s ({build_many / build_one:.2f}x)")
        if parse_seconds:
            print(f"  parsed once, in parse tasks on the {args.workers} workers: {parse_seconds[0]:.1f}s")
        for k, shard in enumerate(shard_reports):
            print(f"  shard {k}: {shard.documents:,} articles written in {shard.seconds:.1f}s "
                  f"({shard.documents / max(shard.seconds, 1e-9):,.0f} art/s, from the parsed spool)")
        print(f"{'':20} {'p50 ms':>8} {'p95 ms':>8}")
        for name, values in times.items():
            print(f"{name:20} {percentile(values, 50):8.1f} {percentile(values, 95):8.1f}")
        for label, base, name in (("no statistics kept", "one index", "shards on cluster"),
                                  ("statistics kept, first pass", "one index", "cluster, stats kept"),
                                  ("every search repeated", "one index, repeated", "cluster, repeated")):
            overhead = [c - a for a, c in zip(times[base], times[name])]
            print(f"cluster overhead per query, {label}: p50 {statistics.median(overhead):.1f} ms, "
                  f"p95 {percentile(overhead, 95):.1f} ms")
        print("one shard's scoring of 'oil prices' (ms): " + ", ".join(f"{t:.1f}" for t in per_shard))
    finally:
        cluster.close()
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
