"""The state of a search page, read from and written back to its URL.

Every link the page draws (a facet, a histogram bar, a page number) is this state
with one change, so a search can be bookmarked and shared and the back button works.
No web framework is needed here: the input is a list of (name, value) pairs.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Iterable, Mapping
from urllib.parse import urlencode

FILTERS = ("section", "author", "source", "tag", "language")
SORTS = ("relevance", "newest", "oldest")
MATCHES = ("all", "any")
PAGE_FACETS = ("section", "author", "source", "tag", "year", "month")
MAX_QUERY_CHARS = 1_000
MAX_VALUE_CHARS = 200
MAX_VALUES = 20
MAX_LIMIT = 100
MAX_DEPTH = 10_000  # hits before the first one of a page
DEFAULT_LIMIT = 10


class BadRequest(ValueError):
    """A parameter the app refuses; the message is shown to the user as is."""


@dataclass(frozen=True)
class SearchParams:
    """What `/` and `/api/search` accept: the options of `Archive.search`."""

    q: str = ""
    section: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    sort: str = "relevance"
    match: str = "all"
    page: int = 1
    limit: int = DEFAULT_LIMIT
    facet: tuple[str, ...] = field(default=(), compare=False)  # API only: the page asks for its own

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "SearchParams":
        """Parse a query string's pairs; BadRequest names the first value refused."""
        multi: dict[str, list[str]] = {}
        for name, value in pairs:
            multi.setdefault(name, []).append(value)

        def one(name: str) -> str:
            values = multi.get(name) or [""]
            return values[-1].strip()

        def many(name: str) -> tuple[str, ...]:
            values = tuple(dict.fromkeys(v.strip() for v in multi.get(name, ()) if v.strip()))
            if len(values) > MAX_VALUES:
                raise BadRequest(f"at most {MAX_VALUES} values of {name} at once")
            for value in values:
                _check_length(name, value, MAX_VALUE_CHARS)
            return values

        q = one("q")
        _check_length("the query", q, MAX_QUERY_CHARS)
        since, until = one("since"), one("until")
        for name, value in (("since", since), ("until", until)):
            _check_length(name, value, 64)
        sort = one("sort") or "relevance"
        if sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
        match = one("match") or "all"
        if match not in MATCHES:
            raise BadRequest(f"match must be one of {', '.join(MATCHES)}")
        limit = _whole("limit", one("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
        page = _whole("page", one("page"), 1, 1, MAX_DEPTH // limit + 1)
        return cls(q=q, section=many("section"), author=many("author"), source=many("source"),
                   tag=many("tag"), language=many("language"), since=since, until=until, sort=sort, match=match, page=page,
                   limit=limit, facet=many("facet"))

    def search_options(self, facets: Iterable[str] | None = None) -> dict[str, Any]:
        """Keyword arguments for Archive.search (the CLI's `query` passes the same ones)."""
        return {
            "section": self.section, "author": self.author, "source": self.source, "tag": self.tag,
            "language": self.language, "since": self.since or None, "until": self.until or None,
            "facets": tuple(self.facet if facets is None else facets),
            "sort": self.sort, "match": self.match, "limit": self.limit, "page": self.page,
        }

    def pairs(self) -> list[tuple[str, str]]:
        """The non-default values as query-string pairs, in a fixed order."""
        default = SearchParams()
        out: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if isinstance(value, tuple):
                out.extend((f.name, v) for v in value)
            else:
                out.append((f.name, str(value)))
        return out

    def href(self, path: str = "/", **changes: Any) -> str:
        """This state with `changes` as a link; any change but `page` goes back to page 1."""
        if changes and "page" not in changes:
            changes["page"] = 1
        query = urlencode(replace(self, **changes).pairs())
        return f"{path}?{query}" if query else path

    def toggled(self, name: str, value: str) -> str:
        """The link that adds a facet value to its filter, or removes it when present."""
        current: tuple[str, ...] = getattr(self, name)
        values = tuple(v for v in current if v != value) if value in current else current + (value,)
        return self.href(**{name: values})

    def active(self, name: str, value: str) -> bool:
        return value in getattr(self, name)

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) for name in FILTERS) or bool(self.since or self.until)


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise BadRequest(f"{name} is {len(value):,} characters long; the limit is {limit:,}")


def _whole(name: str, text: str, default: int, low: int, high: int) -> int:
    if not text:
        return default
    if not text.isdigit():
        raise BadRequest(f"{name} must be a whole number, not {text[:20]!r}")
    value = int(text)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high:,}")
    return value


def article_params(query: Mapping[str, str]) -> tuple[str, str]:
    """The query and match mode an article page marks its body with."""
    q = (query.get("q") or "").strip()
    _check_length("the query", q, MAX_QUERY_CHARS)
    match = query.get("match") or "all"
    return q, match if match in MATCHES else "all"
