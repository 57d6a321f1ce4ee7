"""JSON records (JSONL lines, JSON exports) to articles, whatever the exporter named its fields.

Exports from scrapers, newspaper3k-style extractors and archive dumps all say the
same things under different names and shapes (a string or a list of authors, an
ISO string or epoch milliseconds). `RECORD_FIELDS` lists the accepted names, most
specific first; the first non-empty one wins.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bs4 import BeautifulSoup

from ..errors import ParseError
from ..models import Article
from .authors import clean_names, split_byline, strip_byline_prefix
from .dates import DEFAULT_EARLIEST, implausible, latest_plausible, read_date
from .text import SPACES, strip_furniture, wire_agency

# Article field -> record keys accepted for it, in order of preference.
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "guid", "uid", "doc_id", "docid"),
    "title": ("title", "headline", "name"),
    "byline": ("byline", "author", "authors", "creator", "creators", "writer"),
    "section": ("section", "category", "section_meta", "categories", "articleSection", "desk"),
    "date": ("date", "published", "publish_date", "published_at", "datePublished", "pubdate",
             "date_publish", "publication_date", "created_at", "timestamp"),
    "body": ("body", "text", "content", "maintext", "article", "articleBody", "full_text"),
    "url": ("url", "link", "canonical_url", "href"),
    "summary": ("summary", "description", "abstract", "standfirst", "lead"),
    "source": ("source", "publisher", "site", "source_domain", "site_name"),
    "tags": ("tags", "keywords"),
    "language": ("language", "lang"),
}
_NAME_KEYS = ("name", "fullname", "full_name", "display_name", "title", "rendered", "value", "text")
_DATE_KEYS = ("$date", "date", "iso", "value", "$numberLong")
# Bodies exported as HTML fragments ("<p>...</p>"), e.g. from CMS APIs.
# A closing tag is required: wire copy writes tickers such as "<A>" or "<P>" in plain text.
_HTML = re.compile(r"</(?:p|div|span|a|em|strong|li|ul|ol|h[1-6]|blockquote|figure|section)\s*>", re.I)
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "tr", "section")
_PARAGRAPH_BREAK = re.compile(r"\s*\n\s*")
_TITLE_FROM_BODY_CHARS = 150


def parse_record(
    record: Mapping[str, Any],
    *,
    path: str = "",
    line: int | None = None,
    earliest: datetime | None = DEFAULT_EARLIEST,
    latest: datetime | None = None,
) -> Article:
    """One article from one decoded JSON object; ParseError when it is not one.

    A date before `earliest` or after `latest` (default: two days from now) is dropped with a warning.
    """
    if not isinstance(record, Mapping):
        raise ParseError(path, f"record is a JSON {type(record).__name__}, not an object", line=line)
    try:
        return _parse(record, path=path, line=line, earliest=earliest, latest=latest or latest_plausible())
    except ParseError:
        raise
    except Exception as exc:  # the contract: callers only ever see ParseError
        raise ParseError(path, f"record parser failed: {type(exc).__name__}: {exc}", line=line) from exc


def _parse(record: Mapping[str, Any], *, path: str, line: int | None, earliest: datetime | None,
           latest: datetime | None) -> Article:
    title = _text(_first(record, "title"))
    body = normalise_body(_first(record, "body"))
    warnings: list[str] = []
    if not title and not body:
        raise ParseError(path, "record has no title and no body", line=line)
    if not title:
        title = _title_from(body)
        warnings.append("no title field: title taken from the body")
    byline, names, agency = _credits(_first(record, "byline"))
    raw_date = _first(record, "date")
    if isinstance(raw_date, Mapping):  # {"$date": ...} from database exports
        raw_date = next((raw_date[k] for k in _DATE_KEYS if raw_date.get(k) not in (None, "")), None)
    written = read_date(raw_date) if raw_date is not None else None
    reason = implausible(written, earliest, latest) if written is not None else None
    date = None if reason else written
    if reason:
        warnings.append(f"date {str(raw_date)[:60]!r} rejected as implausible ({reason})")
    elif raw_date not in (None, "") and date is None:
        warnings.append(f"unreadable date: {str(raw_date)[:60]}")
    url = _text(_first(record, "url")) or None
    return Article(
        title=title,
        body=body,
        id=_record_id(record.get(_key(record, "id") or "")),
        url=url,
        summary=_text(_first(record, "summary")),
        byline=byline,
        authors=tuple(names),
        section=_section(_first(record, "section")),
        date=date,
        source=_name_of(_first(record, "source")),
        agency=agency or wire_agency(body),
        language=_text(_first(record, "language")),
        tags=tuple(_tags(_first(record, "tags"))),
        path=path,
        warnings=tuple(warnings),
        dates_rejected=int(reason is not None),
    )


def _key(record: Mapping[str, Any], field: str) -> str | None:
    for key in RECORD_FIELDS[field]:
        if key in record:
            return key
    return None


def _first(record: Mapping[str, Any], field: str) -> Any:
    """The first accepted key for `field` that holds something non-empty."""
    for key in RECORD_FIELDS[field]:
        value = record.get(key)
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, str) and not value.strip():
            continue
        return value
    return None


def _text(value: Any) -> str:
    """A scalar as one clean line of text; containers other than a lone string give ""."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, Mapping):
        value = _name_of(value)
    if isinstance(value, bool) or value is None or isinstance(value, (list, tuple, dict)):
        return ""
    return SPACES.sub(" ", str(value).replace("\n", " ")).strip()


