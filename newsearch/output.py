"""Renderings of results for people and machines: table text, JSON, JSONL and CSV.

One function per shape; the CLI picks one. Nothing here reads the index.
"""
from __future__ import annotations

import csv
import json
import re
from typing import Any, Callable, Iterable, Sequence, TextIO

from .models import Article, FacetCount, Hit, SearchResults, TermScore, Timeline

# What `export` writes by default, in this order; `--fields` picks others from EXPORT_FIELDS.
EXPORT_COLUMNS = (
    "rank", "id", "title", "date", "section", "byline", "authors", "source", "tags", "url", "path", "score", "snippet",
    "story", "copies",
    "body",
)
# Fields of a hit, and fields read from the stored article (one lookup per hit, only when asked for).
HIT_FIELDS = ("rank", "id", "title", "date", "section", "byline", "authors", "source", "tags", "url", "path",
              "score", "snippet", "story", "copies", "fetched", "fetched_url")
ARTICLE_FIELDS = ("body", "summary", "agency", "language", "warnings")
EXPORT_FIELDS = HIT_FIELDS + ARTICLE_FIELDS
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
    if hit.copies > 1:
        sources = f": {', '.join(hit.copy_sources)}" if hit.copy_sources else ""
        lines.append(f"     {hit.copies} copies{sources} (newsearch query --copies {hit.id})")
    return lines


def results_text(results: SearchResults, *, color: bool = False) -> str:
    """The human listing: a header line, numbered hits, then facet tables."""
    noun = "result" if results.total == 1 else "results"
    if results.count == "stories":
        noun = "story" if results.total == 1 else "stories"
    quoted = f' for "{results.query}"' if results.query else ""
    if results.sampled:
        lines = [f"a random sample of {len(results.hits):,} of {results.total:,} {noun}{quoted}"]
    else:
        lines = [f"{results.total:,} {noun}{quoted} (page {results.page} of {results.pages})"]
    if results.suggestion:
        lines.append(f'Did you mean: "{results.suggestion}"?')
    if results.missing_shards:
        lines.append(f"partial: shards {', '.join(results.missing_shards)} gave no answer; these results are the others'")
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
        ("fetched", (f"{article.fetched.isoformat()} from {article.fetched_url}" if article.fetched_url
                     else article.fetched.isoformat()) if article.fetched else ""),
        ("feed", article.feed),
        ("tags", ", ".join(article.tags)),
        ("path", article.path),
        ("story", f"{article.story} ({article.copies} copies)" if article.copies > 1 else ""),
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


def copies_text(articles: Sequence[Article]) -> str:
    """`newsearch query --copies ID`: the articles of one story, one block each."""
    story = articles[0].story if articles else ""
    lines = [f"story {story}: {len(articles)} {'copy' if len(articles) == 1 else 'copies'}"]
    for number, article in enumerate(articles, start=1):
        meta = " · ".join(p for p in (_date(article), article.source, article.byline) if p)
        lines += ["", f"{number:>3}. {article.title or '(untitled)'}"]
        if meta:
            lines.append(f"     {meta}")
        lines.append(f"     id: {article.id}")
    return "\n".join(lines)


def timeline_lines(timeline: Timeline) -> list[str]:
    """A bar chart per query in the terminal; shares as percentages when normalised."""
    lines = []
    for series in timeline.series:
        noun = "stories" if timeline.count == "stories" else "articles"
        head = f'"{series.query}": {series.total:,} {noun}'
        if series.undated:
            head += f" ({series.undated:,} undated, not shown)"
        lines += [head] if not lines else ["", head]
        values = series.shares if series.shares is not None else series.counts
        peak = max(values, default=0) or 1
        for period, count, value in zip(timeline.periods, series.counts, values):
            bar = "█" * max(1 if value else 0, round(value / peak * BAR_WIDTH))
            share = f" {100 * value:6.2f}%" if series.shares is not None else ""
            lines.append(f"  {period:<10} {count:>7,}{share} {bar}")
    return lines


def timeline_csv(timeline: Timeline, stream: TextIO) -> None:
    """One row per period; a count column per query, plus its share when normalised."""
    writer = csv.writer(stream)
    header = ["period"]
    for series in timeline.series:
        header.append(series.query)
        if series.shares is not None:
            header.append(f"{series.query} (share)")
    if timeline.archive_counts is not None:
        header.append("all articles")
    writer.writerow(header)
    for i, period in enumerate(timeline.periods):
        row: list[Any] = [period]
        for series in timeline.series:
            row.append(series.counts[i])
            if series.shares is not None:
                row.append(f"{series.shares[i]:.6f}")
        if timeline.archive_counts is not None:
            row.append(timeline.archive_counts[i])
        writer.writerow(row)


def plot_timeline(timeline: Timeline, path: str) -> None:
    """Save the timeline as a PNG or SVG line chart; needs the optional matplotlib."""
    from .errors import NewsearchError

    if not path.lower().endswith((".png", ".svg")):
        raise NewsearchError(f"{path}: --plot writes .png or .svg files")
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError as exc:
        raise NewsearchError(
            "plotting needs matplotlib: pip install 'newsearch[plot]' (or use --csv / --json)"
        ) from exc
    figure, axes = pyplot.subplots(figsize=(10, 4))
    for series in timeline.series:
        values = series.shares if series.shares is not None else series.counts
        axes.plot(range(len(timeline.periods)), values, label=series.query, marker="o" if len(values) < 40 else None)
    step = max(1, len(timeline.periods) // 12)
    axes.set_xticks(range(0, len(timeline.periods), step))
    axes.set_xticklabels(timeline.periods[::step], rotation=45, ha="right")
    axes.set_ylabel("share of all articles" if timeline.archive_counts is not None else timeline.count)
    axes.legend()
    figure.tight_layout()
    try:
        figure.savefig(path)
    except OSError as exc:
        raise NewsearchError(f"{path}: cannot write the plot ({exc.strerror or exc})") from exc
    finally:
        pyplot.close(figure)


def terms_lines(scores: Sequence[TermScore], *, sample: int) -> list[str]:
    if not scores:
        return ["no distinctive terms (too few matching articles?)"]
    width = max(len(s.printed) for s in scores)
    lines = [f"{'term':<{width}}  {'JLH':>8}  {'in hits':>7}  {'in archive':>10}"]
    lines += [f"{s.printed:<{width}}  {s.score:>8.3f}  {s.foreground:>7,}  {s.background:>10,}" for s in scores]
    lines.append(f"(JLH score: up to the {sample:,} best-ranked matching stories against the whole archive)")
    return lines
