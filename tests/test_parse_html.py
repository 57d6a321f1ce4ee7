"""One small page per heuristic of the HTML cascade, written by hand for these tests."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newsearch.errors import ParseError
from newsearch.models import Article
from newsearch.parse.html import parse_html

FILLER = (
    "The council met on Tuesday evening to debate the new budget for the harbour district, "
    "and members spoke at length about repairs, ferries and the cost of dredging the channel. "
)


def page(head: str = "", body: str = "", *, lang: str = "en") -> str:
    """A minimal page whose article text is long enough to be found as the body."""
    article = body or f"<article><p>{FILLER}</p><p>{FILLER}</p></article>"
    return f"<!doctype html><html lang='{lang}'><head>{head}</head><body>{article}</body></html>"


def parse(html: str | bytes, **kwargs) -> Article:
    return parse_html(html, path="test.html", **kwargs)


# ---------------------------------------------------------------- structured data

def test_json_ld_graph_gives_headline_authors_date_and_section() -> None:
    ld = """<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "Harbour Times", "datePublished": "1999-01-01"},
      {"@type": "NewsArticle", "headline": "Council approves harbour budget",
       "datePublished": "2021-07-06T09:30:00+02:00", "dateModified": "2021-07-08T10:00:00Z",
       "articleSection": ["Local"], "author": [{"@type": "Person", "name": "Jane Roe"},
       {"@type": "Person", "name": "Omar Haddad"}]}]}</script>"""
    article = parse(page(ld))
    assert article.title == "Council approves harbour budget"
    assert article.authors == ("Jane Roe", "Omar Haddad")
    assert article.date == datetime(2021, 7, 6, 7, 30, tzinfo=timezone.utc)
    assert article.section == "Local"


def test_json_ld_author_as_plain_string_and_as_reference() -> None:
    as_string = """<script type="application/ld+json">{"@type": "Article", "headline": "A",
      "author": "Maria Lopez"}</script>"""
    assert parse(page(as_string)).authors == ("Maria Lopez",)
    as_reference = """<script type="application/ld+json">{"@graph": [
      {"@type": "Article", "headline": "B", "author": {"@id": "#p1"}},
      {"@type": "Person", "@id": "#p1", "name": "Ken Ito"}]}</script>"""
    assert parse(page(as_reference)).authors == ("Ken Ito",)


def test_broken_json_ld_is_skipped_not_fatal() -> None:
    head = '<script type="application/ld+json">{"@type": "Article", "headline": </script>' \
           '<meta property="og:title" content="Ferry timetable changes">'
    assert parse(page(head)).title == "Ferry timetable changes"


def test_opengraph_and_article_tags() -> None:
    head = """<meta property="og:title" content="Dredging to start in May">
      <meta property="og:site_name" content="Harbour Times">
      <meta property="og:url" content="https://example.org/news/dredging">
      <meta property="og:description" content="Work on the channel begins soon.">
      <meta property="article:published_time" content="2020-03-01T12:00:00Z">
      <meta property="article:section" content="Business">
      <meta property="article:tag" content="ports"><meta property="article:tag" content="dredging">"""
    article = parse(page(head), url="https://example.org/?utm=x")
    assert article.title == "Dredging to start in May"
    assert article.source == "Harbour Times"
    assert article.url == "https://example.org/news/dredging"
    assert article.summary == "Work on the channel begins soon."
    assert article.date == datetime(2020, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert article.section == "Business"
    assert article.tags == ("ports", "dredging")
    assert article.language == "en"


def test_publisher_meta_names() -> None:
    head = """<meta name="byl" content="By Anna Berg and Tom Lind">
      <meta name="parsely-pub-date" content="2019-11-05">
      <meta name="parsely-section" content="Science">"""
    article = parse(page(head))
    assert article.authors == ("Anna Berg", "Tom Lind")
    assert article.byline == "By Anna Berg and Tom Lind"
    assert article.date is not None and article.date.date().isoformat() == "2019-11-05"
    assert article.section == "Science"


def test_wire_agency_is_recorded_apart_from_people() -> None:
    head = '<meta name="author" content="Reuters">'
    article = parse(page(head))
    assert article.agency == "Reuters"
    assert article.authors == ()


def test_microdata_itemprops() -> None:
    body = f"""<div itemscope itemtype="https://schema.org/NewsArticle">
      <h1 itemprop="headline">Lighthouse reopens</h1>
      <span itemprop="author" itemscope><span itemprop="name">Ines Costa</span></span>
      <span itemprop="datePublished" content="2018-05-04">4 May</span>
      <div itemprop="articleBody"><p>{FILLER}</p><p>{FILLER}</p></div></div>"""
    article = parse(page(body=body))
    assert article.title == "Lighthouse reopens"
    assert article.authors == ("Ines Costa",)
    assert article.date == datetime(2018, 5, 4, tzinfo=timezone.utc)


# ---------------------------------------------------------------- DOM, URL, text

def test_time_element_datetime_attribute() -> None:
    body = f"""<article><h1>Quay wall repaired</h1><time datetime="2017-02-03T08:00:00-05:00">Feb 3</time>
      <p>{FILLER}</p><p>{FILLER}</p></article>"""
    assert parse(page(body=body)).date == datetime(2017, 2, 3, 13, 0, tzinfo=timezone.utc)


def test_date_from_url_when_the_page_has_none() -> None:
    article = parse(page(), url="https://example.org/2016/09/14/harbour-budget/")
    assert article.date == datetime(2016, 9, 14, tzinfo=timezone.utc)


def test_date_printed_in_german_text() -> None:
    body = f"""<article><h1>Hafen</h1><div class="article-date">Veröffentlicht am 12. März 2015</div>
      <p>{FILLER}</p><p>{FILLER}</p></article>"""
    assert parse(page(body=body, lang="de")).date == datetime(2015, 3, 12, tzinfo=timezone.utc)


def test_timezone_converted_to_utc_and_bounds_respected() -> None:
    head = '<meta property="article:published_time" content="2022-01-10T23:30:00+05:30">'
    article = parse(page(head))
    assert article.date == datetime(2022, 1, 10, 18, 0, tzinfo=timezone.utc)
    assert article.date.tzinfo == timezone.utc
    late = parse(page(head), latest=datetime(2021, 12, 31, tzinfo=timezone.utc))
    assert late.date is None


def test_dates_before_1995_are_accepted() -> None:
    head = '<meta name="dc.date" content="1912-04-15">'
    assert parse(page(head)).date == datetime(1912, 4, 15, tzinfo=timezone.utc)


def test_publication_date_preferred_over_modification_date() -> None:
    head = """<meta property="article:modified_time" content="2021-05-05T10:00:00Z">
      <meta property="article:published_time" content="2020-01-02T10:00:00Z">"""
    assert parse(page(head)).date == datetime(2020, 1, 2, 10, 0, tzinfo=timezone.utc)


def test_byline_container_cleaned_of_prefix_and_date() -> None:
    body = f"""<article><h1>Tides</h1><div class="byline">By Sam Okafor, 3 June 2020</div>
      <p>{FILLER}</p><p>{FILLER}</p></article>"""
    assert parse(page(body=body)).authors == ("Sam Okafor",)


def test_title_site_suffix_is_removed() -> None:
    head = "<title>Harbour budget passes | Harbour Times</title><meta property='og:site_name' content='Harbour Times'>"
    assert parse(page(head)).title == "Harbour budget passes"


def test_title_prefers_agreeing_h1() -> None:
    head = "<title>Harbour Times - Harbour budget passes after long debate</title>"
    body = f"<article><h1>Harbour budget passes after long debate</h1><p>{FILLER}</p><p>{FILLER}</p></article>"
    assert parse(page(head, body)).title == "Harbour budget passes after long debate"


def test_breadcrumb_gives_section() -> None:
    body = f"""<nav class="breadcrumb"><a href="/">Home</a> › <a href="/sport">Sport</a> ›
      <a href="/sport/sailing">Sailing</a></nav><article><h1>Regatta</h1><p>{FILLER}</p><p>{FILLER}</p></article>"""
    assert parse(page(body=body)).section == "Sailing"


# ---------------------------------------------------------------- body

def test_boilerplate_dropped_and_paragraphs_kept() -> None:
    body = f"""<header><nav><a href="/">Home</a><a href="/news">News</a></nav></header>
      <div class="share-bar"><a>Share on Facebook</a><a>Tweet</a></div>
      <main><article><h1>Budget</h1><p>First paragraph. {FILLER}</p><p>Second paragraph. {FILLER}</p>
      <div class="related-articles"><h3>Related</h3><ul><li><a href="/a">Other story one</a></li>
      <li><a href="/b">Other story two</a></li></ul></div></article></main>
      <aside class="sidebar"><p>Subscribe to our newsletter for weekly updates on everything.</p></aside>
      <div id="comments"><p>Great article, thanks for writing it up so clearly!</p></div>
      <footer><p>Copyright 2021 Harbour Times. All rights reserved.</p></footer>"""
    text = parse(page(body=body)).body
    paragraphs = text.split("\n\n")
    assert paragraphs[0].startswith("First paragraph.")
    assert paragraphs[1].startswith("Second paragraph.")
    for junk in ("Share on Facebook", "Other story", "newsletter", "Great article", "Copyright", "News"):
        assert junk not in text


def test_encoding_declared_in_meta_is_used() -> None:
    html = page('<meta charset="iso-8859-1"><title>Café crème in Zürich</title>').encode("iso-8859-1")
    assert parse(html).title == "Café crème in Zürich"


# ---------------------------------------------------------------- failures

@pytest.mark.parametrize("data", [b"", b"just some plain text, no markup at all", b"\x00\x01\x02\x03" * 200,
                                  "%PDF-1.4 binary"])
def test_non_html_raises_parse_error(data: bytes | str) -> None:
    with pytest.raises(ParseError) as info:
        parse(data)
    assert info.value.path == "test.html"


def test_markup_without_text_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        parse("<html><head></head><body><div></div></body></html>")


@pytest.mark.parametrize("data", ["<html><body>" + "<div>" * 5000 + "deep" + "</div>" * 5000 + "</body></html>",
                                  "<html><body><p>unclosed <b><i>tags" + "<table><tr><td>" * 50,
                                  "<?xml version='1.0' encoding='utf-8'?><html><body><p>x</p></body></html>"])
def test_hostile_markup_never_raises_anything_but_parse_error(data: str) -> None:
    try:
        parse(data)
    except ParseError:
        pass


# ---------------------------------------------------------------- later additions to the cascade

def test_kicker_inside_h1_is_not_part_of_the_title() -> None:
    body = f"""<article><h1><span class="headline-kicker">After the storm</span> Harbour wall holds</h1>
      <p>{FILLER}</p><p>{FILLER}</p></article>"""
    assert parse(page(body=body)).title == "Harbour wall holds"


def test_lead_paragraph_before_the_story_container_is_kept() -> None:
    body = f"""<div class="page"><div class="article-intro"><p>The lead sentence sums up the whole story for
      readers who stop here.</p></div><div class="article-text"><p>{FILLER}</p><p>{FILLER}</p><p>{FILLER}</p>
      </div></div>"""
    text = parse(page(body=body)).body
    assert text.startswith("The lead sentence sums up")
    assert FILLER.strip()[:40] in text


def test_copyright_holder_is_the_last_resort_author() -> None:
    body = f"""<article><h1>Notes from the quay</h1><p>{FILLER}</p><p>{FILLER}</p></article>
      <footer><p>© 2020 Greta Lindqvist. All rights reserved.</p></footer>"""
    assert parse(page(body=body)).authors == ("Greta Lindqvist",)
    with_byline = body.replace("<h1>", "<div class='byline'>By Paul Mensah</div><h1>")
    assert parse(page(body=with_byline)).authors == ("Paul Mensah",)


def test_picture_credits_and_calls_to_action_are_not_body_text() -> None:
    body = f"""<article><h1>Ferries</h1><p>{FILLER}</p><p>The new ferry at the quay. © AFP / Jan Berg</p>
      <p>{FILLER}</p><p>If you enjoyed reading this post, please share it with a friend.</p></article>"""
    text = parse(page(body=body)).body
    assert "AFP" not in text and "enjoyed" not in text
    assert text.count("The council met") == 2


def test_date_beside_the_headline_beats_toolbar_dates() -> None:
    body = f"""<div class="topbar"><span class="date">Monday, 1 March 2021</span> Weather: rain</div>
      <nav class="menu">{'<a href="/s">Sections of the paper</a> ' * 12}</nav>
      <article><h1>Pier closed for repairs</h1><p class="meta">15 February 2021</p>
      <p>{FILLER}</p><p>{FILLER}</p></article>"""
    assert parse(page(body=body)).date == datetime(2021, 2, 15, tzinfo=timezone.utc)


# ---------------------------------------------------------------- authors and titles (later rules)

def test_json_ld_with_raw_line_breaks_in_strings_is_read() -> None:
    ld = ('<script type="application/ld+json">{"@type": "BlogPosting", "headline": "Harbour dredging",\n'
          '"articleBody": "First line\nsecond line", "author": {"@type": "Person", "name": "Ada Brook"}}</script>')
    assert parse(page(ld)).authors == ("Ada Brook",)


def test_json_ld_inside_bare_cdata_is_read() -> None:
    ld = ('<script type="application/ld+json"><![CDATA[{"@type": "NewsArticle", "headline": "Harbour dredging",'
          ' "author": {"@type": "Person", "name": "Ada Brook"}}]]></script>')
    assert parse(page(ld)).authors == ("Ada Brook",)


def test_organisation_declared_as_author_is_a_last_resort_credit() -> None:
    ld = ('<script type="application/ld+json">{"@type": "Article", "headline": "Harbour dredging",'
          ' "author": {"@type": "Organization", "name": "Friends of the Harbour"},'
          ' "publisher": {"@type": "Organization", "name": "Harbour Times"}}</script>')
    assert parse(page(ld)).authors == ("Friends of the Harbour",)
    same = ld.replace("Friends of the Harbour", "Harbour Times")
    assert parse(page(same)).authors == ()


def test_headline_unlike_title_and_h1_is_a_description() -> None:
    ld = ('<script type="application/ld+json">{"@type": "Article", '
          '"headline": "port city district on the southern coast"}</script>')
    body = f"<article><h1>Harbour district</h1><p>{FILLER}</p><p>{FILLER}</p></article>"
    html = page(f"<title>Harbour district - Encyclopedia</title>{ld}", body)
    assert parse(html).title == "Harbour district"


def test_written_by_label_and_data_meta_pair_names_the_author() -> None:
    head = ('<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Ada Brook">'
            '<meta name="twitter:label2" content="Est. reading time"><meta name="twitter:data2" content="3 minutes">')
    assert parse(page(head)).authors == ("Ada Brook",)


def test_byline_label_in_its_own_element_is_followed_by_the_name() -> None:
    body = f"<article><p>{FILLER}</p><p>{FILLER}<br><strong>Text:</strong> Ada Brook</p></article>"
    assert parse(page(body=body)).authors == ("Ada Brook",)


# ---------------------------------------------------------------- dates (later rules)

NAV = f"<nav class='menu'>{'<a href=/s>Sections of the paper</a> ' * 12}</nav>"


def test_utc_timestamp_a_day_and_a_half_after_the_printed_day_is_another_day() -> None:
    # 09:52 UTC on 1 November falls on 31 October only west of UTC-8: the printed day is not its day.
    head = '<meta property="article:published_time" content="2021-11-01T09:52:00Z">'
    body = f"<article><h1>Pier closed for repairs</h1><p class='meta'>31 October 2021</p><p>{FILLER}</p></article>"
    assert parse(page(head, NAV + body)).date == datetime(2021, 11, 1, 9, 52, tzinfo=timezone.utc)


def test_time_element_and_printed_day_agreeing_beat_a_nearby_metadata_day() -> None:
    head = '<meta property="article:published_time" content="2022-01-21T14:38:00Z">'
    body = (f"<article><h1>Pier closed for repairs</h1><p class='meta'><time datetime='2022-01-27'>27.01.2022"
            f"</time></p><p>{FILLER}</p><p>{FILLER}</p></article>")
    assert parse(page(head, NAV + body)).date == datetime(2022, 1, 27, tzinfo=timezone.utc)
    far = head.replace("2022-01-21", "2019-01-21")
    assert parse(page(far, NAV + body)).date == datetime(2019, 1, 21, 14, 38, tzinfo=timezone.utc)


def test_date_labelled_as_the_publication_date_in_the_text_wins() -> None:
    body = (f"<div class='topbar'><span class='date'>14.10.2021</span></div>{NAV}<article><h1>Zoll</h1>"
            f"<p>{FILLER}</p><div><span>Datum:</span> <span>18.10.2021</span></div><p>{FILLER}</p></article>")
    assert parse(page(body=body, lang="de")).date == datetime(2021, 10, 18, tzinfo=timezone.utc)


def test_dates_of_readers_comments_are_not_the_story_date() -> None:
    body = (f"{NAV}<article><h1>Pier closed for repairs</h1><p>{FILLER}</p><p>{FILLER}</p><p>29.11.2022 - {FILLER}</p>"
            "</article><div class='comments'><span class='comment-date'>02.12.2022, 15:57</span> Great piece!</div>")
    assert parse(page(body=body)).date == datetime(2022, 11, 29, tzinfo=timezone.utc)


def test_date_nearest_the_headline_beats_todays_date_in_the_masthead() -> None:
    body = (f"<div class='top'>Thursday, 16 February 2012 {NAV}</div><p>Politics 14 February 2012</p>"
            f"<article><h1>Court lets the trial go on</h1><p>{FILLER}</p><p>{FILLER}</p></article>")
    assert parse(page(body=body)).date == datetime(2012, 2, 14, tzinfo=timezone.utc)


def test_labelled_publication_date_beats_a_nearby_metadata_day() -> None:
    head = '<meta property="article:published_time" content="2021-10-15T08:00:00Z">'
    body = (f"{NAV}<article><h1>New president elected</h1><p>{FILLER}</p><p>{FILLER}</p>"
            "<p>Erschienen am: 13.10.2021</p></article>")
    assert parse(page(head, body, lang="de")).date == datetime(2021, 10, 13, tzinfo=timezone.utc)


def test_created_at_in_page_state_script_is_a_last_resort_date() -> None:
    script = '<script>window.state = {"photo": {"created_at": "2013-02-16T04:36:36-05:00"}};</script>'
    assert parse(page(script)).date == datetime(2013, 2, 16, 9, 36, 36, tzinfo=timezone.utc)


def test_login_of_first_and_last_name_becomes_a_name() -> None:
    body = f"<article><h1>Pier</h1><span class='author'>robert.stitz</span><p>{FILLER}</p><p>{FILLER}</p></article>"
    assert parse(page(body=body)).authors == ("Robert Stitz",)


def test_author_in_page_state_script_is_a_last_resort_when_it_is_a_full_name() -> None:
    script = '<script>var page = {"section": "news", "authors": "Ada Brook", "twitterCard": "summary"};</script>'
    assert parse(page(script)).authors == ("Ada Brook",)
    login = script.replace("Ada Brook", "adabrook")
    assert parse(page(login)).authors == ()


def test_author_credits_that_each_say_by_belong_to_several_stories() -> None:
    cards = "".join(f"<div class='card'><span itemprop='author'>by {n}</span></div>"
                    for n in ("Ada Brook", "Tom Vale", "Lin Osei"))
    body = f"<article><h1>Pier</h1><p>{FILLER}</p><p>{FILLER}</p></article>{cards}"
    assert parse(page(body=body)).authors == ("Ada Brook",)


def test_date_labelled_as_an_update_does_not_replace_the_publication_date() -> None:
    ld = ('<script type="application/ld+json">{"@type": "Article", "headline": "Pier closed for repairs",'
          ' "datePublished": "2020-07-10T14:15:00Z", "dateModified": "2025-01-07T09:08:00Z"}</script>')
    unlabelled = f"{NAV}<article><h1>Pier closed for repairs</h1><p class='x'>January 7, 2025</p><p>{FILLER}</p></article>"
    assert parse(page(ld, unlabelled)).date == datetime(2025, 1, 7, tzinfo=timezone.utc)
    labelled = unlabelled.replace("January 7, 2025", "Last Updated: January 7, 2025")
    assert parse(page(ld, labelled)).date == datetime(2020, 7, 10, 14, 15, tzinfo=timezone.utc)


def test_date_after_the_headline_beats_a_farther_one_in_a_teaser_before_it() -> None:
    teaser = "<div class='ad'>Online seminar 19.1.23, 10:00 Uhr, jetzt anmelden</div>"
    body = (f"{NAV}{teaser}<article><h1>Pier closed for repairs</h1><p>20.12.2022</p>"
            f"<p>{FILLER}</p><p>{FILLER}</p></article>")
    assert parse(page(body=body, lang="de")).date == datetime(2022, 12, 20, tzinfo=timezone.utc)
    # Both dates on the same side of the headline: the first (published, then updated) wins.
    before = (f"{NAV}<article><p>Veröffentlicht am 10. Februar 2019 9. Februar 2019</p><h1>Pier closed for"
              f" repairs</h1><p>{FILLER}</p><p>{FILLER}</p></article>")
    assert parse(page(body=before, lang="de")).date == datetime(2019, 2, 10, tzinfo=timezone.utc)


def test_the_pages_own_update_stamp_beats_a_date_mentioned_in_its_prose() -> None:
    body = (f"<h1>Children at work</h1><article><p>{FILLER}</p><p>Since 4 August 2014 a new law is in force. "
            f"{FILLER}</p><p class='info'>Aktualisiert: 30.12.2016</p></article>")
    assert parse(page(body=body)).date == datetime(2016, 12, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("credit", ["<h5 class='t'>Autor: </h5>Ada Brook", "<b>Von:</b> <br> <br> Ada Brook",
                                    "<span>Erstellt von Ada Brook</span>",
                                    "<p>Blog Beitrag von Ada Brook</p>", "<em>Ein Gastbeitrag von Ada Brook</em>"])
def test_byline_labels_and_kinds_of_piece_before_the_name(credit: str) -> None:
    body = f"<article><h1>Pier</h1><p>{FILLER}</p><p>{FILLER}</p><div>{credit}</div></article>"
    assert parse(page(body=body)).authors == ("Ada Brook",)


def test_label_for_text_and_pictures_is_followed_by_the_name() -> None:
    body = (f"<article><div><span>Text &amp; Fotos:</span> Ada Brook</div><h1>Pier</h1><p>{FILLER}</p>"
            f"<p>{FILLER}</p></article>")
    assert parse(page(body=body)).authors == ("Ada Brook",)


def test_meta_author_that_is_the_publisher_yields_to_the_printed_byline() -> None:
    head = '<meta name="author" content="Harbour Illustrated"><meta name="dc.publisher" content="Harbour Illustrated">'
    body = f"<article><h1>Pier</h1><p>Von Ada Brook</p><p>{FILLER}</p><p>{FILLER}</p></article>"
    assert parse(page(head, body)).authors == ("Ada Brook",)
    assert parse(page(head.split("<meta name=\"dc")[0], body)).authors == ("Harbour Illustrated",)


def test_dated_copyright_paragraph_signs_a_page_without_byline() -> None:
    body = f"<article><h1>Pier</h1><p>{FILLER}</p><p>{FILLER}</p><p>© 2019 Ada Brook</p></article>"
    assert parse(page(body=body)).authors == ("Ada Brook",)
    undated = body.replace("© 2019 Ada Brook", "© Ada Brook")
    assert parse(page(body=undated)).authors == ()


def test_byline_line_with_a_role_after_the_full_name_but_not_a_headline_starting_with_von() -> None:
    credit = "<p><em>Autor: Ada Brook (Gastbeitrag), Redner bei hafen.example.com</em></p>"
    body = f"<article><h1>Pier</h1><p>{FILLER}</p><p>{FILLER}</p>{credit}</article>"
    assert parse(page(body=body)).authors == ("Ada Brook",)
    teaser = "<p><a href='/x'>Von Hexen, Henkern und Vampiren in Bernau – Tipps zu Halloween</a></p>"
    body = f"<article><h1>Pier</h1><p>{FILLER}</p><p>{FILLER}</p>{teaser}</article>"
    assert parse(page(body=body)).authors == ()


def test_time_element_shows_the_local_day_of_a_utc_timestamp_near_midnight() -> None:
    ld = ('<script type="application/ld+json">{"@type": "Article", "headline": "Pier closed for repairs",'
          ' "dateCreated": "2017-02-24T01:18:13Z"}</script>')
    body = (f"{NAV}<article><h1>Pier closed for repairs</h1><time datetime='2017-02-23T17:18:13-08:00'></time>"
            f"<p>{FILLER}</p></article>")
    assert parse(page(ld, body)).date == datetime(2017, 2, 23, tzinfo=timezone.utc)
    # On the timestamp's own UTC day, the instant itself is kept.
    same_day = body.replace("2017-02-23T17:18:13-08:00", "2017-02-24T09:00:00+08:00")
    assert parse(page(ld, same_day)).date == datetime(2017, 2, 24, 1, 18, 13, tzinfo=timezone.utc)


def test_printed_day_equal_to_the_timestamps_utc_day_keeps_the_instant() -> None:
    head = '<meta property="article:published_time" content="2021-11-01T09:52:00Z">'
    body = f"<article><h1>Pier closed for repairs</h1><p class='meta'>1 November 2021</p><p>{FILLER}</p></article>"
    assert parse(page(head, NAV + body)).date == datetime(2021, 11, 1, 9, 52, tzinfo=timezone.utc)


def _body_of(*paragraphs: str) -> str:
    inner = "".join(f"<p>{p}</p>" for p in paragraphs)
    return parse(page(body=f"<article><h1>Pier</h1><p>{FILLER}</p>{inner}<p>{FILLER}</p></article>")).body


def test_interface_lines_inside_a_paragraph_are_dropped_line_by_line() -> None:
    text = _body_of("The quay reopens in May.<br>ANZEIGE - Heute mal ausgehen? Wie wäre es mit:")
    assert "The quay reopens in May." in text and "ANZEIGE" not in text


@pytest.mark.parametrize("line", [
    "Warning: Creating default object from empty value in /www/htdocs/wp-includes/classes.php on line 407",
    "Puede escribirnos a redaccion@example.org o seguirnos en Twitter.",
    "Dieser Text wurde veröffentlicht unter der Lizenz CC-BY-NC-ND-4.0-DE.",
    "Letzte Aktualisierung am 2.02.2022 / Bei den Verlinkungen handelt es sich um Affiliate Links",
    "(Alle Angaben ohne Gewähr)", '... weiter zu "Die Wortwahl"', "Über den Autor",
    "Veröffentlichung:<br>2. Februar 2022", "Von:<br>Ada Brook",
])
def test_notes_around_the_article_are_not_its_text(line: str) -> None:
    text = _body_of(line)
    assert text.count("The council met") == 2
    assert line.split("<br>")[-1].split()[-1] not in text


def test_read_more_link_is_trimmed_from_a_paragraph_and_prose_starting_with_von_is_kept() -> None:
    text = _body_of("The ferry will run again in May. [czytaj więcej]", "Von Berlin nach Paris fährt der Zug.")
    assert "The ferry will run again in May." in text and "więcej" not in text
    assert "Von Berlin nach Paris fährt der Zug." in text


def test_emphasised_full_name_closing_the_text_signs_it() -> None:
    body = f"<article><h1>Pier</h1><p>{FILLER}</p><p>{FILLER}</p><p><strong>Ada Brook</strong></p></article>"
    assert parse(page(body=body)).authors == ("Ada Brook",)
    plain = body.replace("<strong>Ada Brook</strong>", "Ada Brook")
    assert parse(page(body=plain)).authors == ()
    heading = body.replace("<strong>Ada Brook</strong>", "<strong>Das Magazin</strong>")
    assert parse(page(body=heading)).authors == ()


def test_heading_of_the_box_about_the_author_names_a_story_without_byline() -> None:
    box = "<div class='author-bio footer'><h3>Ada Brook</h3><p>Ada writes about harbours.</p></div>"
    body = f"<article><h1>Pier</h1><p>{FILLER}</p><p>{FILLER}</p></article>{box}"
    assert parse(page(body=body)).authors == ("Ada Brook",)
    unboxed = body.replace("author-bio footer", "teaser")
    assert parse(page(body=unboxed)).authors == ()


@pytest.mark.parametrize("byline", ["By Ada Brook", "– Von Ada Brook", "Par Ada Brook", "Door Ada Brook",
                                    "Written by Ada Brook", "Text: Ada Brook", "Autorin: Ada Brook",
                                    "Erstellt von Ada Brook", "Ein Gastbeitrag von Ada Brook",
                                    "Guest post by Ada Brook", "Une tribune de Ada Brook", "Kommentar von Ada Brook"])
def test_byline_wordings_pass_the_cheap_first_letter_test(byline: str) -> None:
    from newsearch.parse import rules

    assert rules.BYLINE_START.match(byline)
    assert byline.lstrip(" –-")[:1].lower() in rules.BYLINE_FIRST_LETTERS


def test_day_month_and_year_set_apart_by_bars() -> None:
    body = (f"{NAV}<article><table><tr><td>26 | 01 | 2022 </td><td>Schweiz | Praxis</td></tr></table>"
            f"<h1>Pier closed for repairs</h1><p>{FILLER}</p></article>")
    assert parse(page(body=body, lang="de")).date == datetime(2022, 1, 26, tzinfo=timezone.utc)
    assert parse(page(body=body.replace("26 | 01 | 2022", "26 | 13 | 2022"), lang="de")).date is None


def test_generic_section_label_yields_to_a_specific_later_source() -> None:
    head = '<meta property="article:section" content="Uncategorized">'
    html = page(head)
    assert parse(html, url="https://example.org/nutrition/ways-to-eat").section == "nutrition"
    assert parse(html, url="https://example.org/ways-to-eat").section == "Uncategorized"


def test_filed_under_meta_pair_names_the_section() -> None:
    head = '<meta name="twitter:label2" content="Filed under"><meta name="twitter:data2" content="Impfen">'
    assert parse(page(head)).section == "Impfen"


@pytest.mark.parametrize("klass", ["Rubric", "cate"])
def test_rubric_and_cate_classes_label_the_section(klass: str) -> None:
    body = (f"<article><p class='{klass}'><a href='/politik'>Politik</a></p><h1>Pier</h1><p>{FILLER}</p>"
            f"<p>{FILLER}</p></article>")
    assert parse(page(body=body)).section == "Politik"


def test_category_class_of_a_whole_post_gives_its_slug_not_its_first_link() -> None:
    body = (f"<article class='post category-harbour-news'><a href='/author/ada'>Ada Brook</a><h1>Pier</h1>"
            f"<p>{FILLER}</p><p>{FILLER}</p></article>")
    assert parse(page(body=body)).section == "harbour news"
