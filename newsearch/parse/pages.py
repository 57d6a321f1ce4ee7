"""Article or not: whether a page of a crawl is a story, from what the page says of itself.

Crawls hold home pages, section fronts, tag and author listings, shop and spam pages
beside the stories. The verdict is an ordered cascade over a page's signals, strongest
first (a structured article type, og:type article with a date, then the shape of the
page: a home page, text that is mostly links, a listing URL, then a dated headline with
running text, or long running text); the thresholds and patterns live in rules.py.
Measured on news-dev.warc.gz (benchmarks/warc.py --article-or-not; README).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import rules

# Ideographs, kana and hangul: about two characters per word of running text.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class PageSignals:
    """What a page says about its own kind, read while it is parsed."""

    url: str = ""
    types: frozenset[str] = frozenset()  # JSON-LD @type values on the page, lower-cased
    og_type: str = ""
    headline: bool = False  # an <h1>, og:title/twitter:title or a structured headline
    dated: bool = False  # a publication date was found
    text_words: int = 0  # running text of the extracted body, in words (see text_words)
    link_share: float = 0.0  # share of the page's visible words that are link text


def text_words(text: str) -> int:
    """Words of running text, counting CJK scripts (written without spaces) by characters."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(text.split())
    return sum(1 for token in text.split() if not _CJK.search(token)) + cjk // rules.CJK_CHARS_PER_WORD


def not_an_article(page: PageSignals) -> str | None:
    """None when the page is an article, else why not (a reason the ingest summary counts)."""
    if page.types & rules.ARTICLE_PAGE_TYPES:
        return None
    og_article = page.og_type.strip().lower() in rules.ARTICLE_OG_TYPES
    if og_article and page.dated:
        return None
    parts = urlsplit(page.url)
    if parts.path in ("", "/") and not parts.query:
        return rules.NOT_ARTICLE_HOME
    if page.link_share > rules.ARTICLE_MAX_LINK_SHARE:
        return rules.NOT_ARTICLE_LINKS
    if rules.LISTING_URL.search(page.url):
        return rules.NOT_ARTICLE_LISTING
    if page.headline and page.dated and page.text_words >= rules.ARTICLE_DATED_MIN_WORDS:
        return None
    if og_article and page.headline and page.text_words >= rules.ARTICLE_OG_MIN_WORDS:
        return None
    if (page.headline or page.dated) and page.text_words >= rules.ARTICLE_LONG_MIN_WORDS:
        return None
    return rules.NOT_ARTICLE_THIN
