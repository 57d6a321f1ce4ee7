"""Publication dates: offsets kept, implausible dates dropped and counted, the local day
filed and filtered, date histograms bounded. Small fixtures first, the real corpus last."""
from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner

from newsearch import Archive, index_paths, parse_paths
from newsearch.cli import main
from newsearch.engine.query import MAX_FILLED_PERIODS, order_facet
from newsearch.models import Article, FacetCount
from newsearch.output import histogram_lines
from newsearch.parse.dates import DEFAULT_EARLIEST, implausible, parse_date
from newsearch.parse.html import parse_html
from newsearch.parse.records import parse_record

from helpers import utc, write_jsonl

NEW_YORK = timezone(timedelta(hours=-4))


def _page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def _story(*, above: str = "", below: str = "") -> str:
    """A small article; `above` and `below` go right before and after its headline."""
    text = "The harbour board met on Tuesday to settle the ferry timetable for the coming winter season. "
    return f"<article>{above}<h1>Ferry timetable settled</h1>{below}" + f"<p>{text * 2}</p>" * 4 + "</article>"


# ---------------------------------------------------------------- offsets and the local day

def test_a_written_offset_is_kept_and_decides_the_local_day() -> None:
    value = parse_date("2021-07-06T23:30:00-04:00")
    assert value is not None and value.utcoffset() == timedelta(hours=-4)
    article = Article(title="t", body="b", date=value)
    assert article.date == utc(2021, 7, 7, 3, 30)  # the instant stays UTC
    assert article.utc_offset == -240
    assert article.local_date.date().isoformat() == "2021-07-06"


def test_a_date_without_offset_is_utc_and_its_own_local_day() -> None:
    article = Article(title="t", body="b", date=parse_date("6 July 2021"))
    assert article.utc_offset is None
    assert article.local_date == utc(2021, 7, 6)


def test_a_local_midnight_stays_on_its_day() -> None:
    article = Article(title="t", body="b", date=parse_date("2020-02-24T00:00:00+01:00"))
    assert article.date == utc(2020, 2, 23, 23)
    assert article.local_date.date().isoformat() == "2020-02-24"


def test_the_page_metadata_offset_reaches_the_article() -> None:
    head = '<meta property="article:published_time" content="2021-07-06T23:30:00-04:00">'
    article = parse_html(_page(head, _story()), fetched=utc(2021, 7, 8))
    assert article.utc_offset == -240 and article.local_date.day == 6 and article.date.day == 7


def test_a_23_30_local_article_is_found_by_a_filter_on_its_local_day(tmp_path: Path) -> None:
    late = Article(title="Late council vote", body="The council voted late at night.", id="late",
                   date=datetime(2021, 7, 6, 23, 30, tzinfo=NEW_YORK))
    morning = Article(title="Morning council vote", body="The council voted in the morning.", id="morning",
                      date=utc(2021, 7, 7, 9, 0))
    with Archive.create(tmp_path / "ix") as archive:
        archive.add([late, morning])
        assert {h.id for h in archive.search("council", since="2021-07-06", until="2021-07-06").hits} == {"late"}
        assert {h.id for h in archive.search("council date:2021-07-07").hits} == {"morning"}
        results = archive.search("council", facets=("month", "year"), since="July 2021", until="July 2021")
        assert results.total == 2
        assert [(c.value, c.count) for c in results.facets["month"]] == [("2021-07", 2)]
        hit = next(h for h in results.hits if h.id == "late")
        assert hit.date == utc(2021, 7, 7, 3, 30) and hit.local_date.date().isoformat() == "2021-07-06"
        assert archive.get("late").utc_offset == -240


