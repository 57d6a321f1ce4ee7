"""Web archives: WARC reading speed, ingest end to end, and the article-or-not rule.

Three tables from one run, on the files of ../shared/corpus/warc:

1. Readers: records/s reading `news-dev.warc.gz` repeated to at least `--mb` MB (every
   record and its payload), with FastWARC alone, warcio alone (both when installed),
   and newsearch's reader (FastWARC framing plus our HTTP decoding: chunked, content
   encodings, charset, the reason a record is passed over). Parsing is not included.
2. Ingest: articles/s indexing the captured pages of the crawl from the WARC, against
   indexing the same pages written out as a folder of .html files (the same parser and
   index; `--all-pages` in both, so both index the same pages). The WARC path must not
   be slower than the folder path.
3. Article or not: on `news-dev.warc.gz`, the share of the 200 news pages (the gold's
   URLs) kept and of the other pages (the real crawls packed in it) skipped; and how many
   pages of each other WARC are kept.

    python benchmarks/warc.py                 # all three, 200 MB for the readers
    python benchmarks/warc.py --mb 50 --skip ingest
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
WARC = Path(os.environ.get("NEWSEARCH_SHARED", HERE.parent.parent / "shared")) / "corpus" / "warc"


def repeated(source: Path, mb: int, folder: Path) -> Path:
    """The file concatenated with itself to at least `mb` MB (gzip members may be joined)."""
    target = folder / f"repeated-{mb}mb.warc.gz"
    if not target.exists() or target.stat().st_size < mb << 20:
        data = source.read_bytes()
        with open(target, "wb") as out:
            for _ in range(-(-(mb << 20) // len(data))):
                out.write(data)
    return target


def time_fastwarc(path: Path) -> tuple[int, float]:
    from fastwarc.warc import ArchiveIterator

    started, count = time.perf_counter(), 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, parse_http=True):
            record.reader.read()
            count += 1
    return count, time.perf_counter() - started


def time_warcio(path: Path) -> tuple[int, float]:
    from warcio.archiveiterator import ArchiveIterator

    started, count = time.perf_counter(), 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            record.content_stream().read()
            count += 1
    return count, time.perf_counter() - started


def time_newsearch(path: Path) -> tuple[int, float]:
    from newsearch.sources.warc import read_records

    started, count = time.perf_counter(), 0
    for _ in read_records(str(path), max_bytes=1 << 30, max_decompressed_bytes=1 << 30):
        count += 1
    return count, time.perf_counter() - started


def readers(mb: int, folder: Path) -> None:
    path = repeated(WARC / "news-dev.warc.gz", mb, folder)
    size = path.stat().st_size / (1 << 20)
    print(f"\nreaders: {path.name} ({size:,.0f} MB)")
    print(f"{'reader':<34} {'records':>9} {'seconds':>8} {'records/s':>10} {'MB/s':>7}")
    for name, run in (("fastwarc (parse_http, payload read)", time_fastwarc),
                      ("warcio (payload read)", time_warcio),
                      ("newsearch read_records (no parse)", time_newsearch)):
        try:
            count, seconds = run(path)
        except ImportError as exc:
            print(f"{name:<34} not installed ({exc.name})")
            continue
        print(f"{name:<34} {count:>9,} {seconds:>8.2f} {count / seconds:>10,.0f} {size / seconds:>7.1f}")


def ingest(copies: int, jobs: int, folder: Path, rounds: int) -> None:
    from newsearch import IngestOptions, index_paths
    from newsearch.sources.warc import Capture, read_records

    crawl = folder / f"crawl-x{copies}.warc.gz"
    crawl.write_bytes((WARC / "news-dev.warc.gz").read_bytes() * copies)
    pages = folder / f"pages-x{copies}"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir()
    count = 0
    for item in read_records(str(crawl), max_bytes=1 << 30, max_decompressed_bytes=1 << 30):
        if isinstance(item, Capture):
            count += 1
            (pages / f"{count:06d}.html").write_bytes(item.payload)
    print(f"\ningest: {count:,} captured pages ({copies} copies of news-dev.warc.gz), jobs={jobs}, --all-pages, "
          f"{rounds} round(s) in alternating order, median")
    print(f"{'input':<22} {'pages':>7} {'seconds':>8} {'pages/s':>8}  each round")
    options = IngestOptions(all_pages=True, captures="all")
    inputs = {"WARC file": crawl, "folder of .html": pages}
    times: dict[str, list[float]] = {name: [] for name in inputs}
    written: dict[str, int] = {}
    for round_number in range(rounds):  # alternate the order: the machine's load drifts
        for name in (list(inputs) if round_number % 2 == 0 else list(inputs)[::-1]):
            index = folder / f"ix-{name.split()[0].lower()}"
            shutil.rmtree(index, ignore_errors=True)
            started = time.perf_counter()
            report = index_paths([inputs[name]], index=index, jobs=jobs, options=options)
            times[name].append(time.perf_counter() - started)
            written[name] = report.counts["new"] + report.counts["merged"]
    median = {name: statistics.median(values) for name, values in times.items()}
    for name in inputs:
        each = " ".join(f"{t:.1f}" for t in times[name])
        print(f"{name:<22} {written[name]:>7,} {median[name]:>8.1f} {written[name] / median[name]:>8,.1f}  {each}")
    reading = time_newsearch(crawl)[1]
    print(f"reading the WARC alone: {reading:.2f}s ({reading / median['WARC file']:.1%} of the WARC run); "
          f"WARC / folder time: {median['WARC file'] / median['folder of .html']:.2f}")


def article_or_not() -> None:
    from newsearch.errors import ParseError
    from newsearch.parse.html import read_page
    from newsearch.parse.pages import not_an_article
    from newsearch.sources.warc import Capture, read_records

    gold = [json.loads(line) for line in (WARC / "news-dev.gold.jsonl").read_text().splitlines()][1:]
    news = {g["url"] for g in gold}
    print("\narticle or not (default rules, parse/pages.py), by fetched URL")
    print(f"{'file':<24} {'pages':>6} {'kept':>6} {'news pages kept':>18} {'other pages skipped':>20}")
    for name in ("news-dev.warc.gz", "warcfile.warc.gz", "clueweb-quirk.warc.gz"):
        verdicts: dict[str, bool] = {}
        for item in read_records(str(WARC / name), max_bytes=1 << 30, max_decompressed_bytes=1 << 30):
            if isinstance(item, Capture):
                try:
                    _, signals = read_page(item.payload, url=item.url, charset=item.charset, fetched=item.fetched)
                except ParseError:
                    verdicts[item.url] = False
                    continue
                verdicts[item.url] = not_an_article(signals) is None
        kept = {url for url, keep in verdicts.items() if keep}
        others = set(verdicts) - news
        share = f"{len(news & kept)}/{len(news)} {len(news & kept) / len(news):.1%}" if news & set(verdicts) else "-"
        skipped = len(others - kept)
        print(f"{name:<24} {len(verdicts):>6} {len(kept):>6} {share:>18} "
              f"{f'{skipped}/{len(others)} {skipped / max(1, len(others)):.1%}':>20}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="size of the repeated WARC for the readers")
    parser.add_argument("--copies", type=int, default=2, help="copies of news-dev.warc.gz for the ingest table")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="ingest rounds per input, order alternating")
    parser.add_argument("--skip", action="append", default=[], choices=["readers", "ingest", "pages"])
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "newsearch-warc-bench"))
    args = parser.parse_args()
    folder = Path(args.workdir)
    folder.mkdir(parents=True, exist_ok=True)
    if "readers" not in args.skip:
        readers(args.mb, folder)
    if "ingest" not in args.skip:
        ingest(args.copies, args.jobs, folder, args.rounds)
    if "pages" not in args.skip:
        article_or_not()


if __name__ == "__main__":
    main()
