"""An archive split into shards behind the SearchIndex interface, with the answers of one index.

A search runs in the phases of Elasticsearch's dfs_query_then_fetch: every shard
reports its counts for the request's terms, the sums go back to every shard, each
scores its matches with those archive-wide numbers and returns its best `wanted`
with their sort keys (score, then article id) and raw facet counts; the keys are
merged, and only the winners' stored fields are read, from the shards holding
them. Totals, facets and histograms are sums. So scores and order do not depend
on how articles fell into shards.

Where each shard's work runs is a `Shards` object: `LocalShards` calls the open
shard indexes in this process; newsearch.cluster sends the same calls to Dask
workers that keep the shards open. This module knows nothing of Dask.
"""
from __future__ import annotations

import heapq
import os
from collections import Counter
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence

from ..errors import NewsearchError, SchemaMismatch
from ..models import Article, FacetCount, Hit, SearchResults
from ..shards import ShardMap
from .interface import BatchWriter, IndexStats, Match, SearchIndex
from .matches import match_order, tally_facets
from .query import SearchRequest, order_facet, order_facets, validate
from .single import WhooshIndex
from .stats import CorpusStats
from .store import IndexOptions, IndexWriter
from .suggestions import suggest

# Hits fetched from one shard per call when an export streams every hit.
EXPORT_CHUNK = 500


class Shards(Protocol):
    """Runs a method of the shard indexes (WhooshIndex) and returns the answers in shard order."""

    names: list[str]

    def each(self, method: str, *args: Any, **kwargs: Any) -> list[Any]:
        """The same call on every shard."""

    def on(self, shard: int, method: str, *args: Any, **kwargs: Any) -> Any:
        """One call on one shard."""

    def some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]:
        """Different calls on some shards: shard -> (method, args)."""

    def close(self) -> None: ...