def test_an_index_of_the_previous_schema_asks_for_a_rebuild(tmp_path: Path) -> None:
    with Archive.create(tmp_path / "ix") as archive:
        archive.add([Article(title="t", body="b")])
    meta_file = tmp_path / "ix" / "newsearch.json"
    meta = json.loads(meta_file.read_text())
    meta["schema_version"] = 4  # the version before dates were filed by their local day
    meta_file.write_text(json.dumps(meta))
    result = CliRunner().invoke(main, ["query", "t", "--index", str(tmp_path / "ix")])
    assert result.exit_code != 0
    assert "local day" in result.output and "rebuild" in result.output


def test_a_japanese_morning_stays_on_its_printed_day() -> None:
    # 02:00 in Tokyo on 7 July is 17:00 UTC on the 6th; the page prints the 7th.
    head = '<meta property="article:published_time" content="2021-07-06T17:00:00Z">'
    body = _story(above="<p>Tokyo, 7 July 2021</p>")
    article = parse_html(_page(head, body), fetched=utc(2021, 7, 8))
    assert article.local_date.date().isoformat() == "2021-07-07"


def test_metadata_that_disagree_are_settled_by_the_printed_day() -> None:
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-11-06T18:19+01:00"}'
            '</script><meta name="dc.date" content="2023-11-07T07:30+01:00">')
    body = _story(below="<p>Stand: 07.11.2023, 07:30 Uhr</p>")
    article = parse_html(_page(head, "<div>" + "menu " * 20 + "</div>" + body), fetched=utc(2023, 11, 8))
    assert article.local_date == datetime(2023, 11, 7, 7, 30, tzinfo=timezone(timedelta(hours=1)))


def test_dates_in_more_places_and_formats() -> None:
    story = _story()
    cases = {
        "https://paper.test/world/2021/jul/06/ferry": ("", ""),
        "https://paper.test/a": ('<script>window.state = {publishedAt: 1625567400, id: 7};</script>', ""),
        "https://paper.test/b": ("", '<span data-published="2021-07-06T10:00:00+02:00"></span>'),
        "https://paper.test/c": ("", "<p>Seoul 2021. 7. 6. 10:00</p>"),
        "https://paper.test/d": ("", "<p>Data: 06-07-2021, 09:29</p>"),
        "https://paper.test/news_20210706_ferry.html": ("", ""),
    }
    for url, (head, extra) in cases.items():
        article = parse_html(_page(head, extra + story), url=url, fetched=utc(2021, 7, 8))
        assert article.local_date is not None and article.local_date.date().isoformat() == "2021-07-06", url


def test_a_page_dated_only_by_its_text_takes_its_revision_stamp() -> None:
    prose = "<p>Applications close on 15 November 2017; the season runs until 25 March 2018.</p>" * 3
    stamped = parse_html(_page("", f"<h1>Town hall</h1>{prose}<p class='print'>[Stand: 09.10.2017, 01:40 Uhr]</p>"),
                         fetched=utc(2018, 4, 1))
    assert stamped.local_date.date().isoformat() == "2017-10-09"
    unstamped = parse_html(_page("", f"<h1>Town hall</h1>{prose}"), fetched=utc(2018, 4, 1))
    assert unstamped.local_date.date().isoformat() == "2017-11-15"  # nothing better than the prose


def test_a_revision_stamp_at_the_foot_of_a_long_page_is_found() -> None:
    # The licence text runs past the window searched from the top; its footer carries the stamp.
    text = "<p>Version 3, 29 June 2007. " + "Everyone is permitted to copy and distribute copies. " * 500 + "</p>"
    footer = "<p>Updated: $Date: 2016/11/18 06:31:41 $</p>"
    article = parse_html(_page("", f"<h1>General Public Licence</h1>{text}{footer}"), fetched=utc(2017, 1, 1))
    assert article.local_date.date().isoformat() == "2016-11-18"


