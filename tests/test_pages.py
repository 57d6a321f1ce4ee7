"""Article or not (parse/pages.py): one inline case per rule of the cascade; the real
crawls are scored in test_warc.py."""
from __future__ import annotations

from newsearch.parse import rules
from newsearch.parse.html import read_page
from newsearch.parse.pages import PageSignals, not_an_article, text_words

from helpers import news_page

STORY = "https://news.test/2024/05/02/harbour-works-begin"


def test_a_structured_article_type_is_an_article_whatever_else() -> None:
    assert not_an_article(PageSignals(url="https://news.test/", types=frozenset({"newsarticle"}))) is None


def test_og_article_needs_a_date_or_a_headline_with_text() -> None:
    assert not_an_article(PageSignals(url=STORY, og_type="article", dated=True)) is None
    assert not_an_article(PageSignals(url=STORY, og_type="article", headline=True, text_words=200)) is None
    assert not_an_article(PageSignals(url=STORY, og_type="article", headline=True, text_words=100)) == \
        rules.NOT_ARTICLE_THIN


def test_home_pages_link_pages_and_listing_addresses_are_not_articles() -> None:
    rich = dict(headline=True, dated=True, text_words=900)
    assert not_an_article(PageSignals(url="https://news.test/", **rich)) == rules.NOT_ARTICLE_HOME
    assert not_an_article(PageSignals(url="https://news.test/?p=42", **rich)) is None  # a WordPress story
    assert not_an_article(PageSignals(url=STORY, link_share=0.9, **rich)) == rules.NOT_ARTICLE_LINKS
    for url in ("https://news.test/tag/harbour/", "https://news.test/author/ann/", "https://news.test/news/page/3",
                "https://news.test/category/local", "https://news.test/local/list_4_2.html",
                "https://news.test/?s=harbour"):
        assert not_an_article(PageSignals(url=url, **rich)) == rules.NOT_ARTICLE_LISTING, url


def test_a_dated_headline_with_running_text_or_long_text_is_an_article() -> None:
    assert not_an_article(PageSignals(url=STORY, headline=True, dated=True, text_words=80)) is None
    assert not_an_article(PageSignals(url=STORY, headline=True, dated=True, text_words=30)) == rules.NOT_ARTICLE_THIN
    assert not_an_article(PageSignals(url=STORY, dated=True, text_words=300)) is None
    assert not_an_article(PageSignals(url=STORY, text_words=3000)) == rules.NOT_ARTICLE_THIN  # no headline, no date


def test_words_of_scripts_written_without_spaces_are_counted() -> None:
    assert text_words("the harbour works begin") == 4
    assert text_words("港口工程今天开始" * 10) == 40  # 80 characters, about two per word
    assert text_words("Hafen 港口工程") == 3


def test_signals_read_from_a_page() -> None:
    _, signals = read_page(news_page("Harbour works begin"), url=STORY)
    assert signals.og_type == "article" and signals.headline and signals.dated
    assert signals.text_words > 100 and signals.link_share == 0.0 and signals.url == STORY
    links = b"<html><body>" + b"".join(b'<a href="/%d">story %d</a> ' % (n, n) for n in range(50)) + \
        b"<p>Our paper.</p></body></html>"
    _, signals = read_page(links, url="https://news.test/best")
    assert signals.link_share > 0.9 and not signals.headline
