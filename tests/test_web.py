"""The web app through Starlette's test client: pages, limits, errors, headers, the JSON API."""
from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from newsearch import Archive, Article
from newsearch.cli import main
from newsearch.web import create_app
from newsearch.web.params import MAX_DEPTH, BadRequest, SearchParams
from newsearch.web.render import http_url, marked_body, marked_snippet

from helpers import utc

ARTICLES = [
    Article(title="Rockets hit the air base", body="Three rockets hit the base at dawn.\n\nNobody was hurt.",
            url="https://ex.org/a", byline="Omar Haddad", authors=("Omar Haddad",), section="World",
            date=utc(2021, 7, 7), source="Example Gazette", tags=("Iraq",)),
    Article(title="Harbour fees rise", body="Port fees rose for the third time.", url="https://ex.org/b",
            authors=("Dana Reyes",), section="Business", date=utc(2021, 9, 1), source="Example Gazette"),
    Article(title="Rocket engines tested", body="Engineers tested new rocket engines in the desert.",
            url="https://ex.org/c?x=1&y=2#top", authors=("Dana Reyes",), section="Science",
            date=utc(2021, 9, 15), source="Other Times"),
]


@pytest.fixture()
def index(tmp_path):
    path = tmp_path / "ix"
    with Archive.create(path) as archive:
        archive.add(ARTICLES)
    return path


@pytest.fixture()
def client(index):
    with Archive.open(index) as archive, TestClient(create_app(archive), base_url="http://127.0.0.1") as client:
        yield client


