"""The operators of professional archives in Whoosh's query parser.

    oil w/5 price       within 5 words, either order (at most 5 words between them)
    oil pre/5 price     oil before price, at most 5 words between
    oil near/5 price    as w/5
    oil /s price        in the same sentence (also w/s)
    oil /p price        in the same paragraph (also w/p)
    atleast3(cocoa)     cocoa at least 3 times in the article (title, summary and body together)
    export!             truncation: export, exports, exporter, ... (as export*)

Either side of a proximity operator is a word, a "phrase", a truncated word, an OR
group in parentheses, or another proximity; a field prefix applies the operator to
that field only (title:(oil w/3 price)). The operators bind tighter than AND, OR
and NOT. w/0 means adjacent in either order, pre/0 the same as a phrase.

Matching reads the positions of both sides (analysis/boundaries.py encodes each
word's sentence and paragraph in its position) field by field; the article's score
is that of the words themselves, limited to the articles where the operator holds.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher
from whoosh.qparser import plugins, syntax

from ..analysis.boundaries import PARAGRAPH_SHIFT, SENTENCE_SHIFT, WORD_MASK
from ..errors import QuerySyntaxError

PROXIMITY_FIELDS = ("title", "summary", "body")
Spans = dict[int, list[tuple[int, int]]]  # docnum -> (first, last) positions of each match

_TRUNCATION = re.compile(r'(?<=[^\s!():"*?])!(?=[\s)]|$)')
_PROXIMITY = {
    "w": r"(?<=\s)[Ww]/(?P<n>\d+)(?=\s)",
    "pre": r"(?<=\s)[Pp][Rr][Ee]/(?P<n>\d+)(?=\s)",
    "near": r"(?<=\s)[Nn][Ee][Aa][Rr]/(?P<n>\d+)(?=\s)",
    "s": r"(?<=\s)(?:[Ww])?/[Ss](?=\s)",
    "p": r"(?<=\s)(?:[Ww])?/[Pp](?=\s)",
}
MAX_DISTANCE = 10_000


def truncations(text: str) -> str:
    """`word!` as `word*`, outside phrases."""
    parts = re.split(r'("[^"]*")', text)
    return "".join(part if part.startswith('"') else _TRUNCATION.sub("*", part) for part in parts)


# ---------------------------------------------------------------------------
# Parser plugins


class ProximityGroup(syntax.GroupNode):
    """Two nodes joined by a proximity operator."""

    merging = False

    def __init__(self, nodes: Any = None, kind: str = "w", distance: int = 0, **kwargs: Any) -> None:
        super().__init__(nodes, **kwargs)
        self.kind = kind
        self.distance = distance

    def r(self) -> str:
        return f"{self.kind}/{self.distance}({', '.join(repr(n) for n in self.nodes)})"

    def query(self, parser: Any) -> Any:
        left, right = (node.query(parser) for node in self.nodes)
        return Proximity(left, right, self.kind, self.distance)


class _ProximityOperator(syntax.InfixOperator):
    def __init__(self, text: str, kind: str, distance: int) -> None:
        super().__init__(text, ProximityGroup, True)
        self.kind = kind
        self.distance = distance

    def replace_self(self, parser: Any, group: Any, position: int) -> int:
        if 0 < position < len(group) - 1:
            left, right = group[position - 1], group[position + 1]
            group[position - 1:position + 2] = [ProximityGroup([left, right], kind=self.kind,
                                                               distance=self.distance)]
        else:  # nothing on one side: as Whoosh does with a dangling AND, drop the operator
            del group[position]
        return position


class _ProximityTagger(plugins.OperatorsPlugin.OpTagger):
    def __init__(self, kind: str, expr: str) -> None:
        super().__init__(expr, ProximityGroup, _ProximityOperator, memo=kind)
        self.kind = kind

    def create(self, parser: Any, match: Any) -> Any:
        distance = int(match.groupdict().get("n") or 0)
        if distance > MAX_DISTANCE:
            distance = MAX_DISTANCE
        kind = "w" if self.kind == "near" else self.kind
        return _ProximityOperator(match.group(0), kind, distance)


def operators_plugin() -> Any:
    """Whoosh's AND/OR/NOT plus the proximity operators, which bind tighter."""
    ops = [(_ProximityTagger(kind, expr), 0) for kind, expr in _PROXIMITY.items()]
    return plugins.OperatorsPlugin(ops=ops)


