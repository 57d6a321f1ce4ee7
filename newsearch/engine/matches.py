"""Every match of a search, not one page: for collapse, timelines, terms and samples.

A match is a document number with its score, article id and date, copied out of
the searcher; ids and dates come from FacetCache's per-segment arrays, so listing
a hundred thousand matches reads no stored fields. `hits_for` then turns the few
matches a caller picked into Hits.
"""
from __future__ import annotations

from datetime import datetime, timezone
from collections import Counter
from typing import Any, Iterable, Sequence

from whoosh.util.times import long_to_datetime

from ..errors import IndexCorrupt, NewsearchError, QuerySyntaxError
from ..models import FacetCount, Hit
from .interface import Match
from .query import (
    _DAMAGE,
    _NO_DATE,
    ID_KEY,
    FacetCache,
    SearchRequest,
    _combine,
    _DateFilter,
    _shown,
    _with_feedback,
    build_queries,
    make_hit,
    order_facet,
    query_terms,
    scored_matches,
)


def all_matches(searcher: Any, request: SearchRequest, *, facet_cache: FacetCache) -> list[Match]:
    """Every article matching `request` (text, filters, dates), in its sort order:
    best first for relevance (ties in index order), else by date, undated last."""
    try:
        text_query, filters, date_query = build_queries(request, searcher.schema)
        text_query = _with_feedback(searcher, request, text_query, filters, date_query)
        combined = _combine(text_query, filters)
        dates_filter = _DateFilter.of(searcher, date_query, facet_cache)
        docs, scores = scored_matches(searcher, combined, dates_filter)
        reader = searcher.reader()
        ids = facet_cache.values(reader, ID_KEY)
        dates = facet_cache.dates(reader)
    except NewsearchError:
        raise
    except _DAMAGE as exc:
        raise IndexCorrupt(f"index files are damaged ({type(exc).__name__}: {exc}); run `newsearch rebuild`") from exc
    except Exception as exc:
        raise QuerySyntaxError(f"cannot run query {_shown(request.text)}: {exc}") from exc
    order = list(range(len(docs)))
    if request.sort == "relevance":
        order.sort(key=lambda k: (-scores[k], docs[k]))
    else:
        newest = request.sort == "newest"
        order.sort(key=lambda k: (dates[docs[k]] >= _NO_DATE,
                                  -dates[docs[k]] if newest else dates[docs[k]], docs[k]))
    return [Match(docs[k], scores[k], _first(ids[docs[k]]), _as_datetime(dates[docs[k]])) for k in order]


def _first(value: Any) -> str:
    if isinstance(value, tuple):
        return value[0]
    return value or ""


def _as_datetime(value: int) -> datetime | None:
    if value >= _NO_DATE:
        return None
    return long_to_datetime(value).replace(tzinfo=timezone.utc)


def hits_for(searcher: Any, request: SearchRequest, picked: Sequence[Match], *, first_rank: int = 1) -> list[Hit]:
    """Hits for chosen matches, ranked from `first_rank`, with snippets when asked."""
    terms = frozenset()
    if request.highlight:
        text_query, _, _ = build_queries(request, searcher.schema)
        terms = query_terms(text_query)
    return [make_hit(searcher, m.key, m.score, first_rank + i, terms, request.highlight)
            for i, m in enumerate(picked)]


def document_frequencies(searcher: Any, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
    """How many articles of the whole index hold each term in `fieldname`."""
    return {term: searcher.doc_frequency(fieldname, term) for term in terms}


def analyse(searcher: Any, text: str, fieldname: str = "body") -> list[tuple[str, str]]:
    """(index term, word as printed) for each word of `text`, as the field indexes it."""
    analyzer = searcher.schema[fieldname].analyzer
    return [(token.text, text[token.startchar:token.endchar])
            for token in analyzer(text, chars=True, mode="index")]


def stored_body(searcher: Any, docnum: int) -> str:
    stored = searcher.stored_fields(docnum)
    return "\n\n".join(p for p in (stored.get("title", ""), stored.get("summary", ""), stored.get("body", "")) if p)


def count_documents(searcher: Any) -> int:
    return searcher.doc_count()


__all__ = ["Match", "all_matches", "hits_for", "count_facets", "document_frequencies", "analyse", "stored_body"]


def count_facets(searcher: Any, facets: Sequence[str], picked: Sequence[Match], *, facet_cache: FacetCache,
                 groups: Sequence[str] | None = None) -> dict[str, tuple[FacetCount, ...]]:
    """Facet counts over `picked`; with `groups` (a label per match) each label
    counts once per value, so copies of one story count as one."""
    reader = searcher.reader()
    result = {}
    for name in facets:
        values = facet_cache.values(reader, name)
        per_match = [_as_tuple(values[m.key]) for m in picked]
        if groups is None:
            tally = Counter(v for vs in per_match for v in vs)
        else:
            tally = Counter(v for _, v in {(g, v) for g, vs in zip(groups, per_match) for v in vs})
        result[name] = order_facet(name, tally)
    return result


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)
