"""Property tests: random and mutated inputs never crash parsing or searching.

HTML, text and JSON Lines inputs are generated from scratch and by mutating real
pages; parse_document must return articles or ParseError values, never raise, and
an index built from what it returns must hold exactly those articles. Query strings,
random or cut from real page text, must search or raise QuerySyntaxError.
Examples are bounded and derandomised so CI runs are quick and repeatable.
"""
from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsearch import Archive, QuerySyntaxError
from newsearch.errors import ParseError
from newsearch.models import Article
from newsearch.parse.dates import parse_date
from newsearch.parse.dispatch import ParseOptions, parse_document
from newsearch.periods import parse_period
from newsearch.sources import RawDocument

# NEWSEARCH_FUZZ_SCALE=20 runs twenty times the examples, with fresh random seeds.
SCALE = int(os.environ.get("NEWSEARCH_FUZZ_SCALE", "1"))
FUZZ = settings(max_examples=60 * SCALE, deadline=None, derandomize=SCALE == 1, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
QUERIES = settings(FUZZ, max_examples=150 * SCALE)
PAGES = 24

TAGS = ["html", "head", "body", "title", "meta", "p", "div", "article", "h1", "span", "a", "time",
        "script", "style", "table", "tr", "td", "br", "img", "noscript", "svg", "iframe", "form"]
ATTRS = ["class", "id", "itemprop", "property", "name", "content", "datetime", "href", "rel", "charset"]
WORDS = ["oil", "Reuters", "2021-07-06", "31-MAR-1987 605:12:19", "By Jane Doe", "&amp;", "&#x0;",
         "&nbsp;", "<!--", "-->", "<![CDATA[", "]]>", "\x00", "\ufeff", "é", "خطة", "東京", '"', "'", "<", ">"]
OPERATORS = ['"', "(", ")", "[", "]", "{", "}", ":", "*", "?", "~", "^", "AND", "OR", "NOT", "TO", "date:",
             "title:", "author:", "date:[", "date:>", "\\", "/", "-", "+", "!", "'", " "]


# ---------------------------------------------------------------- strategies

def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    attrs = st.lists(st.tuples(st.sampled_from(ATTRS), st.text(max_size=20)), max_size=3)
    return st.builds(
        lambda tag, attrs, inner, close: f"<{tag}" + "".join(f' {k}="{v}"' for k, v in attrs)
        + f">{''.join(inner)}" + (f"</{tag}>" if close else ""),
        st.sampled_from(TAGS), attrs, st.lists(children, max_size=4), st.booleans(),
    )


TEXT_BITS = st.one_of(st.sampled_from(WORDS), st.text(max_size=40))
HTML = st.recursive(TEXT_BITS, _element, max_leaves=40).map(lambda inner: "<html>" + inner)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT_BITS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["title", "body", "text", "date", "authors", "url", "section", "tags", "id",
                         "publish_date", "byline", "articles", "x"]), inner, max_size=6),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """A copy of `data` with a few random cuts, insertions, duplications and byte flips."""
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        size = draw(st.integers(1, 400))
        action = draw(st.sampled_from(["cut", "insert", "duplicate", "flip", "truncate"]))
        if action == "cut":
            data = data[:at] + data[at + size:]
        elif action == "insert":
            data = data[:at] + draw(st.binary(max_size=40)) + data[at:]
        elif action == "duplicate":
            data = data[:at] + data[at:at + size] * draw(st.integers(2, 5)) + data[at:]
        elif action == "flip":
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
        else:
            data = data[:at]
    return data


class Pages(list):
    """Real pages, shown by count in failure reports instead of in full."""

    def __repr__(self) -> str:
        return f"<{len(self)} real pages>"


