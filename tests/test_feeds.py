"""Feeds and news sitemaps: one article per entry, on the real feeds of
../shared/corpus/feeds and small ones written here; an entry and the page of its URL
(a file or a WARC capture) become one article, whichever is indexed first."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Archive, IngestOptions, index_paths
from newsearch.cli import main
from newsearch.errors import ParseError
from newsearch.ingest import parse_paths
from newsearch.models import Article
from newsearch.parse.feeds import merged_with_entry

from helpers import http_response, news_page, warc_record, write_warc

URL = "https://news.test/harbour-works-begin"


def feeds_dir(shared_dir: Path) -> Path:
    return shared_dir / "corpus" / "feeds"


def rss(*items: str, channel: str = "Example News") -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>{channel}</title>'
            + "".join(items) + "</channel></rss>").encode()


def item(link: str, title: str, *, date: str = "Thu, 02 May 2024 10:00:00 +0200", extra: str = "") -> str:
    return (f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
            f"<dc:creator>Maria Keller</dc:creator><category>Local</category><category>Harbour</category>"
            f"<description>The short version of {title}.</description>{extra}</item>")


def articles(path: Path) -> list[Article]:
    return [a for a in parse_paths([path]) if isinstance(a, Article)]


# ---------------------------------------------------------------------------
# Real feeds


def test_real_feeds_give_one_article_per_entry(shared_dir: Path) -> None:
    folder = feeds_dir(shared_dir)
    expected = {name: len(re.findall(r"<item[\s>]", (folder / name).read_text(encoding="utf-8")))
                for name in ("real-cnn.rss", "feed2.rss", "feed-with-sitemap-namespace.xml")}
    expected["feed1.atom"] = len(re.findall(r"<entry[\s>]", (folder / "feed1.atom").read_text(encoding="utf-8")))
    expected["feed.json"] = len(json.loads((folder / "feed.json").read_text(encoding="utf-8"))["items"])
    expected["sitemap-news.xml"] = (folder / "sitemap-news.xml").read_text(encoding="utf-8").count("<news:news>")
    found = {name: articles(folder / name) for name in expected}
    assert {name: len(items) for name, items in found.items()} == expected
    assert expected["real-cnn.rss"] == 69 and expected["feed.json"] == 25
    for name, items in found.items():
        assert all(a.title and a.url and a.url.startswith("http") for a in items), name
        assert all(a.feed == a.path for a in items), name
    cnn_items = re.findall(r"<item[\s>].*?</item>", (folder / "real-cnn.rss").read_text(encoding="utf-8"), re.S)
    dated = sum("<pubDate>" in text for text in cnn_items)
    assert sum(1 for a in found["real-cnn.rss"] if a.date) == dated == 52  # the others carry no date
    cnn = found["real-cnn.rss"][0]
    assert cnn.source == "CNN.com - RSS Channel - HP Hero" and cnn.date.isoformat() == "2022-07-27T03:27:09+00:00"
    npr = found["feed.json"][0]
    assert npr.authors == ("Manoush Zomorodi",) and npr.body and npr.source == "Technology"
    sitemap = found["sitemap-news.xml"][0]
    assert (sitemap.title, sitemap.source, sitemap.language, sitemap.date.date().isoformat()) == (
        "Companies A, B in Merger Talks", "The Example Times", "en", "2008-12-23")
    offset = found["feed-with-sitemap-namespace.xml"][0]
    assert offset.utc_offset == -300 and offset.authors == ("loremwriter",)  # -0500 kept as printed


# ---------------------------------------------------------------------------
# Written feeds


def test_rss_entry_fields_and_full_text(tmp_path: Path) -> None:
    body = "<p>" + "The harbour works begin on Monday after years of planning. " * 8 + "</p>"
    feed = tmp_path / "news.rss"
    feed.write_bytes(rss(item(URL, "Harbour works begin", extra=f"<content:encoded><![CDATA[{body}]]></content:encoded>"),
                         item("https://news.test/b", "Second story")))
    first, second = articles(feed)
    assert (first.title, first.url, first.byline, first.section, first.tags) == (
        "Harbour works begin", URL, "Maria Keller", "Local", ("Local", "Harbour"))
    assert first.date.isoformat() == "2024-05-02T08:00:00+00:00" and first.utc_offset == 120
    assert first.body.startswith("The harbour works begin on Monday") and first.summary.startswith("The short")
    assert second.body == "" and second.summary == "The short version of Second story."


def test_atom_and_json_feed(tmp_path: Path) -> None:
    atom = tmp_path / "a.atom"
    atom.write_text('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title>'
                    f'<entry><title>Harbour</title><link href="{URL}"/><updated>2024-05-02T08:00:00Z</updated>'
                    '<author><name>Maria Keller</name></author><content type="html">&lt;p&gt;Text of the story.&lt;/p&gt;'
                    '</content></entry></feed>', encoding="utf-8")
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "JSON News", "items": [
        {"id": "1", "url": URL, "title": "Harbour", "content_text": "Text of the story.",
         "date_published": "2024-05-02T10:00:00+02:00", "authors": [{"name": "Maria Keller"}], "tags": ["Local"]},
        {"id": "2", "title": "No link"}]}), encoding="utf-8")
    (a,) = articles(atom)
    assert (a.title, a.url, a.authors, a.body, a.source) == ("Harbour", URL, ("Maria Keller",), "Text of the story.",
                                                             "Atom News")
    found = list(parse_paths([feed]))
    assert isinstance(found[0], Article) and found[0].section == "Local" and found[0].utc_offset == 120
    assert isinstance(found[1], ParseError) and found[1].line == 2 and "without a url" in found[1].reason


def test_a_feed_that_is_not_well_formed_keeps_the_entries_before_the_fault(tmp_path: Path) -> None:
    feed = tmp_path / "broken.rss"
    feed.write_bytes(rss(item(URL, "Harbour works begin"), item("https://news.test/b", "Second")).replace(
        b"</channel></rss>", b"<item><title>Cut & broken</title></channel>"))
    result = CliRunner().invoke(main, ["index", str(feed), "--index", str(tmp_path / "ix"), "-j", "1"])
    assert result.exit_code == 1
    assert f"{feed}:3: a feed entry without a link" in result.output  # the entry cut by the fault
    assert re.search(rf"{re.escape(str(feed))}:4: not a well-formed feed \(.*\); 3 entries read before the fault",
                     result.output), result.output
    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == 2


def test_sitemap_urls_without_news_metadata_are_passed_over(tmp_path: Path) -> None:
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                       'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                       f'<url><loc>{URL}</loc><news:news><news:publication><news:name>Example News</news:name>'
                       '<news:language>en</news:language></news:publication>'
                       '<news:publication_date>2024-05-02T10:00:00+02:00</news:publication_date>'
                       '<news:title>Harbour works begin</news:title><news:keywords>harbour, works</news:keywords>'
                       '</news:news></url><url><loc>https://news.test/about</loc></url></urlset>', encoding="utf-8")
    report = index_paths([sitemap], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.counts["new"] == 1
    assert [(s.reason, s.line) for s in report.skipped] == [
        ("sitemap URLs without <news:news> (no title or date to index)", 2)]


def test_xml_that_is_not_a_feed_is_passed_over_in_folders(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "config.xml").write_text("<?xml version='1.0'?><settings><a>1</a></settings>")
    (tmp_path / "in" / "news.rss").write_bytes(rss(item(URL, "Harbour works begin")))
    report = index_paths([tmp_path / "in"], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.counts["new"] == 1
    assert [s.reason for s in report.skipped] == ["XML files that are not feeds or sitemaps"]


# ---------------------------------------------------------------------------
# Entries and pages of the same URL


def page_without_date(title: str) -> bytes:
    return re.sub(rb'<meta property="article:published_time"[^>]*>', b"", news_page(title, kind="website"))


@pytest.mark.parametrize("order", ["feed first", "page first"])
def test_an_entry_and_its_page_are_one_article_in_one_run(tmp_path: Path, order: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    names = ("a-feed.rss", "b-page.html") if order == "feed first" else ("b-feed.rss", "a-page.html")
    (folder / names[0]).write_bytes(rss(item(URL, "Feed headline")))
    (folder / names[1]).write_bytes(page_without_date("Harbour works begin").replace(
        b"</title>", f'</title><link rel="canonical" href="{URL}">'.encode()))
    report = index_paths([folder], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.counts == {**report.counts, "new": 1, "merged": 1}
    assert "the feed entry fills what it lacks" in str(report.merges[0])
    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == 1
        merged = archive.get(URL)
    assert merged.title == "Harbour works begin"  # the page's own
    assert "council met" in merged.body
    assert merged.date.isoformat() == "2024-05-02T08:00:00+00:00"  # the page has none: the feed's
    assert merged.section == "Local" and {"Local", "Harbour"} <= set(merged.tags)
    assert merged.path.endswith("page.html") and merged.feed.endswith(".rss")


def test_a_feed_indexed_later_fills_the_page_already_held(tmp_path: Path) -> None:
    crawl = write_warc(tmp_path / "crawl" / "c.warc.gz", [warc_record(
        "response", URL, http_response(page_without_date("Harbour works begin").replace(
            b'content="website"', b'content="article"')), date="2024-05-03T00:00:00Z")])
    first = index_paths([crawl], index=tmp_path / "ix", jobs=1, options=IngestOptions(all_pages=True))
    assert first.counts["new"] == 1
    feed = tmp_path / "feeds" / "news.rss"
    feed.parent.mkdir()
    feed.write_bytes(rss(item(URL, "Feed headline"), item("https://news.test/other", "Another story")))
    second = index_paths([feed], index=tmp_path / "ix", jobs=1)
    assert second.ok and (second.counts["new"], second.counts["replaced"], second.counts["merged"]) == (1, 1, 0)
    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == 2
        page = archive.get(URL)
    assert page.title == "Harbour works begin" and page.date.isoformat() == "2024-05-02T08:00:00+00:00"
    assert page.fetched_url == URL and page.fetched.isoformat() == "2024-05-03T00:00:00+00:00"
    assert page.feed == str(feed.resolve())


def test_merge_rules() -> None:
    page = Article(title="Page title", body="Page text.", url=URL, tags=("a",), byline="", section="")
    entry = Article(title="Entry title", body="Entry text.", url=URL, byline="Maria Keller", authors=("Maria Keller",),
                    section="Local", tags=("b", "a"), summary="Short.", feed="f.rss", path="f.rss")
    merged = merged_with_entry(page, entry)
    assert (merged.title, merged.body, merged.byline, merged.section, merged.summary, merged.tags, merged.feed) == (
        "Page title", "Page text.", "Maria Keller", "Local", "Short.", ("a", "b"), "f.rss")
    assert merged.id == page.id
    assert merged_with_entry(Article(title="Only metadata", url=URL), entry).body == "Entry text."


def test_the_warc_and_feeds_folders_index_in_one_command(shared_dir: Path, tmp_path: Path) -> None:
    corpus = shared_dir / "corpus"
    result = CliRunner().invoke(main, ["index", str(corpus / "warc"), str(corpus / "feeds"), "--index",
                                       str(tmp_path / "ix"), "-j", "2", "--json"])
    data = json.loads(result.stdout)
    inputs = data["inputs"]
    assert inputs["total"] == sum(v for k, v in inputs.items() if k != "total")
    # Exit 1: the truncated crawl's cut record, and the gold file's lines that hold no article.
    assert result.exit_code == 1 and not data["ok"]
    cut = [f for f in data["failures"] if f["path"].endswith("news-dev-truncated.warc.gz")]
    assert [f["line"] for f in cut] == [549] and "truncated WARC" in cut[0]["reason"]
    reasons = {item["reason"] for item in data["skipped"]}
    assert {"request records", "metadata records", "redirects (HTTP 301)", "HTTP error pages (404)"} <= reasons
    assert any(reason.startswith("pages that are not articles") for reason in reasons)
    # The folder's SOURCE.txt says where the feeds came from: passed over, not indexed.
    assert any(item["path"].endswith("feeds/SOURCE.txt") for item in data["skipped"])
    with Archive.open(tmp_path / "ix") as archive:
        held = [archive.get(i) for i in archive.ids()]
    assert not any(a.path.endswith("SOURCE.txt") for a in held)
    assert sum(1 for a in held if a.feed and a.feed.endswith("real-cnn.rss")) == 69
    assert sum(1 for a in held if a.fetched_url) >= 194 + 3


def test_a_news_sitemap_entry_fills_its_page(shared_dir: Path, tmp_path: Path) -> None:
    sitemap = feeds_dir(shared_dir) / "sitemap-news.xml"
    (entry,) = articles(sitemap)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "sitemap-news.xml").write_bytes(sitemap.read_bytes())
    (folder / "article55.html").write_bytes(page_without_date("Merger talks").replace(
        b"</title>", f'</title><link rel="canonical" href="{entry.url}">'.encode()))
    report = index_paths([folder], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.counts["new"] == 1 and report.counts["merged"] == 1
    with Archive.open(tmp_path / "ix") as archive:
        page = archive.get(entry.url)
    assert page.title == "Merger talks" and "council met" in page.body  # the page's own
    assert (page.date, page.source, page.language) == (entry.date, "The Example Times", "en")  # from the sitemap
    assert set(entry.tags) <= set(page.tags) and page.feed.endswith("sitemap-news.xml")
