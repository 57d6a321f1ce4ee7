"""Dates live in columns only (schema version 9): no range terms, and everything that
reads a date (filters, sorting, facets, the date extent) still answers the same.
Indexes of version 8, whose dates are also terms, open and update as they are."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from whoosh.fields import DATETIME

from newsearch import Archive, Article
from newsearch.engine import store
from newsearch.lifecycle import check

DATES = ["2019-03-04T10:00:00+00:00", "2020-06-01T23:30:00-05:00", "2021-12-31T08:15:00+09:00",
         "2018-01-02T00:00:00+00:00"]


def _articles(prefix: str = "a") -> list[Article]:
    return [Article(title=f"Harbour report {n}", body="dredging of the harbour", url=f"https://ex.org/{prefix}{n}",
                    id=f"{prefix}{n}", date=datetime.fromisoformat(text))
            for n, text in enumerate(DATES)] + [Article(title="Harbour undated", body="harbour", id=f"{prefix}-none")]


def _check_dates_answer(archive: Archive, prefix: str = "a") -> None:
    since = archive.search("harbour", since="2020-01-01", limit=10)
    assert sorted(h.id for h in since.hits) == [f"{prefix}1", f"{prefix}2"]
    newest = archive.search("harbour", sort="newest", limit=10)
    assert [h.id for h in newest.hits][:4] == [f"{prefix}2", f"{prefix}1", f"{prefix}0", f"{prefix}3"]
    years = {f.value: f.count for f in archive.search("harbour", facets=["year"]).facets["year"]}
    assert years == {"2018": 1, "2019": 1, "2020": 1, "2021": 1}


def test_dates_are_columns_not_terms_and_still_filter_sort_and_count(tmp_path: Path) -> None:
    with Archive.create(tmp_path / "ix") as archive:
        archive.add(_articles())
        _check_dates_answer(archive)
        stats = archive.stats()
    # The oldest and newest in UTC: 2021-12-31 08:15 in Tokyo is 23:15 the day before.
    assert stats.earliest == "2018-01-02T00:00:00+00:00"
    assert stats.latest == "2021-12-30T23:15:00+00:00"
    from whoosh import index
    ix = index.open_dir(str(tmp_path / "ix"))
    with ix.reader() as reader:
        fields = set(reader.indexed_field_names())
    assert "date" not in fields and "local_date" not in fields
    assert "title" in fields and "facet_year" in fields


def test_the_date_extent_leaves_out_deleted_articles(tmp_path: Path) -> None:
    with Archive.create(tmp_path / "ix") as archive:
        archive.add(_articles())
        assert archive.delete(["a3", "a2"]) == 2  # the oldest and the newest
        stats = archive.stats()
        assert (stats.earliest, stats.latest) == ("2019-03-04T10:00:00+00:00", "2020-06-02T04:30:00+00:00")
        archive.delete(["a0", "a1"])
        stats = archive.stats()
        assert (stats.earliest, stats.latest) == (None, None)  # only the undated one is left


def test_an_index_of_version_8_with_date_terms_opens_and_updates_as_it_is(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ix"
    with monkeypatch.context() as patch:  # build it as version 8 did: dates indexed as terms too
        patch.setattr(store, "date_column", lambda *, stored: DATETIME(stored=stored, sortable=True))
        with Archive.create(path) as archive:
            archive.add(_articles())
    meta_file = path / "newsearch.json"
    meta = json.loads(meta_file.read_text())
    meta["schema_version"] = 8
    meta_file.write_text(json.dumps(meta))
    from whoosh import index
    with index.open_dir(str(path)).reader() as reader:
        assert "date" in set(reader.indexed_field_names())  # the old layout, really
    with Archive.open(path) as archive:
        _check_dates_answer(archive)
        archive.add(_articles("b"))  # new segments beside the old ones
        assert archive.search("harbour", since="2020-01-01").total == 4
        assert archive.stats().earliest == "2018-01-02T00:00:00+00:00"
    assert json.loads(meta_file.read_text())["schema_version"] == 8
    assert "schema_version" not in check(index=path).settings_changed


def test_an_index_of_a_version_before_8_still_asks_for_a_rebuild(tmp_path: Path) -> None:
    with Archive.create(tmp_path / "ix") as archive:
        archive.add(_articles())
    meta_file = tmp_path / "ix" / "newsearch.json"
    meta = json.loads(meta_file.read_text())
    meta["schema_version"] = 7
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(Exception, match="rebuild") as raised:
        Archive.open(tmp_path / "ix")
    assert "own language's stemmer" in str(raised.value) and "columns" in str(raised.value)
