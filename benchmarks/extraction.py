"""Extraction accuracy and speed on the gold pages, optionally beside trafilatura.

    python benchmarks/extraction.py [--compare] [--set NAME] [--limit N] [--shared PATH]

Prints one row per field (accuracy, pages scored) and pages per second. With
--compare, trafilatura (bare_extraction with metadata) and htmldate run on the
same pages in the same run; they are optional benchmark dependencies only.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring import FIELDS, GoldPage, Prediction, Tally, load_gold, newsearch_prediction, score_page  # noqa: E402

from newsearch.errors import ParseError  # noqa: E402
from newsearch.parse.html import parse_html  # noqa: E402

Extractor = Callable[[bytes, GoldPage], Prediction]


def run_newsearch(data: bytes, page: GoldPage) -> Prediction:
    try:
        article = parse_html(data, path=str(page.path), url=page.url)
    except ParseError:
        return Prediction()
    return newsearch_prediction(article)


def run_trafilatura(data: bytes, page: GoldPage) -> Prediction:
    import trafilatura

    doc = trafilatura.bare_extraction(data, url=page.url, with_metadata=True)
    if doc is None:
        return Prediction()
    get = (lambda k: doc.get(k)) if isinstance(doc, dict) else (lambda k: getattr(doc, k, None))
    authors = tuple(a.strip() for a in (get("author") or "").split(";") if a.strip())
    return Prediction(
        title=get("title") or "",
        authors=authors,
        date=get("date") or "",
        sections=tuple(get("categories") or ()),
        body=get("text") or "",
    )


def run_htmldate(data: bytes, page: GoldPage) -> Prediction:
    from htmldate import find_date

    return Prediction(date=find_date(data, url=page.url, original_date=True) or "")


# Fields each extractor produces; the others are left blank in the table.
PROVIDES = {"htmldate": {"date"}}


def evaluate(extract: Extractor, pages: list[tuple[GoldPage, bytes]]) -> tuple[Tally, float]:
    """Score every page; return the tally and pages per CPU second (parsing only).

    CPU time rather than wall time, so that other work on a shared machine does not
    tilt the comparison between extractors run one after the other.
    """
    tally = Tally()
    elapsed = 0.0
    for page, data in pages:
        start = time.process_time()
        prediction = extract(data, page)
        elapsed += time.process_time() - start
        tally.add(score_page(page.gold, prediction))
    return tally, len(pages) / elapsed if elapsed else 0.0


def _cell(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


def print_table(results: dict[str, tuple[Tally, float]]) -> None:
    names = list(results)
    first = results[names[0]][0]
    print(f"{'field':<10} {'n':>4}  " + "  ".join(f"{n:>12}" for n in names))
    for name in FIELDS:
        count = first.counts.get(name, 0)
        if not count:
            continue
        cells = []
        for extractor in names:
            tally = results[extractor][0]
            shown = name in PROVIDES.get(extractor, FIELDS) and tally.counts.get(name)
            cells.append(f"{_cell(tally.accuracy(name)):>12}" if shown else f"{'-':>12}")
        print(f"{name:<10} {count:>4}  " + "  ".join(cells))
    print(f"{'pages/s':<10} {'cpu':>4}  " + "  ".join(f"{results[n][1]:>12.1f}" for n in names))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also run trafilatura and htmldate")
    parser.add_argument("--set", dest="set_name", help="only this gold set (trafilatura, htmldate, readability)")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args(argv)

    gold = load_gold(args.shared, set_name=args.set_name, limit=args.limit)
    pages = [(page, page.read()) for page in gold]
    extractors: dict[str, Extractor] = {"newsearch": run_newsearch}
    if args.compare:
        extractors["trafilatura"] = run_trafilatura
        extractors["htmldate"] = run_htmldate
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, extract in extractors.items():
            results[name] = evaluate(extract, pages)
    print(f"{len(pages)} pages from {args.shared / 'corpus' / 'extraction'}")
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
