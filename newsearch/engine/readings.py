"""A query read once for each language an index holds.

Articles in the index's own language have plain terms; an article in another language
has its words stemmed by that language's rules and tagged ("student@de",
engine/analyzers.py). So a query is parsed once per language present: the reading in
German stems "Studenten" as German does and can only match German articles, the
English reading stems "students" as English does. Each reading is kept to articles of
its language (scored by its own terms only), and the readings are joined with OR.

A reading stems a word only where articles of that language print it (the attested
words field): otherwise an English "families" would find German pages through the
German stem of "Familien". A one-language index has a single reading and its queries
are exactly what they were before languages were told apart.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Callable

from whoosh import matching
from whoosh import query as wq

from .analyzers import (ATTESTED, TAG, TYPED, attested_key, language_analyzer, language_tagger,
                        language_tokenizer)
from .ranking import WITHIN, WITHIN_SHARE, Bonus, FieldsTerm, SumOr, Within, posting_blocks
from .terms import SearchMemo

__all__ = ["Evidence", "Readings", "analyzer_for", "chosen_languages", "language_evidence", "languages_for",
           "summed_evidence", "readings_of", "reading_schema", "restrict_to", "language_parts",
           "InLanguage", "LanguagesLeftOut", "NotInLanguages"]

TEXT_FIELDS = ("title", "summary", "body")
LANGUAGE_FIELD = "language"
WORDS_FIELD = "words"


@dataclass(frozen=True)
class Readings:
    """The languages a query is read in: the index's own first, then the others present."""

    default: str
    others: tuple[str, ...]
    attested: Callable[[str, str], bool]
    # (language, word) -> printed words of that language ending in the word.
    ending_in: Callable[[str, str], list[str]]
    # What the parsed queries depend on, for caching them.
    key: tuple[Any, ...]
    # (language, word) -> articles of that language printing the word; None when the
    # index cannot tell (no dictionary of printed words): every language is then read.
    printed_docs: Callable[[str, str], int] | None = None
    # language -> its articles.
    size: Callable[[str], int] | None = None
    # Set by a language filter: the languages read are the user's, not chosen by the words.
    forced: bool = False
    # Set by an archive of shards from the words' counts over all shards (summed_evidence).
    decided: tuple[str, ...] | None = None

    def codes(self) -> tuple[str, ...]:
        return (self.default,) + self.others


def readings_of(searcher: Any) -> Readings | None:
    """The readings for `searcher`'s index; None when it holds one language only (or was
    built before languages were analysed apart)."""
    schema = searcher.schema
    if WORDS_FIELD not in schema or "body" not in schema:
        return None
    default = getattr(schema["body"], "language", "")
    if not default:
        return None
    reader = searcher.reader()
    held = getattr(reader, "_newsearch_readings", _UNSET)
    if held is not _UNSET:
        return held
    others = tuple(sorted(code for code in _languages(reader) if code != default))
    if not others:
        found = None
    else:
        seen = SearchMemo()  # a query asks whether a word is printed once per field it reads

        def attested(code: str, word: str) -> bool:
            return seen.get(("attested", code, word),
                            lambda _: reader.doc_frequency(WORDS_FIELD, attested_key(code, word)) > 0)

        def ending_in(code: str, word: str) -> list[str]:
            prefix = attested_key(code, word)
            return [key[len(code) + 1:][::-1] for key in _keys(reader.expand_prefix(WORDS_FIELD, prefix))]

        printed = _printed_counter(reader, default, others, getattr(searcher, "newsearch_spelling", None))
        printed_docs = None if printed is None else (
            lambda code, word: seen.get(("printed", code, word), lambda _: printed(code, word)))
        sizes = {code: reader.doc_frequency(LANGUAGE_FIELD, code) for code in (default,) + others}
        found = Readings(default, others, attested, ending_in, (default, others, id(reader), reader.generation()),
                         printed_docs, lambda code: sizes.get(code, 0))
    try:
        reader._newsearch_readings = found
    except AttributeError:  # a reader type that takes no attributes: computed each time
        pass
    return found


