"""Research tools: timelines with exact counts, distinctive terms, uniform samples."""
from __future__ import annotations

import builtins
import csv
import gzip
import io
import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from newsearch import Archive, QuerySyntaxError, index_paths
from newsearch.cli import main

from helpers import article, utc, write_jsonl

WIRE = ("Drought cut the wheat harvest across the plains this year, growers said, and prices for the "
        "grain rose to their highest level since the spring of 2019 as mills bought ahead of winter.")

ARTICLES = [
    article("Wheat harvest shrinks", WIRE, url="https://a.test/1", date=utc(2021, 7, 5), source="Wire"),
    article("Wheat harvest shrinks in drought", "Subscribe now.\n\n" + WIRE, url="https://b.test/1",
            date=utc(2021, 7, 6), source="Paper"),
    article("Wheat exports", "Wheat exports fell in July as ports closed for repairs.", url="https://a.test/2",
            date=utc(2021, 7, 11)),
    article("Wheat futures", "Wheat futures ended the week lower on rain forecasts.", url="https://a.test/3",
            date=utc(2021, 9, 1)),
    article("Rice crop", "The rice crop was the largest on record, the ministry said.", url="https://a.test/4",
            date=utc(2021, 9, 2)),
    article("Barley and wheat", "Barley planting overtook wheat in the north.", url="https://a.test/5"),
    article("Port strike", "Dock workers walked out over pay at the main port.", url="https://a.test/6",
            date=utc(2021, 7, 20)),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("ix") / "index"
    Archive.create(path).add(ARTICLES)
    with Archive.open(path) as opened:
        yield opened


def test_timeline_counts_equal_the_query_totals_of_each_period(archive):
    timeline = archive.timeline(["wheat", "port"], by="month")
    assert timeline.periods == ("2021-07", "2021-08", "2021-09")
    wheat, port = timeline.series
    assert wheat.counts == (3, 0, 1) and wheat.undated == 1 and wheat.total == 5
    assert port.counts == (2, 0, 0)
    for series in timeline.series:
        for period, count in zip(timeline.periods, series.counts):
            assert archive.search(series.query, since=period, until=period).total == count
        assert sum(series.counts) + series.undated == archive.search(series.query).total


def test_timeline_weeks_start_on_monday_and_fill_gaps(archive):
    timeline = archive.timeline("wheat", by="week", since="2021-07", until="2021-07")
    # 5 and 6 July 2021 are a Monday and a Tuesday; 11 July is the Sunday of that week.
    assert timeline.periods == ("2021-07-05",)
    assert timeline.series[0].counts == (3,)
    days = archive.timeline("wheat", by="day", since="2021-07", until="2021-07")
    assert days.periods[0] == "2021-07-05" and days.periods[-1] == "2021-07-11" and len(days.periods) == 7
    assert days.series[0].counts == (1, 1, 0, 0, 0, 0, 1)


def test_timeline_normalised_and_collapsed(archive):
    timeline = archive.timeline("wheat", by="month", normalize=True)
    # July holds four dated articles (three about wheat), September two (one).
    assert timeline.archive_counts == (4, 0, 2)
    assert timeline.series[0].shares == (0.75, 0.0, 0.5)
    stories = archive.timeline("wheat", by="month", collapse=True)
    assert stories.count == "stories" and stories.series[0].counts == (2, 0, 1)


def test_timeline_rejects_unknown_periods(archive):
    with pytest.raises(QuerySyntaxError):
        archive.timeline("wheat", by="fortnight")


def test_timeline_cli_outputs(archive, monkeypatch, tmp_path):
    runner = CliRunner()
    index = str(archive.path)
    chart = runner.invoke(main, ["timeline", "wheat", "--index", index])
    assert chart.exit_code == 0 and '"wheat": 5 articles (1 undated, not shown)' in chart.output
    assert "2021-08" in chart.output
    table = runner.invoke(main, ["timeline", "wheat", "port", "--index", index, "--csv", "--normalize"])
    rows = list(csv.reader(io.StringIO(table.output)))
    assert rows[0] == ["period", "wheat", "wheat (share)", "port", "port (share)", "all articles"]
    assert rows[1][:2] == ["2021-07", "3"] and rows[1][-1] == "4"
    data = json.loads(runner.invoke(main, ["timeline", "wheat", "--index", index, "--json", "--by", "year"]).output)
    assert data["periods"] == ["2021"] and data["series"][0]["counts"] == [4]

    real_import = builtins.__import__

    def without_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_matplotlib)
    missing = runner.invoke(main, ["timeline", "wheat", "--index", index, "--plot", str(tmp_path / "t.png")])
    assert missing.exit_code == 1
    assert "pip install 'newsearch[plot]'" in missing.output