def test_publication_words_are_whole_words() -> None:
    # "possible" ends in "le ", "Datensatz" starts with "Date": neither announces the date after it.
    prose = ("<p>Report a possible 29 June 2007 violation here. The Datensatz 09.03.2016 shows the glacier.</p>"
             "<p>Letzte Änderung: 14.01.2022 um 09:25</p>")
    article = parse_html(_page("", f"<h1>Glacier survey</h1>{prose}"), fetched=utc(2022, 1, 20))
    assert article.local_date.date().isoformat() == "2022-01-14"


def test_the_printed_day_outranks_the_url_day_for_a_late_timestamp() -> None:
    # Filed (and slugged) on the 9th at 19:00 Paris time; the page shows its readers the 10th.
    head = '<meta property="article:published_time" content="2019-12-09T19:00:49+01:00">'
    body = "<div>" + "menu " * 20 + "</div>" + _story(below="<p>10 décembre 2019</p>")
    article = parse_html(_page(head, body), url="https://paper.test/opinion/2019/12/09/retraite/",
                         fetched=utc(2019, 12, 11))
    assert article.local_date.date().isoformat() == "2019-12-10"
    plain = parse_html(_page(head, "<div>" + "menu " * 20 + "</div>" + _story()),
                       url="https://paper.test/opinion/2019/12/09/retraite/", fetched=utc(2019, 12, 11))
    assert plain.local_date.date().isoformat() == "2019-12-09"


# ---------------------------------------------------------------- plausibility

def test_the_floor_and_the_fetch_day_bound_a_date() -> None:
    fetched = utc(2025, 3, 15, 12)
    latest = fetched + timedelta(days=2)
    assert implausible(utc(1599, 12, 31), DEFAULT_EARLIEST, latest) == "before 1600-01-01"
    assert implausible(utc(1650, 5, 1), DEFAULT_EARLIEST, latest) is None  # archives print old dates
    assert implausible(utc(2025, 3, 17), DEFAULT_EARLIEST, latest) is None
    assert implausible(utc(2025, 3, 18), DEFAULT_EARLIEST, latest) == "after 2025-03-17"
    assert implausible(datetime(1970, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))), None, None)


def test_an_implausible_page_date_is_dropped_with_a_warning() -> None:
    head = '<meta property="article:published_time" content="2025-03-20T10:00:00Z">'
    article = parse_html(_page(head, _story()), fetched=utc(2025, 3, 15))
    assert article.date is None
    assert article.dates_rejected == 1
    assert any("rejected as implausible" in w and "2025-03-20" in w for w in article.warnings)
    kept = parse_html(_page(head, _story()), fetched=utc(2025, 3, 19))
    assert kept.date == utc(2025, 3, 20, 10) and kept.dates_rejected == 0


def test_the_floor_is_a_parameter() -> None:
    head = '<meta name="dc.date" content="1850-05-01">'
    assert parse_html(_page(head, _story())).date == utc(1850, 5, 1)
    strict = parse_html(_page(head, _story()), earliest=utc(1900, 1, 1))
    assert strict.date is None and strict.dates_rejected == 1


def test_the_zero_timestamp_gives_way_to_a_real_date() -> None:
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Ferry timetable settled", '
            '"datePublished": "1970-01-01T01:00:00+01:00"}</script>')
    article = parse_html(_page(head, _story()), url="https://example.test/2021/03/04/ferry")
    assert article.date == utc(2021, 3, 4)
    assert article.dates_rejected == 1


def test_a_record_from_year_one_is_kept_without_its_date() -> None:
    article = parse_record({"title": "Claim checked", "text": "Body text.", "publish_date": -62106825600})
    assert article.date is None and article.dates_rejected == 1
    assert any("implausible" in w for w in article.warnings)


def test_a_historical_date_in_the_text_is_not_the_page_date() -> None:
    prose = ("<p>The pit opened on 18. Oktober 1819 and closed a century and a half later, "
             "leaving the quarter its park and its museum.</p>") * 3
    dated = parse_html(_page("", f"<h1>Zeche Sälzer</h1>{prose}<div class='footer'>Copyright © 2020 Paul</div>"))
    assert dated.date is None
    undated = parse_html(_page("", f"<h1>Zeche Sälzer</h1>{prose}"))
    assert undated.date == utc(1819, 10, 18)  # nothing on the page says otherwise


