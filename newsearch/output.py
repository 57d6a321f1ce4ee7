"""Renderings of results for people and machines: table text, JSON, JSONL and CSV.

One function per shape; the CLI picks one. Nothing here reads the index.
"""
from __future__ import annotations

import csv
import json
import re
from typing import Any, Callable, Iterable, Sequence, TextIO

from .models import Article, FacetCount, Hit, SearchResults

# What `export` writes by default, in this order; `--fields` picks others from EXPORT_FIELDS.
EXPORT_COLUMNS = (
    "rank", "id", "title", "date", "section", "byline", "authors", "source", "tags", "url", "path", "score", "snippet",
    "body",
)
# Fields of a hit, and fields read from the stored article (one lookup per hit, only when asked for).
HIT_FIELDS = ("rank", "id", "title", "date", "section", "byline", "authors", "source", "tags", "url", "path",
              "score", "snippet")
ARTICLE_FIELDS = ("body", "summary", "agency", "language", "warnings")
EXPORT_FIELDS = HIT_FIELDS + ARTICLE_FIELDS
BAR_WIDTH = 40
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
    return hit_or_article.date.date().isoformat() if hit_or_article.date else ""


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


def histogram_lines(name: str, counts: Sequence[FacetCount]) -> list[str]:
    peak = max(c.count for c in counts) or 1
    lines = [f"{name}:"]
    for c in counts:
        bar = "█" * max(1 if c.count else 0, round(c.count / peak * BAR_WIDTH))
        lines.append(f"  {c.value}  {c.count:>6,} {bar}")
    return lines


def article_text(article: Article) -> str:
    """`newsearch show`: the stored article as readable text."""
    fields = [
        ("id", article.id),
        ("title", article.title),
        ("byline", article.byline),
        ("authors", ", ".join(article.authors)),
        ("date", article.date.isoformat() if article.date else ""),
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


def export_fields(text: str | None) -> tuple[str, ...]:
    """`--fields id,title,body` -> the columns; ValueError naming an unknown one."""
    if not text:
        return EXPORT_COLUMNS
    fields = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in fields if f not in EXPORT_FIELDS]
    if unknown or not fields:
        raise ValueError(f"unknown field {unknown[0]!r}" if unknown else "no fields given")
    return fields


def _record(hit: Hit, fields: Sequence[str], article: Callable[[str], Article] | None) -> dict[str, Any]:
    data = hit.to_dict()
    if article is not None and any(f in ARTICLE_FIELDS for f in fields):
        data.update({k: v for k, v in article(hit.id).to_dict().items() if k in ARTICLE_FIELDS})
    return {k: data.get(k) for k in fields}


def export_row(hit: Hit, fields: Sequence[str] = EXPORT_COLUMNS,
               article: Callable[[str], Article] | None = None) -> dict[str, Any]:
    """One CSV row: lists joined with "; "."""
    row = _record(hit, fields, article)
    for key in ("authors", "tags", "warnings"):
        if isinstance(row.get(key), (list, tuple)):
            row[key] = "; ".join(row[key])
    return row


def write_export(hits: Iterable[Hit], stream: TextIO, *, fmt: str, fields: Sequence[str] = EXPORT_COLUMNS,
                 article: Callable[[str], Article] | None = None) -> int:
    """Stream every hit as JSONL or CSV with the given columns in order; returns the count.
    `article(id)` supplies the stored article for fields a hit does not carry (body, ...)."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        for hit in hits:
            writer.writerow(export_row(hit, fields, article))
            count += 1
        return count
    for hit in hits:
        stream.write(to_json_line(_record(hit, fields, article)) + "\n")
        count += 1
    return count


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
