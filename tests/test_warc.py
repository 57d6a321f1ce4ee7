"""Web archives: WARC records -> captured pages -> articles, every other record passed
over by reason; captures of one page kept once; broken and truncated files reported
with the record and the rest indexed. On the real WARCs of ../shared/corpus/warc and
on small files the tests write record by record."""
from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Archive, IngestOptions, index_paths
from newsearch.cli import main
from newsearch.errors import ParseError
from newsearch.sources.warc import Capture, Passed, decode_content, dechunk, read_records

from helpers import http_response, news_page, warc_record, write_warc

LIMITS = {"max_bytes": 50 << 20, "max_decompressed_bytes": 200 << 20}


def stored(archive: Archive) -> list:
    return [archive.get(article_id) for article_id in archive.ids()]


def warc_dir(shared_dir: Path) -> Path:
    return shared_dir / "corpus" / "warc"


def gold(shared_dir: Path) -> tuple[dict, list[dict]]:
    lines = [json.loads(line) for line in (warc_dir(shared_dir) / "news-dev.gold.jsonl").read_text().splitlines()]
    return lines[0], lines[1:]


def request(uri: str) -> bytes:
    return warc_record("request", uri, b"GET / HTTP/1.1\r\nHost: x.test\r\n\r\n",
                       content_type="application/http; msgtype=request")


def response(uri: str, body: bytes, *, date: str = "2025-03-15T06:00:00Z", **http: object) -> bytes:
    return warc_record("response", uri, http_response(body, **http), date=date)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# The packed news crawl


def test_news_crawl_every_record_is_accounted_for_by_reason(news_warc_built, shared_dir: Path) -> None:
    summary, pages = gold(shared_dir)
    report = news_warc_built.report
    assert report.ok and report.inputs_total == summary["records"] == 712
    reasons = Counter(item.reason for item in report.skipped)
    assert reasons["request records"] == 225 and reasons["metadata records"] == 216
    assert reasons["revisit records (the same page as an earlier capture)"] == len(summary["urls_with_revisit"]) == 10
    assert reasons["not HTML pages (image/jpeg)"] == 3 and reasons["not HTML pages (image/png)"] == 2
    assert reasons["not HTML pages (application/pdf)"] == 1 and reasons["not HTML pages (text/plain)"] == 1
    assert reasons["redirects (HTTP 301)"] == 1 and reasons["HTTP error pages (404)"] == 1
    assert reasons["warcinfo records (about the crawl)"] == 1
    not_articles = sum(n for reason, n in reasons.items() if reason.startswith("pages that are not articles"))
    # 251 captured pages: 200 news pages (6 captured twice), 45 from two real crawls that are not news.
    assert report.counts["new"] + report.counts["merged"] + not_articles == 251
    # The second full capture of a page replaces the first: one article per page.
    assert report.counts["merged"] == len(summary["urls_captured_twice"]) == 6
    assert "225 request records" in report.summary() and "pages that are not articles" in report.summary()


def test_news_crawl_keeps_the_news_and_skips_the_rest(news_warc_built, shared_dir: Path) -> None:
    _, pages = gold(shared_dir)
    news = {p["url"] for p in pages}
    with Archive.open(news_warc_built.index) as archive:
        kept = {a.fetched_url for a in stored(archive)}
    others = 45  # the responses of warcfile.warc.gz and clueweb-quirk.warc.gz packed into the crawl
    assert len(news & kept) >= 0.97 * len(news)  # 194 of 200 when measured
    assert others - len(kept - news) >= 0.90 * others  # 42 of 45 when measured


