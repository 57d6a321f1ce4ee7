"""\"Did you mean\": unknown words of a query replaced by the closest indexed ones.

The rule reads a vocabulary through four questions (how many articles hold a
term, how often it occurs, which terms lie within an edit distance, how an
indexed term is printed), so one index and an archive of shards, which sums
the answers of its shards, suggest exactly the same words.
"""
from __future__ import annotations

import heapq
import re
from typing import Any, Iterable, Protocol

from .query import first_id

_SUGGESTABLE_WORD = re.compile(r"(?<![\w:*?])([^\W\d_]{3,})(?![\w:*?])")
_OPERATORS = {"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"}
# Suggestions replace words found in at most this many articles...
RARE_WORD_DOCS = 2
# ...by a word at least this many times as common.
COMMONER_FACTOR = 20
# Candidates one (then two) edits away considered, the most frequent first (as Whoosh's corrector).
CANDIDATES = 20


class Vocabulary(Protocol):
    """What suggestions ask of an index (or of all shards together)."""

    def query_terms(self, word: str) -> list[str]:
        """The body terms a typed word becomes."""

    def doc_frequencies(self, fieldname: str, terms: Iterable[str]) -> dict[str, int]: ...

    def frequencies(self, fieldname: str, terms: Iterable[str]) -> dict[str, int]: ...

    def terms_within(self, term: str, distance: int) -> set[str]:
        """Body terms at most `distance` edits from `term`, sharing its first letter."""

    def printed_form(self, term: str) -> tuple[str, str] | None:
        """(article id, word as printed) from the article with the smallest id holding `term`."""


def suggest(vocabulary: Vocabulary, text: str) -> str | None:
    """The query with unknown words replaced by the closest indexed ones; None when
    every word is known. Candidates come from the body's (stemmed) vocabulary; each
    is shown as printed in an article, so the suggestion reads "embassy", not "embassi"."""
    suggestion = text
    changed = False
    for match in _SUGGESTABLE_WORD.finditer(re.sub(r'"[^"]*"|\w+:\S+', " ", text)):
        word = match.group(1)
        if word in _OPERATORS:
            continue
        terms = vocabulary.query_terms(word)
        if not terms:
            continue
        known = max(max(vocabulary.doc_frequencies(f, terms).values(), default=0) for f in ("body", "title"))
        if known > RARE_WORD_DOCS:
            continue
        best = _closest_term(vocabulary, terms[-1])
        # A known but rare word (archives have typos too) gives way only to a far commoner one.
        if best is None or best[1] < max(1, known * COMMONER_FACTOR):
            continue
        printed = vocabulary.printed_form(best[0])
        surface = printed[1] if printed else best[0]
        suggestion = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface, suggestion, count=1)
        changed = True
    return suggestion if changed and suggestion != text else None


def _closest_term(vocabulary: Vocabulary, term: str) -> tuple[str, int] | None:
    """The most common indexed term (and its document frequency) one edit away, else two."""
    for distance in (1, 2):
        near = sorted(vocabulary.terms_within(term, distance) - {term})
        if not near:
            continue
        counts = vocabulary.frequencies("body", near)
        # Whoosh's ReaderCorrector score: nearer first, then by occurrences.
        scored = [(-(distance + 0.5 / (counts.get(c) or 1)), c) for c in near]
        candidates = [c for _, c in heapq.nlargest(CANDIDATES, scored)]
        dfs = vocabulary.doc_frequencies("body", candidates)
        best = max(candidates, key=lambda c: (dfs.get(c, 0), c))
        return best, dfs.get(best, 0)
    return None


class SearcherVocabulary:
    """The Vocabulary of one Whoosh searcher (one index, or one shard)."""

    def __init__(self, searcher: Any, ids: list[Any]) -> None:
        self._searcher = searcher
        self._ids = ids
        self._analyzer = searcher.schema["body"].analyzer

    def query_terms(self, word: str) -> list[str]:
        return [token.text for token in self._analyzer(word, mode="query")]

    def doc_frequencies(self, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
        return {t: self._searcher.doc_frequency(fieldname, t) for t in terms}

    def frequencies(self, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
        return {t: self._searcher.frequency(fieldname, t) for t in terms}

    def terms_within(self, term: str, distance: int) -> set[str]:
        reader = self._searcher.reader()
        return {t.decode("utf-8") if isinstance(t, bytes) else t
                for t in reader.terms_within("body", term, distance, prefix=1)}

    def printed_form(self, term: str) -> tuple[str, str] | None:
        postings = self._searcher.reader().postings("body", term)
        docs = list(postings.all_ids())
        if not docs:
            return None
        docnum = min(docs, key=lambda d: first_id(self._ids[d]))
        stored = self._searcher.stored_fields(docnum)
        body = stored.get("body", "")
        for token in self._analyzer(body, chars=True, mode="index"):
            if token.text == term:
                return stored.get("id", ""), body[token.startchar: token.endchar].lower()
        return None


__all__ = ["SearcherVocabulary", "Vocabulary", "suggest"]
