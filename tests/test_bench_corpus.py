"""The synthetic benchmark corpus: deterministic and shaped like a news archive."""
from __future__ import annotations

import importlib.util
import json
import re
import statistics
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

CORPUS_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus.py"


@pytest.fixture(scope="module")
def corpus():
    spec = importlib.util.spec_from_file_location("bench_corpus", CORPUS_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_corpus"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample(corpus) -> list[dict]:
    return list(corpus.generate(1500, seed=7))


def test_same_seed_gives_same_articles(corpus):
    assert list(corpus.generate(40, seed=3)) == list(corpus.generate(40, seed=3))


def test_other_seed_gives_other_articles(corpus):
    one = [a["body"] for a in corpus.generate(10, seed=3)]
    two = [a["body"] for a in corpus.generate(10, seed=4)]
    assert not set(one) & set(two)


def test_article_does_not_depend_on_corpus_size_or_start(corpus):
    tail = list(corpus.generate(5, seed=3, start=20))
    assert tail == list(corpus.generate(25, seed=3))[20:]
    assert tail[2] == corpus.article(22, seed=3)


def test_records_have_the_documented_fields(sample):
    fields = {"id", "url", "title", "byline", "authors", "section", "date", "body", "tags"}
    assert all(set(a) == fields for a in sample)
    assert len({a["id"] for a in sample}) == len(sample)
    assert all(a["title"] and a["body"] and a["tags"] for a in sample)
    assert all(a["url"].startswith("https://") and a["url"].isascii() for a in sample)


def test_twenty_sections_with_skewed_sizes(corpus, sample):
    counts = Counter(a["section"] for a in sample)
    assert len(counts) == 20 == len(corpus.SECTIONS)
    top, bottom = max(counts.values()), min(counts.values())
    assert top > 2 * bottom


def test_bylines_name_their_authors_and_some_articles_have_several(sample):
    multi = [a for a in sample if len(a["authors"]) > 1]
    assert 0.03 < len(multi) / len(sample) < 0.3
    for a in sample:
        if a["authors"]:
            assert a["byline"].startswith("By ")
            assert all(name in a["byline"] for name in a["authors"])
        else:
            assert a["byline"] == ""
    two = next(a for a in multi if len(a["authors"]) == 2)
    assert two["byline"] == f"By {two['authors'][0]} and {two['authors'][1]}"


def test_author_pool_holds_two_thousand_names_some_arabic_some_accented(corpus):
    tables = corpus.build_tables(7)
    assert len(set(tables.authors)) == 2000
    assert any(" al-" in name for name in tables.authors)
    assert any(not name.isascii() for name in tables.authors)
    assert any(" al-" in name for name in tables.people)


def test_dates_span_two_decades_with_timezones(sample):
    dates = [datetime.fromisoformat(a["date"]) for a in sample]
    assert all(d.tzinfo is not None for d in dates)
    assert len({d.utcoffset() for d in dates}) >= 5
    years = [d.year for d in dates]
    assert max(years) - min(years) >= 20


def test_body_lengths_centre_on_a_news_article_with_a_long_tail(sample):
    lengths = [len(a["body"].split()) for a in sample]
    median = statistics.median(lengths)
    assert 400 <= median <= 700
    assert max(lengths) > 1.8 * median
    assert all("\n\n" in a["body"] for a in sample if len(a["body"].split()) > 200)


def test_vocabulary_is_large_and_zipfian(corpus, sample):
    tables = corpus.build_tables(7)
    assert len(set(tables.words)) >= 50_000
    counts = Counter(w.lower() for a in sample for w in re.findall(r"\w+", a["body"]))
    assert len(counts) > 20_000
    ranked = [c for _, c in counts.most_common()]
    # Zipf: frequency falls roughly as 1/rank, so rank 10 is far above rank 1000.
    assert ranked[9] > 30 * ranked[999]
    assert sum(1 for c in ranked if c == 1) > len(ranked) / 5


def test_names_recur_across_articles(corpus, sample):
    tables = corpus.build_tables(7)
    assert 300 <= len(set(tables.names)) <= 1000
    mentioned = Counter(n for a in sample for n in tables.people if n in a["body"])
    assert sum(1 for c in mentioned.values() if c >= 5) >= 50


def test_html_carries_json_ld_and_paragraphs(corpus, sample):
    a = next(x for x in sample if len(x["authors"]) == 2)
    page = corpus.to_html(a)
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page).group(1))
    assert ld["headline"] == a["title"]
    assert [p["name"] for p in ld["author"]] == a["authors"]
    assert ld["datePublished"] == a["date"]
    assert page.count("<p>") == a["body"].count("\n\n") + 1
    assert "<article>" in page and "</article>" in page


def test_text_layout_is_headline_byline_date_body(corpus, sample):
    a = sample[0]
    lines = corpus.to_text(a).split("\n")
    assert lines[:4] == [a["title"], a["byline"], a["date"], ""]


@pytest.mark.parametrize("fmt, pattern", [("jsonl", "*.jsonl"), ("html", "*/*.html"), ("text", "*/*.txt")])
def test_write_streams_n_articles(corpus, tmp_path, fmt, pattern):
    corpus.write(1005, out=tmp_path, fmt=fmt, seed=2)
    files = sorted(tmp_path.glob(pattern))
    if fmt == "jsonl":
        lines = files[0].read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1005
        assert json.loads(lines[4]) == corpus.article(4, seed=2)
    else:
        assert len(files) == 1005
        assert len({f.parent for f in files}) == 2