_UNSET = object()


def _printed_counter(reader: Any, default: str, others: tuple[str, ...],
                     spelling: Any) -> Callable[[str, str], int] | None:
    """(language, word) -> articles of that language printing `word`. The other
    languages' counts are their attested-words terms; the index's own language has no
    such field (it would double the postings of most archives), so its count is the
    dictionary of printed words (all languages, engine/spelling.py) less the others'."""
    if spelling is None:
        return None

    def other_docs(code: str, word: str) -> int:
        folded = _folded(code, word)
        return reader.doc_frequency(WORDS_FIELD, attested_key(code, folded)) if folded else 0

    def printed_docs(code: str, word: str) -> int:
        if code != default:
            return other_docs(code, word)
        return max(0, spelling.documents(word) - sum(other_docs(other, word) for other in others))

    return printed_docs


def _folded(code: str, word: str) -> str:
    """`word` as language `code`'s analysis prints it before stemming ("Löhne" -> "lohne")."""
    held = language_tokenizer(code).index_positions(word)
    return next(iter(held), "")


def _languages(reader: Any) -> list[str]:
    return [code for code in _keys(reader.lexicon(LANGUAGE_FIELD)) if reader.doc_frequency(LANGUAGE_FIELD, code) > 0]


_READING_SCHEMAS: dict[tuple[int, str], tuple[Any, Any]] = {}


def reading_schema(schema: Any, code: str) -> Any:
    """`schema` with its text fields analysed as language `code`'s are at index time."""
    key = (id(schema), code)
    held = _READING_SCHEMAS.get(key)
    if held is not None and held[0] is schema:
        return held[1]
    copied = copy.copy(schema)
    copied._fields = dict(schema._fields)
    for name in TEXT_FIELDS:
        if name in schema:
            field = copy.copy(schema[name])
            field.__dict__.pop("_fast_index", None)
            field.analyzer = language_analyzer(code, getattr(field, "stem", True))
            copied._fields[name] = field
    if len(_READING_SCHEMAS) > 64:
        _READING_SCHEMAS.clear()
    _READING_SCHEMAS[key] = (schema, copied)
    return copied


def _keys(terms: Any) -> list[str]:
    return [term.decode("utf-8") if isinstance(term, bytes) else term for term in terms]


# Languages that glue nouns into compounds ("Bundesregierung", "gemeenteraad"): a query
# word also finds the compounds it ends ("Regierung" -> "Bundesregierung").
COMPOUNDING = frozenset({"de", "nl"})
# The shortest head looked up, and the shortest part that must stand before it: shorter
# ones are more often endings than words ("Rat" in "Heirat", "Ende" in "Legende").
MIN_HEAD = 4
MIN_LEFT = 4
MAX_COMPOUNDS = 24


# A language is left out of a query's readings when its articles print the query's
# words at under this share of the rate of the language printing them most (articles
# printing the word per article of the language), judged only on words that at least
# MIN_EVIDENCE articles print: "banks" is printed by 7 of 293 English pages and 1 of
# 396 German ones, so it is not read as German (whose stem "bank" is on every Bank page).
RATE_SHARE = 0.2
MIN_EVIDENCE = 2
# Articles added to every language's count when rates are compared, so that a language
# with a handful of articles (two French pages in an English archive, both printing
# "France") cannot outvote thousands on the strength of a few.
SMOOTHING = 50
_QUERY_WORD = re.compile(r"(?<![\w:*?])([^\W\d_]{3,})(?![\w:*?])")
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"})


# What a query's words tell about its languages: per word, the articles of each language
# printing it; and each language's article count. An archive of shards sums these over
# its shards, so the languages read are those one index of all its articles would read.
Evidence = tuple[dict[str, dict[str, int]], dict[str, int]]


