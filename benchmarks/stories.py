"""Near-duplicate grouping on the duplicates dev set: pairwise precision and recall.

    python benchmarks/stories.py [--corpus ../shared/corpus/duplicates] [--datasketch]

Scores newsearch.stories (bottom-k sketches with an inverted list) and, with
--datasketch, datasketch's MinHash + LSH on the same shingles and the same rules,
in the same run, the way the corpus README scores: every pair of articles put in
one story is a predicted pair. With --reuters FILE it also times indexing that file:
the CPU share of a --jobs 1 build spent grouping, and builds with grouping and without,
alternated, in wall and CPU time (the latter barely moved by other jobs on the machine).
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsearch import stories  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "duplicates"


def load(folder: Path) -> tuple[list[dict], dict[str, str]]:
    articles = [json.loads(line) for line in (folder / "articles.jsonl").open(encoding="utf-8")]
    gold = {}
    for line in (folder / "gold.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        gold[record["id"]] = record["story"]
    return articles, gold


def pairs(assignment: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for article_id, story in assignment.items():
        groups[story].append(article_id)
    found = set()
    for members in groups.values():
        found.update(itertools.combinations(sorted(members), 2))
    return found


def score(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float, int]:
    guess, truth = pairs(predicted), pairs(gold)
    hit = len(guess & truth)
    precision = hit / len(guess) if guess else 0.0
    recall = hit / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, len(guess)


def date_of(record: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(record["date"]).replace(tzinfo=timezone.utc)
    except (KeyError, TypeError, ValueError):
        return None


def run_newsearch(articles: list[dict]) -> dict[str, str]:
    return stories.group((a["id"], date_of(a), a["body"]) for a in articles)


def run_datasketch(articles: list[dict], threshold: float = 0.3, perms: int = 128) -> dict[str, str]:
    """MinHash LSH candidates (Jaccard threshold), then the same rules as newsearch."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=perms)
    story: dict[str, str] = {}
    kept: dict[str, tuple[MinHash, stories.Sketch, datetime | None]] = {}
    for record in articles:
        words = stories._WORD.findall(record["body"].lower().encode("utf-8"))
        n = stories.SHINGLE_WORDS
        minhash = MinHash(num_perm=perms)
        for i in range(max(1, len(words) - n + 1)):
            minhash.update(b" ".join(words[i:i + n]))
        sketch = stories.sketch(record["body"])
        date = date_of(record)
        best = None
        for other in lsh.query(minhash):
            other_hash, other_sketch, other_date = kept[other]
            if date and other_date and abs((date - other_date).days) > stories.WINDOW_DAYS:
                continue
            jaccard = minhash.jaccard(other_hash)
            if jaccard < stories.MIN_JACCARD or stories.figures_agree(sketch, other_sketch) < stories.MIN_FIGURES:
                continue
            shared = jaccard * (sketch.size + other_sketch.size) / (1 + jaccard)
            if shared / max(1, min(sketch.size, other_sketch.size)) < stories.MIN_CONTAINMENT:
                continue
            if best is None or jaccard > best[0]:
                best = (jaccard, story[other])
        story[record["id"]] = best[1] if best else record["id"]
        kept[record["id"]] = (minhash, sketch, date)
        lsh.insert(record["id"], minhash)
    return story


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the forked workers)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _build(reuters: Path, jobs: int) -> tuple[float, float]:
    """Index the file into a fresh folder: (wall seconds, CPU seconds)."""
    import shutil
    import tempfile

    from newsearch.ingest import index_paths

    folder = tempfile.mkdtemp(prefix="stories-bench-")
    try:
        wall, cpu = time.perf_counter(), _cpu_seconds()
        index_paths([str(reuters)], index=folder, jobs=jobs)
        return time.perf_counter() - wall, _cpu_seconds() - cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def grouping_share(reuters: Path) -> None:
    """With --jobs 1 (all in this process), the CPU time spent in the three grouping
    steps (sketching bodies, assigning stories, writing stories.sqlite) against the
    whole build's. CPU time, not wall time: on a loaded machine the wait for a core
    after the parser's reads and writes falls on whichever step runs next (a do-nothing
    step timed there takes seconds of wall time for milliseconds of CPU), so wall
    times of small steps mislead; the with/without builds below give the wall cost."""
    from newsearch.ingest import batches

    real = batches.sketch, stories.StoryStore.assign, stories.StoryStore.commit
    spent = [0.0]

    def timed(step):
        def run(*args):
            cpu = time.process_time()
            try:
                return step(*args)
            finally:
                spent[0] += time.process_time() - cpu
        return run

    batches.sketch, stories.StoryStore.assign, stories.StoryStore.commit = map(timed, real)
    try:
        wall, cpu = _build(reuters, 1)
    finally:
        batches.sketch, stories.StoryStore.assign, stories.StoryStore.commit = real
    print(f"Reuters indexing, --jobs 1: {wall:.2f}s wall, {cpu:.2f}s CPU, of which grouping {spent[0]:.2f}s CPU "
          f"({100 * spent[0] / cpu:.1f}%)")


def index_cost(reuters: Path, jobs: int, rounds: int) -> None:
    """Index the Reuters file with grouping and without (grouping switched off by
    replacing its steps with no-ops in this process and its forked workers),
    alternated, so load on the machine falls on both alike."""
    from newsearch.ingest import batches

    real = batches.sketch, stories.StoryStore.assign
    empty = stories.EMPTY_SKETCH
    times: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(rounds):
        for grouping in (False, True):
            if not grouping:
                batches.sketch = lambda body: empty
                stories.StoryStore.assign = lambda self, article_id, date, found: article_id
            try:
                times[grouping].append(_build(reuters, jobs))
            finally:
                batches.sketch, stories.StoryStore.assign = real
            wall, cpu = times[grouping][-1]
            print(f"  {'with' if grouping else 'without'} grouping: {wall:.2f}s wall, {cpu:.2f}s CPU", flush=True)
    for what, column in (("wall", 0), ("CPU", 1)):
        plain = min(t[column] for t in times[False])
        grouped = min(t[column] for t in times[True])
        print(f"Reuters indexing, --jobs {jobs}, best of {rounds}, {what}: without grouping {plain:.2f}s, "
              f"with grouping {grouped:.2f}s, cost {100 * (grouped - plain) / plain:+.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--datasketch", action="store_true", help="also score datasketch MinHash LSH")
    parser.add_argument("--reuters", type=Path, help="also time indexing this Reuters JSONL file with and without grouping")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    articles, gold = load(args.corpus)
    runs = [("newsearch", run_newsearch)]
    if args.datasketch:
        runs.append(("datasketch", run_datasketch))
    print(f"{len(articles):,} articles, {len(pairs(gold)):,} same-story pairs in the gold")
    print(f"{'method':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'pairs':>6} {'art/s':>8} {'CPU art/s':>9}")
    for name, run in runs:
        started, cpu = time.perf_counter(), time.process_time()
        predicted = run(articles)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        p, r, f, n = score(predicted, gold)
        print(f"{name:<12} {p:>9.4f} {r:>7.4f} {f:>6.4f} {n:>6,} {len(articles) / seconds:>8,.0f} "
              f"{len(articles) / cpu:>9,.0f}")
    if args.reuters:
        grouping_share(args.reuters)
        index_cost(args.reuters, args.jobs, args.rounds)


if __name__ == "__main__":
    main()
