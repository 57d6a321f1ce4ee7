"""The Whoosh side of reading: query parsing, filters, exact facets, highlights.

Everything returned is plain data from models.py, copied out before the searcher
closes; Whoosh errors become QuerySyntaxError or other newsearch errors here.
"""
from __future__ import annotations

import dataclasses
import heapq
import marshal
import os
import pickle
import re
import struct
import time
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Collection, Iterable, Iterator, Sequence

import numpy as np
from whoosh import matching, qparser, scoring
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher, RequireMatcher
from whoosh.util.times import datetime_to_long, long_to_datetime

from ..analysis import join_particles
from ..analysis.detect import primary_code
from ..errors import IndexCorrupt, NewsearchError, QuerySyntaxError
from ..models import FacetCount, Hit, SearchResults
from ..periods import date_bounds, parse_period
from .ranking import (
    FEEDBACK_DOCS,
    FIELD_BOOSTS,
    TEXT_FIELDS,
    WITHIN_SHARE,
    ArrayMatcher,
    Bonus,
    SumOr,
    Within,
    add_proximity,
    adjacent_words,
    bonus_bound,
    bonus_arrays,
    combine_fields,
    feedback_weights,
    reads_term_in_bulk,
    term_counts,
    term_ids,
    term_scores,
    with_expansion,
)
from ..snippets import make_snippet, matching_spans
from .analyzers import rereading_analyzer
from .per_reader import PerReader
from .operators import AtLeastPlugin, operators_plugin, truncations
from .variants import with_name_variants
from .readings import (Evidence, LanguagesLeftOut, Readings, analyzer_for, language_evidence, language_parts, languages_for, parse_in,
                       reading_schema, readings_of, restrict_to)
from .spelling import SpellingStore
from .terms import new_search, remember_terms
from .store import FACET_CACHE_DIR, FACET_FIELDS, opening_errors, stored_to_article
from .term_arrays import in_set, in_sorted

SEARCH_FIELDS = ("title", "summary", "body", "byline", "section", "tags")
# Names a user may put before a colon in a query, mapped to index fields.
QUERY_FIELDS = {
    "title": "title",
    "summary": "summary",
    "body": "body",
    "byline": "byline",
    "author": "author",
    "section": "section",
    "source": "source",
    "tags": "tags",
    "tag": "tags",
    "date": "date",
    "language": "language",
    "id": "id",
    "url": "url",
}
FILTER_FIELDS = {"section": "section", "author": "author", "source": "source", "tag": "tags", "language": "language"}
SORTS = ("relevance", "newest", "oldest")
# Errors that mean the files under a search are damaged, not that the query is wrong.
_DAMAGE = (EOFError, OSError, struct.error, zlib.error, pickle.UnpicklingError)
MATCHES = ("all", "any")
# FacetCache key of the per-document dates, and the value of an undated document:
# one more than the last datetime Whoosh can store.
_DATE_KEY = "_date"
_LOCAL_DATE = "local_date"
# FacetCache key of the per-document publication instants (UTC), for date sorting.
UTC_KEY = "_utc"
# FacetCache key of the per-document article ids (engine/matches.py).
ID_KEY = "_id"
_NO_DATE = datetime_to_long(datetime.max) + 1
# How many matches the scored pass takes between prunings of exhausted branches.
_REPLACE_EVERY = 64
MAX_QUERY_CHARS = 2_000
# A year or month facet is filled with its empty periods up to this many buckets.
MAX_FILLED_PERIODS = 600
MAX_LIMIT = 1_000
MAX_OFFSET = 100_000
_DATE_CLAUSE = re.compile(
    r"""(?<![\w:])date:(?:\[(?P<lo>[^\]]*?)\s+TO\s+(?P<hi>[^\]]*?)\]
        |(?P<op>>=|<=|>|<)(?P<cmp>"[^"]*"|\S+)
        |(?P<quoted>"[^"]*")
        |(?P<bare>[^\s\[\]"()<>]+))""",
    re.X | re.I,
)
_FIELD_PREFIX = re.compile(r'(?<![\w:"])([A-Za-z_][A-Za-z0-9_]*):(?=[^\s])')
# An operator with nothing to join at either end ("oil AND") would otherwise be
# searched as the word "and" and match nothing.
# "section:" with nothing after it (end of query, a space or a closing bracket).
_EMPTY_FIELD = re.compile(r'(?<![\w:"])([A-Za-z_][A-Za-z0-9_]*):(?=\s|$|\))')
_DANGLING = re.compile(r"^(?:\s*\b(?:AND|OR)\b)+|(?:\b(?:AND|OR|NOT)\b\s*)+$")


@dataclass(frozen=True)
class SearchRequest:
    """Everything that shapes one search, validated once."""

    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    since: Any = None
    until: Any = None
    facets: tuple[str, ...] = ()
    sort: str = "relevance"
    match: str = "all"
    limit: int = 10
    page: int = 1
    highlight: bool = True
    feedback: bool = False  # RM3 pseudo-relevance feedback (ranking.expand_query)
    names: bool = False  # names also found in their other spellings (variants.py)
    # The languages to read the words in, chosen by an archive of shards from all its
    # shards' counts (readings.chosen_languages); None: each index chooses for itself.
    languages_read: tuple[str, ...] | None = None


