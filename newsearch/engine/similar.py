"""Similar articles: more-like-this from an article's most telling body words.

Whoosh's `more_like` picks the words by the Bo1 model over the index's own counts
and breaks equal scores by document number. Here the counts come in as
CorpusStats (one index's own, or the sums over shards) and equal scores are
ordered by article id, so one index and its shards give the same list.
"""
from __future__ import annotations

from typing import Any

from whoosh import classify
from whoosh import query as wq

from .query import ID_KEY, FacetCache, best_by, first_id, scored_matches, search_errors
from .ranking import SumOr
from .stats import CorpusStats, Term, gather, searcher_with

FIELD = "body"
KEY_TERMS = 25


def source_text(stored: dict[str, Any]) -> str:
    """What an article is compared by: its headline (counted twice) and its body."""
    return " ".join([stored.get("title", "")] * 2 + [stored.get(FIELD, "")])


def candidate_terms(schema: Any, text: str) -> set[Term]:
    return {(FIELD, btext) for btext, _, _, _ in schema[FIELD].index(text)}


def local_stats(searcher: Any, text: str) -> CorpusStats:
    """This index's counts for the words of `text` (merged over shards by the caller)."""
    return gather(searcher, candidate_terms(searcher.schema, text), frequencies=True)


class _CountsReader:
    """The reader Whoosh's Expander reads, answering from CorpusStats."""

    def __init__(self, schema: Any, stats: CorpusStats) -> None:
        self.schema = schema
        self._stats = stats

    def doc_count_all(self) -> int:
        return self._stats.doc_count

    def field_length(self, fieldname: str) -> int:
        return self._stats.field_lengths.get(fieldname, 0)

    def frequency(self, fieldname: str, btext: bytes) -> int:
        return self._stats.frequency(fieldname, btext)

    def __contains__(self, term: Term) -> bool:
        return term in self._stats.frequencies


def key_terms(schema: Any, text: str, stats: CorpusStats) -> list[tuple[str, float]]:
    expander = classify.Expander(_CountsReader(schema, stats), FIELD, model=classify.Bo1Model)
    expander.add_text(text)
    return expander.expanded_terms(KEY_TERMS, normalize=False)


def ranked_similar(searcher: Any, text: str, exclude: str, stats: CorpusStats, *, limit: int,
                   facet_cache: FacetCache) -> list[tuple[tuple[float, str], int, float]]:
    """The `limit` best matches of the key-term query of `text`, the article `exclude`
    left out, as (sort key, docnum, score) like query.Ranked.top."""
    terms = key_terms(searcher.schema, text, stats)
    if not terms:
        return []
    query = SumOr([wq.Term(FIELD, word, boost=weight) for word, weight in terms])
    scorer = searcher_with(searcher, stats)
    with search_errors("similar"):
        ids = facet_cache.values(searcher.reader(), ID_KEY)
        docs, scores = scored_matches(scorer, query)
        kept = [(d, s) for d, s in zip(docs, scores) if first_id(ids[d]) != exclude]
        best = best_by([-s for _, s in kept], [d for d, _ in kept], limit, ids)
    return [((value, first_id(ids[d])), d, -value) for d, value in best]


__all__ = ["candidate_terms", "key_terms", "local_stats", "ranked_similar", "source_text"]