def test_news_crawl_pages_carry_fetched_url_and_capture_time(news_warc_built, shared_dir: Path) -> None:
    summary, pages = gold(shared_dir)
    twice = set(summary["urls_captured_twice"])
    with Archive.open(news_warc_built.index) as archive:
        by_fetched = {}
        for article in stored(archive):
            by_fetched.setdefault(article.fetched_url, []).append(article)
    canonical_differs = 0
    kept = [page for page in pages if page["url"] in by_fetched]
    for page in kept:
        found = by_fetched[page["url"]]
        assert len(found) == 1, page["url"]  # captured twice or revisited: still one article
        article = found[0]
        assert article.path.endswith("news-dev.warc.gz")
        assert article.fetched.isoformat()[:10] == ("2025-03-16" if page["url"] in twice else "2025-03-15")
        canonical_differs += article.url != page["url"]
        if page["date"]:
            assert article.date is None or article.date.isoformat()[:10] <= "2025-03-17"
    # About a fifth of the packed pages name another canonical URL than the one fetched.
    assert 0.1 * len(kept) <= canonical_differs <= 0.35 * len(kept)


def test_show_and_query_json_carry_url_fetched_url_and_fetched(news_warc_built, shared_dir: Path) -> None:
    _, pages = gold(shared_dir)
    page = next(p for p in pages if "latimes.com" in p["url"])
    runner = CliRunner()
    shown = runner.invoke(main, ["show", page["url"], "--index", str(news_warc_built.index), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["url"] == page["url"] and data["fetched_url"] == page["url"]
    assert data["fetched"] == "2025-03-16T06:28:25+00:00"  # the second capture, a day later
    text = runner.invoke(main, ["show", page["url"], "--index", str(news_warc_built.index)]).output
    assert "fetched:  2025-03-16T06:28:25+00:00" in text
    found = runner.invoke(main, ["query", "Bloomberg debate", "--index", str(news_warc_built.index), "--json"])
    hit = next(h for h in json.loads(found.output)["hits"] if h["id"] == page["url"])
    assert hit["fetched_url"] == page["url"] and hit["fetched"].startswith("2025-03-16")


def test_truncated_crawl_gives_every_complete_record_and_names_the_cut_one(shared_dir: Path) -> None:
    summary, _ = gold(shared_dir)
    cut = summary["truncated"]
    items = list(read_records(str(warc_dir(shared_dir) / "news-dev-truncated.warc.gz"), **LIMITS))
    errors = [i for i in items if isinstance(i, ParseError)]
    assert len(items) == cut["complete_records"] + 1
    assert len(errors) == 1 and errors[0].line == cut["complete_records"] + 1 == 549
    assert cut["cut_record"]["uri"] in errors[0].reason
    assert "the file ends" in errors[0].reason and "truncated" in errors[0].reason
    captured = {i.url for i in items if isinstance(i, Capture)}
    _, pages = gold(shared_dir)
    assert len({p["url"] for p in pages} & captured) == cut["article_urls_complete"] == 159


def test_real_crawls_are_read_whole(shared_dir: Path) -> None:
    counts = {}
    for name in ("warcfile.warc.gz", "clueweb-quirk.warc.gz"):
        items = list(read_records(str(warc_dir(shared_dir) / name), **LIMITS))
        assert not [i for i in items if isinstance(i, ParseError)], name
        counts[name] = (len(items), sum(isinstance(i, Capture) for i in items))
    # Common Crawl: request/response/metadata; ClueWeb09 (WARC/0.18, malformed dates, gzip headers on
    # plain bodies): its 29 responses are all pages.
    assert counts == {"warcfile.warc.gz": (50, 16), "clueweb-quirk.warc.gz": (30, 29)}


def test_real_crawls_that_are_not_news_yield_few_articles(shared_dir: Path, tmp_path: Path) -> None:
    sources = [warc_dir(shared_dir) / name for name in ("warcfile.warc.gz", "clueweb-quirk.warc.gz")]
    report = index_paths(sources, index=tmp_path / "ix", jobs=1)
    assert report.ok and report.inputs_total == 80
    assert report.counts["new"] <= 0.2 * 45  # 3 of the 45 pages when measured
    everything = index_paths(sources, index=tmp_path / "all", jobs=1, options=IngestOptions(all_pages=True))
    assert everything.counts["new"] + everything.counts["merged"] == 45


# ---------------------------------------------------------------------------
# Small crawls written here


def test_http_encodings_and_charset_are_honoured(tmp_path: Path) -> None:
    text = "Der Hafen öffnet: Bürger begrüßen die Pläne".encode("latin-1")
    page = news_page("Harbour plans").replace(b"Harbour plans", text)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(page[i:i + 500]), page[i:i + 500]) for i in range(0, len(page), 500))
    deflated = zlib.compress(page)
    crawl = write_warc(tmp_path / "enc.warc.gz", [
        response("http://x.test/plain", page, headers={"Content-Type": "text/html; charset=ISO-8859-1"}),
        response("http://x.test/chunked", chunked + b"0\r\n\r\n",
                 headers={"Content-Type": "text/html; charset=iso-8859-1", "Transfer-Encoding": "chunked"}),
        response("http://x.test/gzip", gzip.compress(page),
                 headers={"Content-Type": "text/html; charset=latin-1", "Content-Encoding": "gzip"}),
        response("http://x.test/deflate", deflated,
                 headers={"Content-Type": "text/html; charset=latin-1", "Content-Encoding": "deflate"}),
    ])
    items = list(read_records(str(crawl), **LIMITS))
    assert [i.payload for i in items] == [page] * 4 and {i.charset for i in items} == {"iso-8859-1", "latin-1"}
    report = index_paths([crawl], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.counts["new"] == 4
    with Archive.open(report.index) as archive:
        titles = {a.title for a in stored(archive)}
    assert len(titles) == 1 and text.decode("latin-1") in titles.pop()


def test_brotli_bodies_are_decoded() -> None:
    brotli = pytest.importorskip("brotli")
    assert decode_content(brotli.compress(b"<html>x</html>"), "br", 1 << 20) == b"<html>x</html>"
    with pytest.raises(ValueError, match="more than 100 bytes"):
        decode_content(brotli.compress(b"a" * 10_000), "br", 100)


def test_content_encoding_limits_and_lies() -> None:
    assert decode_content(b"<html>plain</html>", "gzip", 1 << 20) == b"<html>plain</html>"  # header kept, body not
    with pytest.raises(ValueError, match="more than 1,000 bytes"):
        decode_content(gzip.compress(b"a" * 100_000), "gzip", 1000)
    with pytest.raises(ValueError, match="unknown Content-Encoding"):
        decode_content(b"xx", "compress", 1000)
    assert dechunk(b"4\r\nabcd\r\n2;ext=1\r\nef\r\n0\r\n\r\n") == b"abcdef"
    assert dechunk(b"<html>not chunked</html>") == b"<html>not chunked</html>"


def test_records_that_are_not_pages_are_passed_over_by_reason(tmp_path: Path) -> None:
    crawl = write_warc(tmp_path / "mix.warc.gz", [
        warc_record("warcinfo", None, b"software: test\r\n", content_type="application/warc-fields"),
        request("http://x.test/a"),
        response("http://x.test/a", news_page("Harbour works")),
        warc_record("metadata", "http://x.test/a", b"fetchTimeMs: 1\r\n", content_type="application/warc-fields"),
        warc_record("revisit", "http://x.test/a", http_response(b"")[:-2], date="2025-03-16T00:00:00Z",
                    extra={"WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"}),
        response("http://x.test/logo.png", b"\x89PNG\r\n", headers={"Content-Type": "image/png"}),
        response("http://x.test/old", b"", status="301 Moved Permanently", headers={"Location": "http://x.test/a"}),
        response("http://x.test/gone", b"<html>Not found</html>", status="404 Not Found"),
        warc_record("resource", "file:///notes/page.html", news_page("Resource page"), content_type="text/html"),
        warc_record("conversion", "http://x.test/a", b"text of the page", content_type="text/plain"),
    ])
    report = index_paths([crawl], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.inputs_total == 10 and report.counts["new"] == 2
    assert sorted((s.reason, s.line) for s in report.skipped) == [
        ("HTTP error pages (404)", 8), ("conversion records", 10), ("metadata records", 4),
        ("not HTML pages (image/png)", 6),
        ("redirects (HTTP 301)", 7), ("request records", 2),
        ("revisit records (the same page as an earlier capture)", 5), ("warcinfo records (about the crawl)", 1)]
    with Archive.open(report.index) as archive:
        assert {a.fetched_url for a in stored(archive)} == {"http://x.test/a", "file:///notes/page.html"}


@pytest.mark.parametrize("captures, kept", [("latest", ["Second"]), ("first", ["First"]),
                                            ("all", ["First", "Second"])])
def test_captures_of_one_page(tmp_path: Path, captures: str, kept: list[str]) -> None:
    # The later capture comes first in the file: "latest" goes by WARC-Date, not by order.
    crawl = write_warc(tmp_path / "twice.warc.gz", [
        response("http://x.test/a", news_page("Second"), date="2025-03-16T00:00:00Z"),
        response("http://x.test/a", news_page("First"), date="2025-03-15T00:00:00Z"),
    ])
    report = index_paths([crawl], index=tmp_path / "ix", jobs=1, options=IngestOptions(captures=captures))
    assert report.ok and report.inputs_total == 2
    with Archive.open(report.index) as archive:
        assert sorted(a.title for a in stored(archive)) == kept
    if captures == "latest":
        assert [s.reason for s in report.skipped] == ["captures of a page captured again later (the latest is kept)"]


def test_bad_records_are_named_and_the_rest_indexed(tmp_path: Path) -> None:
    good = [response(f"http://x.test/{n}", news_page(f"Story {n}")) for n in range(4)]
    members = [gzip.compress(r) for r in good]
    broken = bytearray(members[1])
    broken[40:60] = bytes(b ^ 0x5A for b in broken[40:60])
    no_uri = gzip.compress(warc_record("response", None, http_response(news_page("Nameless"))))
    crawl = tmp_path / "bad.warc.gz"
    crawl.write_bytes(members[0] + bytes(broken) + members[2] + no_uri + members[3])
    result = CliRunner().invoke(main, ["index", str(crawl), "--index", str(tmp_path / "ix"), "-j", "1"])
    assert result.exit_code == 1
    assert f"{crawl}:2: WARC data at byte {len(members[0]):,} cannot be read (a broken gzip member" in result.output
    assert f"{crawl}:4: WARC response record at byte" in result.output
    assert "the record header has no WARC-Target-URI" in result.output
    with Archive.open(tmp_path / "ix") as archive:
        assert sorted(a.title for a in stored(archive)) == ["Story 0", "Story 2", "Story 3"]


@pytest.mark.parametrize("compress", [True, False])
def test_wrong_content_length_costs_one_record(tmp_path: Path, compress: bool) -> None:
    page = http_response(news_page("Story one"))
    crawl = write_warc(tmp_path / ("cl.warc.gz" if compress else "cl.warc"), [
        warc_record("response", "http://x.test/1", page, length=len(page) + 400),
        response("http://x.test/2", news_page("Story two")),
        request("http://x.test/3"),
    ], compress=compress)
    items = list(read_records(str(crawl), **LIMITS))
    assert [type(i) for i in items] == [Capture, ParseError, Capture, Passed]
    assert "is the Content-Length of the record before it wrong?" in items[1].reason
    assert items[2].url == "http://x.test/2"


def test_truncated_file_through_the_cli_keeps_the_complete_records(tmp_path: Path) -> None:
    whole = b"".join(gzip.compress(response(f"http://x.test/{n}", news_page(f"Story {n}"))) for n in range(3))
    crawl = tmp_path / "cut.warc.gz"
    crawl.write_bytes(whole[: len(whole) - 100])
    result = CliRunner().invoke(main, ["index", str(crawl), "--index", str(tmp_path / "ix"), "-j", "1"])
    assert result.exit_code == 1
    assert f"{crawl}:3: WARC response record at byte" in result.output and "truncated WARC" in result.output
    with Archive.open(tmp_path / "ix") as archive:
        assert sorted(a.title for a in stored(archive)) == ["Story 0", "Story 1"]


def test_pages_that_are_not_articles_are_counted_by_reason(tmp_path: Path) -> None:
    listing = b"<html><head><title>Tag: harbour</title></head><body>" + b"".join(
        b'<p><a href="/s/%d">Harbour story number %d of the week</a></p>' % (n, n) for n in range(40)) + b"</body></html>"
    crawl = write_warc(tmp_path / "site.warc.gz", [
        response("http://x.test/", news_page("Front page", kind="website")),
        response("http://x.test/tag/harbour/", news_page("Harbour", kind="website")),
        response("http://x.test/best-of", listing),
        response("http://x.test/about", b"<html><head><title>About us</title></head><body><p>We are a paper.</p></body></html>"),
        response("http://x.test/2024/05/02/harbour-works-begin", news_page("Harbour works begin")),
    ])
    report = index_paths([crawl], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.counts["new"] == 1
    assert sorted(s.reason for s in report.skipped) == [
        "pages that are not articles (a listing address: tag, category, author, page N)",
        "pages that are not articles (a site's home page)",
        "pages that are not articles (mostly links: a front or listing page)",
        "pages that are not articles (no dated headline with running text)",
    ]
    result = CliRunner().invoke(main, ["index", str(crawl), "--index", str(tmp_path / "all"), "--all-pages", "-j", "1"])
    assert result.exit_code == 0 and "5 new" in result.output


def test_warc_found_in_a_folder_by_name_and_by_content(tmp_path: Path) -> None:
    write_warc(tmp_path / "in" / "crawl.warc.gz", [response("http://x.test/a", news_page("Named"))])
    write_warc(tmp_path / "in" / "capture-0001", [response("http://x.test/b", news_page("Sniffed"))], compress=False)
    report = index_paths([tmp_path / "in"], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.counts["new"] == 2


# ---------------------------------------------------------------------------
# A big crawl: spans of record offsets over workers, resumed after a stop


def many_pages(tmp_path: Path, count: int) -> Path:
    records = []
    for n in range(count):
        uri = f"http://x.test/2024/05/02/story-number-{n}"
        records += [request(uri), response(uri, news_page(f"Story {n}"))]
    return write_warc(tmp_path / "big.warc.gz", records)


def held_titles(index: Path) -> set[str]:
    with Archive.open(index) as archive:
        return {a.title for a in stored(archive)}


def test_a_crawl_is_cut_into_spans_at_record_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsearch.sources import find_sources
    from newsearch.sources import spans

    crawl = many_pages(tmp_path, 30)
    monkeypatch.setattr(spans, "SPAN_WARC_RECORDS", 8)
    (source,) = find_sources([crawl])
    cut = list(spans.plan_spans(source))
    assert [s.count for s in cut] == [8] * 7 + [4] and [s.first_record for s in cut] == list(range(1, 61, 8))
    members, offset = [], 0
    for n in range(60):  # where each gzip member starts, from the file itself
        members.append(offset)
        offset += _member_length(crawl, offset)
    assert [s.start for s in cut] == members[::8] and [s.end for s in cut][:-1] == members[8::8]
    assert cut[-1].end is None and cut[-2].resume.offset == cut[-1].start
    items = [item for span in cut for item in read_records(str(crawl), start=span.start, end=span.end,
                                                             first_record=span.first_record, **LIMITS)]
    assert [i.number for i in items] == list(range(1, 61))  # every record once, numbered as in the file


def _member_length(path: Path, offset: int) -> int:
    """The compressed length of the gzip member starting at `offset`."""
    data = path.read_bytes()[offset:]
    inflater = zlib.decompressobj(31)
    inflater.decompress(data)
    return len(data) - len(inflater.unused_data)


def test_workers_share_a_crawl_and_a_stopped_run_resumes_after_its_last_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsearch.ingest import pipeline
    from newsearch.sources import spans

    monkeypatch.setattr(spans, "SPAN_WARC_RECORDS", 10)
    monkeypatch.setattr(pipeline, "MIN_BATCH", 8)  # batches of four spans: several commits
    pages = 160
    crawl = many_pages(tmp_path, pages)
    whole = index_paths([crawl], index=tmp_path / "whole", jobs=2, batch_size=5)
    assert whole.ok and whole.counts["new"] == pages
    assert held_titles(tmp_path / "whole") == {f"Story {n}" for n in range(pages)}

    saved = tmp_path / "ix" / "manifest.json"

    def stop_after_first_commit() -> str | None:
        return "SIGINT" if saved.exists() and json.loads(saved.read_text()).get("partial") else None

    stopped = index_paths([crawl], index=tmp_path / "ix", jobs=1, batch_size=5, stop=stop_after_first_commit)
    assert stopped.interrupted == "SIGINT"
    kept = len(held_titles(tmp_path / "ix"))
    assert 0 < kept < pages
    (partial,) = json.loads(saved.read_text())["partial"]
    assert partial["record"] == 2 * kept + 1  # the next record after the last committed span
    resumed = index_paths([crawl], index=tmp_path / "ix", jobs=2, batch_size=5)
    assert resumed.ok and resumed.counts["new"] == pages - kept  # the committed records are not read again
    assert held_titles(tmp_path / "ix") == held_titles(tmp_path / "whole")


# ---------------------------------------------------------------------------
# ARC, the format before WARC


def arc_file(path: Path, records: list[tuple[str, str, bytes]], *, compress: bool = True) -> Path:
    """An ARC v1 file: the filedesc record, then (url, date, HTTP response) records."""
    version = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    blocks = [b"filedesc://test.arc 0.0.0.0 20080101000000 text/plain %d\n%s\n" % (len(version), version)]
    for url, date, block in records:
        blocks.append(b"%s 192.0.2.1 %s text/html %d\n%s\n" % (url.encode(), date.encode(), len(block), block))
    path.write_bytes(b"".join(gzip.compress(b) for b in blocks) if compress else b"".join(blocks))
    return path


@pytest.mark.parametrize("name, compress", [("old.arc.gz", True), ("old.arc", False)])
def test_arc_files_are_read_like_warc(tmp_path: Path, name: str, compress: bool) -> None:
    crawl = arc_file(tmp_path / name, [
        ("http://x.test/2008/01/02/harbour", "20080103120000", http_response(news_page("Harbour", day="2008-01-02"))),
        ("http://x.test/logo.gif", "20080103120001", http_response(b"GIF89a", headers={"Content-Type": "image/gif"})),
    ])
    report = index_paths([crawl], index=tmp_path / "ix", jobs=1)
    assert report.ok and report.counts["new"] == 1 and report.inputs_total == 3
    assert sorted(s.reason for s in report.skipped) == ["ARC file headers (about the crawl)",
                                                        "not HTML pages (image/gif)"]
    with Archive.open(report.index) as archive:
        (page,) = stored(archive)
    assert page.fetched.isoformat() == "2008-01-03T12:00:00+00:00" and page.fetched_url == "http://x.test/2008/01/02/harbour"


def test_a_truncated_arc_file_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    crawl = arc_file(tmp_path / "cut.arc", [
        (f"http://x.test/2008/01/02/story-{n}", "20080103120000", http_response(news_page(f"Story {n}")))
        for n in range(3)], compress=False)
    crawl.write_bytes(crawl.read_bytes()[:-300])
    report = index_paths([crawl], index=tmp_path / "ix", jobs=1)
    assert report.counts["new"] == 2 and [f.line for f in report.failures] == [4]
    assert "a truncated ARC file" in report.failures[0].reason
