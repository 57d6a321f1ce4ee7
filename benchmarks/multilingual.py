"""Precision of the top 10 for German and English queries on the multilingual
extraction pages: one analysis for every article (before) against each article
analysed in its own language (after), in one run.

    python benchmarks/multilingual.py [--shared PATH] [--show N]

The queries and the inflections that make an article relevant are data written by
hand (benchmarks/data/multilingual_queries.tsv), not produced by any stemmer. A hit
is relevant when the article is in the query's language (its `language` field) and
prints one of the listed forms (in German, also as the end of a compound of at least
four more letters). "before" indexes the same parsed articles with every
article analysed as English (what an index with one stemmer did; the language field
is kept for judging); "after" is newsearch as it is. Precision is over the hits
returned, at most 10 (an index finding 3 right pages scores 1.0, as it should).
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsearch import Archive  # noqa: E402
from newsearch.errors import ParseError  # noqa: E402
from newsearch.parse.html import parse_html  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
QUERIES = HERE / "data" / "multilingual_queries.tsv"
COMPOUNDING = {"de", "nl"}


def load_queries() -> list[tuple[str, str, re.Pattern[str]]]:
    found = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, query, forms = line.split("\t")
        # In German a compound ending in the word counts ("Bundesregierung" for "Regierung").
        start = r"(?<!\w)(?:\w{4,})?" if language in COMPOUNDING else r"(?<!\w)"
        found.append((language, query, re.compile(start + "(?:" + forms + r")(?!\w)", re.IGNORECASE)))
    return found


def load_articles(shared: Path) -> list:
    articles = []
    for path in sorted((shared / "corpus" / "extraction" / "pages").glob("*.html.gz")):
        try:
            articles.append(parse_html(gzip.decompress(path.read_bytes()), path=str(path)))
        except ParseError:
            continue
    return articles


def precision(archive: Archive, articles: dict, queries: list, show: int) -> dict[str, list[float]]:
    per_language: dict[str, list[float]] = {}
    for language, query, forms in queries:
        hits = archive.search(query, limit=10, highlight=False).hits
        judged = []
        for hit in hits:
            article = articles[hit.id]
            text = " ".join((article.title, article.summary, article.body))
            judged.append(article.language == language and bool(forms.search(text)))
        value = sum(judged) / len(judged) if judged else 0.0
        per_language.setdefault(language, []).append(value)
        if show:
            print(f"  {language} {query:<14} {len(hits):>2} hits, {sum(judged):>2} relevant")
    return per_language


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--show", type=int, default=0, help="print each query's counts")
    args = parser.parse_args()
    queries = load_queries()
    articles = load_articles(args.shared)
    by_id = {a.id: a for a in articles}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("before", "after"):
            archive = Archive.create(Path(tmp) / name)
            if name == "before":
                # Every article analysed as the index's language; the true language kept aside.
                archive.add([dataclasses.replace(a, language="en") for a in articles])
            else:
                archive.add(articles)
            if args.show:
                print(name)
            with archive:
                rows.append((name, precision(archive, by_id, queries, args.show)))
    languages = sorted({q[0] for q in queries})
    print(f"{len(articles)} extraction pages, {len(queries)} queries")
    print("| analysis | " + " | ".join(f"P@10 {code} ({len(rows[0][1][code])} queries)" for code in languages) + " |")
    print("|---|" + "---|" * len(languages))
    for name, per in rows:
        print(f"| {name} | " + " | ".join(f"{sum(per[c]) / len(per[c]):.3f}" for c in languages) + " |")


if __name__ == "__main__":
    main()