class LocalShards:
    """The shards opened in this process and called one after the other."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.names = [p.name for p in paths]
        self.indexes: list[WhooshIndex] = []
        try:
            for path in paths:
                self.indexes.append(WhooshIndex.open(path))
        except BaseException:
            self.close()
            raise

    def each(self, method: str, *args: Any, **kwargs: Any) -> list[Any]:
        return [getattr(index, method)(*args, **kwargs) for index in self.indexes]

    def on(self, shard: int, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.indexes[shard], method)(*args, **kwargs)

    def some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]:
        return {shard: getattr(self.indexes[shard], method)(*args) for shard, (method, args) in calls.items()}

    def close(self) -> None:
        for index in self.indexes:
            index.close()
        self.indexes = []


class ShardedIndex(SearchIndex):
    """Many ordinary newsearch indexes under one archive folder, searched as one."""

    def __init__(self, path: Path, shard_map: ShardMap, shards: Shards, options: IndexOptions) -> None:
        self.path = path
        self.options = options
        self.shard_map = shard_map
        self._shards = shards

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, shards: Shards | None = None) -> "ShardedIndex":
        """Open an archive; its shards are opened here unless `shards` runs them elsewhere."""
        resolved = Path(path)
        shard_map = ShardMap.load(resolved)
        shards = shards if shards is not None else LocalShards(shard_map.paths(resolved))
        try:
            options = shards.each("index_options")
            if any(o != options[0] for o in options):
                odd = next(k for k, o in enumerate(options) if o != options[0])
                raise SchemaMismatch(f"{resolved}: shard {shards.names[odd]} was built with other analysis "
                                     f"({options[odd]}) than {shards.names[0]} ({options[0]}); rebuild the archive")
        except BaseException:
            shards.close()
            raise
        return cls(resolved, shard_map, shards, options[0])

    @property
    def count(self) -> int:
        return self.shard_map.count

    def close(self) -> None:
        self._shards.close()

    def doc_count(self) -> int:
        return sum(self._shards.each("doc_count"))

    # -- searching ----------------------------------------------------------------

    def _stats(self, request: SearchRequest) -> CorpusStats:
        return CorpusStats.merged(self._shards.each("request_stats", request))

    def _no_feedback(self, request: SearchRequest) -> None:
        if request.feedback and request.sort == "relevance" and request.text.strip():
            raise NewsearchError(f"{self.path}: feedback is not available on an archive of shards yet")

    def search(self, request: SearchRequest) -> SearchResults:
        validate(request)
        self._no_feedback(request)
        stats = self._stats(request)
        wanted = request.page * request.limit
        parts = self._shards.each("ranked", request, stats, wanted=wanted)
        offset = (request.page - 1) * request.limit
        winners = _merge_top(parts)[offset:wanted]
        hits = self._fetch(request, winners, first_rank=offset + 1)
        return SearchResults(query=request.text, total=sum(p.total for p in parts), hits=tuple(hits),
                             facets=order_facets(_sum_facets(parts)), page=request.page, limit=request.limit)

    def _fetch(self, request: SearchRequest, winners: list[tuple[int, str, float]], *,
               first_rank: int) -> list[Hit]:
        """Hits for (shard, id, score) winners, read from the shards holding them, in order."""
        by_shard: dict[int, list[tuple[str, float]]] = {}
        for shard, article_id, score in winners:
            by_shard.setdefault(shard, []).append((article_id, score))
        answers = self._shards.some({shard: ("hits_by_id", (request, picks)) for shard, picks in by_shard.items()})
        found = {(shard, hit.id): hit for shard, hits in answers.items() for hit in hits}
        hits = []
        for shard, article_id, _ in winners:
            hit = found.get((shard, article_id))
            if hit is None:
                raise NewsearchError(f"{self.path}: shard {self._shards.names[shard]} no longer holds {article_id} "
                                     "(it changed during the search); search again")
            hits.append(replace(hit, rank=first_rank + len(hits)))
        return hits

    def iter_hits(self, request: SearchRequest) -> Iterator[Hit]:
        validate(request)
        self._no_feedback(request)
        stats = self._stats(request)
        parts = self._shards.each("ranked", request, stats, wanted=None)
        winners = _merge_top(parts)
        for start in range(0, len(winners), EXPORT_CHUNK):
            yield from self._fetch(request, winners[start:start + EXPORT_CHUNK], first_rank=start + 1)

    def suggest(self, text: str) -> str | None:
        return suggest(_ShardedVocabulary(self._shards), text)

    def marks(self, text: str, query: str, *, match: str = "all") -> list[tuple[int, int]]:
        return self._shards.on(0, "marks", text, query, match=match)

    def article(self, article_id: str) -> Article | None:
        return self._shards.on(self.shard_map.shard_of(article_id), "article", article_id)

    def similar(self, article_id: str, *, limit: int = 10) -> list[Hit] | None:
        owner = self.shard_map.shard_of(article_id)
        text = self._shards.on(owner, "similar_source", article_id)
        if text is None:
            return None
        stats = CorpusStats.merged(self._shards.each("similar_stats", text))
        tops = self._shards.each("similar_ranked", text, article_id, stats, limit=limit)
        merged = heapq.merge(*[[(key, shard, score) for key, _, score in top] for shard, top in enumerate(tops)])
        winners = [(shard, key[1], score) for key, shard, score in list(merged)[:limit]]
        return self._fetch(SearchRequest(highlight=False), winners, first_rank=1)

    def ids(self) -> Iterator[str]:
        return chain.from_iterable(self._shards.each("id_list"))

    def stats(self) -> IndexStats:
        parts = self._shards.each("stats")
        sections: Counter[str] = Counter()
        for raw in self._shards.each("section_counts"):
            sections.update(raw)
        earliest = [p.earliest for p in parts if p.earliest]
        latest = [p.latest for p in parts if p.latest]
        size = sum(p.size_bytes for p in parts) + sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        return IndexStats(path=str(self.path), documents=sum(p.documents for p in parts),
                          segments=sum(p.segments for p in parts), size_bytes=size,
                          earliest=min(earliest) if earliest else None, latest=max(latest) if latest else None,
                          sections=tuple((c.value, c.count) for c in order_facet("section", sections)),
                          language=self.options.language, stem=self.options.stem)

    # -- every match, and stories -------------------------------------------------------

    def matches(self, request: SearchRequest) -> list[Match]:
        validate(request)
        self._no_feedback(request)
        stats = self._stats(request)
        count = self.count
        parts = self._shards.each("matches", request, stats)
        # A match's key names its shard too: key = document number * shards + shard.
        keyed = [[replace(m, key=m.key * count + shard) for m in found] for shard, found in enumerate(parts)]
        return list(heapq.merge(*keyed, key=match_order(request.sort)))

    def _by_shard(self, picked: Sequence[Match]) -> dict[int, list[tuple[int, Match]]]:
        groups: dict[int, list[tuple[int, Match]]] = {}
        for position, match in enumerate(picked):
            shard, docnum = match.key % self.count, match.key // self.count
            groups.setdefault(shard, []).append((position, replace(match, key=docnum)))
        return groups

    def hits_for(self, request: SearchRequest, picked: list[Match], *, first_rank: int = 1) -> list[Hit]:
        winners = [(m.key % self.count, m.id, m.score) for m in picked]
        return self._fetch(request, winners, first_rank=first_rank)

    def count_facets(self, facets: tuple[str, ...], picked: list[Match], *,
                     groups: list[str] | None = None) -> dict[str, tuple[FacetCount, ...]]:
        by_shard = self._by_shard(picked)
        answers = self._shards.some({shard: ("facet_values", (facets, [m for _, m in items]))
                                     for shard, items in by_shard.items()})
        values: dict[str, list[tuple[str, ...]]] = {name: [()] * len(picked) for name in facets}
        for shard, items in by_shard.items():
            for name in facets:
                for (position, _), found in zip(items, answers[shard][name]):
                    values[name][position] = found
        return tally_facets(facets, values, groups)

    def analyse(self, text: str) -> list[tuple[str, str]]:
        return self._shards.on(0, "analyse", text)

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        terms = list(terms)
        total: Counter[str] = Counter()
        for part in self._shards.each("document_frequencies", terms):
            total.update(part)
        return {term: total.get(term, 0) for term in terms}

    # The archive's story grouping is kept by its first shard (see ingest/sharded.py).

    def story_of(self, article_id: str) -> str:
        return self._shards.on(0, "story_of", article_id)

    def story_members(self, story: str) -> list[str]:
        return self._shards.on(0, "story_members", story)

    def grouped(self) -> dict[str, str]:
        return self._shards.on(0, "grouped")

    # -- writing ----------------------------------------------------------------------

    def writer(self, **kwargs: Any) -> BatchWriter:
        if not isinstance(self._shards, LocalShards):
            raise NewsearchError(f"{self.path}: write to an archive on a cluster with `newsearch index`")
        return ShardedWriter(self.shard_map, self._shards.indexes, **kwargs)


def _merge_top(parts: Sequence[Any]) -> list[tuple[int, str, float]]:
    """The shards' best matches merged by their sort keys: (shard, id, score), best first."""
    merged = heapq.merge(*[[(key, shard, score) for key, _, score in part.top] for shard, part in enumerate(parts)])
    return [(shard, key[1], score) for key, shard, score in merged]