def cli_json(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_params_survive_a_round_trip_through_the_url():
    params = SearchParams(q="rocket OR base", section=("World", "Science"), since="2021-07", sort="newest",
                          match="any", page=3)
    again = SearchParams.from_pairs(parse_qsl(urlsplit(params.href()).query))
    assert again == SearchParams(q="rocket OR base", section=("World", "Science"), since="2021-07",
                                 sort="newest", match="any", page=3)
    assert "page" not in params.href(sort="oldest")  # any change but the page starts again at page 1
    assert params.toggled("section", "World").count("section=") == 1
    assert "&author=Dana+Reyes&" in params.toggled("author", "Dana Reyes")


@pytest.mark.parametrize("pairs, message", [
    ([("q", "x" * 1001)], "the query is 1,001 characters long"),
    ([("page", "0")], "page must be between 1"),
    ([("page", "abc")], "page must be a whole number"),
    ([("page", str(MAX_DEPTH))], "page must be between 1 and 1,001"),
    ([("limit", "1000")], "limit must be between 1 and 100"),
    ([("sort", "random")], "sort must be one of"),
    ([("section", str(i)) for i in range(21)], "at most 20 values of section"),
])
def test_params_refuse_what_the_app_will_not_run(pairs, message):
    with pytest.raises(BadRequest, match=re.escape(message)):
        SearchParams.from_pairs(pairs)


def test_snippets_and_bodies_are_escaped_around_the_marks():
    assert marked_snippet("a **<b>x</b>** & <i>") == "a <mark>&lt;b&gt;x&lt;/b&gt;</mark> &amp; &lt;i&gt;"
    assert marked_snippet("2 ** 3 = 8") == "2 ** 3 = 8"  # an unpaired marker is text
    body = marked_body("one <two>\n\nthree four", [(4, 9), (17, 21)])
    assert body == "<p>one <mark>&lt;two&gt;</mark></p>\n<p>three <mark>four</mark></p>"


@pytest.mark.parametrize("url, link", [
    ("https://ex.org/a", "https://ex.org/a"), ("http://ex.org", "http://ex.org"),
    ("javascript:alert(1)", None), ("JavaScript:alert(1)", None), (" javascript:x", None),
    ("data:text/html,<b>", None), ("//ex.org/a", None), ("/local", None), ("https:///nohost", None),
    ("https://ex.org/\njavascript:x", None), (None, None),
])
def test_only_http_urls_become_links(url, link):
    assert http_url(url) == link


def test_search_page_shows_hits_facets_histogram_and_state(client):
    page = client.get("/", params={"q": "rocket", "section": "World"})
    assert page.status_code == 200
    html = page.text
    assert 'data-total="1"' in html and "Rockets hit the air base" in html
    assert "Three <mark>rockets</mark> hit the base" in html
    assert 'value="rocket"' in html and 'name="section" value="World"' in html  # the form keeps the state
    # The section facet ignores its own filter: Science still offers its count, as a link that adds it.
    assert re.search(r'href="/\?q=rocket&amp;section=World&amp;section=Science".*?Science.*?>1<', html, re.S)
    # Months from July to September, zero-filled; a bar narrows the dates to its month.
    html = client.get("/", params={"q": "rocket", "sort": "newest"}).text
    assert re.findall(r'data-period="([\d-]+)"', html) == ["2021-07", "2021-08", "2021-09"]
    assert 'href="/?q=rocket&amp;since=2021-08&amp;until=2021-08&amp;sort=newest"' in html


def test_every_response_carries_the_strict_headers(client):
    for path in ("/", "/static/style.css", "/nowhere", "/api/search?q=x", "/articles/nope"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_server_is_read_only_and_checks_the_host(client):
    assert client.post("/", data={"q": "x"}).status_code == 405
    assert client.delete("/api/articles/https://ex.org/a").status_code == 405
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400  # DNS rebinding


def test_article_page_marks_the_query_and_links_only_http(client):
    page = client.get("/articles/" + "https%3A%2F%2Fex.org%2Fc%3Fx%3D1%26y%3D2%23top", params={"q": "rocket engine"})
    assert page.status_code == 200
    assert "<h1>Rocket engines tested</h1>" in page.text
    assert "<mark>Engineers</mark> tested new <mark>rocket engines</mark> in" in page.text  # as snippets mark
    assert '<a href="https://ex.org/c?x=1&amp;y=2#top" rel="noopener noreferrer nofollow">' in page.text
    missing = client.get("/articles/https://ex.org/none")
    assert missing.status_code == 404 and "no article with id" in missing.text


def test_bad_queries_get_their_one_line_message_not_a_traceback(client):
    page = client.get("/", params={"q": '"unbalanced'})
    assert page.status_code == 400 and "quote" in page.text.lower()
    api = client.get("/api/search", params={"since": "not a date"})
    assert api.status_code == 400 and "cannot read 'not a date' as a date" in api.json()["error"]
    assert client.get("/api/search", params={"facet": "colour"}).json()["error"].startswith("unknown facet")


def test_a_crash_inside_a_request_shows_no_stack_trace(index, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(Archive, "search", broken)
    with Archive.open(index) as archive:
        client = TestClient(create_app(archive), base_url="http://127.0.0.1", raise_server_exceptions=False)
        for path in ("/?q=x", "/api/search?q=x"):
            response = client.get(path)
            assert response.status_code == 500
            assert "secret" not in response.text and "Traceback" not in response.text
            assert "internal error" in response.text


def test_a_slow_search_ends_with_the_time_budget_message(index, monkeypatch):
    original = Archive.search

    def slow(self, *args, **kwargs):
        time.sleep(1.0)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Archive, "search", slow)
    with Archive.open(index) as archive, TestClient(create_app(archive, time_budget=0.2),
                                                    base_url="http://127.0.0.1") as client:
        started = time.monotonic()
        response = client.get("/", params={"q": "rocket"})
        assert time.monotonic() - started < 0.9
        assert response.status_code == 503 and "took longer than 0.2 s" in response.text
        assert client.get("/api/search", params={"q": "rocket"}).status_code == 503


def test_api_returns_what_the_cli_prints(client, index):
    assert client.get("/api/search", params=[("q", "rocket"), ("facet", "section"), ("facet", "month"),
                                               ("sort", "newest")]).json() == \
        cli_json("query", "rocket", "--facet", "section", "--facet", "month", "--sort", "newest", "--index", index, "--json")
    assert client.get("/api/articles/https://ex.org/a").json() == cli_json("show", "https://ex.org/a", "--index", index, "--json")
    assert client.get("/api/stats").json() == cli_json("stats", "--index", index, "--json")
    assert client.get("/api/articles/https://ex.org/zzz").status_code == 404


def test_the_app_sees_articles_committed_after_it_started(client, index):
    assert client.get("/api/search", params={"q": "harbour"}).json()["total"] == 1
    with Archive.open(index) as writer:
        writer.add([Article(title="Harbour dredging starts", body="Dredgers arrived.", url="https://ex.org/d")])
    assert client.get("/api/search", params={"q": "harbour"}).json()["total"] == 2
    assert "Harbour dredging starts" in client.get("/", params={"q": "harbour"}).text


def test_serve_warns_when_bound_beyond_loopback(index, monkeypatch):
    import newsearch.web.server as server

    bound = []

    class FakeSocket:
        def __init__(self, *args): pass
        def setsockopt(self, *args): pass
        def bind(self, address): bound.append(address)
        def listen(self, n): pass
        def set_inheritable(self, flag): pass
        def getsockname(self): return (bound[-1][0], 8800)

    monkeypatch.setattr(server.socket, "socket", FakeSocket)
    monkeypatch.setattr(server.uvicorn.Server, "run", lambda self, sockets=None: None)
    said = []
    server.serve(str(index), host="0.0.0.0", say=said.append)
    assert bound == [("0.0.0.0", 8800)]
    assert said[0].startswith("warning: listening on 0.0.0.0, not 127.0.0.1")
    said.clear()
    server.serve(str(index), say=said.append)
    assert said == [f"serving {index} (3 articles) at http://127.0.0.1:8800/ (Ctrl+C to stop)"]


WIRE = (
    "Dock workers at the port of Valmora walked out on Monday after talks on night-shift pay broke down, "
    "leaving eleven container ships waiting at anchor outside the harbour.\n\n"
    "The union said its members would stay out until the operator restored the allowance it cut in March, "
    "while the company called the strike unlawful and said it would seek an injunction on Wednesday.\n\n"
    "Freight agents warned that shippers could divert cargo to rival terminals along the coast if the "
    "dispute lasted more than a few days, at a cost to the city of lost fees and jobs."
)
STORY = [
    Article(title="Valmora dockers strike", body=WIRE, url="https://wire.test/strike", source="Wire",
            date=utc(2021, 3, 1)),
    Article(title="Port strike strands ships", body="Sign up for our newsletter.\n\n" + WIRE.replace("said", "says"),
            url="https://paper.test/strike", source="Paper", date=utc(2021, 3, 2)),
    Article(title="Harbour fees rise", body="Port fees rose for the third time this year.", url="https://ex.org/fees",
            source="Paper", date=utc(2021, 5, 20)),
]


@pytest.fixture()
def story_client(tmp_path):
    path = tmp_path / "ix"
    with Archive.create(path) as archive:
        archive.add(STORY)
    with Archive.open(path) as archive, TestClient(create_app(archive), base_url="http://127.0.0.1") as client:
        yield client, path


def test_copies_are_shown_and_listed_and_collapse_keeps_one(story_client):
    client, index = story_client
    html = client.get("/", params={"q": "port", "sort": "oldest"}).text
    copies = re.findall(r'<a class="copies" href="([^"]+)"[^>]*>(\d+) copies</a>', html)
    assert copies == [("/copies/https%3A%2F%2Fwire.test%2Fstrike?q=port", "2"),
                      ("/copies/https%3A%2F%2Fpaper.test%2Fstrike?q=port", "2")]  # the fees story has none
    listed = client.get(copies[1][0]).text
    assert re.findall(r'<h2><a href="[^"]+">([^<]+)</a>', listed) == ["Valmora dockers strike", "Port strike strands ships"]
    assert 'class="hit current"' in listed  # the article the link came from is pointed out
    collapsed = client.get("/", params={"q": "port", "collapse": "1", "sort": "oldest"}).text
    assert 'data-total="2"' in collapsed and re.search(r"\b2</strong> stories", collapsed)
    assert "Port strike strands ships" not in collapsed and 'name="collapse" value="1" data-autosubmit checked' in collapsed
    article = client.get("/articles/https://paper.test/strike").text
    assert '<a class="copies" href="/copies/https%3A%2F%2Fpaper.test%2Fstrike">2 copies</a>' in article
    assert client.get("/copies/https://nowhere.test/").status_code == 404
    assert client.get("/api/search", params={"q": "port", "collapse": "1", "facet": "source"}).json() == \
        cli_json("query", "port", "--collapse", "--facet", "source", "--index", index, "--json")


def test_timeline_page_draws_each_query_and_links_bars_to_searches(story_client):
    client, index = story_client
    page = client.get("/timeline", params=[("q", "strike"), ("q", "rose"), ("by", "month")])
    assert page.status_code == 200
    html = page.text
    assert re.findall(r'data-query="([^"]*)" data-total="(\d+)"', html) == [("strike", "2"), ("rose", "1")]
    # Both series share the months March to May, zero-filled; a bar opens that month's search.
    assert re.findall(r'data-period="([\d-]+)"', html) == ["2021-03", "2021-04", "2021-05"] * 2
    assert 'href="/?q=strike&amp;since=2021-03&amp;until=2021-03"' in html
    week = client.get("/timeline", params={"q": "strike", "by": "week"}).text
    assert 'href="/?q=strike&amp;since=2021-03-01&amp;until=2021-03-07"' in week  # a week is Monday to Sunday
    assert client.get("/api/timeline", params=[("q", "strike"), ("q", "fees"), ("collapse", "1")]).json() == \
        cli_json("timeline", "strike", "fees", "--collapse", "--index", index, "--json")
    assert client.get("/timeline", params={"by": "hour"}).status_code == 400
    too_many = client.get("/api/timeline", params=[("q", str(i)) for i in range(6)])
    assert too_many.status_code == 400 and "at most 5 queries" in too_many.json()["error"]
    search = client.get("/", params={"q": "strike", "section": "x"}).text
    assert 'href="/timeline?q=strike&amp;section=x"' in search


def test_queries_typed_into_the_timeline_are_escaped(story_client):
    client, _ = story_client
    hostile = '"strike" <script>alert(1)</script> <img src=x onerror=alert(2)>'
    page = client.get("/timeline", params=[("q", hostile), ("q", "strike")])
    html = page.text
    assert page.status_code == 200 and "<script>alert" not in html and "<img" not in html
    assert 'data-query="&#34;strike&#34; &lt;script&gt;alert(1)&lt;/script&gt; &lt;img' in html
    assert html.count("<script") == 1  # the page's own /static/app.js


def test_answers_say_how_long_they_waited_and_worked(client):
    timing = client.get("/", params={"q": "rocket"}).headers["server-timing"]
    found = dict(re.findall(r"(\w+);dur=([\d.]+)", timing))
    assert set(found) == {"queue", "app"} and float(found["app"]) > 0


@pytest.fixture()
def two_languages(tmp_path):
    path = tmp_path / "langs"
    with Archive.create(path) as archive:
        archive.add([
            Article(title="Hafengebühren steigen", body="Die Gebühren im Hafen stiegen erneut.", url="https://ex.de/a",
                    date=utc(2021, 3, 2), language="de", section="Wirtschaft"),
            Article(title="Hafen wird ausgebaut", body="Der Hafen bekommt ein neues Becken.", url="https://ex.de/b",
                    date=utc(2021, 4, 9), language="de", section="Wirtschaft"),
            Article(title="Hafen fees in Hamburg", body="The Hafen area of Hamburg raised its fees.",
                    url="https://ex.org/h", date=utc(2021, 4, 20), language="en", section="Business"),
        ])
    with Archive.open(path) as archive, TestClient(create_app(archive), base_url="http://127.0.0.1") as client:
        yield client, path


def test_the_search_page_lists_languages_and_the_timeline_filters_by_one(two_languages):
    client, index = two_languages
    html = client.get("/", params={"q": "hafen"}).text
    facet = html[html.index('data-facet="language"'):]
    facet = facet[:facet.index("</section>")]
    # Each language with its count, a link that adds the filter.
    assert re.findall(r'href="/\?q=hafen&amp;language=(\w+)"><span class="value">(\w+)</span> '
                      r'<span class="count">(\d+)</span>', facet) == [("de", "de", "2"), ("en", "en", "1")]
    narrowed = client.get("/", params={"q": "hafen", "language": "en"}).text
    assert 'data-total="1"' in narrowed
    assert 'href="/timeline?q=hafen&amp;language=en"' in narrowed  # the timeline keeps the filter
    page = client.get("/timeline", params=[("q", "hafen"), ("language", "de")])
    assert page.status_code == 200
    assert re.findall(r'data-query="([^"]*)" data-total="(\d+)"', page.text) == [("hafen", "2")]
    assert "language de" in page.text and 'name="language" value="de"' in page.text
    assert client.get("/api/timeline", params=[("q", "hafen"), ("language", "de")]).json() == \
        cli_json("timeline", "hafen", "--language", "de", "--index", index, "--json")
    assert cli_json("timeline", "hafen", "--language", "en", "--index", index, "--json")["series"][0]["total"] == 1
