"""Extraction accuracy and speed on the gold pages, optionally beside trafilatura.

    python benchmarks/extraction.py [--compare] [--by-set] [--families] [--set NAME] [--limit N] [--shared PATH]

Prints one row per field (accuracy, pages scored) and pages per second. With
--compare, trafilatura (bare_extraction with metadata) and htmldate run on the
same pages in the same run; they are optional benchmark dependencies only.
--by-set prints the same table for each gold set separately. --families measures
each family of date rules (rules.DATE_RULES) by switching it off: its effect on
each set separately, and a leave-one-set-out check (families chosen on the other
sets only, scored on the held-out one).
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
from newsearch.parse import rules  # noqa: E402
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


class Run:
    """One extractor over the pages: each page's scores, and pages per CPU second."""

    def __init__(self, pages: list[tuple[GoldPage, bytes]], scores: list[dict[str, float]], rate: float) -> None:
        self.sets = [page.set for page, _ in pages]
        self.scores = scores
        self.rate = rate

    def tally(self, set_name: str | None = None) -> Tally:
        tally = Tally()
        for name, scores in zip(self.sets, self.scores):
            if set_name is None or name == set_name:
                tally.add(scores)
        return tally

    def correct(self, field: str, set_name: str | None = None) -> int:
        """Pages right on `field` (for a yes/no field such as the date)."""
        return int(sum(s.get(field, 0.0) for n, s in zip(self.sets, self.scores) if set_name in (None, n)))


def evaluate(extract: Extractor, pages: list[tuple[GoldPage, bytes]]) -> Run:
    """Score every page; pages per CPU second covers parsing only.

    CPU time rather than wall time, so that other work on a shared machine does not
    tilt the comparison between extractors run one after the other.
    """
    scores = []
    elapsed = 0.0
    for page, data in pages:
        start = time.process_time()
        prediction = extract(data, page)
        elapsed += time.process_time() - start
        scores.append(score_page(page.gold, prediction))
    return Run(pages, scores, len(pages) / elapsed if elapsed else 0.0)


def _cell(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


def print_table(results: dict[str, Run], set_name: str | None = None) -> None:
    names = list(results)
    tallies = {n: results[n].tally(set_name) for n in names}
    first = tallies[names[0]]
    print(f"{'field':<10} {'n':>4}  " + "  ".join(f"{n:>12}" for n in names))
    for name in FIELDS:
        count = first.counts.get(name, 0)
        if not count:
            continue
        cells = []
        for extractor in names:
            tally = tallies[extractor]
            shown = name in PROVIDES.get(extractor, FIELDS) and tally.counts.get(name)
            cells.append(f"{_cell(tally.accuracy(name)):>12}" if shown else f"{'-':>12}")
        print(f"{name:<10} {count:>4}  " + "  ".join(cells))
    if set_name is None:
        print(f"{'pages/s':<10} {'cpu':>4}  " + "  ".join(f"{results[n].rate:>12.1f}" for n in names))


def _with_rules(enabled: frozenset[str]) -> Extractor:
    def extract(data: bytes, page: GoldPage) -> Prediction:
        saved = rules.DATE_RULES
        rules.DATE_RULES = enabled
        try:
            return run_newsearch(data, page)
        finally:
            rules.DATE_RULES = saved
    return extract


def report_families(pages: list[tuple[GoldPage, bytes]]) -> None:
    """Each date rule family switched off in turn: pages it wins (+) or loses (-) per set,
    then families chosen on two sets (net gain there) scored on the third."""
    dated = [(page, data) for page, data in pages if page.gold.get("date")]
    sets = sorted({page.set for page, _ in dated})
    full = evaluate(_with_rules(rules.DATE_RULES), dated)
    families = sorted(rules.DATE_RULES)
    without = {f: evaluate(_with_rules(rules.DATE_RULES - {f}), dated) for f in families}
    print("\ndate rule families: pages each one wins over its absence, per set (n = pages with a gold date)")
    print(f"{'family':<16}" + "".join(f"{s[:11]:>12}" for s in sets) + f"{'all':>8}  verdict")
    print(f"{'(n)':<16}" + "".join(f"{sum(p.set == s for p, _ in dated):>12}" for s in sets) + f"{len(dated):>8}")
    gains: dict[str, dict[str, int]] = {}
    for f in families:
        gains[f] = {s: full.correct("date", s) - without[f].correct("date", s) for s in sets}
        total = sum(gains[f].values())
        verdict = "hurts a set" if min(gains[f].values()) < 0 else ("gain" if total > 0 else "no effect")
        print(f"{f:<16}" + "".join(f"{gains[f][s]:>+12d}" for s in sets) + f"{total:>+8d}  {verdict}")
    print("\nleave one set out: the families that do not lose pages on the other sets, scored on the held-out set")
    print(f"{'held out':<14}{'kept':>5}  {'dropped families':<30}{'kept acc':>9}{'all on':>8}{'all off':>8}")
    none = evaluate(_with_rules(frozenset()), dated)
    for held in sets:
        chosen = frozenset(f for f in families if sum(g for s, g in gains[f].items() if s != held) >= 0)
        run = evaluate(_with_rules(chosen), [(p, d) for p, d in dated if p.set == held])
        dropped = ",".join(sorted(set(families) - chosen)) or "-"
        print(f"{held:<14}{len(chosen):>5}  {dropped:<30}{_cell(run.tally().accuracy('date')):>9}"
              f"{_cell(full.tally(held).accuracy('date')):>8}{_cell(none.tally(held).accuracy('date')):>8}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also run trafilatura and htmldate")
    parser.add_argument("--by-set", action="store_true", help="one table per gold set as well")
    parser.add_argument("--families", action="store_true", help="measure each date rule family per set")
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
    if args.by_set:
        for set_name in sorted({page.set for page, _ in pages}):
            print(f"\nset {set_name} ({sum(page.set == set_name for page, _ in pages)} pages)")
            print_table(results, set_name)
    if args.families:
        report_families(pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
