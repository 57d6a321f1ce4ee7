"""Ranking: real BM25F over the text fields, and optional pseudo-relevance feedback.

Whoosh's "BM25F" scores each field on its own and adds the scores, so a word in
the headline *and* the body counts twice at full strength and any headline boost
multiplies that.  Here a word's frequencies in title, summary and body are first
combined (weighted, each normalised by its field's length) and saturated once,
which is what BM25F means; headline weight then helps without swamping the body.
benchmarks/relevance.py measures every choice below against plain Whoosh, SQLite
FTS5 and tantivy and checks them by two-fold cross-validation.

Defaults are the usual values from the literature, not fitted to the benchmark:
k1 = 1.2, b = 0.75, a 0.1 bonus for query words found side by side (sequential
dependence), RM3 feedback adding 10 words with half the weight on the original
query.  Feedback reads the top 5 articles (between Terrier's 3 and Anserini's
10): a news story is covered by a handful of articles, so only the first few
hits are reliably on topic.  The benchmark's two-fold check reports how settings
tuned on half the queries fare on the other half against these defaults.

Use (query.py):
    searcher = ix.searcher(weighting=make_weighting())
    query = add_proximity(combine_fields(parser.parse(text)), schema=schema)
    query = expand_query(searcher, query, restrict=filters, broaden=match == "any")
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any, Iterable, Iterator, Mapping, Sequence
from weakref import WeakKeyDictionary

import numpy as np
from whoosh import matching
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import qcore
from whoosh.scoring import BM25FScorer, WeightingModel, WeightScorer
from whoosh.util.numeric import byte_to_length

from .analyzers import rereading_analyzer
from .term_arrays import arrays_of, distinct, in_set, in_sorted, live_mask, position_decoder, term_postings

# BM25 saturation and length normalisation (Robertson's usual values).
K1 = 1.2
B = 0.75
# Length normalisation per field where the default is wrong: headlines are all
# about as long, so a short one is not more focused.
FIELD_B = {"title": 0.3}
# Fields whose term frequencies BM25F combines (they share one analyzer), with
# their weights: a headline word counts like two body occurrences.
TEXT_FIELDS = {"title": 2.0, "summary": 1.5, "body": 1.0}
# Field boosts for the multi-field query parser: the text fields' BM25F weights
# plus the name-like fields, which keep their own per-field scores.
FIELD_BOOSTS = {**TEXT_FIELDS, "byline": 1.0, "section": 0.5, "tags": 0.8}

# Sequential dependence: weight of the bonus for two consecutive query words
# found side by side in the body (the usual 0.1 of Metzler and Croft's model).
PROXIMITY_WEIGHT = 0.1
PROXIMITY_FIELD = "body"

# Pseudo-relevance feedback (RM3): articles read, words added, and the share of
# the final query's weight that stays with the words the user typed.
FEEDBACK_DOCS = 5
FEEDBACK_TERMS = 10
FEEDBACK_ORIGINAL_WEIGHT = 0.5


def rsj_idf(doc_frequency: int, doc_count: int) -> float:
    """Robertson-Sparck Jones idf, floored at zero by the +1 inside the log."""
    return math.log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


class NewsBM25(WeightingModel):
    """Per-field BM25 with the RSJ idf, for terms that combine_fields leaves alone.

    Whoosh's own idf, log(N / (df + 1)) + 1, keeps a word found in half the
    archive at a third of a rare word's weight, so long natural-language queries
    drift towards articles full of "president" and "government"; the RSJ idf
    lets such words fade.
    """

    def __init__(self, *, k1: float = K1, b: float = B, field_b: Mapping[str, float] | None = None) -> None:
        self.K1 = k1
        self.B = b
        self.field_b = dict(FIELD_B if field_b is None else field_b)

    def idf(self, searcher: Any, fieldname: str, text: bytes) -> float:
        return rsj_idf(searcher.doc_frequency(fieldname, text), searcher.doc_count_all())

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        b = self.field_b.get(fieldname, self.B)
        return BM25FScorer(searcher, fieldname, text, b, self.K1, qf=qf)


def make_weighting(**overrides: Any) -> WeightingModel:
    """The weighting model for `ix.searcher(weighting=...)`."""
    return NewsBM25(**overrides)


# Per top-level searcher: a word's largest document frequency over its fields.
_DOC_FREQUENCIES: "WeakKeyDictionary[Any, dict[tuple[tuple[str, bytes], ...], int]]" = WeakKeyDictionary()
# Per top-level searcher: each field's average length (a sum over every segment).
_AVERAGE_LENGTHS: "WeakKeyDictionary[Any, dict[str, float]]" = WeakKeyDictionary()


class FieldsTerm(qcore.Query):
    """One analysed word searched in several text fields, scored by BM25F.

    Per document, tf = sum over fields of weight * tf_field / length_norm_field,
    then score = idf * tf * (k1 + 1) / (tf + k1).  Built by combine_fields();
    `terms()` reports the per-field terms so highlighting still sees them.
    """

    def __init__(
        self,
        text: str,
        weights: Mapping[str, float],
        *,
        boost: float = 1.0,
        k1: float = K1,
        b: float = B,
        field_b: Mapping[str, float] | None = None,
    ) -> None:
        self.text = text
        self.weights = dict(weights)
        self.boost = boost
        self.k1 = k1
        self.b = b
        self.field_b = dict(FIELD_B if field_b is None else field_b)

    def _key(self) -> tuple:
        return (self.text, tuple(sorted(self.weights.items())), self.boost, self.k1, self.b,
                tuple(sorted(self.field_b.items())))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._key() == self._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r}, {self.weights!r}, boost={self.boost})"

    def __str__(self) -> str:
        return "(" + " OR ".join(f"{f}:{self.text}" for f in self.weights) + ")"

    def has_terms(self) -> bool:
        return True

    def terms(self, phrases: bool = False) -> Iterable[tuple[str, str]]:
        for fieldname in self.weights:
            yield fieldname, self.text

    def _fields(self, searcher: Any) -> list[tuple[str, float, bytes]]:
        found = []
        for fieldname, weight in self.weights.items():
            if fieldname in searcher.schema and weight > 0:
                try:
                    found.append((fieldname, weight, searcher.schema[fieldname].to_bytes(self.text)))
                except ValueError:
                    continue
        return found

    def estimate_size(self, ixreader: Any) -> int:
        sizes = [ixreader.doc_frequency(f, t) for f, _, t in self._fields(ixreader)]
        return min(max(sizes, default=0), ixreader.doc_count())

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        parent = searcher.get_parent()
        fields = self._fields(searcher)
        # Documents with the word in any field: the largest field's count is a
        # close, cheap stand-in for the size of the union.  Asked once per search,
        # not once per segment (each ask looks the word up in every segment).
        known = _DOC_FREQUENCIES.setdefault(parent, {})
        key = tuple((f, t) for f, _, t in fields)
        if key not in known:
            if len(known) > 10_000:
                known.clear()
            known[key] = max((parent.doc_frequency(f, t) for f, t in key), default=0)
        df = known[key]
        if not df:
            return matching.NullMatcher()
        reader = searcher.reader()
        within = within_of(context)
        per_field: list[tuple[Any, Any]] = []
        averages = _AVERAGE_LENGTHS.setdefault(parent, {})
        for fieldname, weight, btext in fields:
            if (fieldname, btext) not in reader:
                continue
            average = averages.get(fieldname)
            if average is None:
                average = averages[fieldname] = parent.avg_field_length(fieldname) or 1.0
            b = self.field_b.get(fieldname, self.b)
            norm_values = norm_array(reader, fieldname, b, average)
            found = term_postings(reader, fieldname, btext, within) if norm_values is not None else None
            if found is not None:  # the same parts, computed a whole array at a time
                if len(found[0]):
                    per_field.append((found[0], weight * found[1] / norm_values[found[0]]))
                continue
            norms = length_norms(reader, fieldname, b, average)
            blocks = posting_blocks(reader, fieldname, btext, within) if norms is not None else None
            ids: list[int] = []
            parts: list[float] = []
            if blocks is None:
                postings = searcher.postings(fieldname, btext)
                while postings.is_active():
                    length = searcher.doc_field_length(postings.id(), fieldname, 1)
                    ids.append(postings.id())
                    parts.append(weight * postings.weight() / ((1 - b) + b * length / average))
                    postings.next()
            else:
                for block_ids, block_weights, _ in blocks:
                    if within is None:
                        ids.extend(block_ids)
                        parts.extend([weight * tf / norms[docnum] for docnum, tf in zip(block_ids, block_weights)])
                        continue
                    for docnum, tf in zip(block_ids, block_weights):
                        if docnum in within:
                            ids.append(docnum)
                            parts.append(weight * tf / norms[docnum])
            if ids:
                per_field.append((ids, parts))
        if not per_field:
            return matching.NullMatcher()
        idf = rsj_idf(df, parent.doc_count_all()) * self.boost
        k1 = self.k1
        if any(isinstance(ids, np.ndarray) for ids, _ in per_field):
            ids, tfs = _sum_arrays_by_document(per_field, reader.doc_count_all())
            return ArrayMatcher(ids, idf * tfs * (k1 + 1) / (tfs + k1))
        ids, tfs = _sum_by_document(per_field)
        return matching.ListMatcher(ids, [idf * tf * (k1 + 1) / (tf + k1) for tf in tfs])


class ArrayMatcher(matching.ListMatcher):
    """A ListMatcher over numpy arrays of ids and scores. The bulk path of a search
    (query.py) reads the arrays as they are; Whoosh's own one-at-a-time stepping gets
    lists, made on first use."""

    def __init__(self, ids: np.ndarray, scores: np.ndarray, position: int = 0) -> None:
        self.arrays = (ids, scores)
        self._lists: tuple[list[int], list[float]] | None = None
        super().__init__(None, None, position=position)

    def _as_lists(self) -> tuple[list[int], list[float]]:
        if self._lists is None:
            self._lists = (self.arrays[0].tolist(), self.arrays[1].tolist())
        return self._lists

    @property  # type: ignore[override]
    def _ids(self) -> list[int]:
        return self._as_lists()[0]

    @_ids.setter
    def _ids(self, value: Any) -> None:  # ListMatcher.__init__ sets it: the arrays stand instead
        pass

    @property  # type: ignore[override]
    def _weights(self) -> list[float]:
        return self._as_lists()[1]

    @_weights.setter
    def _weights(self, value: Any) -> None:
        pass

    def is_active(self) -> bool:
        return self._i < len(self.arrays[0])

    def copy(self) -> "ArrayMatcher":
        return ArrayMatcher(self.arrays[0], self.arrays[1], self._i)


def _sum_arrays_by_document(per_field: list[tuple[Any, Any]], size: int) -> tuple[np.ndarray, np.ndarray]:
    """_sum_by_document with numpy: one running total per document of the segment,
    fields added in order (0.0 + the first part is the part itself, so each sum is
    the same float)."""
    totals = np.zeros(size)
    found = np.zeros(size, dtype=bool)
    for ids, parts in per_field:
        ids = np.asarray(ids, dtype=np.int64)
        totals[ids] += np.asarray(parts, dtype=np.float64)
        found[ids] = True
    ids = np.flatnonzero(found)
    return ids, totals[ids]


def _sum_by_document(per_field: list[tuple[list[int], list[float]]]) -> tuple[list[int], list[float]]:
    """Documents in order with the sum of their parts, added in field order (so each
    sum is the same float whichever way it is computed). The last field, usually
    the body and the largest, is joined at C speed."""
    if len(per_field) == 1:
        return per_field[0]
    earlier: dict[int, float] = defaultdict(float)
    for ids, parts in per_field[:-1]:
        for docnum, part in zip(ids, parts):
            earlier[docnum] += part
    last = dict(zip(*per_field[-1]))
    for docnum, part in earlier.items():
        last[docnum] = part + last[docnum] if docnum in last else part
    ids = sorted(last)
    return ids, [last[docnum] for docnum in ids]


_NORMS: "WeakKeyDictionary[Any, dict[tuple[str, float, float], np.ndarray | None]]" = WeakKeyDictionary()


def norm_array(reader: Any, fieldname: str, b: float, average: float) -> np.ndarray | None:
    """Every document's BM25 length normalisation (1 - b) + b * length / average in
    one segment, computed a whole array at a time (each the same float as the scalar
    formula) and cached per reader. None when the lengths are not readable in bulk."""
    try:
        cached = _NORMS.setdefault(reader, {})
    except TypeError:
        return None
    key = (fieldname, b, average)
    if key not in cached:
        if len(cached) > 64:
            cached.clear()
        lengths = length_values(reader, fieldname)
        cached[key] = None if lengths is None else (1 - b) + b * lengths.astype(np.float64) / average
    return cached[key]


def length_norms(reader: Any, fieldname: str, b: float, average: float) -> list[float] | None:
    """norm_array as a list, for the paths that look documents up one at a time."""
    norms = norm_array(reader, fieldname, b, average)
    if norms is None:
        return None
    held = _NORM_LISTS.setdefault(reader, {})
    key = (fieldname, b, average)
    if key not in held or held[key][0] is not norms:
        held[key] = (norms, norms.tolist())
    return held[key][1]


_NORM_LISTS: "WeakKeyDictionary[Any, dict[tuple[str, float, float], tuple[np.ndarray, list[float]]]]" = \
    WeakKeyDictionary()


class AdjacentWords(wq.Phrase):
    """Whoosh's Phrase (slop 1) with the same matches and scores, found in one pass.

    Whoosh checks a phrase document by document through layers of span
    matchers; here each word's postings are read a block at a time (the rarest
    word first, later words only in blocks that can hold a candidate) and the
    candidates' positions are compared as sets.  A document scores what Whoosh
    gives it: the sum of the words' own scores in the field, times the boost.
    Other slops and posting readers this does not know use Whoosh's Phrase.
    """

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        weighting = searcher.weighting if context is None else context.weighting
        found = self.matches(searcher, weighting, within_of(context))
        if found is None:
            return super().matcher(searcher, context)
        ids, scores = found
        if not ids:
            return matching.NullMatcher()
        return matching.ListMatcher(ids) if scores is None else matching.ListMatcher(ids, scores)

    def matches(self, searcher: Any, weighting: Any,
                within: set[int] | None = None) -> tuple[list[int], list[float] | None] | None:
        """Matching documents of one segment (only those `within`, if given) and
        their scores (None without a weighting); None where Whoosh's Phrase must do it."""
        field = searcher.schema[self.fieldname] if self.fieldname in searcher.schema else None
        if (field is None or self.slop != 1 or len(self.words) < 2
                or not field.format or not field.format.supports("positions")):
            return None
        try:
            btexts = [field.to_bytes(word) for word in self.words]
        except ValueError:
            return [], None
        reader = searcher.reader()
        if any((self.fieldname, btext) not in reader for btext in btexts):
            return [], None
        found = adjacent_in_arrays(reader, self.fieldname, btexts, within)
        if found is not None:
            ids, weights = found
            if not len(ids) or weighting is None:
                return ids.tolist(), None
            scorers = [weighting.scorer(searcher, self.fieldname, btext) for btext in btexts]
            if all(type(scorer) is BM25FScorer for scorer in scorers):
                lengths = length_array(reader, self.fieldname)[ids]
                columns = [bm25_scores(scorer, column, lengths) for scorer, column in zip(scorers, weights)]
                return ids.tolist(), (_pairwise_sum(columns) * self.boost).tolist()
            docs = ids.tolist()
            lengths_list = field_lengths(reader, self.fieldname)
            parts = [_weight_scores(scorer, docs, column.tolist(), lengths_list)
                     for scorer, column in zip(scorers, weights)]
            return docs, _phrase_scores(parts, self.boost)
        postings: dict[bytes, dict[int, tuple[float, bytes]]] = {}
        if isinstance(within, np.ndarray):  # Whoosh's blocks test membership one at a time
            within = set(within.tolist())
        wanted = within
        for btext in sorted(set(btexts), key=lambda t: reader.doc_frequency(self.fieldname, t)):
            found = _read_postings(reader, self.fieldname, btext, wanted)
            if found is None:
                return None
            postings[btext] = found
            wanted = set(found)
            if not wanted:
                return [], None
        ids = _adjacent(sorted(wanted or ()), [postings[b] for b in btexts], position_decoder(field.format))
        if not ids or weighting is None:  # a boolean search: only the matches count
            return ids, None
        parts = [_word_scores(weighting.scorer(searcher, self.fieldname, btext), ids, postings[btext],
                              field_lengths(reader, self.fieldname)) for btext in btexts]
        return ids, _phrase_scores(parts, self.boost)


