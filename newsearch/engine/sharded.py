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
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence

from ..errors import (
    IndexCorrupt,
    IndexLocked,
    IndexNotFound,
    NewsearchError,
    SchemaMismatch,
    ShardUnavailable,
    StorageError,
)
from ..models import Article, FacetCount, Hit, SearchResults
from ..shards import ShardMap
from .interface import BatchWriter, IndexStats, Match, SearchIndex
from .matches import match_order, tally_facets
from .query import SearchRequest, order_facet, order_facets, validate
from .readings import chosen_languages, summed_evidence
from .ranking import FEEDBACK_DOCS, TEXT_FIELDS, feedback_weights
from .single import WhooshIndex
from .stats import CorpusStats
from .store import IndexOptions, IndexWriter
from .suggestions import suggest
from .variants import typed_names, with_name_variants

# Hits fetched from one shard per call when an export streams every hit.
EXPORT_CHUNK = 500


# Searches whose archive-wide statistics are kept, keyed by what they score and checked
# against every shard's commit: a repeated query skips the statistics round.
STATS_CACHE = 64

# Errors that say a shard cannot answer (as opposed to a query every shard refuses alike).
SHARD_ERRORS = (IndexNotFound, IndexCorrupt, SchemaMismatch, StorageError, IndexLocked, ShardUnavailable, OSError)


@dataclass(frozen=True)
class ShardFailure:
    """A shard's answer when it could not give one: which shard, and why (one line)."""

    shard: str
    reason: str


class Shards(Protocol):
    """Runs a method of the shard indexes (WhooshIndex) and returns the answers in shard
    order; a shard that cannot answer gives a ShardFailure in its place."""

    names: list[str]

    def each(self, method: str, *args: Any, **kwargs: Any) -> list[Any]:
        """The same call on every shard."""

    def on(self, shard: int, method: str, *args: Any, **kwargs: Any) -> Any:
        """One call on one shard."""

    def some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]:
        """Different calls on some shards: shard -> (method, args)."""

    def calls(self, calls: list[tuple[int, str, tuple[Any, ...]]]) -> list[Any]:
        """Any calls (shard, method, args) at once, answers in the same order."""

    def close(self) -> None: ...


class LocalShards:
    """The shards opened in this process and called one after the other."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.names = [p.name for p in paths]
        self.indexes: list[WhooshIndex | ShardFailure] = []
        try:
            for path in paths:
                try:
                    self.indexes.append(WhooshIndex.open(path))
                except SHARD_ERRORS as exc:
                    self.indexes.append(ShardFailure(path.name, _reason(exc)))
        except BaseException:
            self.close()
            raise

    def _call(self, shard: int, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        index = self.indexes[shard]
        if isinstance(index, ShardFailure):
            return index
        try:
            return getattr(index, method)(*args, **kwargs)
        except SHARD_ERRORS as exc:
            return ShardFailure(self.names[shard], _reason(exc))

    def each(self, method: str, *args: Any, **kwargs: Any) -> list[Any]:
        return [self._call(k, method, args, kwargs) for k in range(len(self.indexes))]

    def on(self, shard: int, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._call(shard, method, args, kwargs)

    def some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]:
        return {shard: self._call(shard, method, args, {}) for shard, (method, args) in calls.items()}

    def calls(self, calls: list[tuple[int, str, tuple[Any, ...]]]) -> list[Any]:
        return [self._call(shard, method, args, {}) for shard, method, args in calls]

    def close(self) -> None:
        for index in self.indexes:
            if isinstance(index, WhooshIndex):
                index.close()
        self.indexes = []


def _reason(exc: BaseException) -> str:
    """An error as one line, without the shard's own path twice."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