def language_evidence(readings: Readings, text: str) -> Evidence | None:
    """The counts languages_for weighs for `text`; None when the words do not choose
    (a language filter chose, or the index cannot tell)."""
    if readings.forced or readings.printed_docs is None or readings.size is None:
        return None
    codes = readings.codes()
    # A stop word here is one among any archive's languages too: chosen_languages skips it.
    words = {w for w in _QUERY_WORD.findall(text) if w not in _OPERATORS and not _is_stop_word(codes, w)}
    docs = {word: {code: readings.printed_docs(code, word) for code in codes} for word in words}
    return docs, {code: readings.size(code) for code in codes}


def _is_stop_word(codes: tuple[str, ...], word: str) -> bool:
    """Whether some language of `codes` drops `word` (its articles' counts then tell nothing)."""
    return not all(_folded(code, word) for code in codes)


def summed_evidence(parts: list[Evidence]) -> Evidence:
    """The evidence of one index holding the articles of all `parts`."""
    docs: dict[str, dict[str, int]] = {}
    sizes: dict[str, int] = {}
    for part_docs, part_sizes in parts:
        for code, size in part_sizes.items():
            sizes[code] = sizes.get(code, 0) + size
        for word, counts in part_docs.items():
            held = docs.setdefault(word, {})
            for code, count in counts.items():
                held[code] = held.get(code, 0) + count
    return docs, sizes


def chosen_languages(codes: tuple[str, ...], evidence: Evidence) -> tuple[str, ...]:
    """The languages among `codes` whose articles print the words of the evidence (all
    of them when no word tells)."""
    words, sizes = evidence
    kept: set[str] = set()
    for word, counted in words.items():
        if _is_stop_word(codes, word):
            continue
        docs = {code: counted.get(code, 0) for code in codes}
        if max(docs.values()) < MIN_EVIDENCE:
            continue
        rates = {code: docs[code] / (sizes.get(code, 0) + SMOOTHING) for code in codes}
        best = max(codes, key=lambda code: rates[code])
        # Left out only when a language loses on both the rate and the number of articles:
        # a language detected on a few hundred short reports that all print "loss" must
        # not take "loss" away from the thousands of English articles printing it.
        kept.update(code for code in codes
                    if rates[code] >= RATE_SHARE * rates[best] or docs[code] >= docs[best])
    return tuple(code for code in codes if code in kept) if kept else codes


def languages_for(readings: Readings, text: str) -> tuple[str, ...]:
    """The languages to read `text` in: those an archive of shards chose for all its
    shards, else those whose articles print its words (all of them when no word tells,
    or when a language filter chose them)."""
    if readings.decided is not None and not readings.forced:
        return readings.decided
    evidence = language_evidence(readings, text)
    return readings.codes() if evidence is None else chosen_languages(readings.codes(), evidence)


def parse_in(code: str, readings: Readings, parse: Callable[[], Any]) -> Any:
    """Run `parse` as language `code` reads it: attested words stemmed, others kept as
    typed, and in compounding languages each word widened to the compounds it ends."""
    typed: dict[str, str] = {}
    token = ATTESTED.set(readings.attested)
    token_typed = TYPED.set(typed)
    try:
        parsed = parse()
    finally:
        ATTESTED.reset(token)
        TYPED.reset(token_typed)
    if parsed is None or code not in COMPOUNDING:
        return parsed
    return _with_compounds(parsed, code, readings, typed)


def _with_compounds(query: Any, code: str, readings: Readings, typed: dict[str, str]) -> Any:
    if isinstance(query, FieldsTerm):
        word = typed.get(query.text)
        if not word or len(word) < MIN_HEAD or not word.isalpha():
            return query
        term = language_tagger(code)
        heads = {word}
        if readings.attested(code, word):
            # Its stem as a head too, but only for a word this language prints: the German
            # stem of English "banks" would otherwise bring in every "-bank" compound.
            heads.add(term(word)[:-len(TAG + code)])
        found = sorted({term(w) for head in heads if len(head) >= MIN_HEAD
                        for w in readings.ending_in(code, head) if len(w) - len(head) >= MIN_LEFT})
        found = [t for t in found if t != query.text][:MAX_COMPOUNDS]
        if not found:
            return query
        return SumOr([query] + [FieldsTerm(t, query.weights, boost=query.boost, k1=query.k1, b=query.b,
                                           field_b=query.field_b) for t in found])
    return query.apply(lambda sub: _with_compounds(sub, code, readings, typed))