@pytest.fixture(scope="module")
def real_pages(shared_dir: Path) -> Pages:
    pages = sorted((shared_dir / "corpus" / "extraction" / "pages").glob("*.html.gz"))
    step = max(1, len(pages) // PAGES)
    return Pages(gzip.decompress(p.read_bytes()) for p in pages[::step][:PAGES])


def _check(raw: RawDocument) -> list[Article]:
    results = parse_document(raw, ParseOptions(max_body_chars=50_000))
    assert isinstance(results, list)
    articles = []
    for item in results:
        assert isinstance(item, (Article, ParseError)), item
        if isinstance(item, Article):
            assert isinstance(item.title, str) and isinstance(item.body, str) and item.id
            assert len(item.body) <= 50_000
            articles.append(item)
        else:
            assert item.path == raw.path and item.reason
    return articles


# ---------------------------------------------------------------- parsers

@FUZZ
@given(page=HTML, cut=st.integers(0, 5000))
def test_generated_html_never_raises(page, cut):
    data = page.encode("utf-8", "surrogatepass")
    _check(RawDocument("gen.html", "html", data[: len(data) - cut] if cut < len(data) else data))


@FUZZ
@given(data=st.data())
def test_mutated_real_pages_never_raise(real_pages, data):
    page = data.draw(st.sampled_from(real_pages))
    _check(RawDocument("real.html", "html", data.draw(mutated(page))))


@FUZZ
@given(body=st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
       kind=st.sampled_from(["text", "html", "jsonl", "json"]))
def test_arbitrary_bytes_of_any_kind_never_raise(body, kind):
    _check(RawDocument("any", kind, body))


@FUZZ
@given(value=JSON_VALUES, data=st.data())
def test_jsonl_records_never_raise(value, data):
    line = json.dumps(value).encode("utf-8", "surrogatepass")
    _check(RawDocument("records.jsonl", "jsonl", data.draw(mutated(line)), line=7))


@settings(FUZZ, max_examples=20 * SCALE)
@given(data=st.data())
def test_index_built_from_fuzzed_inputs_holds_exactly_the_articles(real_pages, data):
    raws = [
        RawDocument("a.html", "html", data.draw(mutated(data.draw(st.sampled_from(real_pages))))),
        RawDocument("b.html", "html", data.draw(HTML).encode("utf-8", "surrogatepass")),
        RawDocument("c.txt", "text", data.draw(st.text(min_size=1, max_size=300)).encode("utf-8", "surrogatepass")),
        RawDocument("d.jsonl", "jsonl", json.dumps(data.draw(JSON_VALUES)).encode("utf-8", "surrogatepass"), line=1),
    ]
    articles = [a for raw in raws for a in _check(raw)]
    unique = {a.id: a for a in articles}
    with tempfile.TemporaryDirectory() as folder:
        archive = Archive.create(Path(folder) / "ix")
        assert archive.add(articles) == len(articles)
        with Archive.open(Path(folder) / "ix") as reopened:
            assert len(reopened) == len(unique)
            for article_id, expected in unique.items():
                assert reopened.get(article_id).title == expected.title


DATE_BITS = ["31", "MAR", "1987", "605:12:19", "-", "/", " ", "T", "Z", "+99:99", "GMT", "0000", "9999", "0001",
             "99999999999999", "2021-02-30", "12:00", "PM", ".", "H", ".5", "+14:00", "Dec", "年", "月"]


@settings(FUZZ, max_examples=300 * SCALE)
@given(text=st.lists(st.sampled_from(DATE_BITS) | st.text(max_size=4), max_size=10).map("".join))
def test_dates_are_read_or_left_empty_never_raised(text):
    value = parse_date(text)
    assert value is None or value.tzinfo is not None
    try:
        period = parse_period(text)
    except QuerySyntaxError as exc:
        assert "\n" not in str(exc)
    else:
        assert period.start < period.end


# ---------------------------------------------------------------- queries

@pytest.fixture(scope="module")
def archive(real_pages, tmp_path_factory):
    articles = [a for i, page in enumerate(real_pages) for a in _check(RawDocument(f"{i}.html", "html", page))]
    path = tmp_path_factory.mktemp("fuzz") / "ix"
    Archive.create(path).add(articles)
    with Archive.open(path) as opened:
        yield opened


def _search_or_syntax_error(archive: Archive, query: str) -> None:
    try:
        results = archive.search(query, facets=("section", "year"), limit=5)
    except QuerySyntaxError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        return
    assert results.total >= len(results.hits)


@QUERIES
@given(query=st.lists(st.sampled_from(OPERATORS + DATE_BITS) | st.text(max_size=8), max_size=12).map("".join))
def test_random_queries_search_or_raise_query_syntax_error(archive, query):
    _search_or_syntax_error(archive, query)


@QUERIES
@given(data=st.data())
def test_queries_cut_from_real_pages_search_or_raise_query_syntax_error(archive, real_pages, data):
    page = data.draw(st.sampled_from(real_pages)).decode("utf-8", "replace")
    start = data.draw(st.integers(0, max(0, len(page) - 1)))
    query = page[start:start + data.draw(st.integers(1, 120))]
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(query)))
        query = query[:at] + data.draw(st.sampled_from(OPERATORS)) + query[at:]
    _search_or_syntax_error(archive, query)