class _AtLeastNode(syntax.SyntaxNode):
    has_fieldname = True
    has_text = True

    def __init__(self, count: int, word: str) -> None:
        self.count = count
        self.text = word
        self.fieldname = None
        self.boost = 1.0

    def r(self) -> str:
        return f"atleast{self.count}({self.text})"

    def query(self, parser: Any) -> Any:
        fields = [self.fieldname] if self.fieldname else list(PROXIMITY_FIELDS)
        terms = []
        for fieldname in fields:
            if fieldname not in parser.schema:
                continue
            for term in parser.schema[fieldname].process_text(self.text, mode="query"):
                terms.append((fieldname, term))
        if not terms:
            return wq.NullQuery
        return AtLeast(terms, self.count)


class AtLeastPlugin(plugins.TaggingPlugin):
    """atleastN(word): the word N times or more."""

    expr = r"(?i:atleast)(?P<count>\d+)\((?P<word>[^()\s]+)\)"

    def __init__(self) -> None:
        super().__init__()

    def create(self, parser: Any, match: Any) -> Any:
        return _AtLeastNode(int(match.group("count")), match.group("word"))

    def filters(self, parser: Any) -> list[Any]:
        # After explicit fields are applied (100), before MultifieldPlugin (110) would
        # split an unfielded atleastN into one count per field.
        return [(self._count_fields_together, 105)]

    def _count_fields_together(self, parser: Any, group: Any) -> Any:
        for node in group:
            if isinstance(node, syntax.GroupNode):
                self._count_fields_together(parser, node)
            elif isinstance(node, _AtLeastNode) and node.fieldname is None:
                node.has_fieldname = False
        return group


# ---------------------------------------------------------------------------
# Queries


class Proximity(wq.Query):
    """`left` and `right` within a distance, in order, or in one sentence or paragraph."""

    def __init__(self, left: Any, right: Any, kind: str, distance: int, boost: float = 1.0) -> None:
        self.left, self.right, self.kind, self.distance, self.boost = left, right, kind, distance, boost

    def __repr__(self) -> str:
        return f"Proximity({self.left!r}, {self.right!r}, {self.kind!r}, {self.distance})"

    def __eq__(self, other: object) -> bool:
        return (type(other) is Proximity and (self.left, self.right, self.kind, self.distance)
                == (other.left, other.right, other.kind, other.distance))

    def __hash__(self) -> int:
        return hash((self.kind, self.distance, repr(self.left), repr(self.right)))

    def is_leaf(self) -> bool:
        return False

    def field(self) -> None:
        return None

    def children(self) -> list[Any]:
        return [self.left, self.right]

    def apply(self, fn: Any) -> "Proximity":
        # The sides are read as they were parsed: rewrites for ranking (BM25F terms,
        # phrase matchers) would hide the per-field positions this query needs.
        return self

    def normalize(self) -> Any:
        return Proximity(self.left.normalize(), self.right.normalize(), self.kind, self.distance, self.boost)

    def estimate_size(self, reader: Any) -> int:
        return min(self.left.estimate_size(reader), self.right.estimate_size(reader))

    def spans(self, searcher: Any, fieldname: str) -> Spans:
        left = spans_of(self.left, searcher, fieldname)
        right = spans_of(self.right, searcher, fieldname) if left else {}
        found: Spans = {}
        for docnum in left.keys() & right.keys():
            joined = _join(left[docnum], right[docnum], self.kind, self.distance)
            if joined:
                found[docnum] = joined
        return found

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        docs: set[int] = set()
        for fieldname in PROXIMITY_FIELDS:
            if fieldname in searcher.schema:
                docs.update(self.spans(searcher, fieldname))
        scored = wq.Or([self.left, self.right]).matcher(searcher, context)
        return FilterMatcher(scored, docs)


class AtLeast(wq.Query):
    """Articles holding the terms at least `count` times, fields together."""

    def __init__(self, terms: list[tuple[str, str]], count: int, boost: float = 1.0) -> None:
        self.terms_, self.count, self.boost = terms, count, boost

    def __repr__(self) -> str:
        return f"AtLeast({self.terms_!r}, {self.count})"

    def __eq__(self, other: object) -> bool:
        return type(other) is AtLeast and (self.terms_, self.count) == (other.terms_, other.count)

    def __hash__(self) -> int:
        return hash((tuple(self.terms_), self.count))

    def is_leaf(self) -> bool:
        return False

    def field(self) -> None:
        return None

    def children(self) -> list[Any]:
        return [wq.Term(f, t) for f, t in self.terms_]

    def apply(self, fn: Any) -> "AtLeast":
        return self

    def estimate_size(self, reader: Any) -> int:
        return sum(reader.doc_frequency(f, t) for f, t in self.terms_)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        counts: dict[int, int] = {}
        for fieldname, text in self.terms_:
            if (fieldname, text) not in searcher.reader():
                continue
            postings = searcher.postings(fieldname, text)
            while postings.is_active():
                counts[postings.id()] = counts.get(postings.id(), 0) + int(postings.weight())
                postings.next()
        docs = {d for d, n in counts.items() if n >= self.count}
        scored = wq.Or([wq.Term(f, t) for f, t in self.terms_]).matcher(searcher, context)
        return FilterMatcher(scored, docs)