class InLanguage(wq.Require):
    """A language's reading of a query, matched by that language's articles only.

    In a segment without articles of the language the reading costs nothing; where they
    are few, its words read only the posting blocks that hold them (a word printed in
    half the archive was otherwise read whole for a few hundred articles, twice per
    query in an archive of two languages)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        language = self.b
        if type(language) is not wq.Term or context is None:
            return super().matcher(searcher, context)
        reader = searcher.reader()
        if language.fieldname not in searcher.schema:
            return matching.NullMatcher()
        btext = searcher.schema[language.fieldname].to_bytes(language.text)
        if (language.fieldname, btext) not in reader:
            return matching.NullMatcher()
        blocks = posting_blocks(reader, language.fieldname, btext)
        if blocks is None:
            return super().matcher(searcher, context)
        ids = [docnum for block_ids, _, _ in blocks for docnum in block_ids]
        if not ids:
            return matching.NullMatcher()
        if len(ids) <= WITHIN_SHARE * reader.doc_count_all():
            context = context.set(**{WITHIN: Within(ids)})
        return matching.RequireMatcher(self.a.matcher(searcher, context), matching.ListMatcher(ids))


class LanguagesLeftOut(matching.AndNotMatcher):
    """Whoosh's AndNotMatcher, safe to skip: its skip_to read the id of the positive
    matcher after the skip had used it up (IndexError inside an AND with a filter)."""

    def _find_next(self) -> Any:
        if not self.a.is_active():
            return False
        return super()._find_next()


class NotInLanguages(wq.AndNot):
    """A language's reading of a query, matched by the articles in none of the others."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return LanguagesLeftOut(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


def restrict_to(query: Any, code: str, readings: Readings) -> Any:
    """`query`, matched only by articles in language `code`, scored by `query` alone.

    Each article has exactly one language, so "in none of the others" says the same as
    "in `code`"; the shorter of the two lists is walked. Requiring the default language
    of a mostly English archive meant stepping through nearly every article for every
    match (3x the time per query at 100,000 articles with 0.2% misdetected). A proximity
    bonus stays outside, so the search can still score it only where it could matter.
    """
    if type(query) is Bonus and query.boost == 1.0:
        return Bonus(restrict_to(query.a, code, readings), query.b)
    others = [other for other in readings.codes() if other != code]
    if others and readings.size is not None and readings.size(code) > sum(readings.size(o) for o in others):
        excluded = [wq.Term(LANGUAGE_FIELD, other) for other in others]
        return NotInLanguages(query, excluded[0] if len(excluded) == 1 else wq.Or(excluded))
    return InLanguage(query, wq.Term(LANGUAGE_FIELD, code))


def language_parts(query: Any) -> list[Any] | None:
    """The readings of a query read in several languages (restrict_to's parts joined by
    or): they match disjoint sets of articles, so each can be ranked alone. None for
    any other query."""
    if type(query) is not wq.Or or query.boost != 1.0 or len(query.subqueries) < 2:
        return None
    parts = list(query.subqueries)
    for part in parts:
        inner = part.a if type(part) is Bonus and part.boost == 1.0 else part
        if type(inner) not in (InLanguage, NotInLanguages) or inner.boost != 1.0:
            return None
    return parts


def analyzer_for(schema: Any, language: str) -> Any:
    """The analyzer that produced the body terms of an article in `language`: what
    snippets and highlighting must read its text with."""
    body = schema["body"]
    default = getattr(body, "language", "")
    if default and language and language != default and WORDS_FIELD in schema:
        return language_analyzer(language, getattr(body, "stem", True))
    return body.analyzer