def _name_of(value: Any) -> str:
    if isinstance(value, Mapping):
        for key in _NAME_KEYS:
            if isinstance(value.get(key), str) and value[key].strip():
                return _text(value[key])
        return ""
    return _text(value)


def normalise_body(value: Any) -> str:
    """Body text with one paragraph per line break, whitespace tidied, joined by blank lines.

    Exporters keep page furniture ("Advertisement", "Read more", copyright lines)
    as paragraphs; the plain-text rules for it apply here too.
    """
    if isinstance(value, Mapping):
        value = next((value[k] for k in _NAME_KEYS if isinstance(value.get(k), str)), "")
    if isinstance(value, (list, tuple)):
        value = "\n".join(_name_of(v) if isinstance(v, Mapping) else str(v) for v in value if v is not None)
    if not isinstance(value, str):
        return ""
    if _HTML.search(value):
        value = _html_text(value)
    paragraphs = (SPACES.sub(" ", p).strip() for p in _PARAGRAPH_BREAK.split(value))
    return "\n\n".join(strip_furniture([p for p in paragraphs if p]))


def _html_text(markup: str) -> str:
    """Text of an HTML fragment with one line per block element, scripts and styles dropped."""
    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(["script", "style", "noscript"]):
        tag.decompose()
    # Newlines go inside the tags: inserting beside a tag makes bs4 search the
    # parent's children each time, quadratic in a body of thousands of paragraphs.
    for tag in soup.find_all("br"):
        tag.append("\n")
    for tag in soup.find_all(_BLOCKS):
        tag.insert(0, "\n")
        tag.append("\n")
    return soup.get_text()


def _credits(value: Any) -> tuple[str, list[str], str]:
    """(byline as printed, names, agency) from a string, a list of strings or of {"name": ...}."""
    if isinstance(value, str):
        names, agency = split_byline(value)
        return strip_byline_prefix(value), names, agency
    items = value if isinstance(value, (list, tuple)) else [value]
    raw = [_name_of(item) for item in items if item is not None]
    names, agency = clean_names(raw, fragments=True)
    credits = names + ([agency] if agency else [])
    return ", ".join(credits), names, agency


def _section(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        for item in value:
            text = _name_of(item)
            if text:
                return text
        return ""
    return _name_of(value)


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,;|]", value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        return []
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        tag = _name_of(item)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out


def _record_id(value: Any) -> str:
    """A provided id is kept when it is a non-empty string (or an integer, as text)."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return ""


def _title_from(body: str) -> str:
    first = body.split("\n\n", 1)[0]
    match = re.match(r"(.{10,%d}?[.!?])(?:\s|$)" % _TITLE_FROM_BODY_CHARS, first)
    if match:
        return match.group(1)
    if len(first) <= _TITLE_FROM_BODY_CHARS:
        return first
    return first[:_TITLE_FROM_BODY_CHARS].rsplit(" ", 1)[0] + "…"
