"""The web app in a real browser: Playwright for Python driving Debian's Chromium.

Browser downloads are impossible here, so Playwright launches the system's Chromium
through `executable_path`. Without one the tests skip and say why; when `.ci/run`
installed it (NEWSEARCH_REQUIRE_BROWSER=1) a missing or broken browser fails them.
Screenshots go to tests/artifacts/ for a reviewer.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from newsearch import Archive, Article, IngestOptions, index_paths
from newsearch.web import create_app

from helpers import utc
from web_server import running

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    for candidate in (os.environ.get("NEWSEARCH_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    required = os.environ.get("NEWSEARCH_REQUIRE_BROWSER") == "1"
    if executable is None:
        message = "no Chromium for the browser tests: install Debian's chromium (bash .ci/run does it as root)"
        if required:
            pytest.fail(message + " (NEWSEARCH_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample corpus, indexed as `newsearch rebuild` indexes it, and served."""
    index = tmp_path_factory.mktemp("web") / "ix"
    index_paths([PROJECT / "examples"], index=index, jobs=1, options=IngestOptions(section_from_dir=True))
    with Archive.open(index) as archive, running(create_app(archive)) as url:
        yield url


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _state(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _api(base: str, page) -> dict:
    """What /api/search answers for the page's own URL: the page must show the same."""
    return httpx.get(base + "/api/search?" + urlsplit(page.url).query).json()


def _shown_total(page) -> int:
    return int(page.get_attribute("[data-total]", "data-total"))


def _titles(page) -> list[str]:
    return page.locator(".hit h2 a").all_inner_texts()


def test_search_facet_histogram_article_and_back(browser, sample):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(sample + "/")
    assert _shown_total(page) == 21  # no query: the whole archive, with its facets

    page.fill("#q", "Iraq")
    page.press("#q", "Enter")
    page.wait_for_url("**/?q=Iraq*")
    api = _api(sample, page)
    assert _shown_total(page) == api["total"] == 2
    assert _titles(page) == [h["title"] for h in api["hits"]]
    assert page.locator(".hit mark").first.inner_text() == "Iraq"
    _shot(page, "1-query")

    page.click('.facet[data-facet="section"] a:has-text("world")')
    page.wait_for_url("**section=world*")
    assert _state(page)["section"] == ["world"]
    assert page.locator(".chips").inner_text().startswith("section: world")
    api = _api(sample, page)
    assert _shown_total(page) == api["total"] == 1
    _shot(page, "2-facet")

    page.goto(sample + "/")  # all 21 articles: a histogram of months from 2019 to 2024
    bar = page.locator('.histogram a.bar[data-period="2021-07"]')
    expected = int(bar.get_attribute("aria-label").split(": ")[1])
    bar.click()
    page.wait_for_url("**until=2021-07*")
    assert _state(page)["since"] == ["2021-07"] and _state(page)["until"] == ["2021-07"]
    assert _shown_total(page) == expected == _api(sample, page)["total"] > 1
    search_url = page.url
    _shot(page, "3-histogram")

    first_title = _titles(page)[0]
    page.click(".hit h2 a >> nth=0")
    page.wait_for_url("**/articles/**")
    assert page.inner_text("h1") == first_title
    _shot(page, "4-article")

    page.go_back()
    page.wait_for_url(search_url)
    assert _titles(page)[0] == first_title and _shown_total(page) == expected
    assert errors == []


def test_brushing_across_bars_narrows_to_the_span(browser, sample):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(sample + "/")
    first = page.locator('.histogram a.bar[data-period="2021-06"]').bounding_box()
    last = page.locator('.histogram a.bar[data-period="2021-09"]').bounding_box()
    page.mouse.move(first["x"] + first["width"] / 2, first["y"] + 20)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + 20, steps=8)
    page.mouse.up()
    page.wait_for_url("**until=2021-09*")
    assert _state(page)["since"] == ["2021-06"] and _state(page)["until"] == ["2021-09"]
    assert _shown_total(page) == _api(sample, page)["total"]


def test_everything_works_with_javascript_off(browser, sample):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(sample + "/")
    page.fill("#q", "port")
    page.select_option("select[name=sort]", "newest")  # no script: nothing happens until Search
    page.click("button[type=submit]")
    page.wait_for_url("**q=port*")
    assert _state(page)["sort"] == ["newest"]
    api = _api(sample, page)
    assert _titles(page) == [h["title"] for h in api["hits"]] and api["total"] > 0
    page.click('.facet[data-facet="author"] li a >> nth=0')
    page.wait_for_url("**author=*")
    assert _shown_total(page) == _api(sample, page)["total"]
    page.click("details.help summary")
    assert page.locator("details.help table").is_visible()
    context.close()


def test_readable_on_a_phone_and_usable_from_the_keyboard(browser, sample):
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    page.goto(sample + "/?q=council")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _shot(page, "5-phone")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("port")  # "/" selected the old query: typing replaces it
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=port")
    assert _shown_total(page) == _api(sample, page)["total"] > 0


