"""The story store as an index grows: the cost of grouping and committing each batch.

    python benchmarks/story_store.py [--articles 400000] [--batch 20000] [--folder DIR]

A build hands the indexing process each batch's sketches; it groups them (a look-up of
each article's keys among all stored so far) and commits them (the keys written into
the store). Both should cost about the same per article at 1,000,000 as at 100,000.
This feeds the store synthetic sketches: each the 64 smallest of 500 random 64-bit
values, as an article's shingle hashes are, dated over ten years, with one article in
twenty a copy of one a few batches back (so some look-ups find candidates and join).
It prints, every few batches, the wall and CPU time of grouping and of committing that
batch, and the store's size. Run it from two checkouts to compare two layouts: it
imports newsearch from the checkout it sits in.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsearch import stories  # noqa: E402

SHINGLES = 500
COPY_SHARE = 0.05
START = datetime(2015, 1, 1, tzinfo=timezone.utc)


def synthetic_batch(rng: random.Random, first: int, count: int,
                    earlier: list[tuple[str, datetime, bytes]]) -> list[tuple[str, datetime, bytes]]:
    """`count` articles numbered from `first`; some copy an article of `earlier`."""
    batch = []
    for number in range(first, first + count):
        if earlier and rng.random() < COPY_SHARE:
            _, day, packed = rng.choice(earlier)
            batch.append((f"a{number:08d}", day + timedelta(hours=rng.randint(1, 48)), packed))
            continue
        mins = sorted(rng.getrandbits(64) - (1 << 63) for _ in range(SHINGLES))[:stories.SKETCH_SIZE]
        day = START + timedelta(days=rng.random() * 3650)
        batch.append((f"a{number:08d}", day, stories.Sketch(SHINGLES, tuple(mins), ()).to_bytes()))
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400_000)
    parser.add_argument("--batch", type=int, default=20_000, help="articles per commit (a fresh build's batch)")
    parser.add_argument("--every", type=int, default=5, help="print every this many batches")
    parser.add_argument("--folder", type=Path, help="where the store goes (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--key-levels", type=int, help="try another number of recent key levels (at least 1)")
    parser.add_argument("--first-level-keys", type=int, help="try another size for level 0 (0: every commit's "
                        "keys go straight on into the main key table, the layout before levels)")
    parser.add_argument("--level-growth", type=int, help="try another growth from level to level")
    parser.add_argument("--no-filter", action="store_true", help="look every key up in SQLite (no KeyFilter)")
    args = parser.parse_args()
    if args.no_filter:
        stories.StoryStore._maybe_stored = lambda self, keys: keys  # type: ignore[method-assign]
    if args.key_levels is not None:
        stories.KEY_LEVELS = max(1, args.key_levels)
        stories._LEVELS = ",".join(str(level) for level in range(stories.KEY_LEVELS))
    if args.first_level_keys is not None:
        stories.FIRST_LEVEL_KEYS = args.first_level_keys
    if args.level_growth is not None:
        stories.KEY_LEVEL_GROWTH = args.level_growth
    folder = args.folder or Path(tempfile.mkdtemp(prefix="story-store-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stories.STORE_FILE).unlink(missing_ok=True)
    rng = random.Random(args.seed)
    earlier: list[tuple[str, datetime, bytes]] = []
    totals = {"group": [0.0, 0.0], "commit": [0.0, 0.0]}
    joined = 0
    print(f"{'articles':>10} {'group wall':>11} {'cpu':>7} {'commit wall':>12} {'cpu':>7} {'store MB':>9}")
    with stories.StoryStore(folder) as store:
        for index, first in enumerate(range(0, args.articles, args.batch)):
            batch = synthetic_batch(rng, first, min(args.batch, args.articles - first), earlier)
            wall, cpu = time.perf_counter(), time.process_time()
            for article_id, day, packed in batch:
                joined += store.assign(article_id, day, packed) != article_id
            grouped = time.perf_counter() - wall, time.process_time() - cpu
            wall, cpu = time.perf_counter(), time.process_time()
            store.commit()
            committed = time.perf_counter() - wall, time.process_time() - cpu
            for name, spent in (("group", grouped), ("commit", committed)):
                totals[name][0] += spent[0]
                totals[name][1] += spent[1]
            earlier = (earlier + rng.sample(batch, min(len(batch), 500)))[-3000:]
            if (index + 1) % args.every == 0 or first + args.batch >= args.articles:
                size = (folder / stories.STORE_FILE).stat().st_size / 2**20
                print(f"{first + len(batch):>10,} {grouped[0]:>10.2f}s {grouped[1]:>6.2f}s "
                      f"{committed[0]:>11.2f}s {committed[1]:>6.2f}s {size:>9,.0f}", flush=True)
    print(f"total: grouping {totals['group'][0]:.1f} s wall / {totals['group'][1]:.1f} s CPU, "
          f"commits {totals['commit'][0]:.1f} s wall / {totals['commit'][1]:.1f} s CPU; "
          f"{joined:,} articles joined an earlier one's story")
    if args.folder is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
