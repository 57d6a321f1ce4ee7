"""The state of a search page, read from and written back to its URL.

Every link the page draws (a facet, a histogram bar, a page number) is this state
with one change, so a search can be bookmarked and shared and the back button works.
No web framework is needed here: the input is a list of (name, value) pairs.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any, Iterable, Mapping
from urllib.parse import quote_plus, urlencode

FILTERS = ("section", "author", "source", "tag", "language")
SORTS = ("relevance", "newest", "oldest")
MATCHES = ("all", "any")
PAGE_FACETS = ("section", "author", "source", "tag", "language", "year", "month")
PERIODS = ("day", "week", "month", "year")
MAX_TIMELINE_QUERIES = 5
YES = ("1", "true", "on", "yes")
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
    collapse: bool = False  # one hit per story (near-duplicate copies shown once)
    facet: tuple[str, ...] = field(default=(), compare=False)  # API only: the page asks for its own

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "SearchParams":
        """Parse a query string's pairs; BadRequest names the first value refused."""
        given = _Given(pairs)
        q = given.one("q")
        _check_length("the query", q, MAX_QUERY_CHARS)
        sort = given.choice("sort", SORTS)
        limit = _whole("limit", given.one("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
        page = _whole("page", given.one("page"), 1, 1, MAX_DEPTH // limit + 1)
        since, until = given.dates()
        return cls(q=q, section=given.many("section"), author=given.many("author"), source=given.many("source"),
                   tag=given.many("tag"), language=given.many("language"), since=since, until=until, sort=sort,
                   match=given.choice("match", MATCHES),
                   page=page, limit=limit, collapse=given.flag("collapse"), facet=given.many("facet"))

    def search_options(self, facets: Iterable[str] | None = None) -> dict[str, Any]:
        """Keyword arguments for Archive.search (the CLI's `query` passes the same ones)."""
        return {
            "section": self.section, "author": self.author, "source": self.source, "tag": self.tag,
            "language": self.language, "since": self.since or None, "until": self.until or None,
            "facets": tuple(self.facet if facets is None else facets),
            "sort": self.sort, "match": self.match, "limit": self.limit, "page": self.page,
            "collapse": self.collapse,
        }

    def pairs(self, **changes: Any) -> list[tuple[str, str]]:
        """The non-default values (of this state with `changes`) as query-string pairs, in a
        fixed order."""
        out: list[tuple[str, str]] = []
        for name, default in _SEARCH_DEFAULTS:
            value = changes[name] if name in changes else getattr(self, name)
            if value == default:
                continue
            if isinstance(value, tuple):
                out.extend((name, v) for v in value)
            elif isinstance(value, bool):
                out.append((name, "1"))
            else:
                out.append((name, str(value)))
        return out

    def href(self, path: str = "/", **changes: Any) -> str:
        """This state with `changes` as a link; any change but `page` goes back to page 1.
        A results page holds some sixty links, so the pairs are encoded without building
        a new state for each, and each value is quoted once."""
        if changes and "page" not in changes:
            changes["page"] = 1
        unknown = set(changes) - _SEARCH_FIELDS
        if unknown:
            raise TypeError(f"not a search parameter: {', '.join(sorted(unknown))}")
        query = "&".join(f"{name}={_quoted(value)}" for name, value in self.pairs(**changes))
        return f"{path}?{query}" if query else path

    def toggled(self, name: str, value: str) -> str:
        """The link that adds a facet value to its filter, or removes it when present."""
        current: tuple[str, ...] = getattr(self, name)
        values = tuple(v for v in current if v != value) if value in current else current + (value,)
        return self.href(**{name: values})

    def active(self, name: str, value: str) -> bool:
        return value in getattr(self, name)

    def timeline_href(self) -> str:
        """This search's timeline (per month, with the filters the timeline takes)."""
        return TimelineParams(q=(self.q,), section=self.section, source=self.source, language=self.language,
                              since=self.since, until=self.until, match=self.match, collapse=self.collapse).href()

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) for name in FILTERS) or bool(self.since or self.until)


@dataclass(frozen=True)
class TimelineParams:
    """What `/timeline` and `/api/timeline` accept: the options of `Archive.timeline`."""

    q: tuple[str, ...] = ()
    by: str = "month"
    normalize: bool = False
    collapse: bool = False
    section: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    match: str = "all"

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "TimelineParams":
        given = _Given(pairs)
        queries = tuple(v.strip() for v in given.values.get("q", ()) if v.strip())
        if len(queries) > MAX_TIMELINE_QUERIES:
            raise BadRequest(f"at most {MAX_TIMELINE_QUERIES} queries side by side")
        for text in queries:
            _check_length("a query", text, MAX_QUERY_CHARS)
        since, until = given.dates()
        return cls(q=queries or ("",), by=given.choice("by", PERIODS, default="month"),
                   normalize=given.flag("normalize"), collapse=given.flag("collapse"),
                   section=given.many("section"), source=given.many("source"), language=given.many("language"),
                   since=since, until=until, match=given.choice("match", MATCHES))

    def timeline_options(self) -> dict[str, Any]:
        """Keyword arguments for Archive.timeline (the CLI's `timeline` passes the same ones)."""
        return {"by": self.by, "normalize": self.normalize, "collapse": self.collapse, "section": self.section,
                "source": self.source, "language": self.language, "since": self.since or None,
                "until": self.until or None, "match": self.match}

    def search(self, text: str) -> SearchParams:
        """The search page of one of the queries, with the same filters."""
        return SearchParams(q=text, section=self.section, source=self.source, language=self.language,
                            since=self.since, until=self.until, match=self.match, collapse=self.collapse)

    def href(self, **changes: Any) -> str:
        state = replace(self, **changes)
        pairs: list[tuple[str, str]] = [("q", text) for text in state.q if text]
        default = TimelineParams()
        for f in fields(state):
            value = getattr(state, f.name)
            if f.name == "q" or value == getattr(default, f.name):
                continue
            if isinstance(value, tuple):
                pairs.extend((f.name, v) for v in value)
            else:
                pairs.append((f.name, "1" if value is True else str(value)))
        return "/timeline?" + urlencode(pairs) if pairs else "/timeline"


_SEARCH_DEFAULTS = tuple((f.name, getattr(SearchParams(), f.name)) for f in fields(SearchParams))
_SEARCH_FIELDS = frozenset(name for name, _ in _SEARCH_DEFAULTS)


@lru_cache(maxsize=4096)
def _quoted(value: str) -> str:
    """A query-string value as urlencode writes it (spaces as +)."""
    return quote_plus(value)


class _Given:
    """A query string's values by name, read with the app's limits."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.values: dict[str, list[str]] = {}
        for name, value in pairs:
            self.values.setdefault(name, []).append(value)

    def one(self, name: str) -> str:
        values = self.values.get(name) or [""]
        return values[-1].strip()

    def many(self, name: str) -> tuple[str, ...]:
        values = tuple(dict.fromkeys(v.strip() for v in self.values.get(name, ()) if v.strip()))
        if len(values) > MAX_VALUES:
            raise BadRequest(f"at most {MAX_VALUES} values of {name} at once")
        for value in values:
            _check_length(name, value, MAX_VALUE_CHARS)
        return values

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.one(name) or (default or allowed[0])
        if value not in allowed:
            raise BadRequest(f"{name} must be one of {', '.join(allowed)}")
        return value

    def flag(self, name: str) -> bool:
        value = self.one(name).lower()
        if value and value not in YES + ("0", "false", "off", "no"):
            raise BadRequest(f"{name} must be 1 or 0, not {value[:20]!r}")
        return value in YES

    def dates(self) -> tuple[str, str]:
        since, until = self.one("since"), self.one("until")
        for name, value in (("since", since), ("until", until)):
            _check_length(name, value, 64)
        return since, until


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