def test_a_life_date_in_the_text_is_not_the_page_date() -> None:
    prose = "<p>name = Pierre Guattari birth = April 30, 1930 (Villeneuve) death = August 29, 1992 (La Borde)</p>"
    article = parse_html(_page("", f"<h1>Micropolitics</h1>{prose * 3}"))
    assert article.date is None
    reported = parse_html(_page("", f"<h1>Micropolitics</h1><p>The seminar met on April 30, 1990.</p>{prose}"))
    assert reported.date == utc(1990, 4, 30)


def test_ingest_counts_the_rejected_dates(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in" / "export.jsonl", [
        {"id": "a", "title": "First claim", "text": "Body one.", "publish_date": -62106825600},
        {"id": "b", "title": "Second claim", "text": "Body two.", "publish_date": 1600000000},
        {"id": "c", "title": "Third claim", "text": "Body three.", "publish_date": 0},
    ])
    report = index_paths([str(source)], index=tmp_path / "ix", jobs=1)
    assert report.articles == 3 and report.dates_rejected == 2
    assert "2 dates rejected as implausible" in report.summary()
    result = CliRunner().invoke(main, ["parse", "--json", str(source)])
    assert result.exit_code == 0
    assert result.output.count("rejected as implausible") == 2


# ---------------------------------------------------------------- pages without a body, decoding

def test_a_page_with_metadata_but_no_text_is_kept_with_a_warning() -> None:
    head = ('<meta property="og:title" content="Budget vote delayed">'
            '<meta property="article:published_time" content="2022-05-04T08:00:00+02:00">'
            '<meta name="author" content="Ana Ruiz">')
    article = parse_html(_page(head, '<div id="root"></div><script>render()</script>'))
    assert article.title == "Budget vote delayed" and article.body == ""
    assert article.authors == ("Ana Ruiz",) and article.local_date.date().isoformat() == "2022-05-04"
    assert any("no article text" in w for w in article.warnings)


def test_a_page_with_only_a_date_and_a_byline_is_kept() -> None:
    head = ('<meta property="article:published_time" content="2022-05-04T08:00:00+02:00">'
            '<meta name="author" content="Ana Ruiz">')
    article = parse_html(_page(head, "<div id='root'></div>"))
    assert article.authors == ("Ana Ruiz",) and article.date is not None and article.body == ""
    assert any("no article text" in w for w in article.warnings)


def test_a_single_byte_label_over_utf8_bytes_loses() -> None:
    html = ('<html><head><meta charset="windows-1250"><title>Wystawa | Paweł Jan</title>'
            '<meta name="author" content="Paweł Jan"></head><body><h1>Wystawa</h1>'
            + "<p>Obrazy Pawła Jana w galerii na rynku, otwarte do końca miesiąca dla wszystkich.</p>" * 4
            + "</body></html>").encode("utf-8")
    article = parse_html(html)
    assert article.authors == ("Paweł Jan",)
    assert "Pawła" in article.body
    legacy = html.decode("utf-8").encode("cp1250")
    assert parse_html(legacy).authors == ("Paweł Jan",)  # a true windows-1250 page still reads right


# ---------------------------------------------------------------- bounded histograms

def test_a_date_facet_spanning_centuries_is_not_filled() -> None:
    counts = Counter({"0001-01": 1, "2019-05": 3, "2020-01": 2})
    ordered = order_facet("month", counts)
    assert [c.value for c in ordered] == ["0001-01", "2019-05", "2020-01"]
    assert len(order_facet("month", Counter({"2019-05": 1, "2020-01": 2}))) == 9  # short spans keep their gaps
    assert MAX_FILLED_PERIODS == 600


