"""Archive-wide term statistics, gathered before scoring (dfs_query_then_fetch).

BM25 reads a word's document frequency, the documents counted and each field's
average length. A shard alone would score with its own numbers, so an article's
score would depend on which articles fell into its shard. Instead every shard
first reports its numbers for the terms a request looks for (`gather`), the sums
(`CorpusStats.merged`) go back to every shard, and each scores with a searcher
that answers from them (`searcher_with`). Documents are counted deleted ones
included, as Whoosh counts them, so one index and its shards agree exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from whoosh.searching import Searcher

Term = tuple[str, bytes]


@dataclass(frozen=True)
class CorpusStats:
    """What scoring reads about a whole archive: plain numbers, safe to send anywhere."""

    doc_count: int
    field_lengths: Mapping[str, int]
    doc_frequencies: Mapping[Term, int] = field(default_factory=dict)
    frequencies: Mapping[Term, int] = field(default_factory=dict)  # occurrences (for similar articles)

    @classmethod
    def merged(cls, parts: Iterable["CorpusStats"]) -> "CorpusStats":
        """The sums over shards; a term a shard does not hold counts zero there."""
        doc_count = 0
        lengths: dict[str, int] = {}
        dfs: dict[Term, int] = {}
        freqs: dict[Term, int] = {}
        for part in parts:
            doc_count += part.doc_count
            for source, target in ((part.field_lengths, lengths), (part.doc_frequencies, dfs),
                                   (part.frequencies, freqs)):
                for key, value in source.items():
                    target[key] = target.get(key, 0) + value
        return cls(doc_count, lengths, dfs, freqs)

    def with_terms(self, other: "CorpusStats") -> "CorpusStats":
        """These statistics plus the term counts of `other` (gathered for the same archive)."""
        return CorpusStats(self.doc_count, self.field_lengths, {**self.doc_frequencies, **other.doc_frequencies},
                           {**self.frequencies, **other.frequencies})

    def doc_frequency(self, fieldname: str, text: Any) -> int:
        return self.doc_frequencies.get((fieldname, _as_bytes(text)), 0)

    def frequency(self, fieldname: str, text: Any) -> int:
        return self.frequencies.get((fieldname, _as_bytes(text)), 0)


def _as_bytes(text: Any) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else text


def query_terms_in(reader: Any, queries: Iterable[Any]) -> set[Term]:
    """Every (field, term) of the queries that this reader holds, wildcards and
    prefixes expanded against its own words (Whoosh's existing_terms skips leaves
    of a second field, so this walks the leaves itself)."""
    schema = reader.schema
    found: set[Term] = set()
    for query in queries:
        for leaf in query.leaves() if not query.is_leaf() else [query]:
            for fieldname, text in leaf.expanded_terms(reader, phrases=True):
                if fieldname not in schema:
                    continue
                try:
                    btext = text if isinstance(text, bytes) else schema[fieldname].to_bytes(text)
                except ValueError:
                    continue
                if (fieldname, btext) in reader:
                    found.add((fieldname, btext))
    return found


def gather(searcher: Any, terms: Iterable[Term], *, frequencies: bool = False) -> CorpusStats:
    """This index's own numbers for `terms` (document frequencies, and with
    `frequencies` total occurrences), its document count and field lengths."""
    reader = searcher.reader()
    schema = reader.schema
    lengths = {name: reader.field_length(name) for name in schema.names() if schema[name].scorable}
    dfs: dict[Term, int] = {}
    freqs: dict[Term, int] = {}
    for fieldname, btext in terms:
        if (fieldname, btext) in reader:
            dfs[(fieldname, btext)] = reader.doc_frequency(fieldname, btext)
            if frequencies:
                freqs[(fieldname, btext)] = reader.frequency(fieldname, btext)
    return CorpusStats(reader.doc_count_all(), lengths, dfs, freqs)


class _StatsSearcher(Searcher):
    """A Whoosh searcher over an open reader that answers collection statistics
    (document count, frequencies, field lengths) from a CorpusStats. Segment
    searchers under it ask their parent, as Whoosh's scorers do."""

    def __init__(self, reader: Any, *, stats: CorpusStats | None, weighting: Any, fromindex: Any = None,
                 parent: Any = None) -> None:
        super().__init__(reader, weighting=weighting, closereader=False, fromindex=fromindex, parent=parent)
        self._stats = stats
        if stats is not None:
            self._doccount = stats.doc_count
            self.doc_frequency = stats.doc_frequency
            self.frequency = stats.frequency

    def _subsearcher(self, reader: Any) -> Any:
        return type(self)(reader, stats=None, weighting=self.weighting, fromindex=self._ix, parent=self)

    def field_length(self, fieldname: str) -> int:
        if self._stats is not None:
            return self._stats.field_lengths.get(fieldname, 0)
        return super().field_length(fieldname)

    def close(self) -> None:
        self.is_closed = True  # the reader belongs to the searcher this one was made from


def searcher_with(searcher: Any, stats: CorpusStats | None) -> Any:
    """`searcher` itself without stats, else a searcher on the same reader scoring
    with `stats` (made per request, so concurrent requests never share one)."""
    if stats is None:
        return searcher
    scoring = _StatsSearcher(searcher.reader(), stats=stats, weighting=searcher.weighting,
                             fromindex=getattr(searcher, "_ix", None))
    # The index's dictionary of printed words goes along: names= widens the query's names
    # from it in every phase, the scoring one included.
    scoring.newsearch_spelling = getattr(searcher, "newsearch_spelling", None)
    return scoring


__all__ = ["CorpusStats", "gather", "query_terms_in", "searcher_with"]