def validate(request: SearchRequest) -> None:
    if not isinstance(request.text, str):
        raise QuerySyntaxError(f"the query must be a string, not {type(request.text).__name__}")
    for name in ("limit", "page"):
        value = getattr(request, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise QuerySyntaxError(f"{name} must be a whole number, not {value!r}")
    if request.sort not in SORTS:
        raise QuerySyntaxError(f"unknown sort {request.sort!r} (choose from {', '.join(SORTS)})")
    if request.match not in MATCHES:
        raise QuerySyntaxError(f"unknown match {request.match!r} (choose from {', '.join(MATCHES)})")
    unknown = [f for f in request.facets if f not in FACET_FIELDS]
    if unknown:
        raise QuerySyntaxError(
            f"unknown facet {unknown[0]!r} (choose from {', '.join(FACET_FIELDS)})"
        )
    if not 1 <= request.limit <= MAX_LIMIT:
        raise QuerySyntaxError(f"limit must be between 1 and {MAX_LIMIT} (use export for more)")
    if request.page < 1 or (request.page - 1) * request.limit > MAX_OFFSET:
        raise QuerySyntaxError(
            f"page must be at least 1 and start within the first {MAX_OFFSET:,} hits (use export for more)"
        )
    if len(request.text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query is {len(request.text):,} characters long; the limit is {MAX_QUERY_CHARS:,}")


# ---------------------------------------------------------------------------
# Query text


def parse_text_query(text: str, schema: Any, *, match: str = "all",
                     readings: Readings | None = None) -> tuple[Any, list[Any]]:
    """The Whoosh query for a user's query string, and its date: clauses as ranges.

    Dates are kept apart so that they can filter (a document set computed once)
    instead of taking part in scoring. With `readings`, the words are read once per
    language the index holds (engine/readings.py).
    """
    remaining, date_queries = _extract_date_clauses(text)
    if remaining.strip() and not _DANGLING.sub("", remaining).strip() and not date_queries:
        raise QuerySyntaxError(f"query {_shown(text)} holds only AND/OR/NOT; add words to search for")
    _check_operators(remaining)
    _check_balanced(remaining)
    _check_fields(remaining)
    remaining = _words_part(remaining)
    if not remaining.strip():
        return (wq.Every() if date_queries or not remaining.strip() else wq.NullQuery), date_queries
    parsed = _parse_words(text, remaining, schema, match)
    if isinstance(parsed, wq.Every):
        return parsed, date_queries
    if readings is not None:
        read_in = languages_for(readings, remaining)
        parts = [restrict_to(parsed, readings.default, readings)] if parsed is not None and readings.default in read_in else []
        for code in (code for code in readings.others if code in read_in):
            other = parse_in(code, readings, lambda: _parse_words(text, remaining, reading_schema(schema, code),
                                                                  match, strict=False))
            if other is not None and not isinstance(other, wq.Every):
                parts.append(restrict_to(other, code, readings))
        if parts:
            return (parts[0] if len(parts) == 1 else wq.Or(parts)), date_queries
    if parsed is None:
        return (wq.Every() if date_queries else wq.NullQuery), date_queries
    return parsed, date_queries


def _words_part(remaining: str) -> str:
    """The words of a query without its date clauses, as the parser reads them."""
    # Field names are case-insensitive for people ("Title:oil"); Whoosh's are not.
    return truncations(_FIELD_PREFIX.sub(lambda m: m.group(1).lower() + ":", remaining))


def _parse_words(text: str, remaining: str, schema: Any, match: str, *, strict: bool = True) -> Any:
    """The scored query for the words of `remaining` as `schema` analyses them; None for
    nothing to search. `strict`: a query of stop words only is an error (the index's
    own reading says so; another language's reading is then just left out)."""
    group = qparser.OrGroup if match == "any" else qparser.AndGroup
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, fieldboosts=FIELD_BOOSTS, group=group)
    parser.remove_plugin_class(qparser.FieldAliasPlugin)
    parser.add_plugin(qparser.FieldAliasPlugin({"tags": ["tag"]}))
    parser.replace_plugin(operators_plugin())  # w/N, pre/N, near/N, /s, /p beside AND/OR/NOT
    parser.add_plugin(AtLeastPlugin())
    try:
        parsed = parser.parse(join_particles(remaining))
    except Exception as exc:  # Whoosh's parser raises assorted types on odd input
        raise QuerySyntaxError(f"cannot parse query {_shown(text)}: {exc}") from exc
    if isinstance(parsed, wq.NullQuery.__class__) or parsed is wq.NullQuery:
        return None
    parsed = _match_all(parsed)
    if isinstance(parsed, wq.Every) and not parsed.fieldname:
        return wq.Every()
    parsed = _drop_unindexed_words(parsed, schema)
    if parsed is None:
        if not strict:
            return None
        raise QuerySyntaxError(f"query {_shown(text)} holds only words too common to be indexed "
                               "(the, of, and, ...); add a word that says what to find")
    return add_proximity(combine_fields(adjacent_words(parsed)), schema=schema)


def _match_all(query: Any) -> Any:
    """A bare `*` is every article, not every word of every field: the parser's Or of
    Every(field) over the searched fields would gather each field's whole vocabulary
    (seconds on a small archive), to find what the document count already says."""
    if isinstance(query, wq.Or) and query.subqueries and all(
            isinstance(sub, wq.Every) and sub.fieldname in SEARCH_FIELDS for sub in query.subqueries):
        return wq.Every()
    if isinstance(query, wq.CompoundQuery):
        subqueries = [_match_all(sub) for sub in query.subqueries]
        if any(new is not old for new, old in zip(subqueries, query.subqueries)):
            return query.__class__(subqueries, boost=query.boost)
    return query


def _check_operators(text: str) -> None:
    """An operator with nothing on one side, or a field with no value, is a mistake to
    point out, not something to guess around ("oil AND", "section:")."""
    outside = re.sub(r'"[^"]*"', "phrase", text)
    empty = _EMPTY_FIELD.search(outside)
    if empty:
        name = empty.group(1)
        raise QuerySyntaxError(f"{name}: in query {_shown(text)} needs a value (for example {name}:world)")
    words = outside.replace("(", " ").replace(")", " ").split()
    if words and words[-1] in ("AND", "OR", "NOT"):
        raise QuerySyntaxError(f"{words[-1]} at the end of query {_shown(text)} needs a word after it")
    if words and words[0] in ("AND", "OR"):
        raise QuerySyntaxError(f"{words[0]} at the start of query {_shown(text)} needs a word before it")


# Fields a bare word is also looked up in besides the text; a word the text analysis
# drops (a stop word) must not be searched in these alone.
_SIDE_FIELDS = frozenset(SEARCH_FIELDS) - {"title", "summary", "body"}


def _drop_unindexed_words(query: Any, schema: Any) -> Any:
    """Remove what a bare word or phrase left on the side fields only because the text
    analysis drops it (a stop word): "the" would otherwise match bylines. A bare word
    is looked up in every side field, a field query (byline:the) in one, so only a
    word met in several side fields of one group is such a leftover. None when
    nothing is left."""
    if not isinstance(query, wq.CompoundQuery):
        return query
    subqueries = list(query.subqueries)
    if isinstance(query, wq.Or):
        side: dict[Any, int] = {}
        for sub in subqueries:
            if getattr(sub, "fieldname", None) in _SIDE_FIELDS:
                side[_words_of(sub)] = side.get(_words_of(sub), 0) + 1
        leftover = {words for words, count in side.items() if count > 1 and not _indexed(words, schema)}
        subqueries = [sub for sub in subqueries
                      if not (getattr(sub, "fieldname", None) in _SIDE_FIELDS and _words_of(sub) in leftover)]
    kept = [sub for sub in (_drop_unindexed_words(q, schema) for q in subqueries) if sub is not None]
    if not kept:
        return None
    if len(kept) == len(query.subqueries) and all(a is b for a, b in zip(kept, query.subqueries)):
        return query
    if len(kept) == 1:
        return kept[0]
    return query.__class__(kept)


def _indexed(words: tuple[Any, ...], schema: Any) -> bool:
    """Whether the body's analysis keeps anything of these words."""
    text = " ".join(str(w) for w in words if w is not None)
    try:
        return any(True for _ in schema["body"].process_text(text, mode="query"))
    except Exception:  # an odd term (a wildcard, a range): leave it alone
        return True


def _words_of(query: Any) -> Any:
    return tuple(getattr(query, "words", None) or (getattr(query, "text", None),))


def _shown(text: str, limit: int = 80) -> str:
    """A query as quoted in an error message: one line, cut short when long."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _check_balanced(text: str) -> None:
    if text.count('"') % 2:
        raise QuerySyntaxError(f'unbalanced quote in query {_shown(text)}: close the phrase with "')
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    in_phrase = False
    for ch in text:
        if ch == '"':
            in_phrase = not in_phrase
        elif in_phrase:
            continue
        elif ch in pairs:
            stack.append(pairs[ch])
        elif ch in pairs.values():
            if not stack or stack.pop() != ch:
                raise QuerySyntaxError(f"unbalanced {ch!r} in query {_shown(text)}")
    if stack:
        raise QuerySyntaxError(f"unclosed bracket in query {_shown(text)}: add {stack[-1]!r}")


def _check_fields(text: str) -> None:
    outside_phrases = re.sub(r'"[^"]*"', " ", text)
    for match in _FIELD_PREFIX.finditer(outside_phrases):
        name = match.group(1)
        if name.lower() not in QUERY_FIELDS:
            known = ", ".join(sorted(set(QUERY_FIELDS) - {"url", "id", "language"}))
            raise QuerySyntaxError(f"unknown field {name!r} in query (fields: {known})")
        if name.lower() == "url":
            raise QuerySyntaxError('url: cannot be searched; an article\'s id is its URL, so use id:"https://..."')


def _extract_date_clauses(text: str) -> tuple[str, list[Any]]:
    """Pull date:... clauses out of the text and turn them into DateRange queries."""
    queries: list[Any] = []

    def replace(match: re.Match[str]) -> str:
        if match.group("lo") is not None:
            lo, hi = match.group("lo").strip(), match.group("hi").strip()
            start = None if lo in ("", "*") else parse_period(lo.strip('"')).start
            end = None if hi in ("", "*") else parse_period(hi.strip('"')).end
        elif match.group("op"):
            period = parse_period(match.group("cmp").strip('"'))
            op = match.group("op")
            start, end = {
                ">": (period.end, None),
                ">=": (period.start, None),
                "<": (None, period.start),
                "<=": (None, period.end),
            }[op]
        else:
            value = (match.group("quoted") or match.group("bare")).strip('"')
            period = parse_period(value)
            start, end = period.start, period.end
        queries.append(date_range(start, end))
        return " "

    remaining = _DATE_CLAUSE.sub(replace, text)
    if re.search(r"(?<![\w:])date:", remaining, re.I):
        raise QuerySyntaxError(
            "cannot read the date clause; use date:2021-07, date:[2021-07-01 TO 2021-07-31] or date:>2020"
        )
    return remaining, queries


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def date_range(start: datetime | None, end: datetime | None) -> Any:
    """Articles dated in [start, end) by the publication's own clock; either bound may be open.

    Periods people type ("2021-07-06") are calendar days, so they are matched against
    the local wall-clock time the page printed: 23:30 in New York on 6 July is on 6 July.
    """
    return wq.DateRange(_LOCAL_DATE, _naive_utc(start), _naive_utc(end), endexcl=end is not None)


def filter_query(name: str, values: Sequence[str], schema: Any) -> Any:
    """Articles whose `name` field contains any of `values` as a phrase."""
    fieldname = FILTER_FIELDS[name]
    if fieldname == "language":  # exact codes, as stored ("de", "en")
        codes = sorted({primary_code(v) for v in values} - {""})
        if not codes:
            raise QuerySyntaxError(f"no language code in the language filter {', '.join(values)!r}")
        return wq.Term(fieldname, codes[0]) if len(codes) == 1 else SumOr([wq.Term(fieldname, c) for c in codes])
    parser = qparser.QueryParser(fieldname, schema, plugins=[qparser.PhrasePlugin()])
    options = []
    for value in values:
        cleaned = value.replace('"', " ").strip()
        if cleaned:
            options.append(adjacent_words(parser.parse(f'"{cleaned}"')))
    if not options:
        raise QuerySyntaxError(f"empty {name} filter")
    # SumOr, not Or: a plain Or of 3+ clauses under And can drop hits from a top-N search.
    return options[0] if len(options) == 1 else SumOr(options)


# ---------------------------------------------------------------------------
# Facets


class FacetCache:
    """Per-segment arrays mapping each document to its facet values.

    Counting then costs one array look-up per matching document, instead of loading
    stored fields or running Whoosh's grouping machinery. Segments never change once
    written (a deleted document is simply never matched), so each segment's array is
    built once, kept in memory and saved beside the index (`facets/`), and a cold
    `newsearch query` only reads it back; after an update only new segments are built.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._dir = Path(directory) / FACET_CACHE_DIR if directory is not None else None
        self._segments: dict[tuple[str, str], list[Any]] = {}
        self._joined: PerReader[list[Any]] = PerReader()
        # Arrays derived from _joined lists, with the list each was made from.
        self._codes: PerReader[tuple[list[Any], tuple[np.ndarray, list[Any]]]] = PerReader()
        self._arrays: PerReader[tuple[list[Any], np.ndarray]] = PerReader()
        # Counts over every article, per reader and facet.
        self._totals: PerReader[tuple[FacetCount, ...]] = PerReader()

    def totals(self, reader: Any, facet: str, count: Any) -> tuple[FacetCount, ...]:
        """A facet's counts over every article of `reader`, computed by `count()` once."""
        held = self._totals.get(reader, facet)
        return held if held is not None else self._totals.put(reader, facet, count())

    def values(self, reader: Any, facet: str) -> list[Any]:
        """For each document number of `reader`: None, a value, or a tuple of values."""
        joined = self._joined.get(reader, facet)
        if joined is None:
            fieldname = _CACHED_FIELDS.get(facet) or FACET_FIELDS[facet]
            joined = []
            leaves = _leaves(reader)
            live = {_segment_id(r) for r, _ in leaves}
            for segment_reader, offset in leaves:
                if offset != len(joined):  # pragma: no cover - Whoosh's leaves are contiguous
                    joined.extend([None] * (offset - len(joined)))
                joined.extend(self._segment_values(segment_reader, fieldname, live=live))
            self._forget_segments_but(live, fieldname)
            self._joined.put(reader, facet, joined)
        return joined

    def _forget_segments_but(self, live: set[str | None], fieldname: str) -> None:
        """Drop the arrays of segments merged away since (not in `live`): a server that
        stays up while an archive grows would otherwise keep every segment it ever read."""
        for key in [key for key in self._segments if key[1] == fieldname and key[0] not in live]:
            del self._segments[key]

    def codes(self, reader: Any, facet: str) -> tuple[np.ndarray, list[Any]]:
        """values() as a number per document (int32) and the distinct values those
        numbers stand for: counting a facet is then one bincount over the matches."""
        def number(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
            numbers: dict[Any, int] = {}
            codes = np.fromiter((numbers.setdefault(v, len(numbers)) for v in values), dtype=np.int32,
                                count=len(values))
            return codes, list(numbers)

        return self._derived(self._codes, reader, facet, number)

    def array(self, reader: Any, facet: str) -> np.ndarray:
        """values() of a numeric column (dates) as an int64 array, converted once."""
        return self._derived(self._arrays, reader, facet, lambda values: np.asarray(values, dtype=np.int64))

    def _derived(self, held: PerReader[tuple[list[Any], Any]], reader: Any, facet: str, make: Any) -> Any:
        """`make(values(reader, facet))`, kept until those values are replaced."""
        values = self.values(reader, facet)
        found = held.get(reader, facet)
        if found is None or found[0] is not values:
            found = held.put(reader, facet, (values, make(values)))
        return found[1]

    def instants(self, reader: Any) -> list[int]:
        """For each document number: its UTC date as Whoosh's number, or _NO_DATE."""
        return self.values(reader, UTC_KEY)

    def dates(self, reader: Any) -> list[int]:
        """For each document number of `reader`: its date as Whoosh's number, or
        _NO_DATE (larger than any date) when it has none."""
        return self.values(reader, _DATE_KEY)

    def _segment_values(self, reader: Any, fieldname: str, *, live: set[str | None] | None = None) -> list[Any]:
        """One segment's values (`reader` is a segment's reader); a file saved for it
        prunes the files of segments not in `live` (the index's segments), if given."""
        segment_id = _segment_id(reader)
        key = (segment_id, fieldname)
        if key in self._segments:
            return self._segments[key]
        values = self._load(segment_id, fieldname, reader.doc_count_all()) if segment_id else None
        if values is None:
            build = _build_date_values if fieldname in (_LOCAL_DATE, "date") else _build_facet_values
            values = build(reader, fieldname)
            if segment_id:
                self._save(segment_id, fieldname, values, live)
        self._segments[key] = values
        return values

    def _file(self, segment_id: str, fieldname: str) -> Path | None:
        return self._dir / f"{segment_id}.{fieldname}.marshal" if self._dir is not None else None

    def _load(self, segment_id: str, fieldname: str, size: int) -> list[Any] | None:
        file = self._file(segment_id, fieldname)
        if file is None:
            return None
        try:
            values = marshal.loads(file.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        return values if isinstance(values, list) and len(values) == size else None

    def _save(self, segment_id: str, fieldname: str, values: list[Any], live: set[str | None] | None) -> None:
        """Best effort: a read-only index folder just means rebuilding next time.
        With `live` (every segment of the index read), files of other segments go too:
        not the segment's own reader's, which would name that segment alone."""
        file = self._file(segment_id, fieldname)
        if file is None:
            return
        try:
            file.parent.mkdir(exist_ok=True)
            temporary = file.with_suffix(f".tmp{os.getpid()}")
            temporary.write_bytes(marshal.dumps(values))
            os.replace(temporary, file)
            if live is None:
                return
            _remove_stale_files(file.parent, live | {segment_id})
        except OSError:
            pass


def prune_facet_values(index_path: str, live: Collection[str]) -> None:
    """Remove the saved facet arrays of segments no longer in the index (merged away):
    a build ends with this, so the size it reports is what the index keeps. Best effort."""
    folder = Path(index_path) / FACET_CACHE_DIR
    try:
        _remove_stale_files(folder, set(live))
    except OSError:
        pass


def _remove_stale_files(folder: Path, live: set[str | None]) -> None:
    for old in folder.glob("*.marshal"):
        if old.name.split(".", 1)[0] not in live and _is_stale(old):
            old.unlink(missing_ok=True)


_CACHED_FIELDS = {_DATE_KEY: _LOCAL_DATE, UTC_KEY: "date", ID_KEY: "id"}
# Written for each new segment by whoever writes it (a worker, a merge); the id
# column (a second per 20,000 articles) is left to the queries that need it.
PREBUILT_FIELDS = (*FACET_FIELDS.values(), _LOCAL_DATE, "date")


def prebuild_facet_values(index_path: str, reader: Any) -> None:
    """Save the facet arrays of a segment not yet committed (a segment reader over
    its private folder), so the first query after a build reads them instead of
    building them: 32 s for the first query on 840,000 articles in 42 segments."""
    cache = FacetCache(index_path)
    for fieldname in PREBUILT_FIELDS:
        cache._segment_values(reader, fieldname)


def _is_stale(file: Path) -> bool:
    """Files of merged-away segments go once they are a minute old (a reader of the
    previous generation may still be loading them)."""
    try:
        return time.time() - file.stat().st_mtime > 60
    except OSError:
        return False


def _leaves(reader: Any) -> list[tuple[Any, int]]:
    return list(reader.leaf_readers()) if hasattr(reader, "leaf_readers") else [(reader, 0)]


def _segment_id(reader: Any) -> str | None:
    segment = getattr(reader, "segment", None)
    try:
        return segment().segment_id() if callable(segment) else None
    except Exception:
        return None


def _build_facet_values(reader: Any, fieldname: str) -> list[Any]:
    per_doc: list[Any] = [None] * reader.doc_count_all()
    if fieldname not in reader.schema:
        return per_doc
    for term in reader.lexicon(fieldname):
        label = term.decode("utf-8") if isinstance(term, bytes) else term
        for docnum in reader.postings(fieldname, term).all_ids():
            current = per_doc[docnum]
            if current is None:
                per_doc[docnum] = label
            elif isinstance(current, tuple):
                per_doc[docnum] = current + (label,)
            else:
                per_doc[docnum] = (current, label)
    return per_doc


def _build_date_values(reader: Any, fieldname: str) -> list[int]:
    """The sortable date column, read raw: undated documents hold the column's
    default, which is above every real date (clamped to _NO_DATE)."""
    size = reader.doc_count_all()
    if fieldname not in reader.schema or not reader.has_column(fieldname):
        return [_NO_DATE] * size
    values = [min(v, _NO_DATE) for v in reader.column_reader(fieldname, translate=False)]
    return values + [_NO_DATE] * (size - len(values))


def count_facet_codes(codes: np.ndarray, table: list[Any], docs: np.ndarray) -> Counter[str]:
    """count_facet from FacetCache.codes: documents tallied by their whole value in one
    bincount, then the few distinct tuples split into names."""
    if not len(docs):
        return Counter()
    tally = np.bincount(codes[docs], minlength=len(table))
    found = np.flatnonzero(tally)
    return _by_name(zip(map(table.__getitem__, found.tolist()), tally[found].tolist()))


def count_facet(values: list[Any], docs: Iterable[int]) -> Counter[str]:
    """How many of `docs` hold each value. Documents are tallied by their whole
    value (a name, a tuple of names, or None) first, at C speed; only the few
    distinct tuples are then split into names."""
    return _by_name(Counter(map(values.__getitem__, docs)).items())


def _by_name(tallies: Iterable[tuple[Any, int]]) -> Counter[str]:
    """Counts per name from counts per whole value (None, a name or a tuple of names)."""
    counts: Counter[str] = Counter()
    for value, count in tallies:
        if value is None:
            continue
        if isinstance(value, tuple):
            for name in value:
                counts[name] += count
        else:
            counts[value] += count
    return counts


@lru_cache(maxsize=100_000)
def _folded(value: str) -> str:
    return value.casefold()


def merge_case_variants(counts: Counter[str]) -> Counter[str]:
    """"World" and "world" are one section: counted together under the commoner spelling."""
    folded = [_folded(value) for value in counts]
    if len(set(folded)) == len(folded):
        return counts
    groups: dict[str, Counter[str]] = {}
    for key, (value, count) in zip(folded, counts.items()):
        groups.setdefault(key, Counter())[value] += count
    merged: Counter[str] = Counter()
    for variants in groups.values():
        label = max(variants.items(), key=lambda item: (item[1], item[0]))[0]
        merged[label] = sum(variants.values())
    return merged


def order_facet(name: str, counts: Counter[str]) -> tuple[FacetCount, ...]:
    """Most frequent first; dates in time order with empty periods filled with zero
    (only the periods that have articles when the span is too long to fill)."""
    if name in ("year", "month") and counts:
        periods = _fill_periods(name, counts) if _span(name, counts) <= MAX_FILLED_PERIODS else sorted(counts)
        return tuple(FacetCount(p, counts.get(p, 0)) for p in periods)
    counts = merge_case_variants(counts)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))
    return tuple(FacetCount(value, count) for value, count in ranked)


def _span(name: str, counts: Counter[str]) -> int:
    """How many years or months lie from the first period of `counts` to the last."""
    first, last = min(counts), max(counts)
    if name == "year":
        return int(last) - int(first) + 1
    (y, m), (ly, lm) = (map(int, first.split("-")), map(int, last.split("-")))
    return (ly - y) * 12 + lm - m + 1


def _fill_periods(name: str, counts: Counter[str]) -> list[str]:
    keys = sorted(counts)
    if name == "year":
        first, last = int(keys[0]), int(keys[-1])
        return [f"{y:04d}" for y in range(first, last + 1)]
    (y, m), (ly, lm) = (map(int, keys[0].split("-")), map(int, keys[-1].split("-")))
    months = []
    while (y, m) <= (ly, lm):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


# ---------------------------------------------------------------------------
# Running a search


# Parsed requests per schema (the schema is held, so its id is not reused meanwhile):
# an archive of shards parses a request for each phase, a web server the same query often.
_PARSED: dict[int, tuple[Any, dict[tuple[Any, ...], tuple[Any, dict[str, Any], Any]]]] = {}
_PARSED_SCHEMAS = 16
_PARSED_PER_SCHEMA = 128


def queries_for(searcher: Any, request: SearchRequest) -> tuple[Any, dict[str, Any], Any]:
    """build_queries for `searcher`'s index: its languages, and its spellings of names
    when the request asks for them."""
    if request.names:
        widened = with_name_variants(request.text, getattr(searcher, "newsearch_spelling", None),
                                     searcher.doc_count_all())
        if widened != request.text:
            request = dataclasses.replace(request, text=widened)
    return build_queries(request, searcher.schema, readings_of(searcher))


def language_evidence_for(searcher: Any, request: SearchRequest) -> Evidence | None:
    """The counts of `request`'s words per language in `searcher`'s index, read from
    the words as parse_text_query reads them; None when they choose nothing here (one
    language, a language filter, name variants widened per index, a query in error:
    the search itself reports it)."""
    if request.names:
        return None
    readings = _only_filtered(readings_of(searcher), request.filters.get("language"))
    if readings is None:
        return None
    try:
        remaining, _ = _extract_date_clauses(request.text)
    except QuerySyntaxError:
        return None
    return language_evidence(readings, _words_part(remaining))


def build_queries(request: SearchRequest, schema: Any,
                  readings: Readings | None = None) -> tuple[Any, dict[str, Any], Any]:
    """The text query, one filter query per filtered facet, and the date limits (or None).
    `readings` (from readings_of(searcher)) when the index holds several languages."""
    validate(request)
    key = (request.text, request.match, repr(request.since), repr(request.until),
           tuple(sorted((name, tuple(values)) for name, values in request.filters.items())),
           readings.key if readings is not None else None, request.languages_read)
    held = _PARSED.get(id(schema))
    if held is None or held[0] is not schema:
        if len(_PARSED) >= _PARSED_SCHEMAS:
            _PARSED.clear()
        held = _PARSED[id(schema)] = (schema, {})
    cache = held[1]
    if key not in cache:
        if len(cache) >= _PARSED_PER_SCHEMA:
            cache.clear()
        cache[key] = _build_queries(request, schema, readings)
    text_query, filters, date_query = cache[key]
    return text_query, dict(filters), date_query


def _build_queries(request: SearchRequest, schema: Any,
                   readings: Readings | None) -> tuple[Any, dict[str, Any], Any]:
    readings = _only_filtered(readings, request.filters.get("language"))
    if readings is not None and request.languages_read is not None:
        readings = dataclasses.replace(readings, decided=request.languages_read)
    text_query, dates = parse_text_query(request.text, schema, match=request.match, readings=readings)
    start, end = date_bounds(request.since, request.until)
    if start is not None or end is not None:
        dates.append(date_range(start, end))
    date_query = (dates[0] if len(dates) == 1 else wq.And(dates)) if dates else None
    filters = {
        name: filter_query(name, values, schema)
        for name, values in request.filters.items()
        if values
    }
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise QuerySyntaxError(f"unknown filter {sorted(unknown)[0]!r}")
    return text_query, filters, date_query


def _only_filtered(readings: Readings | None, languages: Sequence[str] | None) -> Readings | None:
    """With a language filter, the readings of the filtered languages only (the others
    could match nothing)."""
    if readings is None or not languages:
        return readings
    wanted = {primary_code(code) or code for code in languages}
    others = tuple(code for code in readings.others if code in wanted)
    if not others:
        return None
    return dataclasses.replace(readings, others=others, key=readings.key + (tuple(sorted(wanted)),), forced=True)


def feedback_sample(searcher: Any, request: SearchRequest, facet_cache: FacetCache, *,
                    docs: int = FEEDBACK_DOCS) -> list[tuple[tuple[float, str], float, Counter[str]]]:
    """The best `docs` matches of the request's own words within its filters and dates,
    as (sort key, score, term counts): what pseudo-relevance feedback reads."""
    text_query, filters, date_query = queries_for(searcher, request)
    with search_errors(request.text):
        dates = _DateFilter.of(searcher, date_query, facet_cache)
        found, scores = scored_matches(searcher, text_query, dates)
        pairs = list(zip(found, scores))
        if filters:
            allowed = set(searcher.docs_for_query(_combine(wq.Every(), filters)))
            pairs = [(d, score) for d, score in pairs if d in allowed]
        ids = facet_cache.values(searcher.reader(), ID_KEY)
        best = best_by([-score for _, score in pairs], [d for d, _ in pairs], docs, ids)
        return [((value, first_id(ids[d])), -value, term_counts(searcher, d)) for d, value in best]


def _with_feedback(searcher: Any, request: SearchRequest, text_query: Any, facet_cache: FacetCache,
                   expansion: dict[str, float] | None = None) -> Any:
    """Add feedback words when asked and ranking by relevance: `expansion` when given
    (an archive of shards computes it over all of them), else from this index's best
    matches within the filters and dates (the date filter binds the added words too)."""
    if not request.feedback or request.sort != "relevance" or not request.text.strip():
        return text_query
    if expansion is None:
        sample = feedback_sample(searcher, request, facet_cache)
        fields = [f for f in TEXT_FIELDS if f in searcher.schema]
        expansion = feedback_weights([(score, counts) for _, score, counts in sample], searcher.doc_count_all(),
                                     lambda term: max(searcher.doc_frequency(f, term) for f in fields))
    return with_expansion(text_query, expansion, broaden=request.match == "any")


def _combine(text_query: Any, filters: dict[str, Any], without: str | None = None) -> Any:
    parts = [text_query] + [q for name, q in filters.items() if name != without]
    return parts[0] if len(parts) == 1 else wq.And(parts)


@dataclass(frozen=True)
class Ranked:
    """What one index gives for a request before any stored field is read: the
    exact total, the best `wanted` matches in order, raw facet counts (summable
    over shards; `order_facet` orders them) and the typed words to highlight.

    Each of `top` is (sort key, document number, score). The key orders hits the
    same way in one index and across shards: best score first (or date, undated
    last), then the article id, so equal scores never depend on document numbers.
    """

    total: int
    top: list[tuple[tuple[Any, str], int, float]]
    facets: dict[str, Counter[str]]
    terms: frozenset[str]


@contextmanager
def search_errors(text: str) -> Iterator[None]:
    """Failures while running a query, as newsearch errors."""
    try:
        yield
    except NewsearchError:
        raise
    except _DAMAGE as exc:
        raise IndexCorrupt(
            f"index files are damaged ({type(exc).__name__}: {exc}); run `newsearch rebuild`"
        ) from exc
    except Exception as exc:
        raise QuerySyntaxError(f"cannot run query {_shown(text)}: {exc}") from exc


def rank(searcher: Any, request: SearchRequest, *, facet_cache: FacetCache,
         wanted: int | None = None, expansion: dict[str, float] | None = None) -> Ranked:
    """Run `request` once: every match scored in one pass, so the count, the best
    `wanted` (default: up to the requested page; None: all) and the facets come from
    the same list of documents."""
    new_search()
    text_query, filters, date_query = queries_for(searcher, request)
    typed_terms = query_terms(text_query)  # feedback words rank but are not highlighted
    text_query = _with_feedback(searcher, request, text_query, facet_cache, expansion)
    combined = _combine(text_query, filters)
    with search_errors(request.text):
        dates = _DateFilter.of(searcher, date_query, facet_cache)
        ids = _LazyIds(facet_cache, searcher.reader())  # read only when there are hits to order
        if request.sort == "relevance":
            limit = wanted if wanted is not None else searcher.doc_count_all()
            matching, best = ranked_matches(searcher, combined, dates, max(1, limit), ids=ids)
            top = [((-score, first_id(ids[d])), d, score) for d, score in best]
        else:
            matching, scores = scored_matches(searcher, combined, dates)
            top = _by_date(matching, scores, facet_cache.instants(searcher.reader()), ids,
                           newest=request.sort == "newest", wanted=wanted if wanted is not None else len(matching))
        facets = _facet_counts(searcher, text_query, filters, request.facets, facet_cache, matching, dates)
    return Ranked(len(matching), top, facets, typed_terms)


class _LazyIds:
    """A FacetCache id array, read on first use (a search without matches never needs it)."""

    def __init__(self, cache: FacetCache, reader: Any) -> None:
        self._cache = cache
        self._reader = reader
        self._ids: list[Any] | None = None

    def __getitem__(self, docnum: int) -> Any:
        if self._ids is None:
            self._ids = self._cache.values(self._reader, ID_KEY)
        return self._ids[docnum]


def first_id(value: Any) -> str:
    """The article id in a FacetCache id array entry."""
    if isinstance(value, tuple):
        return value[0]
    return value or ""


def _by_date(docs: list[int], scores: list[float], instants: list[int], ids: list[Any], *, newest: bool,
             wanted: int) -> list[tuple[tuple[Any, str], int, float]]:
    """The best `wanted` of `docs` by date (undated last either way), then id."""
    if newest:
        primary = [-instants[d] if instants[d] < _NO_DATE else _NO_DATE for d in docs]
    else:
        primary = [instants[d] for d in docs]
    score_of = dict(zip(docs, scores))
    return [((value, first_id(ids[d])), d, score_of[d]) for d, value in best_by(primary, docs, wanted, ids)]


def best_by(primary: list[Any], docs: list[int], wanted: int, ids: list[Any] | None) -> list[tuple[int, Any]]:
    """The `wanted` documents with the smallest `primary` values as (docnum, value);
    equal values in article-id order (`ids`: the id of each document number), or in
    document order without `ids`."""
    best = heapq.nsmallest(wanted, zip(primary, docs))
    if ids is None or not best:
        return [(d, value) for value, d in best]
    cut = best[-1][0]
    if len(best) == wanted and primary.count(cut) > sum(1 for value, _ in best if value == cut):
        # Documents tied with the last one kept but left out: the id decides among them all.
        best = [item for item in best if item[0] != cut] + [(v, d) for v, d in zip(primary, docs) if v == cut]
    ordered = sorted(best, key=lambda item: (item[0], first_id(ids[item[1]])))[:wanted]
    return [(d, value) for value, d in ordered]


def run_search(
    searcher: Any,
    request: SearchRequest,
    *,
    facet_cache: FacetCache,
) -> SearchResults:
    """One page of hits, the exact total, and facet counts for `request`."""
    ranked = rank(searcher, request, facet_cache=facet_cache, wanted=request.page * request.limit)
    offset = (request.page - 1) * request.limit
    with search_errors(request.text):
        hits = [make_hit(searcher, docnum, score, offset + i + 1, ranked.terms, request.highlight)
                for i, (_, docnum, score) in enumerate(ranked.top[offset:offset + request.limit])]
    return SearchResults(
        query=request.text,
        total=ranked.total,
        hits=tuple(hits),
        facets=order_facets(ranked.facets),
        page=request.page,
        limit=request.limit,
    )


def order_facets(counts: dict[str, Counter[str]]) -> dict[str, tuple[FacetCount, ...]]:
    return {name: order_facet(name, tally) for name, tally in counts.items()}


class _DateFilter:
    """Date limits checked against each document's stored date column.

    Comparing one number per matching document is far cheaper than expanding a
    date range into the set of every article inside it, which costs in
    proportion to the window, not to the hits.
    """

    def __init__(self, dates: list[int], low: int, high: int, array: np.ndarray | None = None) -> None:
        self.dates = dates
        self.low = low
        self.high = high
        self.array = np.asarray(dates, dtype=np.int64) if array is None else array

    @classmethod
    def of(cls, searcher: Any, date_query: Any, cache: FacetCache) -> "_DateFilter | None":
        if date_query is None:
            return None
        low, high = _date_window(date_query)
        reader = searcher.reader()
        return cls(cache.dates(reader), low, high, cache.array(reader, _DATE_KEY))

    def inside_array(self, docs: np.ndarray) -> np.ndarray:
        values = self.array[docs]
        return (values >= self.low) & (values < self.high)

    def keep(self, docs: Iterable[int]) -> list[int]:
        dates, low, high = self.dates, self.low, self.high
        return [d for d in docs if low <= dates[d] < high]


def _date_window(date_query: Any) -> tuple[int, int]:
    """[low, high) in Whoosh's date numbers for a DateRange or an And of them."""
    ranges = date_query.subqueries if isinstance(date_query, wq.And) else [date_query]
    low, high = 0, _NO_DATE
    for part in ranges:
        if part.start is not None:
            low = max(low, part.start + (1 if part.startexcl else 0))
        if part.end is not None:
            high = min(high, part.end + (0 if part.endexcl else 1))
    return low, high


def scored_matches(searcher: Any, query: Any, dates: _DateFilter | None = None) -> tuple[list[int], list[float]]:
    """scored_arrays as lists."""
    if is_everything(query):
        docs = live_documents(searcher)
        if dates is not None:
            docs = dates.keep(docs)
        return docs, [float(query.boost)] * len(docs)
    docs, scores = scored_arrays(searcher, query, dates)
    return docs.tolist(), scores.tolist()


def scored_arrays(searcher: Any, query: Any, dates: _DateFilter | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every matching document inside the date limits, with its score, in document order.

    One pass of each segment's matcher: the exact count, the top hits and the
    facets all come from it, where counting and ranking separately would run a
    phrase or a many-word query two or three times.
    """
    if is_everything(query):
        docs = np.asarray(live_documents(searcher), dtype=np.int64)
        if dates is not None:
            docs = docs[dates.inside_array(docs)]
        return docs, np.full(len(docs), float(query.boost))
    context = searcher.context(needs_current=True)
    id_parts: list[np.ndarray] = []
    score_parts: list[np.ndarray] = []
    for subsearcher, offset in searcher.leaf_searchers():
        matcher = query.matcher(subsearcher, context)
        docs: list[int] = []
        scores: list[float] = []
        add_doc, add_score = docs.append, scores.append
        while matcher.is_active():
            # Now and then drop exhausted branches (as Whoosh's collector does):
            # a word absent from bylines no longer costs a check per match.
            matcher = matcher.replace(0)
            bulk = _bulk(matcher, subsearcher.reader())
            if bulk is not None:
                id_parts.append(np.asarray(docs, dtype=np.int64) + offset)
                score_parts.append(np.asarray(scores, dtype=np.float64))
                docs, scores = [], []
                id_parts.append(bulk[0] + offset)
                score_parts.append(bulk[1])
                break
            for _ in range(_REPLACE_EVERY):
                if not matcher.is_active():
                    break
                add_doc(matcher.id())
                add_score(matcher.score())
                matcher.next()
        if docs:
            id_parts.append(np.asarray(docs, dtype=np.int64) + offset)
            score_parts.append(np.asarray(scores, dtype=np.float64))
    if not id_parts:
        return _NO_IDS, _NO_SCORES
    all_ids, all_scores = np.concatenate(id_parts), np.concatenate(score_parts)
    if dates is not None:
        inside = dates.inside_array(all_ids)
        all_ids, all_scores = all_ids[inside], all_scores[inside]
    return all_ids, all_scores


def is_everything(query: Any) -> bool:
    """Whether a query matches every article with one score (the empty query, `*`)."""
    return isinstance(query, wq.Every) and not query.fieldname


def live_documents(searcher: Any) -> list[int]:
    """Every undeleted document number, in order, without a matcher: whole segments
    as ranges, only segments with deletions read one by one."""
    docs: list[int] = []
    for reader, offset in _leaves(searcher.reader()):
        if reader.has_deletions():
            docs.extend(docnum + offset for docnum in reader.all_doc_ids())
        else:
            docs.extend(range(offset, offset + reader.doc_count_all()))
    return docs


def _bulk(matcher: Any, reader: Any) -> tuple[list[int], list[float]] | None:
    """The remaining matches and scores of a matcher tree made only of precomputed
    lists (BM25F words, phrases) and BM25 terms joined by and/or/optional,
    computed with dictionaries instead of a few method calls per document.
    Each score is the same sum, in the same order, as the tree's own score();
    None (with the matcher untouched) for any other kind of tree.
    """
    return _read_bulk(matcher, reader) if _bulkable(matcher, reader) else None


def _bulkable(matcher: Any, reader: Any) -> bool:
    kind = type(matcher)
    if not matcher.is_active():
        return True
    if kind is matching.ListMatcher:
        return matcher._scorer is None
    if kind is ArrayMatcher:
        return True
    if kind is matching.WrappingMatcher or (kind is FilterMatcher):
        return _bulkable(matcher.child, reader)
    if kind in _JOINS:
        return _bulkable(matcher.a, reader) and _bulkable(matcher.b, reader)
    if kind in _FILTERED:
        return _bulkable(matcher.a, reader) and _filter_readable(matcher.b)
    return reads_term_in_bulk(matcher, reader)


def _filter_readable(matcher: Any) -> bool:
    """Whether _filter_ids can read a filter's matcher (terms and unions of them)."""
    kind = type(matcher)
    if not matcher.is_active() or kind is W3LeafMatcher or kind is matching.ListMatcher:
        return True
    if kind is FilterMatcher:
        return _filter_readable(matcher.child)
    return kind is matching.UnionMatcher and _filter_readable(matcher.a) and _filter_readable(matcher.b)


def _filter_ids(matcher: Any) -> set[int]:
    """The rest of a filter matcher's document numbers (no scores). Uses it up."""
    kind = type(matcher)
    if not matcher.is_active():
        return set()
    if kind is FilterMatcher:
        return {d for d in _filter_ids(matcher.child) if (d in matcher._ids) != matcher._exclude}
    if kind is matching.UnionMatcher:
        return _filter_ids(matcher.a) | _filter_ids(matcher.b)
    if kind is matching.ListMatcher:
        return set(matcher._ids[matcher._i:])
    return set(term_ids(matcher) or ())


def _read_bulk(matcher: Any, reader: Any, within: Within | None = None) -> tuple[np.ndarray, np.ndarray]:
    """See _bulk: (ids int64, scores float64) arrays, joined a whole array at a time.
    `within`: the only documents that can be kept (a small language's, from a filter
    above); terms then read only the posting blocks holding them."""
    kind = type(matcher)
    if not matcher.is_active():
        return _NO_IDS, _NO_SCORES
    if kind is ArrayMatcher:
        ids, scores = matcher.arrays
        return ids[matcher._i:].astype(np.int64, copy=False), scores[matcher._i:]
    if kind is matching.ListMatcher:
        start = matcher._i
        ids = np.asarray(matcher._ids[start:], dtype=np.int64)
        if matcher._all_weights:
            return ids, np.full(len(ids), float(matcher._all_weights))
        if matcher._weights:
            return ids, np.asarray(matcher._weights[start:], dtype=np.float64)
        return ids, np.ones(len(ids))
    if kind is matching.WrappingMatcher or kind is FilterMatcher:
        ids, scores = _read_bulk(matcher.child, reader, within)
        if kind is FilterMatcher:  # Whoosh's wrapper for deleted documents (or a kept set)
            keep = in_set(ids, matcher._ids) != matcher._exclude
            ids, scores = ids[keep], scores[keep]
        return ids, scores * matcher.boost
    if kind in _FILTERED:  # a's scores, for a's documents in (Require) or not in (AndNot) b's
        held, wanted = _filter_ids(matcher.b), kind is RequireMatcher
        if wanted and len(held) <= WITHIN_SHARE * reader.doc_count_all():
            within = Within(held if within is None else held & within)
        ids, scores = _read_bulk(matcher.a, reader, within)
        keep = in_set(ids, held) == wanted
        return ids[keep], scores[keep]
    if kind not in _JOINS:
        return term_scores(matcher, reader, within)
    (a_ids, a_scores), (b_ids, b_scores) = _read_bulk(matcher.a, reader, within), _read_bulk(matcher.b, reader, within)
    at_a, at_b = _common_places(a_ids, b_ids)
    if kind is matching.IntersectionMatcher:
        return a_ids[at_a], a_scores[at_a] + b_scores[at_b]
    if kind is matching.UnionMatcher:
        ids = _union(a_ids, b_ids, at_b)
        scores = np.empty(len(ids))
        scores[np.searchsorted(ids, b_ids)] = b_scores
        places = np.searchsorted(ids, a_ids)
        scores[places] = a_scores
        scores[places[at_a]] = a_scores[at_a] + b_scores[at_b]  # a's score first, as the tree adds them
        return ids, scores
    # optional b: a's documents, plus b's score where b matches too
    scores = a_scores.copy()
    scores[at_a] = a_scores[at_a] + b_scores[at_b]
    return a_ids, scores


def _ascending(ids: np.ndarray) -> bool:
    return len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1]))