def _phrase_scores(parts: list[list[float]], boost: float) -> list[float]:
    """Each document's phrase score from its words' scores, summed as Whoosh does."""
    if len(parts) == 2:
        return [(first + second) * boost for first, second in zip(*parts)]
    return [_pairwise_sum(list(column)) * boost for column in zip(*parts)]


def _weight_scores(scorer: Any, ids: list[int], weights: list[float], lengths: list[int] | None) -> list[float]:
    """Each document's score for its weight, as Whoosh's scorer gives it."""
    if isinstance(scorer, BM25FScorer) and lengths is not None:
        # What BM25FScorer.score computes, with the length from the column read once.
        return [scorer._score(weight, lengths[docnum]) for docnum, weight in zip(ids, weights)]
    return [scorer.score(_Posting(docnum, weight)) for docnum, weight in zip(ids, weights)]


def bm25_scores(scorer: Any, tf: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """BM25FScorer's formula (whoosh.scoring.bm25) one operation at a time over whole
    arrays of weights and field lengths, so each score is the same float."""
    b, k1 = scorer.B, scorer.K1
    return scorer.idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / scorer.avgfl)))


def adjacent_in_arrays(reader: Any, fieldname: str, btexts: list[bytes],
                       within: set[int] | None) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """The documents of one segment where `btexts` stand at consecutive positions, with
    each word's weight in each of them, computed on the segment's term arrays; None
    when a word has none (the caller reads Whoosh's blocks).

    Positions are compared as (document, position) pairs: each pair becomes one
    integer (the document's place among the candidates times the number of distinct
    positions, plus the position's rank among them), so numpy's set operations give
    exact answers whatever size the positions are."""
    arrays = arrays_of(reader)
    if arrays is None:
        return None
    words = []
    for btext in dict.fromkeys(btexts):
        found = arrays.postings(fieldname, btext)
        if found is None:
            return None
        words.append((btext, found))
    keep = live_mask(reader)
    candidates = None
    for _, (ids, _, _) in sorted(words, key=lambda word: len(word[1][0])):
        candidates = ids if candidates is None else candidates[in_sorted(candidates, ids)]
    if keep is not None:
        candidates = candidates[keep[candidates]]
    if within is not None:
        candidates = candidates[in_set(candidates, within)]
    if not len(candidates):
        return candidates, []
    per_word = {}
    for btext, (ids, weights, counts) in words:
        at = np.searchsorted(ids, candidates)  # every candidate is among the word's ids
        ends = np.cumsum(counts, dtype=np.int64)
        lengths = counts[at].astype(np.int64)
        firsts = ends[at] - lengths
        total = int(lengths.sum())
        steps = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        places = np.repeat(firsts, lengths) + steps
        per_word[btext] = (weights[at], np.repeat(np.arange(len(candidates)), lengths),
                           arrays.positions(fieldname, btext)[places].astype(np.int64))
    places = _adjacent_by_sorted_keys(btexts, per_word, len(candidates))
    if places is not None:
        matched = places[np.concatenate(([True], places[1:] != places[:-1]))] if len(places) else places
        return candidates[matched], [per_word[btext][0][matched].astype(np.float64) for btext in btexts]
    shifted = [per_word[btext][2] - offset for offset, btext in enumerate(btexts)]
    values, ranks = np.unique(np.concatenate(shifted), return_inverse=True)
    width = len(values)
    keys = []
    start = 0
    for offset, btext in enumerate(btexts):
        size = len(shifted[offset])
        keys.append(per_word[btext][1] * width + ranks[start:start + size])
        start += size
    together = keys[0]
    for other in keys[1:]:
        together = together[in_set(together, other)]
    matched = distinct(together // width)
    return candidates[matched], [per_word[btext][0][matched].astype(np.float64) for btext in btexts]


def _adjacent_by_sorted_keys(btexts: list[bytes], per_word: dict, candidates: int) -> np.ndarray | None:
    """The candidate places (ascending, repeated once per match) where the words of a
    phrase stand one after another, or None when the quick way cannot be used.

    A word's (candidate place, position) pairs come in ascending order: places ascend,
    and Whoosh keeps a posting's positions ascending. As single integers, place times
    a width above every position plus the position moved back by the word's offset in
    the phrase, they stay ascending, so each following word's keys can be searched by
    bisection instead of sorting them all (adjacent_in_arrays' general way). Used only
    where the integers cannot overflow and the keys do ascend."""
    last = len(btexts)
    highest = 0
    for btext in btexts:
        positions = per_word[btext][2]
        if len(positions):
            if int(positions.min()) < 0:
                return None
            highest = max(highest, int(positions.max()))
    width = highest + last + 1
    if width > (2 ** 62) // max(candidates, 1):
        return None
    keys = []
    for offset, btext in enumerate(btexts):
        _, place, positions = per_word[btext]
        key = place * width + (positions + (last - offset))
        if len(key) > 1 and not bool(np.all(key[1:] > key[:-1])):
            return None
        keys.append(key)
    together = keys[0]
    for other in keys[1:]:
        together = together[in_sorted(together, other)]
    return together // width


class Within(frozenset):
    """The only documents of a segment a part of a query can match (a small language's
    articles, engine/readings.py): its words read the posting blocks holding them alone."""


WITHIN = "newsearch_within"
# A part of a query is kept to the documents of a filter (a language's) where they are at
# most this share of a segment; above it, skipping posting blocks saves little.
WITHIN_SHARE = 0.125


def within_of(context: Any) -> "Within | None":
    """The documents a search context keeps a query's matches to, if any."""
    return getattr(context, WITHIN, None)


def _word_scores(scorer: Any, ids: list[int], postings: dict[int, tuple[float, bytes]],
                 lengths: list[int] | None) -> list[float]:
    """One phrase word's score in each matching document, as Whoosh's scorer gives it."""
    return _weight_scores(scorer, ids, [postings[docnum][0] for docnum in ids], lengths)


def _adjacent(candidates: list[int], words: list[dict[int, tuple[float, bytes]]], decode: Any) -> list[int]:
    """The candidates where the words stand at consecutive positions, in order."""
    ids = []
    if len(words) == 2:  # the common case, with an early exit
        first, second = words
        for docnum in candidates:
            starts = set(decode(first[docnum][1]))
            for position in decode(second[docnum][1]):
                if position - 1 in starts:
                    ids.append(docnum)
                    break
        return ids
    for docnum in candidates:
        starts = set(decode(words[0][docnum][1]))
        for offset, postings in enumerate(words[1:], start=1):
            starts.intersection_update([p - offset for p in decode(postings[docnum][1])])
            if not starts:
                break
        if starts:
            ids.append(docnum)
    return ids


class _Posting:
    """The two things a Whoosh scorer asks of a matcher."""

    __slots__ = ("_id", "_weight")

    def __init__(self, docnum: int, weight: float) -> None:
        self._id = docnum
        self._weight = weight

    def id(self) -> int:
        return self._id

    def weight(self) -> float:
        return self._weight


def _pairwise_sum(parts: list[Any]) -> Any:
    """Sum in the shape of Whoosh's binary tree of intersections, a + (b + c), so
    that scores equal its floating-point results exactly."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _pairwise_sum(parts[:half]) + _pairwise_sum(parts[half:])


def _read_postings(reader: Any, fieldname: str, btext: bytes,
                   wanted: set[int] | None) -> dict[int, tuple[float, bytes]] | None:
    """docnum -> (weight, encoded positions) of one term, limited to `wanted`;
    None for a posting reader this does not know."""
    blocks = posting_blocks(reader, fieldname, btext, wanted, values=True)
    if blocks is None:
        return None
    found: dict[int, tuple[float, bytes]] = {}
    for ids, weights, values in blocks:
        for docnum, weight, value in zip(ids, weights, values):
            if wanted is None or docnum in wanted:
                found[docnum] = (weight, value)
    return found


def posting_blocks(reader: Any, fieldname: str, btext: bytes, wanted: set[int] | None = None,
                   *, values: bool = False) -> Iterator[tuple[Sequence[int], Sequence[float], Sequence[Any]]] | None:
    """One term's postings in one segment as (ids, weights, values) per block.

    Reading Whoosh's blocks whole (ids, weights and, if asked, values) avoids a
    few method calls per posting; blocks holding no `wanted` document are
    skipped unread.  Deleted documents are left out.  None for a posting reader
    this does not know (the caller then walks Whoosh's matcher).
    """
    matcher = reader.postings(fieldname, btext)
    deleted: Any = ()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:
        deleted, matcher = matcher._ids, matcher.child
    if not isinstance(matcher, W3LeafMatcher):
        return None
    return _blocks(matcher, deleted, sorted(wanted) if wanted is not None else None, values)


def _blocks(matcher: Any, deleted: Any, pending: list[int] | None,
            values: bool) -> Iterator[tuple[Sequence[int], Sequence[float], Sequence[Any]]]:
    for _ in _readable_blocks(matcher, pending):
        matcher._read_ids()
        matcher._read_weights()
        ids, weights = matcher._ids, matcher._weights
        if values:
            matcher._read_values()
        block_values = matcher._values if values else ()
        if deleted:
            kept = [k for k, docnum in enumerate(ids) if docnum not in deleted]
            ids, weights = [ids[k] for k in kept], [weights[k] for k in kept]
            block_values = [block_values[k] for k in kept] if values else ()
        yield ids, weights, block_values


def _readable_blocks(matcher: Any, pending: list[int] | None) -> Iterator[bool]:
    """Walk a term matcher's blocks from the one it stands in, stopping at each block
    that can hold a document of `pending` (sorted; every block when None) and moving
    to the next block when resumed. Yields True for the block the walk began in."""
    cursor = 0  # pending[cursor]: the first wanted document after the blocks passed
    first = True
    while matcher.is_active():
        if pending is not None:
            if cursor == len(pending):
                return
            last = matcher.block_max_id()
            if pending[cursor] > last:
                first = False
                matcher._next_block()
                continue
            while cursor < len(pending) and pending[cursor] <= last:
                cursor += 1
        yield first
        first = False
        matcher._next_block()


def reads_term_in_bulk(matcher: Any, reader: Any) -> bool:
    """Whether term_scores can read this matcher (a Whoosh term scored by BM25)."""
    return (type(matcher) is W3LeafMatcher and type(matcher.scorer) is BM25FScorer
            and matcher.term() is not None and length_values(reader, matcher.term()[0]) is not None)


def _blocks_left(matcher: Any, *, weights: bool, within: Within | None = None) -> Iterator[tuple[Any, Any]]:
    """The rest of a term matcher's postings a block at a time: (ids, weights or None),
    from its current place; with `within`, only the blocks that can hold one of those
    documents. Uses up the matcher."""
    start = matcher._i
    for first in _readable_blocks(matcher, sorted(within) if within is not None else None):
        skip = start if first else 0
        matcher._read_ids()
        if weights:
            matcher._read_weights()
        yield matcher._ids[skip:], (matcher._weights[skip:] if weights else None)


def term_scores(matcher: Any, reader: Any, within: Within | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rest of a term matcher's postings with the scores its score() would give,
    read a block at a time (check reads_term_in_bulk first), only those `within` if
    given (other blocks are skipped unread).  Uses up the matcher."""
    found = _rest_in_arrays(matcher, reader, within)
    if found is not None:
        return found
    ids, scores = _term_scores_by_block(matcher, reader, within)
    return np.asarray(ids, dtype=np.int64), np.asarray(scores, dtype=np.float64)


def _term_scores_by_block(matcher: Any, reader: Any, within: Within | None) -> tuple[list[int], list[float]]:
    lengths = field_lengths(reader, matcher.term()[0]) or []
    score = matcher.scorer._score
    ids: list[int] = []
    scores: list[float] = []
    for block_ids, block_weights in _blocks_left(matcher, weights=True, within=within):
        if within is None:
            ids.extend(block_ids)
            scores.extend(score(weight, lengths[docnum]) for docnum, weight in zip(block_ids, block_weights))
            continue
        for docnum, weight in zip(block_ids, block_weights):
            if docnum in within:
                ids.append(docnum)
                scores.append(score(weight, lengths[docnum]))
    return ids, scores


def _rest_in_arrays(matcher: Any, reader: Any, within: Within | None) -> tuple[np.ndarray, np.ndarray] | None:
    """term_scores from the segment's term arrays: BM25FScorer's own formula, one
    operation at a time over whole arrays, so each score is the same float."""
    fieldname, btext = matcher.term()
    arrays = arrays_of(reader)
    found = arrays.postings(fieldname, btext) if arrays is not None else None
    if found is None:
        return None
    ids, weights, _ = found
    if matcher.is_active():
        first = matcher.id()
        if first > ids[0]:
            start = int(np.searchsorted(ids, first))
            ids, weights = ids[start:], weights[start:]
    matcher._atend = True  # used up, as term_scores promises
    if within is not None:
        inside = in_set(ids, within)
        ids, weights = ids[inside], weights[inside]
    scores = bm25_scores(matcher.scorer, weights.astype(np.float64), length_array(reader, fieldname)[ids])
    return ids.astype(np.int64), scores


def term_ids(matcher: Any) -> list[int] | None:
    """The rest of a term matcher's document numbers, without weights or scores (a
    filter's postings: a language, a section); None when it is not a plain term
    matcher. Uses up the matcher."""
    if type(matcher) is not W3LeafMatcher:
        return None
    return [docnum for block_ids, _ in _blocks_left(matcher, weights=False) for docnum in block_ids]


_BYTE_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.int64)
_LENGTHS: "WeakKeyDictionary[Any, dict[str, np.ndarray | None]]" = WeakKeyDictionary()
_LENGTH_LISTS: "WeakKeyDictionary[Any, dict[str, list[int] | None]]" = WeakKeyDictionary()


def length_values(reader: Any, fieldname: str) -> np.ndarray | None:
    """Every document's length in `fieldname` for one segment, read once per reader
    straight from Whoosh's length column (a byte per document) into an int64 array.
    None when the reader keeps its lengths some other way."""
    try:
        cached = _LENGTHS.setdefault(reader, {})
    except TypeError:
        return None
    if fieldname not in cached:
        cached[fieldname] = _read_lengths(reader, fieldname)
    return cached[fieldname]


def field_lengths(reader: Any, fieldname: str) -> list[int] | None:
    """length_values as a list, for the paths that look documents up one at a time."""
    try:
        cached = _LENGTH_LISTS.setdefault(reader, {})
    except TypeError:
        return None
    if fieldname not in cached:
        values = length_values(reader, fieldname)
        cached[fieldname] = None if values is None else values.tolist()
    return cached[fieldname]


def length_array(reader: Any, fieldname: str) -> np.ndarray:
    """length_values as float64 (lengths are small integers: exact), zeros if unreadable."""
    held = _LENGTH_FLOATS.setdefault(reader, {})
    if fieldname not in held:
        values = length_values(reader, fieldname)
        held[fieldname] = values.astype(np.float64) if values is not None else np.zeros(reader.doc_count_all())
    return held[fieldname]


_LENGTH_FLOATS: "WeakKeyDictionary[Any, dict[str, np.ndarray]]" = WeakKeyDictionary()


def _read_lengths(reader: Any, fieldname: str) -> np.ndarray | None:
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    size = reader.doc_count_all()
    lengths = np.zeros(size, dtype=np.int64)
    if column is None:
        return lengths
    raw = getattr(column, "_dbfile", None)
    if raw is None or getattr(column, "_fixedlen", None) != 1:
        return None
    codes = np.frombuffer(bytes(raw.get(column._basepos, column._count)), dtype=np.uint8)[:size]
    lengths[:len(codes)] = _BYTE_LENGTHS[codes]
    return lengths


class SumOr(wq.Or):
    """An Or whose matcher bounds its score by the sum of its parts.

    On small indexes Whoosh's Or preloads an array matcher that reports the best
    single part as its maximum score; AndMaybe and And trust that bound when
    they prune, and silently drop good documents from a top-N search.  The
    binary union matcher reports the sum, which is a true bound.
    """

    matcher_type = wq.Or.DEFAULT_MATCHER


class _BonusMatcher(matching.AndMaybeMatcher):
    """AndMaybe's matcher without top-N pruning, which loses part of the bonus
    whenever a child's maximum score is understated (phrases, feedback words)."""

    def replace(self, minquality: float = 0) -> Any:
        return self if self.a.is_active() else matching.NullMatcher()

    def supports_block_quality(self) -> bool:
        return False


class Bonus(wq.AndMaybe):
    """Documents of `a`, plus the score of `b` where it also matches."""

    matcherclass = _BonusMatcher


def combine_fields(query: Any, *, weights: Mapping[str, float] = TEXT_FIELDS, **params: Any) -> Any:
    """Rewrite per-field alternatives of one word into a single BM25F term.

    MultifieldParser turns a word into Or([title:w^2, summary:w^1.5, body:w, ...]);
    within every Or, the text-field terms of one word become a FieldsTerm whose
    field weights are the parser's boosts.  Other fields, phrases and anything
    inside And/Not keep Whoosh's scoring.  `params` go to FieldsTerm (k1, b, field_b).
    """
    if isinstance(query, wq.Or):
        grouped: dict[str, dict[str, float]] = {}
        rest = []
        for sub in query.subqueries:
            if isinstance(sub, wq.Term) and sub.fieldname in weights and isinstance(sub.text, str):
                fields = grouped.setdefault(sub.text, {})
                fields[sub.fieldname] = max(fields.get(sub.fieldname, 0.0), sub.boost)
            else:
                rest.append(combine_fields(sub, weights=weights, **params))
        subqueries = [FieldsTerm(text, fields, **params) for text, fields in grouped.items()] + rest
        if len(subqueries) == 1 and query.boost == 1.0:
            return subqueries[0]
        return SumOr(subqueries, boost=query.boost)
    return query.apply(lambda sub: combine_fields(sub, weights=weights, **params))


def _bonus_phrases(bonus: Any) -> list[AdjacentWords] | None:
    """The phrases of a proximity bonus (add_proximity's SumOr), when it holds at
    most two: their scores then add up the same in any order."""
    phrases = [bonus] if isinstance(bonus, AdjacentWords) else (
        list(bonus.subqueries) if type(bonus) is SumOr and bonus.boost == 1.0 else [])
    if not 0 < len(phrases) <= 2 or any(type(p) is not AdjacentWords or p.slop != 1 for p in phrases):
        return None
    return phrases


def bonus_bound(searcher: Any, bonus: Any) -> float | None:
    """A score no document can reach from the proximity bonus `bonus`, or None.

    A BM25 word score, idf * tf * (k1 + 1) / (tf + k1 * norm), stays below
    idf * (k1 + 1) whatever the frequency and length; a phrase adds its words'
    scores times its boost.  Lets a search score the bonus only for the
    documents that could still reach the first page.
    """
    phrases = _bonus_phrases(bonus)
    weighting = searcher.weighting
    if phrases is None or type(weighting) is not NewsBM25:
        return None
    total = 0.0
    for phrase in phrases:
        if phrase.fieldname not in searcher.schema or not searcher.schema[phrase.fieldname].scorable:
            return None
        field = searcher.schema[phrase.fieldname]
        try:
            idfs = [searcher.idf(phrase.fieldname, field.to_bytes(word)) for word in phrase.words]
        except ValueError:
            return None
        total += max(0.0, phrase.boost) * sum(idfs) * (weighting.K1 + 1)
    return total * (1 + 1e-9) + 1e-12  # a hair above, for rounding


def bonus_scores(searcher: Any, bonus: Any, docs: Iterable[int]) -> dict[int, float] | None:
    """The proximity bonus's score of each of `docs` (global numbers) that it
    matches, as the bonus's own matcher would give it; None when it cannot tell."""
    found = bonus_arrays(searcher, bonus, np.fromiter(docs, dtype=np.int64))
    return None if found is None else dict(zip(found[0].tolist(), found[1].tolist()))


def bonus_arrays(searcher: Any, bonus: Any, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """bonus_scores as sorted arrays (documents, scores)."""
    phrases = _bonus_phrases(bonus)
    if phrases is None:
        return None
    wanted = distinct(docs)
    id_parts, score_parts = [], []
    for subsearcher, offset in searcher.leaf_searchers():
        end = offset + subsearcher.reader().doc_count_all()
        local = wanted[(wanted >= offset) & (wanted < end)] - offset
        if not len(local):
            continue
        totals: dict[int, float] = {}
        for phrase in phrases:
            found = phrase.matches(subsearcher, searcher.weighting, within=local)
            if found is None or (found[0] and found[1] is None):
                return None
            for docnum, score in zip(found[0], found[1] or ()):
                totals[docnum] = totals[docnum] + score if docnum in totals else score
        if totals:
            ids = np.fromiter(sorted(totals), dtype=np.int64, count=len(totals))
            id_parts.append(ids + offset)
            score_parts.append(np.fromiter((totals[d] for d in ids.tolist()), dtype=np.float64, count=len(ids)))
    if not id_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(id_parts), np.concatenate(score_parts)


def adjacent_words(query: Any) -> Any:
    """Every Whoosh Phrase in `query` as an AdjacentWords: same matches, faster."""
    if type(query) is wq.Phrase:
        return AdjacentWords(query.fieldname, query.words, slop=query.slop, boost=query.boost,
                             char_ranges=query.char_ranges)
    return query.apply(adjacent_words)


def add_proximity(query: Any, *, schema: Any = None, weight: float = PROXIMITY_WEIGHT,
                  fieldname: str = PROXIMITY_FIELD) -> Any:
    """Reward articles where consecutive query words stand side by side.

    "west germany" or "prime minister" as neighbours is stronger evidence than
    the two words apart.  The bonus is optional, so the matching
    articles are exactly those of `query`; only their order changes.
    """
    if weight <= 0 or (schema is not None and not _has_positions(schema, fieldname)):
        return query
    words = _word_sequence(query)
    pairs = list(dict.fromkeys((a, b) for a, b in zip(words, words[1:]) if a != b))
    if not pairs:
        return query
    return Bonus(query, SumOr([AdjacentWords(fieldname, [a, b], boost=weight) for a, b in pairs]))


def _has_positions(schema: Any, fieldname: str) -> bool:
    return fieldname in schema and schema[fieldname].format.supports("positions")


def _word_sequence(query: Any) -> list[str]:
    """The combined words of a query in typed order (words under NOT excluded)."""
    if isinstance(query, FieldsTerm):
        return [query.text]
    if isinstance(query, (wq.Or, wq.And)):
        return [word for sub in query.subqueries for word in _word_sequence(sub)]
    return []


# ---------------------------------------------------------------------------
# Pseudo-relevance feedback


def _term_counts(searcher: Any, docnum: int, fields: Iterable[str]) -> Counter[str]:
    """Index terms of one stored article, re-analysed as the index saw them."""
    stored = searcher.stored_fields(docnum)
    counts: Counter[str] = Counter()
    for fieldname in fields:
        text = stored.get(fieldname)
        if isinstance(text, str) and text and fieldname in searcher.schema:
            analyzer = rereading_analyzer(searcher.schema[fieldname].analyzer)
            counts.update(t.text for t in analyzer(text, mode="index"))
    return counts


def feedback_terms(
    searcher: Any,
    hits: Iterable[tuple[int, float]],
    *,
    terms: int = FEEDBACK_TERMS,
    fields: Iterable[str] = tuple(TEXT_FIELDS),
) -> dict[str, float]:
    """The `terms` words most typical of the scored top articles, weights summing to 1
    (see feedback_weights), read from this searcher's stored articles and counts."""
    fields = tuple(fields)
    sample = [(score, _term_counts(searcher, docnum, fields)) for docnum, score in hits if score > 0]
    text_fields = [f for f in fields if f in searcher.schema]

    def doc_frequency(term: str) -> int:
        return max((searcher.doc_frequency(f, term) for f in text_fields), default=0)

    return feedback_weights(sample, searcher.doc_count_all(), doc_frequency, terms=terms)


def feedback_weights(sample: Sequence[tuple[float, Mapping[str, int]]], doc_count: int,
                     doc_frequency: Any, *, terms: int = FEEDBACK_TERMS) -> dict[str, float]:
    """RM1 weight, sum over articles of P(word | article) * P(article | query), times
    the word's idf: plain RM1 favours words every article uses ("said", "week"),
    which with BM25's own idf would drag results towards generic news. `sample` is
    (score, term counts) of each top article, best first; `doc_frequency(term)` is
    the largest number of articles holding it in one text field."""
    sample = [(score, counts) for score, counts in sample if score > 0]
    total = sum(score for score, _ in sample)
    if not total:
        return {}
    relevance: dict[str, float] = defaultdict(float)
    for score, counts in sample:
        length = sum(counts.values())
        for term, count in counts.items():
            relevance[term] += (count / length) * (score / total)

    def idf(term: str) -> float:
        return math.log(doc_count / max(doc_frequency(term), 1))

    weighted = {t: w * idf(t) for t, w in relevance.items()}
    best = sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0]))[:terms]
    norm = sum(w for _, w in best if w > 0)
    return {t: w / norm for t, w in best if w > 0} if norm else {}


