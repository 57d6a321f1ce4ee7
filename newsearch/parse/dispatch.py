"""Route a raw document to the parser for its kind and apply ingest-wide limits.

Parsers are imported lazily so that searching never pays for the HTML stack.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..analysis.detect import language_of
from ..errors import ParseError
from ..models import Article
from ..sources import RawDocument, Skipped
from .dates import DEFAULT_EARLIEST, latest_plausible
from .encoding import decode

DEFAULT_MAX_BODY_CHARS = 1_000_000
# C0 controls other than tab and newlines: noise from binary junk or bad exports,
# and a NUL breaks CSV export and terminals.
_CONTROLS = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")
# Finds one of them: str.translate reads a long body a character at a time through a
# dict (a tenth of a millisecond and more), the regex scans it in C, and few texts have any.
_ANY_CONTROL = re.compile("[" + "".join(map(chr, _CONTROLS)) + "]")
_TEXT_FIELDS = ("title", "body", "summary", "byline", "section", "source")


@dataclass(frozen=True)
class ParseOptions:
    """Choices that apply to every document of one ingest run."""

    section_from_dir: bool = False
    earliest: datetime | None = DEFAULT_EARLIEST
    latest: datetime | None = None  # None: two days after the fetch time (when known), else now
    max_body_chars: int = DEFAULT_MAX_BODY_CHARS
    # Pass over HTML pages that are not articles (pages.not_an_article): for crawls.
    articles_only: bool = False


def parse_document(raw: RawDocument,
                   options: ParseOptions = ParseOptions()) -> list[Article | ParseError | Skipped]:
    """All articles in one raw document, with a ParseError in place of each failure
    (and, with `options.articles_only`, a Skipped for a page that is not an article).

    Never raises: an unexpected exception inside a parser becomes a ParseError that
    names the file, so one bad input cannot stop a run.
    """
    if not raw.data.strip():
        return [ParseError(raw.path, "empty file" if raw.line is None else "empty line", line=raw.line)]
    try:
        results = _dispatch(raw, options, fetched=raw.fetched)
        return [_located(r, raw) if isinstance(r, ParseError) else r if isinstance(r, Skipped)
                else _finish(r, raw, options) for r in results]
    except ParseError as exc:
        return [_located(exc, raw)]
    except RecursionError:
        return [ParseError(raw.path, "document is nested too deeply to parse", line=raw.line)]
    except Exception as exc:  # a parser bug must not end an overnight run
        return [ParseError(raw.path, f"parser failed: {type(exc).__name__}: {exc}", line=raw.line)]


def _located(error: ParseError, raw: RawDocument) -> ParseError:
    """The error with this document's path and line, for parsers that did not know them."""
    if error.path and (error.line is not None or raw.line is None):
        return error
    return ParseError(error.path or raw.path, error.reason, line=error.line if error.line is not None else raw.line)


def _dispatch(raw: RawDocument, options: ParseOptions,
              fetched: datetime | None = None) -> list[Article | ParseError | Skipped]:
    """`fetched`: when the document was captured (a WARC record's date), for the latest plausible date."""
    dates = {"earliest": options.earliest, "latest": options.latest or latest_plausible(fetched)}
    section = raw.section_hint if options.section_from_dir else ""
    if raw.kind == "html":
        from .html import parse_html

        if not options.articles_only:
            return [parse_html(raw.data, path=raw.path, url=raw.url, charset=raw.charset, **dates)]
        from .html import read_page
        from .pages import not_an_article

        article, signals = read_page(raw.data, path=raw.path, url=raw.url, charset=raw.charset, **dates)
        reason = not_an_article(signals)
        return [article if reason is None else Skipped(raw.path, reason, line=raw.line)]
    if raw.kind == "text":
        from .text import parse_text

        return [parse_text(decode(raw.data), path=raw.path, section=section, **dates)]
    if raw.kind in ("jsonl", "json"):
        return _parse_json(raw, dates)
    if raw.kind == "feed":
        from .feeds import parse_feed

        return parse_feed(raw.data, path=raw.path, **dates)
    raise ParseError(raw.path, f"unknown input kind {raw.kind!r}")


def _parse_json(raw: RawDocument, dates: dict[str, Any]) -> list[Article | ParseError]:
    from .records import parse_record

    try:
        value = json.loads(decode(raw.data))
    except ValueError as exc:
        raise ParseError(raw.path, f"invalid JSON ({exc})", line=raw.line) from exc
    records = _records_in(value)
    if records is None:
        raise ParseError(raw.path, "JSON is not an article object or a list of them", line=raw.line)
    results: list[Article | ParseError] = []
    for offset, record in enumerate(records):
        line = raw.line if raw.line is not None else (offset + 1 if len(records) > 1 else None)
        try:
            results.append(parse_record(record, path=raw.path, line=line, **dates))
        except ParseError as exc:
            results.append(exc)
    return results


def _records_in(value: Any) -> list[Any] | None:
    """A JSON document holds one record, a list of them, or a wrapper like {"articles": [...]}."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in ("articles", "items", "results", "data", "docs"):
            inner = value.get(key)
            if isinstance(inner, list) and inner and all(isinstance(x, dict) for x in inner):
                return inner
        return [value]
    return None


def _finish(article: Article, raw: RawDocument, options: ParseOptions) -> Article:
    changes: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(article, name)
        if _ANY_CONTROL.search(value):
            changes[name] = value.translate(_CONTROLS)
    if changes:
        changes["id"] = article.id  # the id stays the one the parser gave
    if not article.path:
        changes["path"] = raw.path
    language = language_of(article.language, changes.get("title", article.title) + "\n\n"
                           + changes.get("body", article.body))
    if language != article.language:
        changes["language"] = language
    if raw.fetched is not None or raw.url is not None:
        changes.update(fetched=raw.fetched, fetched_url=raw.url, id=article.id)
    if options.section_from_dir and not article.section and raw.section_hint:
        changes["section"] = raw.section_hint
    body = changes.get("body", article.body)
    if len(body) > options.max_body_chars:
        changes["body"] = body[: options.max_body_chars]
        changes["id"] = article.id
        changes["warnings"] = article.warnings + (
            f"body truncated to {options.max_body_chars:,} characters",
        )
    return article.with_changes(**changes) if changes else article
