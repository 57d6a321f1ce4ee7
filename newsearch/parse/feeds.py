"""Feeds and news sitemaps -> one article per entry.

RSS 2.0/1.0 and Atom are read by feedparser (from the bytes given: feeds are files,
nothing is fetched), JSON Feed and sitemaps (`<urlset>` with `<news:news>`) here. Each
entry becomes a record of the names records.py accepts, so titles, bylines, dates
(with their offsets and plausibility bounds) and HTML bodies are read exactly as for
JSON exports. An entry's article is known by its link, so the page of the same URL,
indexed from a file or a WARC capture, is the same article: the two are merged
(ingest/pipeline.py; the page gives the body, the entry fills what the page lacks).
"""
from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Any

from ..errors import ParseError
from ..models import Article
from .dates import DEFAULT_EARLIEST
from .encoding import decode
from ..sources.files import Skipped, feed_kind
from .records import parse_record

def parse_feed(data: bytes, *, path: str = "", earliest: datetime | None = DEFAULT_EARLIEST,
               latest: datetime | None = None) -> list[Article | ParseError | Skipped]:
    """Every entry of a feed or news sitemap as an article (or the ParseError of that
    entry, numbered from 1; a Skipped for a sitemap URL without news metadata); a feed
    that is not well-formed is reported once, and the entries read before the fault are kept."""
    kind = feed_kind(data)
    if kind is None:
        raise ParseError(path, "neither a feed (RSS, Atom, JSON Feed) nor a sitemap")
    if kind == "sitemap":
        records, problem = _sitemap_records(data)
    elif kind == "json":
        records, problem = _json_feed_records(data, path)
    else:
        records, problem = _feedparser_records(data)
    results: list[Article | ParseError | Skipped] = []
    for number, record in enumerate(records, 1):
        if isinstance(record, str):
            results.append(ParseError(path, record, line=number))
            continue
        if isinstance(record, Skipped):
            results.append(Skipped(path, record.reason, line=number))
            continue
        try:
            article = parse_record(record, path=path, line=number, earliest=earliest, latest=latest)
        except ParseError as exc:
            results.append(exc)
            continue
        results.append(article.with_changes(feed=path, id=article.id))
    if problem:
        results.append(ParseError(path, problem, line=len(records) + 1 if records else None))
    if not results:
        raise ParseError(path, "a feed without entries")
    return results


def _feedparser_records(data: bytes) -> tuple[list[Any], str]:
    import feedparser

    parsed = feedparser.parse(data, resolve_relative_uris=False, sanitize_html=False)
    problem = ""
    if parsed.get("bozo"):
        reason = parsed.get("bozo_exception")
        if not isinstance(reason, feedparser.CharacterEncodingOverride):
            problem = f"not a well-formed feed ({reason}); {len(parsed.entries):,} entries read before the fault"
    source = (parsed.feed.get("title") or "").strip()
    language = (parsed.feed.get("language") or "").strip()
    # An Atom feed's author is every entry's author unless the entry names its own.
    feed_authors = [a.get("name") for a in parsed.feed.get("authors") or [] if a.get("name")]
    return [_feed_entry(entry, source, language, feed_authors) for entry in parsed.entries], problem


def _feed_entry(entry: Any, source: str, language: str, feed_authors: list[str]) -> dict[str, Any] | str:
    # The web address of the story: feedparser may give an Atom id (urn:...) as the link.
    candidates = [(entry.get("link") or "").strip()]
    candidates += [(link.get("href") or "").strip() for link in entry.get("links") or []]
    link = next((c for c in candidates if c.startswith(("http://", "https://"))), "") or candidates[0]
    if not link:
        return "a feed entry without a link"
    content = entry.get("content") or []
    body = max((c.get("value") or "" for c in content), key=len, default="")
    categories = [t.get("term") or t.get("label") or "" for t in entry.get("tags") or []]
    categories = [c.strip().rstrip(",") for c in categories if c and c.strip().rstrip(",")]
    authors = [a.get("name") for a in entry.get("authors") or [] if a.get("name")] or entry.get("author") \
        or feed_authors or None
    return {
        "title": entry.get("title") or "", "url": link, "body": body,
        "summary": _plain(entry.get("summary") or "") if body or entry.get("summary") else "",
        "authors": authors, "categories": categories[:1], "tags": categories,
        "date": entry.get("published") or entry.get("updated") or entry.get("created") or None,
        "source": source, "language": language,
    }


