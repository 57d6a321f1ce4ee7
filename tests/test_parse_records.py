"""JSON records: field aliases and shapes inline, then real exports (Reuters, FakeNewsNet, TIME)."""
from __future__ import annotations

import gzip
import itertools
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsearch.errors import ParseError
from newsearch.parse.records import RECORD_FIELDS, normalise_body, parse_record


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_plain_record() -> None:
    article = parse_record({
        "id": "https://example.org/a", "title": " Budget passes ", "author": "By Jane Doe and Tom Hart",
        "section": "Politics", "date": "2021-07-06T10:00:00+02:00", "body": "One.\n\nTwo.",
        "url": "https://example.org/a", "summary": "Short.", "source": "Example News",
        "tags": ["budget", "Budget", "tax"], "language": "en",
    }, path="x.jsonl", line=3)
    assert article.title == "Budget passes"
    assert article.authors == ("Jane Doe", "Tom Hart")
    assert article.byline == "Jane Doe and Tom Hart"
    assert article.date == _utc(2021, 7, 6, 8)
    assert article.body == "One.\n\nTwo."
    assert (article.section, article.summary, article.source, article.language) == (
        "Politics", "Short.", "Example News", "en")
    assert article.tags == ("budget", "tax")
    assert article.id == "https://example.org/a"
    assert article.path == "x.jsonl"


@pytest.mark.parametrize("field", RECORD_FIELDS["title"])
def test_title_aliases(field: str) -> None:
    assert parse_record({field: "T", "body": "B"}).title == "T"


@pytest.mark.parametrize("field", RECORD_FIELDS["body"])
def test_body_aliases(field: str) -> None:
    assert parse_record({"title": "T", field: "B"}).body == "B"


@pytest.mark.parametrize("field", RECORD_FIELDS["date"])
def test_date_aliases(field: str) -> None:
    assert parse_record({"title": "T", field: "2020-01-02"}).date == _utc(2020, 1, 2)


@pytest.mark.parametrize("field", RECORD_FIELDS["section"])
def test_section_aliases(field: str) -> None:
    assert parse_record({"title": "T", field: "World"}).section == "World"


@pytest.mark.parametrize("field", ["url", "link"])
def test_url_aliases(field: str) -> None:
    article = parse_record({"title": "T", field: "https://e.org/x"})
    assert article.url == "https://e.org/x"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1253044140, _utc(2009, 9, 15, 19, 49)),
        (1253044140.0, _utc(2009, 9, 15, 19, 49)),
        (1253044140000, _utc(2009, 9, 15, 19, 49)),
        ("1253044140", _utc(2009, 9, 15, 19, 49)),
        ("2009-09-15T19:49:00Z", _utc(2009, 9, 15, 19, 49)),
        (None, None),
        ("", None),
    ],
)
def test_date_shapes(value: Any, expected: datetime | None) -> None:
    assert parse_record({"title": "T", "publish_date": value}).date == expected


def test_unreadable_date_is_a_warning() -> None:
    article = parse_record({"title": "T", "date": "n/a"})
    assert article.date is None
    assert article.warnings


def test_date_bounds() -> None:
    record = {"title": "T", "date": "1963-01-04T00:00:00"}
    assert parse_record(record).date == _utc(1963, 1, 4)
    assert parse_record(record, earliest=datetime(1990, 1, 1)).date is None
    assert parse_record(record, latest=datetime(1960, 1, 1)).date is None


@pytest.mark.parametrize(
    ("value", "names", "agency"),
    [
        ("Jane Doe", ("Jane Doe",), ""),
        (["Jane Doe", "Tom Hart"], ("Jane Doe", "Tom Hart"), ""),
        ([{"name": "Jane Doe"}, {"name": "Reuters"}], ("Jane Doe",), "Reuters"),
        ({"name": "Jane Doe", "url": "https://e.org/jane"}, ("Jane Doe",), ""),
        (["Https", "Facebook.Com Parademag"], (), ""),
        (["Image", "Jane Doe", "March"], ("Jane Doe",), ""),
    ],
)
def test_author_shapes(value: Any, names: tuple[str, ...], agency: str) -> None:
    article = parse_record({"title": "T", "authors": value})
    assert (article.authors, article.agency) == (names, agency)