# ---------------------------------------------------------------------------
# Spans


def spans_of(query: Any, searcher: Any, fieldname: str) -> Spans:
    """Where `query` matches in `fieldname`: docnum -> (first, last) positions."""
    if isinstance(query, Proximity):
        return query.spans(searcher, fieldname)
    if isinstance(query, wq.Term):
        if query.fieldname != fieldname:
            return {}
        return _term_spans(searcher, fieldname, query.text)
    if isinstance(query, wq.Or):
        merged: Spans = {}
        for sub in query.subqueries:
            for docnum, spans in spans_of(sub, searcher, fieldname).items():
                merged.setdefault(docnum, []).extend(spans)
        return {d: sorted(set(s)) for d, s in merged.items()}
    if isinstance(query, (wq.Prefix, wq.Wildcard)):
        if query.fieldname != fieldname:
            return {}
        merged = {}
        for text in query._btexts(searcher.reader()):
            for docnum, spans in _term_spans(searcher, fieldname, text).items():
                merged.setdefault(docnum, []).extend(spans)
        return {d: sorted(s) for d, s in merged.items()}
    if isinstance(query, wq.Phrase) or type(query).__name__ == "AdjacentWords":
        if query.fieldname != fieldname:
            return {}
        return _phrase_spans(searcher, fieldname, list(query.words))
    if query is wq.NullQuery or isinstance(query, wq.NullQuery.__class__):
        return {}
    raise QuerySyntaxError(
        "a proximity operator (w/N, pre/N, near/N, /s, /p) joins words, \"phrases\", truncated words, "
        f"OR groups or other proximities, not {_describe(query)}"
    )


def _describe(query: Any) -> str:
    if isinstance(query, wq.And):
        return "an AND group"
    if isinstance(query, wq.Not):
        return "a NOT"
    return type(query).__name__


def _term_spans(searcher: Any, fieldname: str, text: Any) -> Spans:
    if (fieldname, text) not in searcher.reader():
        return {}
    postings = searcher.postings(fieldname, text)
    found: Spans = {}
    while postings.is_active():
        found[postings.id()] = [(p, p) for p in postings.value_as("positions")]
        postings.next()
    return found


def _phrase_spans(searcher: Any, fieldname: str, words: list[Any]) -> Spans:
    per_word = [_term_spans(searcher, fieldname, word) for word in words]
    if not per_word or not all(per_word):
        return {}
    docs = set(per_word[0]).intersection(*per_word[1:])
    found: Spans = {}
    for docnum in docs:
        starts = [p for p, _ in per_word[0][docnum]]
        later = [{p for p, _ in spans[docnum]} for spans in per_word[1:]]
        matches = [(s, s + len(words) - 1) for s in starts
                   if all(s + k + 1 in positions for k, positions in enumerate(later))]
        if matches:
            found[docnum] = matches
    return found


def _join(left: Iterable[tuple[int, int]], right: Iterable[tuple[int, int]], kind: str,
          distance: int) -> list[tuple[int, int]]:
    """The spans covering a left and a right match that satisfy the operator; the
    two matches never share a word."""
    joined = set()
    right = list(right)
    for a in left:
        for b in right:
            if kind == "s" or kind == "p":
                # One word cannot stand for both sides; a word inside the other side's span may.
                shift = SENTENCE_SHIFT if kind == "s" else PARAGRAPH_SHIFT
                if a == b or len({a[0] >> shift, a[1] >> shift, b[0] >> shift, b[1] >> shift}) != 1:
                    continue
                joined.add((min(a[0], b[0]), max(a[1], b[1])))
                continue
            if a[1] < b[0]:
                first, second = a, b
            elif b[1] < a[0]:
                first, second = b, a
            else:
                continue  # overlapping matches: one word cannot stand for both sides
            if kind == "pre" and first is not a:
                continue
            between = (second[0] & WORD_MASK) - (first[1] & WORD_MASK) - 1
            if between > distance:
                continue
            joined.add((first[0], second[1]))
    return sorted(joined)
