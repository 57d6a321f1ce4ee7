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

    def has_spelling(self) -> bool:
        """Whether the index keeps its dictionary of printed words (spelling.py)."""

    def spelling_candidates(self, word: str) -> list[tuple[int, int, str, str]]:
        """SpellingStore.candidates: (edits, -articles, printed, word), closest and commonest first."""

    def holds(self, fieldname: str, term: str) -> bool:
        """Whether an undeleted article holds the term."""


def suggest(vocabulary: Vocabulary, text: str) -> str | None:
    """The query with unknown words replaced by the closest indexed ones (the rule of
    query.suggest, asked through `vocabulary`); None when every word is known."""
    suggestion = text
    changed = False
    for match in _SUGGESTABLE_WORD.finditer(re.sub(r'"[^"]*"|\w+:\S+', " ", text)):
        word = match.group(1)
        if word in _OPERATORS:
            continue
        terms = vocabulary.query_terms(word)
        if not terms:
            continue
        known = _most_held(vocabulary, terms)
        if known > RARE_WORD_DOCS:
            continue
        # A known but rare word (archives have typos too) gives way only to a far commoner one.
        needed = max(1, known * COMMONER_FACTOR)
        if vocabulary.has_spelling():
            surface = _closest_printed(vocabulary, word, terms, needed)
        else:
            best = _closest_term(vocabulary, terms[-1])
            if best is None or best[1] < needed:
                continue
            printed = vocabulary.printed_form(best[0])
            surface = printed[1] if printed else best[0]
        if surface is None:
            continue
        suggestion = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface, suggestion, count=1)
        changed = True
    return suggestion if changed and suggestion != text else None


def _most_held(vocabulary: Vocabulary, terms: list[str]) -> int:
    return max(max(vocabulary.doc_frequencies(f, terms).values(), default=0) for f in ("body", "title"))


def _closest_printed(vocabulary: Vocabulary, word: str, terms: list[str], needed: int) -> str | None:
    """The commonest printed word the fewest edits away still held in `needed` articles
    and not just another form of the typed word (as query._closest_printed)."""
    for _, _, printed, _ in vocabulary.spelling_candidates(word):
        found = vocabulary.query_terms(printed)
        if not found or found == terms:
            continue
        if not any(vocabulary.holds(f, t) for t in found for f in ("body", "title")):
            continue
        return printed if _most_held(vocabulary, found) >= needed else None
    return None


def _closest_term(vocabulary: Vocabulary, term: str) -> tuple[str, int] | None:
    """The most common indexed term (and its document frequency) one edit away, else
    two: the look-up for an index without a dictionary of printed words (built before
    it existed), slower but still right."""
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

    def __init__(self, searcher: Any, ids: list[Any], spelling: Any = None) -> None:
        self._searcher = searcher
        self._ids = ids
        self._spelling = spelling
        self._analyzer = searcher.schema["body"].analyzer

    def has_spelling(self) -> bool:
        return self._spelling is not None

    def spelling_candidates(self, word: str) -> list[tuple[int, int, str, str]]:
        return self._spelling.candidates(word) if self._spelling is not None else []

    def holds(self, fieldname: str, term: str) -> bool:
        if self._searcher.doc_frequency(fieldname, term) == 0:
            return False
        return self._searcher.reader().postings(fieldname, term).is_active()

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