def _json_feed_records(data: bytes, path: str) -> tuple[list[Any], str]:
    try:
        value = json.loads(decode(data))
    except ValueError as exc:
        raise ParseError(path, f"not a well-formed JSON Feed ({exc})") from exc
    items = value.get("items") if isinstance(value, dict) else None
    if not isinstance(items, list):
        raise ParseError(path, "a JSON Feed without an items list")
    source = value.get("title") or ""
    language = value.get("language") or ""
    feed_authors = value.get("authors") or ([value["author"]] if isinstance(value.get("author"), dict) else [])
    return [_json_item(item, source, language, feed_authors) for item in items], ""


def _json_item(item: Any, source: str, language: str, feed_authors: list[Any]) -> dict[str, Any] | str:
    if not isinstance(item, dict):
        return f"a JSON Feed item that is a {type(item).__name__}, not an object"
    link = item.get("url") or item.get("external_url") or ""
    if not link:
        return "a JSON Feed item without a url"
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else []) \
        or feed_authors
    tags = [t for t in item.get("tags") or [] if isinstance(t, str)]
    return {
        "title": item.get("title") or "", "url": link,
        "body": item.get("content_html") or item.get("content_text") or "",
        "summary": _plain(item.get("summary") or ""), "authors": [a.get("name") for a in authors
                                                                   if isinstance(a, dict) and a.get("name")] or None,
        "categories": tags[:1], "tags": tags, "date": item.get("date_published") or item.get("date_modified"),
        "source": source, "language": item.get("language") or language,
    }


def _sitemap_records(data: bytes) -> tuple[list[Any], str]:
    from lxml import etree

    records: list[Any] = []
    problem = ""
    try:
        for _, element in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}url", resolve_entities=False,
                                          no_network=True, huge_tree=False):
            records.append(_sitemap_entry(element))
            element.clear()
    except etree.XMLSyntaxError as exc:
        problem = f"not a well-formed sitemap ({exc}); {len(records):,} entries read before the fault"
    return records, problem


def _sitemap_entry(url: Any) -> dict[str, Any] | str | Skipped:
    def child(element: Any, name: str) -> Any:
        return next((c for c in element if isinstance(c.tag, str) and c.tag.rsplit("}", 1)[-1] == name), None)

    def text(element: Any, name: str) -> str:
        found = child(element, name) if element is not None else None
        return (found.text or "").strip() if found is not None else ""

    location = text(url, "loc")
    news = child(url, "news")
    if not location:
        return "a sitemap entry without <loc>"
    if news is None:
        return Skipped("", "sitemap URLs without <news:news> (no title or date to index)")
    publication = child(news, "publication")
    keywords = [k.strip() for k in text(news, "keywords").split(",") if k.strip()]
    return {"title": text(news, "title"), "url": location, "date": text(news, "publication_date") or None,
            "source": text(publication, "name"), "language": text(publication, "language"), "tags": keywords}


def _plain(html: str) -> str:
    """A summary written as an HTML fragment, as text."""
    if "<" not in html:
        return html.strip()
    from lxml import html as lxml_html

    try:
        return " ".join(lxml_html.fromstring(html).text_content().split())
    except Exception:  # an empty or broken fragment
        return re.sub(r"<[^>]+>", " ", html).strip()


# Fields an entry fills when the page leaves them empty (the page's own always win).
FILLED_FIELDS = ("title", "summary", "byline", "authors", "section", "source", "agency", "language")


def is_entry(article: Article) -> bool:
    """An article that is a feed or sitemap entry on its own (not a page merged with one)."""
    return bool(article.feed) and article.path == article.feed


def merged_with_entry(page: Article, entry: Article) -> Article:
    """The page, with what the entry of the same URL says and the page does not: the page
    gives the body and every field it has; the entry fills empty fields, the date (with
    its offset) when the page has none, and adds its tags; `feed` names the entry's feed."""
    changes: dict[str, Any] = {name: getattr(entry, name) for name in FILLED_FIELDS
                               if not getattr(page, name) and getattr(entry, name)}
    if page.date is None and entry.date is not None:
        changes.update(date=entry.date, utc_offset=entry.utc_offset)
    tags = tuple(dict.fromkeys(page.tags + entry.tags))
    if tags != page.tags:
        changes["tags"] = tags
    if not page.body and entry.body:
        changes["body"] = entry.body
    changes["feed"] = entry.feed or page.feed
    return page.with_changes(id=page.id, **changes)