def term_counts(searcher: Any, docnum: int, fields: Iterable[str] = tuple(TEXT_FIELDS)) -> Counter[str]:
    """Index terms of one stored article in the text fields, as feedback reads them."""
    return _term_counts(searcher, docnum, fields)


def expand_query(
    searcher: Any,
    query: Any,
    *,
    restrict: Any = None,
    docs: int = FEEDBACK_DOCS,
    terms: int = FEEDBACK_TERMS,
    original_weight: float = FEEDBACK_ORIGINAL_WEIGHT,
    weights: Mapping[str, float] = TEXT_FIELDS,
    broaden: bool = True,
    **params: Any,
) -> Any:
    """`query` plus weighted words from its best matches (RM3 pseudo-relevance feedback).

    Runs `query` (within `restrict`, e.g. the date and facet filters), reads its
    top `docs` articles and adds their `terms` most typical words (with_expansion).
    Returns `query` unchanged when nothing matched.
    """
    top = [(hit.docnum, hit.score) for hit in searcher.search(query, filter=restrict, limit=docs)]
    expansion = feedback_terms(searcher, top, terms=terms, fields=weights)
    return with_expansion(query, expansion, original_weight=original_weight, weights=weights, broaden=broaden,
                          **params)


def with_expansion(query: Any, expansion: Mapping[str, float], *,
                   original_weight: float = FEEDBACK_ORIGINAL_WEIGHT, weights: Mapping[str, float] = TEXT_FIELDS,
                   broaden: bool = True, **params: Any) -> Any:
    """`query` with feedback words (word -> share of the added weight), searched in the
    text fields by BM25F. With `broaden` the added words may bring in articles that
    the original query missed (right for match="any"); without, they only reorder
    its matches, so an all-words search keeps exactly its hits. Date ranges ANDed
    into `query` also bind the added words."""
    if not expansion:
        return query
    # RM3 interpolation: each original word has weight 1 in the parsed query, so
    # the added words share (1 - original_weight) * (number of original words).
    size = max(1, len({text for field, text in query.iter_all_terms() if field in weights}))
    added = SumOr([
        FieldsTerm(term, weights, boost=(1.0 - original_weight) * size * share, **params)
        for term, share in expansion.items()
    ])
    original = query.with_boost(query.boost * original_weight)
    if not broaden:
        return Bonus(original, added)
    ranges = _required_ranges(query)
    return SumOr([original, wq.And([added, *ranges]) if ranges else added])


def _required_ranges(query: Any) -> list[Any]:
    """Range clauses (dates) that a top-level And makes every match satisfy."""
    if not isinstance(query, wq.And):
        return []
    found = []
    for sub in query.subqueries:
        if sub.is_range():
            found.append(sub)
        elif isinstance(sub, wq.And):
            found.extend(_required_ranges(sub))
    return found