def test_list_authors_give_a_readable_byline() -> None:
    assert parse_record({"title": "T", "authors": ["Jane Doe", "Tom Hart"]}).byline == "Jane Doe, Tom Hart"


def test_creator_alias_and_byline_preference() -> None:
    assert parse_record({"title": "T", "creator": "Ann Lee"}).authors == ("Ann Lee",)
    article = parse_record({"title": "T", "byline": "", "author": "Ann Lee"})
    assert article.authors == ("Ann Lee",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b ;c", ("a", "b", "c")),
        (["x", " y ", ""], ("x", "y")),
        ([{"name": "x"}], ("x",)),
        (None, ()),
    ],
)
def test_tag_shapes(value: Any, expected: tuple[str, ...]) -> None:
    assert parse_record({"title": "T", "keywords": value}).tags == expected


def test_category_list_gives_first_section() -> None:
    assert parse_record({"title": "T", "categories": ["", "Sport", "Tennis"]}).section == "Sport"


def test_source_object() -> None:
    assert parse_record({"title": "T", "publisher": {"name": "Daily Planet"}}).source == "Daily Planet"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("reuters-1", "reuters-1"), (42, "42"), ("  ", None), (None, None), (["x"], None), (True, None)],
)
def test_provided_ids(value: Any, expected: str | None) -> None:
    article = parse_record({"id": value, "title": "T", "body": "B"})
    if expected is None:
        assert article.id.startswith("sha1:")
    else:
        assert article.id == expected


def test_body_paragraphs_are_normalised() -> None:
    assert normalise_body("\n\n  One   line \n\n\n\nTwo\u00a0words\n") == "One line\n\nTwo words"
    assert normalise_body(["Para one", "", "Para two"]) == "Para one\n\nPara two"
    assert normalise_body(None) == ""


def test_missing_title_is_taken_from_the_body() -> None:
    article = parse_record({"text": "Rockets hit the base. Nobody was hurt."})
    assert article.title == "Rockets hit the base."
    assert article.warnings


def test_wire_dateline_in_body_sets_agency() -> None:
    assert parse_record({"title": "T", "body": "BAGHDAD (Reuters) - Text."}).agency == "Reuters"


@pytest.mark.parametrize("record", [[1, 2], "text", 3, None])
def test_non_object_record_is_a_parse_error(record: Any) -> None:
    with pytest.raises(ParseError) as info:
        parse_record(record, path="f.jsonl", line=7)
    assert (info.value.path, info.value.line) == ("f.jsonl", 7)


@pytest.mark.parametrize("record", [{}, {"title": "", "body": "  "}, {"url": "https://e.org"}, {"title": None}])
def test_record_without_title_or_body_is_a_parse_error(record: dict[str, Any]) -> None:
    with pytest.raises(ParseError):
        parse_record(record)


def test_odd_value_types_never_raise_anything_but_parse_error() -> None:
    article = parse_record({"title": 5, "body": {"nested": 1}, "date": [1, 2], "tags": 3, "authors": 7})
    assert article.title == "5"
    assert article.authors == ()


# --- real exports -----------------------------------------------------------------

def _sample(path: Path, count: int) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in itertools.islice(lines, 0, count * 10, 10)]


