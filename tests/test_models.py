from datetime import datetime, timedelta, timezone

from newsearch import Article
from newsearch.models import content_id


def test_id_is_url_when_known_else_content_hash():
    with_url = Article(title="T", body="B", url="https://example.org/a")
    assert with_url.id == "https://example.org/a"
    without = Article(title="T", body="B")
    assert without.id.startswith("sha1:")
    assert without.id == Article(title=" T ", body="b").id  # whitespace and case do not matter
    assert without.id != Article(title="T", body="C").id


def test_dates_are_converted_to_utc():
    baghdad = timezone(timedelta(hours=3))
    art = Article(title="T", body="B", date=datetime(2021, 7, 6, 1, 30, tzinfo=baghdad))
    assert art.date == datetime(2021, 7, 5, 22, 30, tzinfo=timezone.utc)
    assert art.date.tzinfo == timezone.utc
    naive = Article(title="T", body="B", date=datetime(2021, 7, 6))
    assert naive.date.tzinfo == timezone.utc


def test_to_dict_has_the_documented_fields_in_json_types():
    art = Article(title="T", body="B", authors=["A"], tags=("x",), date=datetime(2021, 7, 6, tzinfo=timezone.utc))
    data = art.to_dict()
    for name in ("id", "url", "title", "summary", "byline", "authors", "section", "date", "body",
                 "source", "language", "tags", "path"):
        assert name in data
    assert data["date"] == "2021-07-06T00:00:00+00:00"
    assert data["authors"] == ["A"] and data["tags"] == ["x"]


def test_with_changes_recomputes_hash_id_but_keeps_url_id():
    art = Article(title="T", body="B")
    assert art.with_changes(body="C").id == content_id("T", "C")
    linked = Article(title="T", body="B", url="u")
    assert linked.with_changes(body="C").id == "u"
