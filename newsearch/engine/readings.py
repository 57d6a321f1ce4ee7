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
from dataclasses import dataclass
from typing import Any, Callable

from whoosh import query as wq

from .analyzers import ATTESTED, attested_key, language_analyzer

__all__ = ["Readings", "analyzer_for", "readings_of", "reading_schema", "restrict_to"]

TEXT_FIELDS = ("title", "summary", "body")
LANGUAGE_FIELD = "language"
WORDS_FIELD = "words"


@dataclass(frozen=True)
class Readings:
    """The languages a query is read in: the index's own first, then the others present."""

    default: str
    others: tuple[str, ...]
    attested: Callable[[str, str], bool]
    # What the parsed queries depend on, for caching them.
    key: tuple[Any, ...]


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
        def attested(code: str, word: str) -> bool:
            return reader.doc_frequency(WORDS_FIELD, attested_key(code, word)) > 0

        found = Readings(default, others, attested, (default, others, id(reader), reader.generation()))
    try:
        reader._newsearch_readings = found
    except AttributeError:  # a reader type that takes no attributes: computed each time
        pass
    return found


_UNSET = object()


def _languages(reader: Any) -> list[str]:
    found = []
    for term in reader.lexicon(LANGUAGE_FIELD):
        code = term.decode("utf-8") if isinstance(term, bytes) else term
        if reader.doc_frequency(LANGUAGE_FIELD, code) > 0:
            found.append(code)
    return found


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


def parse_in(code: str, readings: Readings, parse: Callable[[], Any]) -> Any:
    """Run `parse` with attestation for language `code` in force."""
    token = ATTESTED.set(readings.attested)
    try:
        return parse()
    finally:
        ATTESTED.reset(token)


def restrict_to(query: Any, code: str) -> Any:
    """`query`, matched only by articles in language `code`, scored by `query` alone."""
    return wq.Require(query, wq.Term(LANGUAGE_FIELD, code))


def analyzer_for(schema: Any, language: str) -> Any:
    """The analyzer that produced the body terms of an article in `language`: what
    snippets and highlighting must read its text with."""
    body = schema["body"]
    default = getattr(body, "language", "")
    if default and language and language != default and WORDS_FIELD in schema:
        return language_analyzer(language, getattr(body, "stem", True))
    return body.analyzer