def test_timeline_from_a_search_and_back_to_a_period(browser, sample):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(sample + "/?q=council")
    page.click("a.timeline-link")
    page.wait_for_url("**/timeline?q=council")
    series = page.locator("figure.series")
    assert series.get_attribute("data-query") == "council"
    api = httpx.get(sample + "/api/timeline", params={"q": "council"}).json()
    assert int(series.get_attribute("data-total")) == api["series"][0]["total"]
    drawn = page.locator("figure.series a.bar").evaluate_all("bars => bars.map(b => b.dataset.period)")
    assert drawn == api["periods"]
    page.fill("#tq1", "levy")  # a second query, side by side
    page.click(".timeline-form button[type=submit]")
    page.wait_for_url("**q=levy*")
    assert page.locator("figure.series").count() == 2
    _shot(page, "6-timeline")
    bars = page.locator("figure.series >> nth=0").locator("a.bar").all()
    full = [b for b in bars if int(b.get_attribute("aria-label").split(": ")[1]) > 0][0]
    period, count = full.get_attribute("data-period"), int(full.get_attribute("aria-label").split(": ")[1])
    full.click()
    page.wait_for_url(f"**until={period}*")
    assert _state(page)["q"] == ["council"] and _state(page)["since"] == [period]
    assert _shown_total(page) == count == _api(sample, page)["total"]


def test_tab_reaches_the_facets_and_enter_follows_them(browser, sample):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(sample + "/?q=council")
    for _ in range(60):  # bounded: the facet lists come after the form, help, histogram and hits
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.facet[data-facet=section]')"):
            break
    else:
        raise AssertionError("Tab never reached the section facet")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus is seen
    value = page.evaluate("document.activeElement.querySelector('.value').textContent")
    page.keyboard.press("Enter")
    page.wait_for_url("**section=*")
    assert _state(page)["section"] == [value]


HOSTILE = [
    Article(title='<script>window.__pwned = "title"</script>Evil headline', url="javascript:window.__pwned='url'",
            body="Plain words about the harbour <img src=x onerror=\"window.__pwned='body'\"> and more. " * 3,
            byline='<img src=x onerror="window.__pwned=\'byline\'">', authors=('"><script>window.__pwned=1</script>',),
            section='"><svg onload="window.__pwned=\'section\'">', tags=("<b onmouseover=alert(1)>tag</b>",),
            source="</title><script>window.__pwned='source'</script>", date=utc(2022, 3, 1)),
    Article(title="Harbour " + "W" * 3000, body="harbour " + "longword" * 800 + " end.", url="https://ex.org/long",
            section="x" * 500, authors=("Averyveryveryverylongname" * 40,), date=utc(2022, 4, 1)),
    Article(title="A data link", body="harbour data", url="data:text/html,<script>window.__pwned='data'</script>"),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    index = tmp_path_factory.mktemp("hostile") / "ix"
    with Archive.create(index) as archive:
        archive.add(HOSTILE)
    with Archive.open(index) as archive, running(create_app(archive)) as url:
        yield url


def _assert_no_script_ran_and_nothing_overflows(page, width: int) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    sources = page.eval_on_selector_all("script", "els => els.map(e => e.getAttribute('src'))")
    assert sources == ["/static/app.js"]  # the page's own script only, never one from an article
    assert page.locator("img").count() == 0 and page.locator("main svg [onload]").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith(("/", "#", "https://", "http://")) for h in hrefs), hrefs
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1200, 375])
def test_hostile_articles_run_no_script_and_keep_the_layout(browser, hostile, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(hostile + "/?q=harbour")
    assert _shown_total(page) == 3
    titles = _titles(page)
    assert '<script>window.__pwned = "title"</script>Evil headline' in titles  # shown as text, whole
    page.hover(".facet[data-facet=tag] a")  # an onmouseover in a tag would fire here
    _assert_no_script_ran_and_nothing_overflows(page, width)
    _shot(page, f"hostile-search-{width}")

    for title in titles:
        page.goto(hostile + "/?q=harbour")
        page.click(f".hit h2 a >> nth={titles.index(title)}")
        page.wait_for_url("**/articles/**")
        assert page.inner_text("h1") == title
        _assert_no_script_ran_and_nothing_overflows(page, width)
        assert page.locator(".fields a").count() <= 1  # javascript: and data: URLs stay text
        if title.startswith("<script>"):
            assert page.inner_text(".fields .url") == "javascript:window.__pwned='url'"
            _shot(page, f"hostile-article-{width}")
    assert dialogs == []


def test_hostile_json_is_the_stored_text(hostile):
    data = httpx.get(hostile + "/api/search", params={"q": "evil", "facet": "section"}).json()
    assert data["hits"][0]["title"] == HOSTILE[0].title
    assert json.dumps(data)  # plain JSON: the escaping is the page's job, the API gives the data
