"""Every match of a search, not one page: for collapse, timelines, terms and samples.

A match is a document number with its score, article id and date, copied out of
the searcher; ids and dates come from FacetCache's per-segment arrays, so listing
a hundred thousand matches reads no stored fields. `hits_for` then turns the few
matches a caller picked into Hits.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from collections import Counter
from typing import Any, Callable, Iterable, Sequence

from whoosh.util.times import long_to_datetime

from ..models import FacetCount, Hit
from .analyzers import rereading_analyzer
from .interface import Match
from .query import (
    _NO_DATE,
    ID_KEY,
    FacetCache,
    SearchRequest,
    _combine,
    _DateFilter,
    _with_feedback,
    queries_for,
    first_id,
    make_hit,
    order_facet,
    query_terms,
    scored_matches,
    search_errors,
)


def all_matches(searcher: Any, request: SearchRequest, *, facet_cache: FacetCache,
                expansion: dict[str, float] | None = None) -> list[Match]:
    """Every article matching `request` (text, filters, dates), in its sort order:
    best first for relevance, else by date, undated last; ties by article id."""
    text_query, filters, date_query = queries_for(searcher, request)
    text_query = _with_feedback(searcher, request, text_query, facet_cache, expansion)
    combined = _combine(text_query, filters)
    with search_errors(request.text):
        dates_filter = _DateFilter.of(searcher, date_query, facet_cache)
        docs, scores = scored_matches(searcher, combined, dates_filter)
        reader = searcher.reader()
        ids = facet_cache.values(reader, ID_KEY)
        dates = facet_cache.dates(reader)
    found = [Match(d, s, first_id(ids[d]), _as_datetime(dates[d])) for d, s in zip(docs, scores)]
    found.sort(key=match_order(request.sort))
    return found


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TICK = timedelta(microseconds=1)


def match_order(sort: str) -> Callable[[Match], tuple[Any, ...]]:
    """The sort key of matches, the same for one index and across shards."""
    if sort == "relevance":
        return lambda m: (-m.score, m.id)
    sign = -1 if sort == "newest" else 1
    return lambda m: ((1, 0, m.id) if m.date is None else (0, sign * ((m.date - _EPOCH) // _TICK), m.id))


def _as_datetime(value: int) -> datetime | None:
    if value >= _NO_DATE:
        return None
    return long_to_datetime(value).replace(tzinfo=timezone.utc)


def hits_for(searcher: Any, request: SearchRequest, picked: Sequence[Match], *, first_rank: int = 1) -> list[Hit]:
    """Hits for chosen matches, ranked from `first_rank`, with snippets when asked."""
    terms = frozenset()
    if request.highlight:
        text_query, _, _ = queries_for(searcher, request)
        terms = query_terms(text_query)
    return [make_hit(searcher, m.key, m.score, first_rank + i, terms, request.highlight)
            for i, m in enumerate(picked)]


def document_frequencies(searcher: Any, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
    """How many articles of the whole index hold each term in `fieldname`."""
    return {term: searcher.doc_frequency(fieldname, term) for term in terms}


def analyse(searcher: Any, text: str, fieldname: str = "body") -> list[tuple[str, str]]:
    """(index term, word as printed) for each word of `text`, as the field indexes it."""
    analyzer = rereading_analyzer(searcher.schema[fieldname].analyzer)
    return [(token.text, text[token.startchar:token.endchar])
            for token in analyzer(text, chars=True, mode="index")]


def stored_body(searcher: Any, docnum: int) -> str:
    stored = searcher.stored_fields(docnum)
    return "\n\n".join(p for p in (stored.get("title", ""), stored.get("summary", ""), stored.get("body", "")) if p)


def count_documents(searcher: Any) -> int:
    return searcher.doc_count()


__all__ = ["Match", "all_matches", "hits_for", "facet_values", "tally_facets", "document_frequencies", "analyse", "stored_body"]


def facet_values(searcher: Any, facets: Sequence[str], picked: Sequence[Match], *,
                 facet_cache: FacetCache) -> dict[str, list[tuple[str, ...]]]:
    """For each facet, the values of each of `picked` (matches this searcher gave)."""
    reader = searcher.reader()
    result = {}
    for name in facets:
        values = facet_cache.values(reader, name)
        result[name] = [_as_tuple(values[m.key]) for m in picked]
    return result


def tally_facets(facets: Sequence[str], per_match: dict[str, list[tuple[str, ...]]],
                 groups: Sequence[str] | None = None) -> dict[str, tuple[FacetCount, ...]]:
    """Facet counts from each match's values; with `groups` (a label per match)
    each label counts once per value, so copies of one story count as one."""
    result = {}
    for name in facets:
        values = per_match[name]
        if groups is None:
            tally = Counter(v for vs in values for v in vs)
        else:
            tally = Counter(v for _, v in {(g, v) for g, vs in zip(groups, values) for v in vs})
        result[name] = order_facet(name, tally)
    return result


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)
