"""Renderings of results for people and machines: table text, JSON, JSONL and CSV.

One function per shape; the CLI picks one. Nothing here reads the index.
"""
from __future__ import annotations

import csv
import json
import re
from typing import Any, Iterable, Sequence, TextIO

from .models import Article, FacetCount, Hit, SearchResults

EXPORT_COLUMNS = (
    "rank", "id", "title", "date", "section", "byline", "authors", "source", "tags", "url", "path", "score", "snippet",
)
BAR_WIDTH = 40
# Bars a date histogram may print; past that, months are shown by year.
MAX_BUCKETS = 600
# Longer runs of periods without articles are printed as one line.
MAX_EMPTY_BARS = 3
_MARK = re.compile(r"\*\*(.+?)\*\*")


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def to_json_line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def render_marks(snippet: str, *, color: bool) -> str:
    """Matched words are **marked**; on a terminal they become bold yellow instead."""
    if not color:
        return snippet
    return _MARK.sub(lambda m: f"\x1b[1;33m{m.group(1)}\x1b[0m", snippet)


def _date(hit_or_article: Hit | Article) -> str:
    """The publication's own calendar day, the one date filters match."""
    local = hit_or_article.local_date
    return local.date().isoformat() if local else ""


def hit_lines(hit: Hit, *, color: bool = False) -> list[str]:
    meta = " · ".join(p for p in (_date(hit), hit.section, hit.byline or ", ".join(hit.authors)) if p)
    lines = [f"{hit.rank:>3}. {hit.title or '(untitled)'}"]
    if meta:
        lines.append(f"     {meta}")
    if hit.snippet:
        lines.append(f"     {render_marks(hit.snippet, color=color)}")
    lines.append(f"     id: {hit.id}")
    return lines


def results_text(results: SearchResults, *, color: bool = False) -> str:
    """The human listing: a header line, numbered hits, then facet tables."""
    noun = "result" if results.total == 1 else "results"
    quoted = f' for "{results.query}"' if results.query else ""
    lines = [f"{results.total:,} {noun}{quoted} (page {results.page} of {results.pages})"]
    if results.suggestion:
        lines.append(f'Did you mean: "{results.suggestion}"?')
    for hit in results.hits:
        lines.append("")
        lines.extend(hit_lines(hit, color=color))
    for name, counts in results.facets.items():
        lines.append("")
        lines.extend(facet_lines(name, counts))
    return "\n".join(lines)


def facet_lines(name: str, counts: Sequence[FacetCount], *, top: int = 15) -> list[str]:
    """A compact count table; dates as a bar chart so gaps show as gaps."""
    if not counts:
        return [f"{name}: (none)"]
    if name in ("year", "month"):
        return histogram_lines(name, counts)
    shown = list(counts[:top])
    width = max(len(c.value) for c in shown)
    lines = [f"{name}:"]
    lines.extend(f"  {c.value:<{width}}  {c.count:>6,}" for c in shown)
    if len(counts) > top:
        rest = sum(c.count for c in counts[top:])
        lines.append(f"  … {len(counts) - top} more ({rest:,})")
    return lines


def histogram_lines(name: str, counts: Sequence[FacetCount], *, max_buckets: int = MAX_BUCKETS) -> list[str]:
    """One bar per period over the articles' own range; months that would need more than
    `max_buckets` bars are shown by year, and the heading says so."""
    lines = [f"{name}:"]
    span = _months_between(counts[0].value, counts[-1].value) if name == "month" else 0
    if span > max_buckets:
        lines = [f"{name}: {span:,} months from {counts[0].value} to {counts[-1].value}, shown by year"]
        counts = _by_year(counts)
    if len(counts) > max_buckets:
        # Even by year too long a chart: only the busiest periods, in time order.
        busiest = sorted(sorted(counts, key=lambda c: -c.count)[:max_buckets], key=lambda c: c.value)
        lines[0] += f" (the {max_buckets} busiest of {len(counts):,} periods)"
        counts = busiest
    peak = max(c.count for c in counts) or 1
    width = max(len(c.value) for c in counts)
    empty: list[FacetCount] = []
    for c in list(counts) + [FacetCount("", 1)]:
        if not c.count:
            empty.append(c)
            continue
        if len(empty) > MAX_EMPTY_BARS:  # a long run of empty periods is one line, not a column of zeros
            unit = "years" if len(empty[0].value) == 4 else "months"
            lines.append(f"  {'⋮':<{width}}  {0:>6,} ({len(empty):,} {unit}, {empty[0].value} to {empty[-1].value})")
        else:
            lines.extend(f"  {e.value}  {0:>6,} " for e in empty)
        empty = []
        if c.value:
            bar = "█" * max(1, round(c.count / peak * BAR_WIDTH))
            lines.append(f"  {c.value}  {c.count:>6,} {bar}")
    return lines


def _months_between(first: str, last: str) -> int:
    try:
        (y, m), (ly, lm) = (map(int, first.split("-")), map(int, last.split("-")))
    except ValueError:
        return 0
    return (ly - y) * 12 + lm - m + 1


def _by_year(counts: Sequence[FacetCount]) -> list[FacetCount]:
    years: dict[str, int] = {}
    for c in counts:
        years[c.value[:4]] = years.get(c.value[:4], 0) + c.count
    return [FacetCount(year, count) for year, count in sorted(years.items())]


def article_text(article: Article) -> str:
    """`newsearch show`: the stored article as readable text."""
    fields = [
        ("id", article.id),
        ("title", article.title),
        ("byline", article.byline),
        ("authors", ", ".join(article.authors)),
        ("date", article.local_date.isoformat() if article.local_date else ""),
        ("section", article.section),
        ("source", article.source),
        ("agency", article.agency),
        ("url", article.url or ""),
        ("tags", ", ".join(article.tags)),
        ("path", article.path),
    ]
    lines = [f"{k + ':':<9} {v}" for k, v in fields if v]
    if article.summary:
        lines += ["", article.summary]
    lines += ["", article.body]
    return "\n".join(lines)


def export_row(hit: Hit) -> dict[str, Any]:
    data = hit.to_dict()
    data["authors"] = "; ".join(hit.authors)
    data["tags"] = "; ".join(hit.tags)
    return {k: data.get(k) for k in EXPORT_COLUMNS}


def write_export(hits: Iterable[Hit], stream: TextIO, *, fmt: str) -> int:
    """Stream every hit as JSONL or CSV with a fixed column order; returns the count."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for hit in hits:
            writer.writerow(export_row(hit))
            count += 1
        return count
    for hit in hits:
        data = hit.to_dict()
        stream.write(to_json_line({k: data.get(k) for k in EXPORT_COLUMNS}) + "\n")
        count += 1
    return count


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
