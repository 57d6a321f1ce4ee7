"""CPU time of one worker segment: feeding a SegmentBuilder, then finishing it.

Articles are parsed and turned into fields once, then the same fields are fed to a
fresh SegmentBuilder and finished a few times, so the two phases can be compared
between code versions without parsing noise. Run it from outside the checkout with
PYTHONPATH at each version:

    cd /tmp && PYTHONPATH=/path/to/checkout python /path/to/benchmarks/segment_finish.py articles.jsonl
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time

from newsearch.engine import store
from newsearch.engine.segments import SegmentBuilder
from newsearch.ingest import IngestOptions
from newsearch.ingest.batches import parse_unit, units
from newsearch.models import Article
from newsearch.sources import find_sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="articles (any input newsearch reads)")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    options = IngestOptions()
    files = [f for f in find_sources([args.path]) if not isinstance(f, Exception)]
    articles = [a for unit in units(files, options) for a in parse_unit(unit, options)
                if isinstance(a, Article)][:args.articles]
    fields = [store.article_fields(article) for article in articles]
    print(f"{len(fields):,} articles; CPU seconds per round")
    print(f"{'round':>5} {'add':>8} {'finish':>8}")
    for round_number in range(1, args.rounds + 1):
        folder = tempfile.mkdtemp()
        try:
            ix = store.create_index(folder)
            builder = SegmentBuilder(folder, ix.schema, limitmb=256)
            start = time.process_time()
            for item in fields:
                builder.add(item)
            added = time.process_time()
            builder.finish()
            finished = time.process_time()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"{round_number:>5} {added - start:8.2f} {finished - added:8.2f}")


if __name__ == "__main__":
    main()