def _common_places(a_ids: np.ndarray, b_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the documents both parts match stand in each (ascending, as
    np.intersect1d's indices). Matchers give ascending ids, so the shorter side is
    looked up in the longer by bisection instead of sorting both together."""
    if not (_ascending(a_ids) and _ascending(b_ids)):
        _, at_a, at_b = np.intersect1d(a_ids, b_ids, assume_unique=True, return_indices=True)
        return at_a, at_b
    if len(a_ids) <= len(b_ids):
        at_a = np.flatnonzero(in_sorted(a_ids, b_ids))
        return at_a, np.searchsorted(b_ids, a_ids[at_a])
    at_b = np.flatnonzero(in_sorted(b_ids, a_ids))
    return np.searchsorted(a_ids, b_ids[at_b]), at_b


def _union(a_ids: np.ndarray, b_ids: np.ndarray, at_b: np.ndarray) -> np.ndarray:
    """np.union1d of two id arrays without repeats whose common places in b are `at_b`
    (from _common_places): a and the rest of b joined and sorted. A stable sort merges
    two ascending runs, as matchers give them, in linear time."""
    only_b = np.ones(len(b_ids), dtype=bool)
    only_b[at_b] = False
    return np.sort(np.concatenate((a_ids, b_ids[only_b])), kind="stable")


_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0)


_JOINS = (matching.IntersectionMatcher, matching.UnionMatcher, matching.AndMaybeMatcher, Bonus.matcherclass)
# A query matched only where a filter does (or does not) match, scored by the query alone:
# how readings.restrict_to keeps each language's reading to its own articles.
_FILTERED = (RequireMatcher, matching.AndNotMatcher, LanguagesLeftOut)


def _matching_docs(searcher: Any, query: Any, dates: _DateFilter | None) -> list[int]:
    docs = searcher.docs_for_query(query)
    return list(docs) if dates is None else dates.keep(docs)


def ranked_matches(searcher: Any, query: Any, dates: _DateFilter | None, wanted: int, *,
                   ids: list[Any] | None = None) -> tuple[list[int], list[tuple[int, float]]]:
    """Every match in document order, and the best `wanted` as (docnum, score):
    best score first, ties in article-id order given `ids` (the id of each document
    number), else in index order (as Whoosh ranks them)."""
    if is_everything(query):  # every score is the same: the first `wanted` in id (or index) order
        docs, scores = scored_matches(searcher, query, dates)
        if ids is None:
            return docs, list(zip(docs[:wanted], scores[:wanted]))
        first = heapq.nsmallest(wanted, docs, key=lambda d: first_id(ids[d]))
        return docs, [(d, scores[0]) for d in first]
    parts = language_parts(query)
    if parts is not None:  # disjoint: each reading ranked alone (its bonus pruned), then merged
        ranked = [ranked_matches(searcher, part, dates, wanted, ids=ids) for part in parts]
        docs = np.sort(np.concatenate([np.asarray(found, dtype=np.int64) for found, _ in ranked]))
        best = list(chain.from_iterable(top for _, top in ranked))
        merged = best_by([-score for _, score in best], [d for d, _ in best], wanted, ids)
        return docs, [(docnum, -negated) for docnum, negated in merged]
    if isinstance(query, Bonus) and query.boost == 1.0:
        pruned = _ranked_with_bonus(searcher, query, dates, wanted, ids=ids)
        if pruned is not None:
            return pruned
    docs, scores = scored_arrays(searcher, query, dates)
    best = best_of_arrays(-scores, docs, wanted, ids)
    return docs, [(docnum, -negated) for docnum, negated in best]


def best_of_arrays(primary: np.ndarray, docs: np.ndarray, wanted: int,
                   ids: list[Any] | None) -> list[tuple[int, Any]]:
    """best_by over arrays: only the documents whose value is at most the `wanted`-th
    smallest (all its ties included) can be among the best, so best_by sees only those
    and gives the same answer as over them all."""
    if len(primary) > wanted > 0:
        cut = np.partition(primary, wanted - 1)[wanted - 1]
        keep = primary <= cut
        primary, docs = primary[keep], docs[keep]
    return best_by(primary.tolist(), docs.tolist(), wanted, ids)


def _ranked_with_bonus(searcher: Any, query: Any, dates: _DateFilter | None, wanted: int, *,
                       ids: list[Any] | None = None) -> tuple[list[int], list[tuple[int, float]]] | None:
    """Rank a query with a proximity bonus, scoring the bonus only where it matters.

    The bonus never changes which documents match, and it cannot lift a document
    by more than its bound; so a document whose score without it, plus the bound,
    stays below the `wanted`-th best score without it can't reach the page (nor tie
    with it). Page scores equal those of the full query (the same a + b sum).
    """
    bound = bonus_bound(searcher, query.b)
    if bound is None:
        return None
    docs, base = scored_arrays(searcher, query.a, dates)
    threshold = np.partition(base, len(base) - wanted)[len(base) - wanted] if len(base) >= wanted else -np.inf
    candidates = np.flatnonzero(base + bound >= threshold)
    chosen, scores = docs[candidates], base[candidates]
    bonus = bonus_arrays(searcher, query.b, chosen)
    if bonus is None:
        return None
    # Every bonus document is a candidate: add its bonus where it stands among them.
    finals = -scores
    at = np.searchsorted(chosen, bonus[0])
    finals[at] = -(scores[at] + bonus[1])
    best = best_of_arrays(finals, chosen, wanted, ids)
    return docs, [(docnum, -negated) for docnum, negated in best]


def query_terms(query: Any) -> frozenset[str]:
    """The analysed words a query looks for in text fields, for highlighting."""
    words = set()
    for fieldname, text in query.iter_all_terms(phrases=True):
        if fieldname in ("body", "title", "summary"):
            words.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return frozenset(words)


def text_marks(searcher: Any, query: str, text: str, *, match: str = "all") -> list[tuple[int, int]]:
    """Spans of `text` holding the words `query` looks for, found as snippets find them."""
    readings = readings_of(searcher)
    text_query = build_queries(SearchRequest(text=query, match=match), searcher.schema, readings)[0]
    terms = query_terms(text_query)
    spans = set(matching_spans(text, terms, rereading_analyzer(searcher.schema["body"].analyzer, terms)))
    # The text's language is not known here: each language's analysis marks its own terms.
    for code in readings.others if readings is not None else ():
        spans.update(matching_spans(text, terms, rereading_analyzer(analyzer_for(searcher.schema, code), terms)))
    return sorted(spans)


def make_hit(
    searcher: Any, docnum: int, score: float | None, rank: int, terms: frozenset[str], highlight: bool
) -> Hit:
    stored = searcher.stored_fields(docnum)
    article = stored_to_article(stored)
    snippet = ""
    if highlight:
        analyzer = rereading_analyzer(analyzer_for(searcher.schema, article.language), terms)
        snippet = make_snippet(article.body or article.summary, terms, analyzer)
    return Hit(
        id=article.id,
        title=article.title,
        score=round(float(score), 4) if isinstance(score, (int, float)) else 0.0,
        rank=rank,
        url=article.url,
        byline=article.byline,
        authors=article.authors,
        section=article.section,
        date=article.date,
        source=article.source,
        tags=article.tags,
        path=article.path,
        snippet=snippet,
        utc_offset=article.utc_offset,
        fetched=article.fetched,
        fetched_url=article.fetched_url,
    )


def _facet_counts(
    searcher: Any,
    text_query: Any,
    filters: dict[str, Any],
    names: Sequence[str],
    cache: FacetCache,
    matching: Sequence[int] | np.ndarray,
    dates: _DateFilter | None,
) -> dict[str, Counter[str]]:
    """Exact raw counts. A facet that is itself filtered counts without its own filter,
    so choosing one section still shows how many hits every other section has."""
    if not names:
        return {}
    reader = searcher.reader()
    docsets: dict[str | None, list[int]] = {None: matching}

    def docs_without(name: str | None) -> list[int]:
        key = name if name in filters else None
        if key not in docsets:
            docsets[key] = _matching_docs(searcher, _combine(text_query, filters, without=key), dates)
        return docsets[key]

    everything = is_everything(text_query) and not filters and dates is None
    as_arrays: dict[int, np.ndarray] = {}

    def array_of(docs: Any) -> np.ndarray:  # each list of matches converted once
        if isinstance(docs, np.ndarray):
            return docs
        if id(docs) not in as_arrays:
            as_arrays[id(docs)] = np.fromiter(docs, dtype=np.int64, count=len(docs))
        return as_arrays[id(docs)]

    result = {}
    for name in names:
        if everything:  # the same counts for every match-all query on this reader
            result[name] = cache.totals(reader, name, lambda: count_facet(cache.values(reader, name), matching))
        else:
            result[name] = count_facet_codes(*cache.codes(reader, name), array_of(docs_without(name)))
    return result


def iter_hits(searcher: Any, request: SearchRequest, *, facet_cache: FacetCache) -> Iterator[Hit]:
    """Every hit for a request, in the requested order, one stored-field load at a time."""
    ranked = rank(searcher, request, facet_cache=facet_cache, wanted=None)
    for number, (_, docnum, score) in enumerate(ranked.top, start=1):
        yield make_hit(searcher, docnum, score, number, ranked.terms, request.highlight)


def weighting() -> Any:
    """The ranking function searchers use (BM25F; see analysis/ranking for the tuning)."""
    try:
        from .ranking import make_weighting
    except ImportError:
        return scoring.BM25F()
    return make_weighting()


def open_searcher(ix: Any, path: str) -> Any:
    """A searcher on the index's last commit; a folder emptied or damaged underneath
    an open Archive gives newsearch's errors, not Whoosh's."""
    with opening_errors(path):
        searcher = ix.searcher(weighting=weighting())
    remember_terms(searcher.reader())
    return searcher


def up_to_date(searcher: Any, path: str) -> bool:
    with opening_errors(path):
        return searcher.up_to_date()


def date_extent(searcher: Any, cache: FacetCache) -> tuple[str | None, str | None]:
    """ISO dates (UTC) of the oldest and newest dated articles, or (None, None).
    Read from the date column, which every index has: dates are not indexed as terms."""
    reader = searcher.reader()
    instants = cache.array(reader, UTC_KEY)
    if reader.has_deletions():
        instants = instants[np.fromiter(reader.all_doc_ids(), dtype=np.int64)]
    dated = instants[instants < _NO_DATE]
    if not len(dated):
        return None, None
    return tuple(long_to_datetime(int(value)).replace(tzinfo=timezone.utc).isoformat()  # type: ignore[return-value]
                 for value in (dated.min(), dated.max()))


def find_document(searcher: Any, article_id: str) -> int | None:
    """The document number of an article id, or None."""
    return searcher.document_number(id=article_id)


_SUGGESTABLE_WORD = re.compile(r"(?<![\w:*?])([^\W\d_]{3,})(?![\w:*?])")
_OPERATORS = {"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"}
# Suggestions replace words found in at most this many articles...
RARE_WORD_DOCS = 2
# ...by a word at least this many times as common.
COMMONER_FACTOR = 20


def suggest(searcher: Any, text: str, spelling: SpellingStore | None = None) -> str | None:
    """"Did you mean": the query with unknown words replaced by the closest indexed ones.

    Candidates come from the index's dictionary of printed words (spelling.py), so
    the suggestion reads "embassies" as articles print it, never the stem
    "embassi". An index made before that dictionary existed falls back to its
    (stemmed) body vocabulary. None when every word is known.
    """
    analyzer = searcher.schema["body"].analyzer
    readings = readings_of(searcher)
    # A word is looked up as every language the index holds would analyse it.
    analyzers = [analyzer] + [analyzer_for(searcher.schema, code) for code in (readings.others if readings else ())]
    corrector = None
    suggestion = text
    changed = False
    for match in _SUGGESTABLE_WORD.finditer(re.sub(r'"[^"]*"|\w+:\S+', " ", text)):
        word = match.group(1)
        if word in _OPERATORS:
            continue
        terms = _terms_of(analyzers, word)
        if not terms:
            continue
        known = max(searcher.doc_frequency(f, t) for t in terms for f in ("body", "title"))
        if known > RARE_WORD_DOCS:
            continue
        # A known but rare word (archives have typos too) gives way only to a far commoner one.
        needed = max(1, known * COMMONER_FACTOR)
        if spelling is not None:
            surface = _closest_printed(searcher, spelling, word, terms, analyzers, needed)
        else:
            corrector = corrector or searcher.corrector("body")
            own = [token.text for token in analyzer(word, mode="query")] or terms
            best = _closest_term(searcher, corrector, own[-1], exclude=own[-1])
            if best is None or searcher.doc_frequency("body", best) < needed:
                continue
            surface = _printed_form(searcher, best, analyzer) or best
        if surface is None:
            continue
        suggestion = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", surface, suggestion, count=1)
        changed = True
    return suggestion if changed and suggestion != text else None


def _terms_of(analyzers: list[Any], word: str) -> list[str]:
    return list(dict.fromkeys(token.text for analyzer in analyzers for token in analyzer(word, mode="query")))


def _closest_printed(searcher: Any, spelling: SpellingStore, word: str, terms: list[str],
                     analyzers: list[Any], needed: int) -> str | None:
    """The commonest printed word the fewest edits away (one, else two) that the
    index still holds in at least `needed` articles and that is not just another
    form of the typed word (its terms differ)."""
    for edits, _, printed, _ in spelling.candidates(word):
        found = _terms_of(analyzers, printed)
        if not found or found == terms:
            continue
        if not any(_held(searcher, f, t) for t in found for f in ("body", "title")):
            continue  # its articles were deleted since
        held = max(searcher.doc_frequency(f, t) for t in found for f in ("body", "title"))
        return printed if held >= needed else None
    return None


def _held(searcher: Any, fieldname: str, term: str) -> bool:
    """Whether an undeleted article holds the term (document frequencies count deleted ones)."""
    if searcher.doc_frequency(fieldname, term) == 0:
        return False
    return searcher.reader().postings(fieldname, term).is_active()


def _closest_term(searcher: Any, corrector: Any, term: str, *, exclude: str) -> str | None:
    """The most common indexed term one edit away, else two; same first letter."""
    for distance in (1, 2):
        candidates = [c for c in corrector.suggest(term, limit=20, maxdist=distance, prefix=1) if c != exclude]
        if candidates:
            return max(candidates, key=lambda c: (searcher.doc_frequency("body", c), c))
    return None


def _printed_form(searcher: Any, term: str, analyzer: Any) -> str | None:
    """How an indexed term is actually written in the first article that has it."""
    postings = searcher.reader().postings("body", term)
    if not postings.is_active():
        return None
    body = searcher.stored_fields(postings.id()).get("body", "")
    for token in rereading_analyzer(analyzer, frozenset([term]))(body, chars=True, mode="index"):
        if token.text == term:
            return body[token.startchar: token.endchar].lower()
    return None


__all__ = ["SearchRequest", "run_search", "iter_hits", "FacetCache"]