def test_a_long_month_histogram_is_shown_by_year_and_says_so() -> None:
    counts = [FacetCount("1950-03", 1), FacetCount("2019-05", 3), FacetCount("2020-01", 2)]
    lines = histogram_lines("month", counts)
    assert "shown by year" in lines[0] and "1950-03" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == ["1950", "2019", "2020"]
    short = histogram_lines("month", [FacetCount("2019-11", 1), FacetCount("2019-12", 0), FacetCount("2020-01", 2)])
    assert len(short) == 4 and short[0] == "month:"


# ---------------------------------------------------------------- the real corpus

def test_no_fakenewsnet_article_gets_an_absurd_date_and_its_facets_are_short(shared_dir: Path) -> None:
    source = shared_dir / "corpus" / "jsonl" / "fakenewsnet.jsonl.gz"
    articles = [a for a in parse_paths([str(source)]) if isinstance(a, Article)]
    assert len(articles) > 1900  # a few records have neither title nor text
    assert sum(a.dates_rejected for a in articles) >= 1  # the year-1 timestamp
    latest = datetime.now(timezone.utc) + timedelta(days=2)
    dated = [a for a in articles if a.date]
    assert dated and all(DEFAULT_EARLIEST <= a.date <= latest for a in dated)
    assert not any(a.date == datetime(1970, 1, 1, tzinfo=timezone.utc) for a in dated)
    # The facets every article gives, as the engine orders them and the CLI prints them.
    years = order_facet("year", Counter(f"{a.local_date.year:04d}" for a in dated))
    months = order_facet("month", Counter(f"{a.local_date.year:04d}-{a.local_date.month:02d}" for a in dated))
    assert len(months) <= MAX_FILLED_PERIODS
    assert len(histogram_lines("year", years)) <= 40
    assert len(histogram_lines("month", months)) <= 60


def test_the_absurd_dates_of_two_extraction_pages_are_gone(shared_dir: Path) -> None:
    pages = shared_dir / "corpus" / "extraction" / "pages"

    def parsed(name: str) -> Article:
        with gzip.open(pages / f"{name}.html.gz", "rb") as handle:
            return parse_html(handle.read())

    assert parsed("trafilatura-ea57135a39a5").date is None  # only "18. Oktober 1819" in its prose, © 2020
    zero = parsed("trafilatura-f4122d835213")  # JSON-LD says 1970-01-01T01:00:00+01:00
    assert zero.dates_rejected == 1
    assert zero.local_date.date().isoformat() == "2021-04-28"  # what it prints: "Data: 28-04-2021, 09:29"


def test_plain_iso_dates_read_by_the_standard_library_give_dateutils_values() -> None:
    """The ISO fast path (parse/dates.py) against dateutil on the same strings, and on
    values written out by hand."""
    from dateutil import parser as dateutil_parser

    from newsearch.parse import dates

    written = {
        "2022-11-21T21:51:48+02:00": datetime(2022, 11, 21, 21, 51, 48, tzinfo=timezone(timedelta(hours=2))),
        "2022-11-21": datetime(2022, 11, 21, tzinfo=timezone.utc),
        "2022-11-21 21:51": datetime(2022, 11, 21, 21, 51, tzinfo=timezone.utc),
        "1999-01-01T23:59:59.5Z": datetime(1999, 1, 1, 23, 59, 59, 500000, tzinfo=timezone.utc),
        "2020-02-24T00:00:00-05:30": datetime(2020, 2, 24, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
    }
    for text, value in written.items():
        got = dates.read_date(text)
        assert got == value and got.utcoffset() == value.utcoffset(), text
        reference = dates._text_value(dateutil_parser.parse(text, default=dates._DEFAULT), True)
        assert got == reference and got.utcoffset() == reference.utcoffset(), text
    assert dates.read_date("2021-02-30") is None  # no such day, by either reader
