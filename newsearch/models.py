"""Plain data that flows through newsearch: articles in, results out.

Everything here is a frozen dataclass built from the standard library only, so
results can outlive the index they came from and be pickled to worker processes.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

_SPACE = re.compile(r"\s+")


def content_id(*parts: str | None) -> str:
    """A stable id for an article without a URL: a hash of its normalised text."""
    text = "\x1f".join(_SPACE.sub(" ", p or "").strip().lower() for p in parts)
    return "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def to_utc(value: datetime | None) -> datetime | None:
    """Aware datetimes are converted to UTC; naive ones are taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _local(value: datetime | None, offset: int | None) -> datetime | None:
    if value is None or not offset:
        return value
    return value.astimezone(timezone(timedelta(minutes=offset)))


@dataclass(frozen=True)
class Article:
    """One news article as newsearch understands it, whatever format it came from.

    `id` is the canonical URL when one is known, else a hash of title and body, so
    re-indexing the same article replaces it instead of adding a duplicate.
    `date` is always timezone-aware UTC (or None when no date could be trusted).
    `utc_offset` is the offset in minutes the page printed with its date (None when it
    gave none); `local_date` is then the publication's own wall-clock time, whose
    calendar day the date filters and facets use.
    """

    title: str = ""
    body: str = ""
    id: str = ""
    url: str | None = None
    summary: str = ""
    byline: str = ""
    authors: tuple[str, ...] = ()
    section: str = ""
    date: datetime | None = None
    source: str = ""
    agency: str = ""
    language: str = ""
    tags: tuple[str, ...] = ()
    path: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    utc_offset: int | None = None
    # For a page from a web archive: when it was captured (WARC-Date, never the
    # publication date) and the URL the crawler fetched (the canonical one is `url`).
    fetched: datetime | None = None
    fetched_url: str | None = None
    # The feed or news sitemap that lists the article (an entry, or a page merged with one).
    feed: str = ""
    # How many dates the page gave that were dropped as implausible (each also a warning).
    dates_rejected: int = field(default=0, compare=False)
    # Filled in when read back from an index: the story (near-duplicate group) the
    # article belongs to and how many articles that story holds (see stories.py).
    story: str = field(default="", compare=False)
    copies: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "authors", tuple(self.authors))
        set_(self, "tags", tuple(self.tags))
        set_(self, "warnings", tuple(self.warnings))
        if self.date is None:
            set_(self, "utc_offset", None)
        elif self.utc_offset is None and self.date.utcoffset():
            # An aware date in a zone other than UTC says where it was published: keep that.
            set_(self, "utc_offset", int(self.date.utcoffset().total_seconds() // 60))
        set_(self, "date", to_utc(self.date))
        set_(self, "fetched", to_utc(self.fetched))
        if not self.id:
            set_(self, "id", self.url or content_id(self.title, self.body))

    @property
    def local_date(self) -> datetime | None:
        """The date as the publication's clock showed it (UTC when it gave no offset)."""
        return _local(self.date, self.utc_offset)

    def with_changes(self, **changes: Any) -> "Article":
        """A copy with some fields replaced (the id is recomputed unless given)."""
        if "id" not in changes and ({"url", "title", "body"} & changes.keys()):
            changes["id"] = ""
        if "date" in changes and "utc_offset" not in changes:
            changes["utc_offset"] = None  # read again from the new date
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape used by `newsearch parse --json` and exports."""
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        data["local_date"] = self.local_date.isoformat() if self.local_date else None
        data["fetched"] = self.fetched.isoformat() if self.fetched else None
        data["authors"] = list(self.authors)
        data["tags"] = list(self.tags)
        data["warnings"] = list(self.warnings)
        return data


@dataclass(frozen=True)
class Hit:
    """One search result, copied out of the index before its searcher closes."""

    id: str
    title: str
    score: float
    rank: int
    url: str | None = None
    byline: str = ""
    authors: tuple[str, ...] = ()
    section: str = ""
    date: datetime | None = None
    source: str = ""
    tags: tuple[str, ...] = ()
    path: str = ""
    snippet: str = ""
    utc_offset: int | None = None
    story: str = ""  # the near-duplicate group (stories.py); an article alone is its own story
    copies: int = 1  # articles in the index that belong to this story, this one included
    copy_sources: tuple[str, ...] = ()  # the publishers of those articles, in the order grouped
    fetched: datetime | None = None  # capture time of a page from a web archive (Article.fetched)
    fetched_url: str | None = None

    @property
    def local_date(self) -> datetime | None:
        """The date as the publication's clock showed it (see Article.local_date)."""
        return _local(self.date, self.utc_offset)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["copy_sources"] = list(self.copy_sources)
        data["date"] = self.date.isoformat() if self.date else None
        data["local_date"] = self.local_date.isoformat() if self.local_date else None
        data["fetched"] = self.fetched.isoformat() if self.fetched else None
        data["authors"] = list(self.authors)
        data["tags"] = list(self.tags)
        return data


@dataclass(frozen=True)
class FacetCount:
    """How many matching articles carry one value of a facet."""

    value: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "count": self.count}


@dataclass(frozen=True)
class SearchResults:
    """One page of results plus the exact total and the requested facet counts."""

    query: str
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetCount, ...]] = field(default_factory=dict)
    page: int = 1
    limit: int = 10
    suggestion: str | None = None
    count: str = "articles"  # what `total` counts: "articles", or "stories" (collapsed copies)
    sampled: bool = False  # hits are a random sample of all `total` matches, not the best ones
    # Shards of an archive that gave no answer (only with allow_partial): the rest is theirs.
    missing_shards: tuple[str, ...] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "count": self.count,
            "sampled": self.sampled,
            "page": self.page,
            "limit": self.limit,
            "pages": self.pages,
            "suggestion": self.suggestion,
            "hits": [h.to_dict() for h in self.hits],
            "facets": {k: [c.to_dict() for c in v] for k, v in self.facets.items()},
            **({"missing_shards": list(self.missing_shards)} if self.missing_shards else {}),
        }


@dataclass(frozen=True)
class TimelineSeries:
    """One query's counts per period; `shares` (count / all articles of the period)
    when normalised. `undated` matches have no period and are left out of `counts`."""

    query: str
    counts: tuple[int, ...]
    total: int
    undated: int = 0
    shares: tuple[float, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "counts": list(self.counts), "total": self.total, "undated": self.undated,
                "shares": list(self.shares) if self.shares is not None else None}


@dataclass(frozen=True)
class Timeline:
    """Attention over time: each query's matches per period, empty periods as zero."""

    by: str
    periods: tuple[str, ...]
    series: tuple[TimelineSeries, ...]
    count: str = "articles"
    archive_counts: tuple[int, ...] | None = None  # all articles per period, when normalised

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "count": self.count, "periods": list(self.periods),
                "series": [s.to_dict() for s in self.series],
                "archive_counts": list(self.archive_counts) if self.archive_counts is not None else None}


@dataclass(frozen=True)
class TermScore:
    """A word over-represented in matching articles: in `foreground` of the `sample`
    articles read, in `background` of all articles, scored by JLH."""

    term: str
    printed: str
    score: float
    foreground: int
    background: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