def _sum_facets(parts: Sequence[Any]) -> dict[str, Counter[str]]:
    total: dict[str, Counter[str]] = {}
    for part in parts:
        for name, counts in part.facets.items():
            total.setdefault(name, Counter()).update(counts)
    return total


class _ShardedVocabulary:
    """The archive's vocabulary: the sums (and unions) of its shards' answers."""

    def __init__(self, shards: Shards) -> None:
        self._shards = shards

    def query_terms(self, word: str) -> list[str]:
        return self._shards.on(0, "vocabulary_call", "query_terms", word)

    def _summed(self, name: str, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
        terms = list(terms)
        total: Counter[str] = Counter()
        for part in self._shards.each("vocabulary_call", name, fieldname, terms):
            total.update(part)
        return {term: total.get(term, 0) for term in terms}

    def doc_frequencies(self, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
        return self._summed("doc_frequencies", fieldname, terms)

    def frequencies(self, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
        return self._summed("frequencies", fieldname, terms)

    def terms_within(self, term: str, distance: int) -> set[str]:
        return set().union(*self._shards.each("vocabulary_call", "terms_within", term, distance))

    def printed_form(self, term: str) -> tuple[str, str] | None:
        found = [f for f in self._shards.each("vocabulary_call", "printed_form", term) if f is not None]
        return min(found) if found else None


class ShardedWriter:
    """Adds and deletes across shards: each article goes to the shard its id hashes to,
    and is grouped into stories by the first shard, which keeps the archive's grouping."""

    def __init__(self, shard_map: ShardMap, indexes: Sequence[WhooshIndex], **kwargs: Any) -> None:
        self._map = shard_map
        self._writers: list[IndexWriter] = [index.writer(stories=shard == 0, **kwargs)
                                            for shard, index in enumerate(indexes)]

    @property
    def pending(self) -> int:
        return sum(w.pending for w in self._writers)

    def __enter__(self) -> "ShardedWriter":
        entered = []
        try:
            for writer in self._writers:
                writer.__enter__()
                entered.append(writer)
        except BaseException as exc:
            for writer in reversed(entered):
                writer.__exit__(type(exc), exc, None)
            raise
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        # The grouping (first shard) commits last: a crash leaves at worst entries for
        # articles no shard got, which only ever find no match.
        for writer in reversed(self._writers):
            writer.__exit__(exc_type, exc, tb)

    def add(self, article: Article, *, replace: bool = True) -> None:
        owner = self._map.shard_of(article.id)
        self._writers[owner].add(article, replace=replace)
        if owner != 0:
            self._writers[0].group(article)

    def delete_ids(self, ids: Iterable[str]) -> int:
        by_shard: dict[int, list[str]] = {}
        for article_id in ids:
            by_shard.setdefault(self._map.shard_of(article_id), []).append(article_id)
        count = 0
        for shard, held in by_shard.items():
            count += self._writers[shard].delete_ids(held)
            if shard != 0:
                self._writers[0].forget(held)
        return count

    def delete_paths(self, paths: Iterable[str]) -> int:
        paths = list(paths)
        count = 0
        for shard, writer in enumerate(self._writers):
            gone: set[str] = set()
            count += writer.delete_paths(paths, ids=gone)
            if shard != 0:
                self._writers[0].forget(gone)
        return count

    def commit(self, *, optimize: bool = False) -> None:
        for writer in reversed(self._writers):
            writer.commit(optimize=optimize)

    def cancel(self) -> None:
        for writer in self._writers:
            writer.cancel()


__all__ = ["LocalShards", "ShardedIndex", "ShardedWriter", "Shards"]
