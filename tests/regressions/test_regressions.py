"""Every input in tests/regressions/inputs once broke something; they must all pass."""
from __future__ import annotations

from pathlib import Path

import pytest

from newsearch import Archive, QuerySyntaxError
from newsearch.errors import ParseError
from newsearch.ingest import index_paths, parse_paths
from newsearch.models import Article
from newsearch.sources import kind_from_name

INPUTS = Path(__file__).parent / "inputs"
ARTICLE_FILES = sorted(p for p in INPUTS.iterdir() if kind_from_name(p.name))
QUERIES = (INPUTS / "queries.lst").read_text(encoding="utf-8").splitlines()
# file -> (line, words in the reason) for inputs that must be reported as failures
FAILURES = {
    "broken-line.jsonl": (1, "invalid json"),
    "empty.html": (None, "empty file"),
    "whitespace-only.txt": (None, "empty file"),
    "html-open-tag-only.html": (None, ""),
    "html-doctype-only.html": (None, ""),
}


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda p: p.name)
def test_input_parses_into_articles_or_located_failures(path):
    results = list(parse_paths([path]))
    assert results
    for item in results:
        if isinstance(item, ParseError):
            assert path.name in FAILURES, item
            line, words = FAILURES[path.name]
            assert Path(item.path) == path and item.line == line and words in item.reason.lower()
        else:
            assert isinstance(item, Article) and item.title and "\x00" not in item.body + item.title


def test_reuters_clock_keeps_the_day():
    [article] = parse_paths([INPUTS / "reuters-clock.jsonl"])
    assert article.date is not None and article.date.date().isoformat() == "1987-03-31"


def test_unreadable_date_is_left_empty_with_a_warning():
    [article] = parse_paths([INPUTS / "decimal-date.jsonl"])
    assert isinstance(article, Article) and article.date is None
    assert any("date" in w for w in article.warnings)


def test_same_id_twice_in_one_batch_keeps_the_last(tmp_path):
    articles = list(parse_paths([INPUTS / "same-id-twice.jsonl"]))
    assert [a.id for a in articles] == ["https://ex.org/same"] * 2
    Archive.create(tmp_path / "ix").add(articles)
    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == 1
        assert archive.get("https://ex.org/same").title == "Second version"


def test_index_of_all_inputs_is_consistent_and_every_query_answers(tmp_path):
    report = index_paths([INPUTS], index=tmp_path / "ix", jobs=1)
    assert {Path(f.path).name for f in report.failures} == set(FAILURES)
    ids = {item.id for item in parse_paths([INPUTS]) if isinstance(item, Article)}
    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == len(ids)
        for query in QUERIES:
            try:
                archive.search(query)
            except QuerySyntaxError as exc:
                assert str(exc) and "\n" not in str(exc) and "STORED" not in str(exc)


def test_html_bodies_in_records_cost_linear_work(monkeypatch):
    """A record body of thousands of <p> once took minutes: each inserted newline made
    bs4 look the tag up among its siblings. Counted, not timed."""
    import json

    from bs4.element import Tag

    from newsearch.parse.dispatch import parse_document
    from newsearch.sources import RawDocument

    lookups = []
    real_index = Tag.index
    monkeypatch.setattr(Tag, "index", lambda self, element: lookups.append(1) or real_index(self, element))
    body = "<p>One paragraph of the story.</p>" * 3000 + "line<br>" * 1000
    [article] = parse_document(RawDocument("big.jsonl", "jsonl", json.dumps({"title": "Big", "body": body}).encode(), line=1))
    assert article.body.count("One paragraph of the story.") == 3000
    assert len(lookups) < 100