class ShardedIndex(SearchIndex):
    """Many ordinary newsearch indexes under one archive folder, searched as one.

    A shard that cannot answer raises ShardUnavailable naming it; with
    `allow_partial`, the other shards' answers are used and searches list the
    missing shards in `SearchResults.missing_shards`.
    """

    def __init__(self, path: Path, shard_map: ShardMap, shards: Shards, options: IndexOptions, *,
                 allow_partial: bool = False, stats_cache: int = STATS_CACHE) -> None:
        self.path = path
        self.options = options
        self.shard_map = shard_map
        self.allow_partial = allow_partial
        self._shards = shards
        self._missing = threading.local()  # names of shards that did not answer, per thread
        self._local = threading.local()  # this thread's last hits' stories and matches' languages
        self._cache_size = stats_cache
        # _stats_key -> (shard commits, how the shards read the request, archive-wide statistics)
        self._cache: OrderedDict[tuple[Any, ...], tuple[tuple[int, ...], dict[str, Any], CorpusStats]] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, shards: Shards | None = None,
             allow_partial: bool = False, stats_cache: int = STATS_CACHE) -> "ShardedIndex":
        """Open an archive; its shards are opened here unless `shards` runs them elsewhere
        (`stats_cache`: how many searches' archive-wide statistics to keep; 0 for none)."""
        resolved = Path(path)
        shard_map = ShardMap.load(resolved)
        shards = shards if shards is not None else LocalShards(shard_map.paths(resolved))
        index = cls(resolved, shard_map, shards, IndexOptions(), allow_partial=allow_partial,
                    stats_cache=stats_cache)
        try:
            options, _ = index._each("index_options")
            if not options:
                raise ShardUnavailable(str(resolved), "every shard", "none of them could be opened")
            first = min(options)
            odd = next((k for k in sorted(options) if options[k] != options[first]), None)
            if odd is not None:
                raise SchemaMismatch(f"{resolved}: shard {shards.names[odd]} was built with other analysis "
                                     f"({options[odd]}) than {shards.names[first]} ({options[first]}); "
                                     "rebuild the archive")
        except BaseException:
            shards.close()
            raise
        index.options = options[first]
        return index

    @property
    def count(self) -> int:
        return self.shard_map.count

    def close(self) -> None:
        self._shards.close()

    # -- calling the shards ---------------------------------------------------------

    def _checked(self, answers: dict[int, Any]) -> tuple[dict[int, Any], list[str]]:
        """The answers of the shards that gave one, and the names of those that did not."""
        good: dict[int, Any] = {}
        missing: list[str] = []
        for shard, answer in answers.items():
            if isinstance(answer, ShardFailure):
                if not self.allow_partial:
                    raise ShardUnavailable(str(self.path), answer.shard, answer.reason)
                missing.append(answer.shard)
                self._note_missing(answer.shard)
            else:
                good[shard] = answer
        return good, missing

    def _note_missing(self, name: str) -> None:
        if not hasattr(self._missing, "names"):
            self._missing.names = set()
        self._missing.names.add(name)

    def missing_shards(self) -> tuple[str, ...]:
        names = getattr(self._missing, "names", set())
        self._missing.names = set()
        return tuple(sorted(names))

    def _each(self, method: str, *args: Any, **kwargs: Any) -> tuple[dict[int, Any], list[str]]:
        return self._checked(dict(enumerate(self._shards.each(method, *args, **kwargs))))

    def _on(self, shard: int, method: str, *args: Any, missing: Any = None, **kwargs: Any) -> Any:
        good, _ = self._checked({shard: self._shards.on(shard, method, *args, **kwargs)})
        return good.get(shard, missing)

    def _on_any(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """A question every shard answers alike (analysis): the first shard that answers."""
        for shard in range(self.count):
            answer = self._shards.on(shard, method, *args, **kwargs)
            if not isinstance(answer, ShardFailure):
                return answer
            if not self.allow_partial:
                raise ShardUnavailable(str(self.path), answer.shard, answer.reason)
            self._note_missing(answer.shard)
        raise ShardUnavailable(str(self.path), "every shard", "none of them answers")

    def doc_count(self) -> int:
        return sum(self._each("doc_count")[0].values())

    # -- searching ----------------------------------------------------------------

    def _gathered(self, request: SearchRequest) -> tuple[SearchRequest, CorpusStats, tuple[int, ...] | None]:
        """`request` with the languages its words are read in chosen from every shard's
        counts, the archive-wide statistics it scores with, and the shards' commits
        (None when a shard is missing).

        The languages are chosen as one index of all the articles would choose them
        (per shard, a language with few articles there could be read in one shard and
        not another). Each shard sends its counts with statistics read in the languages
        it would choose alone; only a shard whose choice differs is asked again.
        """
        request = self._names_widened(request)
        if request.languages_read is not None or not request.text.strip():
            answers, missing = self._each("request_stats_at", request)
            return request, CorpusStats.merged(stats for _, stats in answers.values()), \
                self._generations(answers, missing)
        answers, missing = self._each("evidence_and_stats_at", request)
        gathered = {shard: (generation, stats) for shard, (generation, _, _, stats) in answers.items()}
        evidence = {shard: part for shard, (_, part, _, _) in answers.items() if part is not None}
        if evidence:
            summed = summed_evidence(list(evidence.values()))
            default = next(iter(next(iter(evidence.values()))[1]))  # sizes start with the archive's own language
            codes = (default,) + tuple(sorted(code for code in summed[1] if code != default))
            chosen = chosen_languages(codes, summed)
            request = replace(request, languages_read=chosen)
            again = {shard: ("request_stats_at", (request,)) for shard, part in evidence.items()
                     if set(answers[shard][2]) != set(chosen) & set(part[1])}
            if again:
                for shard in again:
                    del gathered[shard]
                redone, lost = self._checked(self._shards.some(again))
                gathered.update(redone)
                missing += lost
        return request, CorpusStats.merged(stats for _, stats in gathered.values()), \
            self._generations(gathered, missing)

    def _names_widened(self, request: SearchRequest) -> SearchRequest:
        """`request` with its names joined to their other spellings as one index of all
        the articles would join them (names=True), from every shard's spellings and
        counts: a shard alone knows only the spellings it holds, and weighs them by its
        own counts. The shards then read the widened text as typed."""
        if not request.names:
            return request
        words = typed_names(request.text)
        spelled, _ = self._each("name_spellings", words) if words else ({}, [])
        variants: dict[str, list[str]] = {}
        for part in spelled.values():
            for word, others in part.items():
                held = variants.setdefault(word, [])
                held.extend(other for other in others if other not in held)
        if not any(variants.values()):
            return replace(request, names=False)
        asked = sorted(set(words).union(*variants.values()))
        counted, _ = self._each("printed_documents", asked)
        documents: Counter[str] = Counter()
        for _, part in counted.values():
            documents.update(part)
        articles = sum(held for held, _ in counted.values())
        widened = with_name_variants(request.text, _ArchiveNames(variants, documents), articles)
        return replace(request, text=widened, names=False)

    def _generations(self, gathered: dict[int, tuple[int, CorpusStats]], missing: list[str]) -> tuple[int, ...] | None:
        return None if missing else tuple(gathered[shard][0] for shard in range(self.count))

    def _keep(self, asked: SearchRequest, decided: SearchRequest, stats: CorpusStats,
              generations: tuple[int, ...] | None) -> None:
        """Keep a search's reading (its names widened, its languages chosen) and its
        statistics for its next pages and sorts."""
        if not self._cache_size or generations is None:
            return
        read = {"text": decided.text, "names": decided.names, "languages_read": decided.languages_read}
        with self._cache_lock:
            self._cache[_stats_key(asked)] = (generations, read, stats)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _ranked_from_cache(self, request: SearchRequest,
                           wanted: int | None) -> tuple[SearchRequest, dict[int, Any]] | None:
        """Every shard's ranking with the kept languages and statistics of this query,
        or None when they are not kept or a shard has committed since (or cannot answer)."""
        key = _stats_key(request)
        with self._cache_lock:
            kept = self._cache.get(key)
            if kept is not None:
                self._cache.move_to_end(key)
        if kept is None:
            return None
        generations, read, stats = kept
        decided = replace(request, **read)
        parts = self._shards.calls([(k, "ranked_at", (generations[k], decided, stats, wanted))
                                    for k in range(self.count)])
        if any(part is None or isinstance(part, ShardFailure) for part in parts):
            with self._cache_lock:
                self._cache.pop(key, None)
            return None
        return decided, dict(enumerate(parts))

    def _scoring(self, request: SearchRequest) -> tuple[SearchRequest, CorpusStats, dict[str, float] | None]:
        """`request` with its languages decided (_gathered), the archive-wide statistics,
        and its feedback words when it asks for feedback: the best matches over all
        shards, weighed with archive-wide counts."""
        validate(request)
        decided, stats, generations = self._gathered(request)
        self._keep(request, decided, stats, generations)
        if not (decided.feedback and decided.sort == "relevance" and decided.text.strip()):
            return decided, stats, None
        samples, _ = self._each("feedback_sample", decided, stats)
        merged = heapq.merge(*[[(key, score, counts) for key, score, counts in found] for found in samples.values()])
        best = list(merged)[:FEEDBACK_DOCS]
        words = sorted({term for _, _, found in best for term in found})
        if not words:
            return decided, stats, {}
        held = CorpusStats.merged(self._each("term_stats", words)[0].values())
        expansion = feedback_weights([(score, found) for _, score, found in best], stats.doc_count,
                                     lambda term: max(held.doc_frequency(f, term) for f in TEXT_FIELDS))
        return decided, stats.with_terms(held), expansion

    def _ranked(self, request: SearchRequest, wanted: int | None) -> tuple[SearchRequest, dict[int, Any]]:
        """`request` with its languages decided, and every shard's ranking for it."""
        if self._cache_size and not request.feedback:
            validate(request)
            kept = self._ranked_from_cache(request, wanted)
            if kept is not None:
                return kept
        decided, stats, expansion = self._scoring(request)
        return decided, self._each("ranked", decided, stats, wanted=wanted, expansion=expansion)[0]

    def search(self, request: SearchRequest) -> SearchResults:
        wanted = request.page * request.limit
        asked, (request, parts) = request, self._ranked(request, wanted)
        offset = (request.page - 1) * request.limit
        winners = _merge_top(parts)[offset:wanted]
        hits = self._fetch(request, winners, first_rank=offset + 1)
        return SearchResults(query=asked.text, total=sum(p.total for p in parts.values()), hits=tuple(hits),
                             facets=order_facets(_sum_facets(parts.values())), page=request.page,
                             limit=request.limit)

    def _fetch(self, request: SearchRequest, winners: list[tuple[int, str, float]], *,
               first_rank: int) -> list[Hit]:
        """Hits for (shard, id, score) winners, read from the shards holding them, in order."""
        by_shard: dict[int, list[tuple[str, float]]] = {}
        for shard, article_id, score in winners:
            by_shard.setdefault(shard, []).append((article_id, score))
        # The stories of these hits (kept by the first shard) come in the same round:
        # Archive asks for them next (stories_for).
        ids = [article_id for _, article_id, _ in winners]
        asked = [(shard, "hits_by_id", (request, picks)) for shard, picks in by_shard.items()]
        replies = self._shards.calls(asked + [(0, "stories_for", (ids,))])
        answers, _ = self._checked(dict(zip(by_shard, replies[:-1])))
        stories, _ = self._checked({0: replies[-1]})
        self._local.stories = stories.get(0)
        found = {(shard, hit.id): hit for shard, hits in answers.items() for hit in hits}
        hits = []
        for shard, article_id, _ in winners:
            hit = found.get((shard, article_id))
            if hit is None:
                if shard not in answers:
                    continue  # its shard was lost since it ranked (allow_partial)
                raise NewsearchError(f"{self.path}: shard {self._shards.names[shard]} no longer holds {article_id} "
                                     "(it changed during the search); search again")
            hits.append(replace(hit, rank=first_rank + len(hits)))
        return hits

    def iter_hits(self, request: SearchRequest) -> Iterator[Hit]:
        request, parts = self._ranked(request, None)
        winners = _merge_top(parts)
        for start in range(0, len(winners), EXPORT_CHUNK):
            yield from self._fetch(request, winners[start:start + EXPORT_CHUNK], first_rank=start + 1)

    def suggest(self, text: str) -> str | None:
        return suggest(_ShardedVocabulary(self), text)

    def marks(self, text: str, query: str, *, match: str = "all") -> list[tuple[int, int]]:
        return self._on_any("marks", text, query, match=match)

    def article(self, article_id: str) -> Article | None:
        return self._on(self.shard_map.shard_of(article_id), "article", article_id)

    def similar(self, article_id: str, *, limit: int = 10) -> list[Hit] | None:
        owner = self.shard_map.shard_of(article_id)
        text = self._on(owner, "similar_source", article_id)
        if text is None:
            return None
        stats = CorpusStats.merged(self._each("similar_stats", text)[0].values())
        tops, _ = self._each("similar_ranked", text, article_id, stats, limit=limit)
        merged = heapq.merge(*[[(key, shard, score) for key, _, score in top] for shard, top in tops.items()])
        winners = [(shard, key[1], score) for key, shard, score in list(merged)[:limit]]
        return self._fetch(SearchRequest(highlight=False), winners, first_rank=1)

    def ids(self) -> Iterator[str]:
        return chain.from_iterable(self._each("id_list")[0].values())

    def stats(self) -> IndexStats:
        parts = list(self._each("stats")[0].values())
        sections: Counter[str] = Counter()
        for raw in self._each("section_counts")[0].values():
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
        asked, (request, stats, expansion) = request, self._scoring(request)
        self._local.decided = (asked, request)  # for hits_for of these matches
        count = self.count
        parts, _ = self._each("matches", request, stats, expansion)
        # A match's key names its shard too: key = document number * shards + shard.
        keyed = [[replace(m, key=m.key * count + shard) for m in found] for shard, found in parts.items()]
        return list(heapq.merge(*keyed, key=match_order(request.sort)))

    def _by_shard(self, picked: Sequence[Match]) -> dict[int, list[tuple[int, Match]]]:
        groups: dict[int, list[tuple[int, Match]]] = {}
        for position, match in enumerate(picked):
            shard, docnum = match.key % self.count, match.key // self.count
            groups.setdefault(shard, []).append((position, replace(match, key=docnum)))
        return groups

    def hits_for(self, request: SearchRequest, picked: list[Match], *, first_rank: int = 1) -> list[Hit]:
        winners = [(m.key % self.count, m.id, m.score) for m in picked]
        # The matches were picked by matches(request) just before: its languages, not a new round.
        held = getattr(self._local, "decided", None)
        decided = held[1] if held is not None and held[0] == request else self._gathered(request)[0]
        return self._fetch(decided, winners, first_rank=first_rank)

    def count_facets(self, facets: tuple[str, ...], picked: list[Match], *,
                     groups: list[str] | None = None) -> dict[str, tuple[FacetCount, ...]]:
        by_shard = self._by_shard(picked)
        answers, _ = self._checked(self._shards.some({shard: ("facet_values", (facets, [m for _, m in items]))
                                                      for shard, items in by_shard.items()}))
        values: dict[str, list[tuple[str, ...]]] = {name: [()] * len(picked) for name in facets}
        for shard, items in by_shard.items():
            for name in facets:
                for (position, _), found in zip(items, answers.get(shard, {}).get(name, ())):
                    values[name][position] = found
        return tally_facets(facets, values, groups)

    def analyse(self, text: str) -> list[tuple[str, str]]:
        return self._on_any("analyse", text)

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        terms = list(terms)
        total: Counter[str] = Counter()
        for part in self._each("document_frequencies", terms)[0].values():
            total.update(part)
        return {term: total.get(term, 0) for term in terms}

    # The archive's story grouping is kept by its first shard (see ingest/sharded.py);
    # without it (allow_partial), every article is its own story.

    def story_of(self, article_id: str) -> str:
        return self._on(0, "story_of", article_id, missing=article_id)

    def story_members(self, story: str) -> list[str]:
        return self._on(0, "story_members", story, missing=[story])

    def grouped(self) -> dict[str, str]:
        return self._on(0, "grouped", missing={})

    def stories_for(self, ids: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        ids = list(ids)
        fetched = getattr(self._local, "stories", None)
        self._local.stories = None
        if fetched is not None and all(i in fetched for i in ids):
            return {i: fetched[i] for i in ids}
        return self._on(0, "stories_for", ids, missing={i: (i, [i]) for i in ids})

    def sources_of(self, ids: Sequence[str]) -> dict[str, str]:
        by_shard: dict[int, list[str]] = {}
        for article_id in ids:
            by_shard.setdefault(self.shard_map.shard_of(article_id), []).append(article_id)
        answers, _ = self._checked(self._shards.some({k: ("sources_of", (held,)) for k, held in by_shard.items()}))
        return {article_id: source for found in answers.values() for article_id, source in found.items()}

    # -- writing ----------------------------------------------------------------------

    def writer(self, **kwargs: Any) -> BatchWriter:
        if not isinstance(self._shards, LocalShards):
            raise NewsearchError(f"{self.path}: write to an archive on a cluster with `newsearch index`")
        failed = [i for i in self._shards.indexes if isinstance(i, ShardFailure)]
        if failed:
            raise ShardUnavailable(str(self.path), failed[0].shard, failed[0].reason)
        return ShardedWriter(self.shard_map, self._shards.indexes, **kwargs)  # type: ignore[arg-type]


def _stats_key(request: SearchRequest) -> tuple[Any, ...]:
    """What a request's languages and statistics depend on: its query, filters and
    readings, not its page or sort."""
    return (request.text, request.match, tuple(sorted(request.filters.items())),
            repr(request.since), repr(request.until), request.names, request.languages_read)


def _merge_top(parts: dict[int, Any]) -> list[tuple[int, str, float]]:
    """The shards' best matches merged by their sort keys: (shard, id, score), best first."""
    merged = heapq.merge(*[[(key, shard, score) for key, _, score in part.top] for shard, part in parts.items()])
    return [(shard, key[1], score) for key, shard, score in merged]


def _sum_facets(parts: Iterable[Any]) -> dict[str, Counter[str]]:
    total: dict[str, Counter[str]] = {}
    for part in parts:
        for name, counts in part.facets.items():
            total.setdefault(name, Counter()).update(counts)
    return total


@dataclass(frozen=True)
class _ArchiveNames:
    """The spellings of names of all shards (variants.NameDictionary), with summed counts."""

    variants: dict[str, list[str]]
    counts: Counter[str]

    def name_variants(self, typed: str) -> list[tuple[str, int]]:
        found = [(other, self.counts[other]) for other in self.variants.get(typed, [])]
        return sorted(found, key=lambda pair: (-pair[1], pair[0]))  # as SpellingStore orders them

    def documents(self, word: str) -> int:
        return self.counts[word]


class _ShardedVocabulary:
    """The archive's vocabulary: the sums (and unions) of its shards' answers."""

    def __init__(self, index: ShardedIndex) -> None:
        self._index = index

    def query_terms(self, word: str) -> list[str]:
        return self._index._on_any("vocabulary_call", "query_terms", word)

    def _each(self, *args: Any) -> list[Any]:
        return list(self._index._each("vocabulary_call", *args)[0].values())

    def _summed(self, name: str, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
        terms = list(terms)
        total: Counter[str] = Counter()
        for part in self._each(name, fieldname, terms):
            total.update(part)
        return {term: total.get(term, 0) for term in terms}

    def doc_frequencies(self, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
        return self._summed("doc_frequencies", fieldname, terms)

    def frequencies(self, fieldname: str, terms: Iterable[str]) -> dict[str, int]:
        return self._summed("frequencies", fieldname, terms)

    def terms_within(self, term: str, distance: int) -> set[str]:
        return set().union(*self._each("terms_within", term, distance))

    def printed_form(self, term: str) -> tuple[str, str] | None:
        found = [f for f in self._each("printed_form", term) if f is not None]
        return min(found) if found else None

    def has_spelling(self) -> bool:
        return all(self._each("has_spelling"))

    def spelling_candidates(self, word: str) -> list[tuple[int, int, str, str]]:
        """Each shard's candidates with their article counts summed (the printed form of
        the shard holding the word most often)."""
        summed: dict[str, list[Any]] = {}
        for found in self._each("spelling_candidates", word):
            for edits, negated, printed, other in found:
                docs = -negated
                held = summed.setdefault(other, [edits, 0, -1, printed])
                held[1] += docs
                if docs > held[2] or (docs == held[2] and printed < held[3]):
                    held[2], held[3] = docs, printed
        return sorted((edits, -docs, printed, other) for other, (edits, docs, _, printed) in summed.items())

    def holds(self, fieldname: str, term: str) -> bool:
        return any(self._each("holds", fieldname, term))


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

    def commit(self, *, optimize: bool = False, jobs: int = 1, progress: Any = None) -> None:
        for writer in reversed(self._writers):
            writer.commit(optimize=optimize, jobs=jobs, progress=progress)

    def cancel(self) -> None:
        for writer in self._writers:
            writer.cancel()


__all__ = ["LocalShards", "SHARD_ERRORS", "STATS_CACHE", "ShardFailure", "ShardedIndex", "ShardedWriter", "Shards"]