def test_reuters_records(shared_dir: Path) -> None:
    records = _sample(shared_dir / "corpus/jsonl/reuters21578.jsonl.gz", 400)
    assert len(records) == 400
    for record in records:
        article = parse_record(record, path="reuters.jsonl.gz")
        assert article.id == record["id"]
        assert article.title == " ".join(record["title"].split())
        assert article.url == record["url"]
        assert article.section == record["section"]
        assert article.date is not None
        assert article.date.date().isoformat() == record["date"][:10]
        assert article.body.split() == record["body"].split()
        if record["byline"]:
            assert article.authors
        if record["body"].rstrip().endswith((". Reuter", ". REUTER")):
            assert article.agency == "Reuters"


def test_fakenewsnet_records(shared_dir: Path) -> None:
    records = _sample(shared_dir / "corpus/jsonl/fakenewsnet.jsonl.gz", 200)
    parsed = errors = 0
    for record in records:
        try:
            article = parse_record(record, path="fakenewsnet.jsonl.gz")
        except ParseError:
            errors += 1
            assert not (record.get("title") or "").strip() and not (record.get("text") or "").strip()
            continue
        parsed += 1
        assert article.id == record["id"]
        if record["publish_date"] is not None:
            assert article.date is not None
            assert abs(article.date.timestamp() - record["publish_date"]) < 1
        assert "\n\n\n" not in article.body
        for name in article.authors:
            assert "http" not in name.lower() and ".com" not in name.lower()
    assert parsed > 150


def test_time_articles(shared_dir: Path) -> None:
    path = shared_dir / "corpus/relevance/time/articles.jsonl"
    with open(path, encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    assert len(records) == 423
    ids = set()
    for record in records:
        article = parse_record(record, path=str(path))
        ids.add(article.id)
        assert article.id == record["id"]
        assert article.title and article.body
        assert article.date is not None and article.date.year == 1963
    assert len(ids) == 423


# --- any JSON value at all -----------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_KEYS = st.sampled_from([k for keys in RECORD_FIELDS.values() for k in keys])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=8))
def test_any_record_gives_an_article_or_a_plain_parse_error(record: dict[str, Any]) -> None:
    try:
        article = parse_record(record, path="f.jsonl", line=1)
    except ParseError as exc:
        assert exc.reason == "record has no title and no body"
        return
    assert article.title
    assert isinstance(article.id, str) and article.id
    assert all(isinstance(n, str) and n for n in article.authors)
    assert all(isinstance(t, str) and t for t in article.tags)


def test_exported_page_furniture_is_dropped_from_the_body() -> None:
    body = ("First paragraph of the story.\nAdvertisement\nSecond paragraph of the story.\n"
            "You Might Also Like\nAnother story headline\n© 2011 Example Inc. All rights reserved.")
    assert parse_record({"title": "T", "text": body}).body == (
        "First paragraph of the story.\n\nSecond paragraph of the story.")


def test_html_bodies_become_paragraphs() -> None:
    record = {"title": {"rendered": "Budget passes"},
              "content": {"rendered": "<p>First <a href='/x'>linked</a> part.</p><script>x()</script>"
                                      "<p>Second<br>line.</p><ul><li>Item</li></ul>"}}
    article = parse_record(record)
    assert article.title == "Budget passes"
    assert article.body == "First linked part.\n\nSecond\n\nline.\n\nItem"


def test_plain_text_with_angle_brackets_is_not_html() -> None:
    body = "Standard Oil <Srd> and <A> said 3 < 4 and 5 > 2 <P>."
    assert parse_record({"title": "T", "body": body}).body == body


def test_database_export_date_object() -> None:
    assert parse_record({"title": "T", "date": {"$date": "2021-07-06T00:00:00Z"}}).date == _utc(2021, 7, 6)


def test_reuters_tickers_in_angle_brackets_stay_text(shared_dir: Path) -> None:
    path = shared_dir / "corpus/jsonl/reuters21578.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if "<" in line]
    with_tags = [r for r in records if "<" in r["body"]]
    assert len(with_tags) > 100
    for record in with_tags:
        assert parse_record(record).body.split() == record["body"].split(), record["id"]
