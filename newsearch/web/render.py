"""Turning result objects into HTML: the Jinja environment and the helpers templates call.

Every value that reaches a page came from a scraped article and is untrusted, so
autoescaping is on everywhere and the helpers that build markup escape each piece
themselves before adding the few tags they own (<mark>, <p>).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Sequence
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from ..models import FacetCount, Timeline
from ..snippets import MARK_CLOSE, MARK_OPEN
from .params import SearchParams, TimelineParams

HISTOGRAM_HEIGHT = 100
MIN_SLOTS = 24
MAX_MONTH_BARS = 72  # past six years of months, the histogram shows years
MAX_TIMELINE_BARS = 400  # past this a timeline is a table only: choose a longer period
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("newsearch.web", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates ship in the package: no stat() of them per request
    )
    env.filters.update(snippet=marked_snippet, http_url=http_url, day=day, number=number)
    env.globals.update(article_href=article_href)
    return env


def marked_snippet(snippet: str) -> Markup:
    """A snippet whose matched words the library wrapped in ** becomes escaped text with <mark>s."""
    if MARK_OPEN != MARK_CLOSE:  # pragma: no cover - the library marks both ends alike
        raise ValueError("snippet markers differ")
    pieces = snippet.split(MARK_OPEN)
    if len(pieces) % 2 == 0:  # an unpaired ** in the text itself: show it as it is
        return escape(snippet)
    out = [escape(p) if i % 2 == 0 else Markup("<mark>%s</mark>") % p for i, p in enumerate(pieces)]
    return Markup("").join(out)


def marked_body(text: str, spans: Sequence[tuple[int, int]]) -> Markup:
    """The body as escaped paragraphs, with the given character spans in <mark>s."""
    out: list[Markup] = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor or end <= start:
            continue
        out.append(_paragraphs(text[cursor:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        cursor = end
    out.append(_paragraphs(text[cursor:]))
    return Markup("<p>") + Markup("").join(out) + Markup("</p>")


def _paragraphs(text: str) -> Markup:
    parts = _PARAGRAPH_BREAK.split(text)
    return Markup("</p>\n<p>").join(escape(p) for p in parts)


def http_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) address, else None: nothing else becomes a link."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\r\n\t"):
        return None
    return url.strip()


def article_href(article_id: str, params: SearchParams | None = None, *, prefix: str = "/articles/") -> str:
    """The article page's path; the search's words come along so the page can mark them."""
    path = prefix + quote(article_id, safe="")
    if params is not None and params.q:
        extra = [("q", params.q)] + ([("match", params.match)] if params.match != "all" else [])
        path += "?" + urlencode(extra)
    return path


def day(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def number(value: int) -> str:
    return f"{value:,}"


@dataclass(frozen=True)
class Bar:
    """One period of the date histogram, placed in the SVG's own units."""

    period: str
    count: int
    x: float
    width: float
    height: float
    href: str

    @property
    def y(self) -> float:
        return HISTOGRAM_HEIGHT - self.height


@dataclass(frozen=True)
class Histogram:
    facet: str  # "year" or "month"
    bars: tuple[Bar, ...]
    peak: int

    @property
    def width_percent(self) -> int:
        """A few bars don't stretch across the page: each takes at least 1/MIN_SLOTS of it."""
        return min(100, round(100 * len(self.bars) / MIN_SLOTS))

    @property
    def first(self) -> str:
        return self.bars[0].period

    @property
    def last(self) -> str:
        return self.bars[-1].period


def histogram(facets: dict[str, tuple[FacetCount, ...]], params: SearchParams) -> Histogram | None:
    """Months when they fit, else years; periods come zero-filled from the library."""
    counts = facets.get("month") or ()
    facet = "month"
    if not counts or len(counts) > MAX_MONTH_BARS:
        counts, facet = facets.get("year") or (), "year"
    if not counts:
        return None
    return _histogram(facet, [(c.value, c.count) for c in counts],
                      lambda period: params.href(since=period, until=period))


def _histogram(facet: str, counts: Sequence[tuple[str, int]], href: Callable[[str], str]) -> Histogram:
    """Bars scaled to the tallest, each a link (`href` of its period)."""
    peak = max(count for _, count in counts) or 1
    width = 10.0
    bars = tuple(
        Bar(period=period, count=count, x=i * width, width=width,
            height=round(HISTOGRAM_HEIGHT * count / peak, 2) if count else 0.0, href=href(period))
        for i, (period, count) in enumerate(counts)
    )
    return Histogram(facet=facet, bars=bars, peak=peak)


def period_end(period: str, by: str) -> str:
    """The last day of a timeline period, as `until` takes it (a week is labelled by its Monday)."""
    if by == "week":
        return (date.fromisoformat(period) + timedelta(days=6)).isoformat()
    return period  # a day, month or year is its own inclusive end


@dataclass(frozen=True)
class SeriesView:
    query: str
    total: int
    undated: int
    search_href: str
    chart: Histogram | None  # None when empty or too many periods to draw


def timeline_views(timeline: Timeline, params: TimelineParams) -> list[SeriesView]:
    """One chart per query; a bar links to that query's search narrowed to its period."""
    views = []
    for series in timeline.series:
        search = params.search(series.query)
        chart = None
        if timeline.periods and len(timeline.periods) <= MAX_TIMELINE_BARS:
            chart = _histogram(timeline.by, list(zip(timeline.periods, series.counts)),
                               lambda period, s=search: s.href(since=period, until=period_end(period, timeline.by)))
        views.append(SeriesView(query=series.query, total=series.total, undated=series.undated,
                                search_href=search.href(), chart=chart))
    return views


def page_numbers(page: int, pages: int, *, around: int = 2) -> list[int]:
    """The page links to draw: the first, the last, and a few around the current one."""
    shown = {1, pages} | set(range(max(1, page - around), min(pages, page + around) + 1))
    return sorted(shown)


def facet_view(name: str, counts: Sequence[FacetCount], params: SearchParams, *, top: int = 10,
               most: int = 50) -> dict[str, Any]:
    """A facet list: selected values always shown, then the top ones, the rest folded."""
    items = [{"value": c.value, "count": c.count, "active": params.active(name, c.value),
              "href": params.toggled(name, c.value)} for c in counts[:most] if c.value]
    seen = {i["value"] for i in items}
    # Selected values come first and always show (even with no hits left), so they can be removed.
    chosen = [i for i in items if i["active"]] + [
        {"value": v, "count": 0, "active": True, "href": params.toggled(name, v)}
        for v in getattr(params, name) if v not in seen]
    others = [i for i in items if not i["active"]]
    room = max(0, top - len(chosen))
    return {"name": name, "shown": chosen + others[:room], "more": others[room:],
            "left_out": max(0, len(counts) - most)}