def test_sample_is_uniform_over_all_matches_and_reproducible(tmp_path):
    many = [article(f"Report {i}", f"Market report number {i} on grain." + (" grain" * (i % 7)),
                    url=f"https://m.test/{i}") for i in range(60)]
    path = tmp_path / "index"
    Archive.create(path).add(many)
    with Archive.open(path) as opened:
        first = opened.sample("grain", size=10, seed=7)
        again = opened.sample("grain", size=10, seed=7)
        assert first.total == 60 and first.sampled and len(first.hits) == 10
        assert [h.id for h in first.hits] == [h.id for h in again.hits]
        top = {h.id for h in opened.search("grain", limit=10).hits}
        seen = set()
        for seed in range(40):
            seen.update(h.id for h in opened.sample("grain", size=10, seed=seed).hits)
        # Drawn from all 60 matches, not the 10 best: forty draws of ten see nearly all.
        assert len(seen) >= 55 and seen - top
        assert len(opened.sample("grain", size=100, seed=1).hits) == 60
        result = CliRunner().invoke(main, ["query", "grain", "--sample", "3", "--seed", "7", "--index", str(path),
                                           "--json"])
        assert [h["id"] for h in json.loads(result.output)["hits"]] == [h.id for h in
                                                                         opened.sample("grain", size=3, seed=7).hits]


@pytest.fixture(scope="module")
def reuters(shared_dir, tmp_path_factory):
    """Every sixth Reuters story (about 3,200): a real archive's vocabulary, quickly indexed."""
    folder = tmp_path_factory.mktemp("reuters")
    with gzip.open(shared_dir / "corpus" / "jsonl" / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for i, line in enumerate(lines) if i % 6 == 0]
    source = write_jsonl(folder / "in" / "reuters.jsonl", records)
    index_paths([source], index=folder / "index", jobs=1)
    with Archive.open(folder / "index") as opened:
        yield opened


@pytest.mark.parametrize("query, by", [("cocoa", "week"), ("oil w/3 price", "month"), ("coffee", "day")])
def test_timeline_on_reuters_equals_the_query_total_of_each_period(reuters, query, by):
    timeline = reuters.timeline(query, by=by)
    series = timeline.series[0]
    assert len(timeline.periods) > 3 and sum(series.counts) + series.undated == reuters.search(query).total
    for period, count in zip(timeline.periods, series.counts):
        first = date.fromisoformat(period if by != "month" else period + "-01")
        last = first + timedelta(days=6) if by == "week" else None
        total = reuters.search(query, since=period if last is None else first.isoformat(),
                               until=period if last is None else last.isoformat()).total
        assert total == count, period


@pytest.mark.parametrize("query, expected", [
    ("cocoa", {"ICCO", "buffer"}),
    ("coffee", {"ICO", "quotas"}),
    ("crude oil", {"OPEC", "barrels"}),
])
def test_terms_are_the_topic_words_not_the_wire_words(reuters, query, expected):
    scores = reuters.terms(query, limit=15)
    shown = {s.printed for s in scores}
    assert expected <= shown, shown
    assert not {"said", "mln", "pct", "Reuter", "the"} & {s.printed for s in scores}
    assert all(s.foreground >= 3 and s.score > 0 for s in scores)
    assert [s.score for s in scores] == sorted((s.score for s in scores), reverse=True)


def test_terms_cli(reuters):
    result = CliRunner().invoke(main, ["terms", "cocoa", "--index", str(reuters.path), "-n", "5"])
    assert result.exit_code == 0, result.output
    assert "JLH" in result.output and "ICCO" in result.output
