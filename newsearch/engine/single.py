"""One Whoosh index behind the SearchIndex interface.

It keeps a searcher on the last commit (reopened when a writer committed) and the
index's facet cache, and delegates to store.py (writing) and query.py (searching).
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..models import Article, FacetCount, Hit, SearchResults
from ..stories import STORE_FILE, StoryStore
from . import matches as _matches
from . import query as _query
from . import ranking as _ranking
from . import similar as _similar
from . import store as _store
from .interface import IndexStats, Match, SearchIndex
from .query import Ranked, SearchRequest
from .readings import Evidence, chosen_languages
from .stats import CorpusStats, gather, query_terms_in, searcher_with
from .suggestions import SearcherVocabulary
from .spelling import SpellingStore


class WhooshIndex(SearchIndex):
    """An ordinary newsearch index: one folder of Whoosh segments."""

    def __init__(self, path: Path, ix: Any, options: _store.IndexOptions) -> None:
        self.path = path
        self.options = options
        self._ix = ix
        self._searcher: Any = None
        self._facet_cache = _query.FacetCache(path)
        self._story_store: StoryStore | None = None
        self._spelling: SpellingStore | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "WhooshIndex":
        """Open an existing index; every segment is read now, so damage shows at open."""
        resolved = Path(path)
        ix, options = _store.open_index(resolved, read_segments=False)
        index = cls(resolved, ix, options)
        index._current_searcher()
        return index

    @classmethod
    def create(cls, path: str | os.PathLike[str], options: _store.IndexOptions) -> "WhooshIndex":
        """Create an empty index (replacing any index already there)."""
        resolved = Path(path)
        return cls(resolved, _store.create_index(resolved, options), options)

    @staticmethod
    def exists(path: str | os.PathLike[str]) -> bool:
        return _store.exists(path)

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        for store in (self._story_store, self._spelling):
            if store is not None:
                store.close()
        self._story_store = self._spelling = None

    def _current_searcher(self) -> Any:
        """A searcher on the last committed state, refreshed when a writer committed."""
        if self._searcher is None:
            self._searcher = self._open_searcher()
        elif not _query.up_to_date(self._searcher, str(self.path)):
            # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps segment readers
            # with stale deletions and brings merged-away segments back (duplicates).
            stale, self._searcher = self._searcher, self._open_searcher()
            stale.close()
        return self._searcher

    def _open_searcher(self) -> Any:
        searcher = _query.open_searcher(self._ix, str(self.path))
        # Which languages a query is read in depends on the words printed (readings.py).
        searcher.newsearch_spelling = self._spelling_store()
        return searcher

    def doc_count(self) -> int:
        return self._current_searcher().doc_count()

    def search(self, request: SearchRequest) -> SearchResults:
        return _query.run_search(self._current_searcher(), request, facet_cache=self._facet_cache)

    def iter_hits(self, request: SearchRequest) -> Iterator[Hit]:
        return _query.iter_hits(self._current_searcher(), request, facet_cache=self._facet_cache)

    def suggest(self, text: str) -> str | None:
        if self._spelling is None and SpellingStore.exists(self.path):
            self._spelling = SpellingStore(self.path, readonly=True)
        return _query.suggest(self._current_searcher(), text, self._spelling)

    def vocabulary(self) -> SearcherVocabulary:
        """This index's words and their counts, for an archive's suggestions."""
        searcher = self._current_searcher()
        return SearcherVocabulary(searcher, self._facet_cache.values(searcher.reader(), _query.ID_KEY),
                                  self._spelling_store())

    def _spelling_store(self) -> SpellingStore | None:
        if self._spelling is None and SpellingStore.exists(self.path):
            self._spelling = SpellingStore(self.path, readonly=True)
        return self._spelling

    def marks(self, text: str, query: str, *, match: str = "all") -> list[tuple[int, int]]:
        return _query.text_marks(self._current_searcher(), query, text, match=match)

    def article(self, article_id: str) -> Article | None:
        searcher = self._current_searcher()
        docnum = _query.find_document(searcher, article_id)
        return None if docnum is None else _store.stored_to_article(searcher.stored_fields(docnum))

    def similar(self, article_id: str, *, limit: int = 10) -> list[Hit] | None:
        text = self.similar_source(article_id)
        if text is None:
            return None
        top = self.similar_ranked(text, article_id, self.similar_stats(text), limit=limit)
        return self.hits_by_id(SearchRequest(highlight=False), [(id_, score) for (_, id_), _, score in top])

    # -- the parts of a search that an archive of shards runs on each shard ---------

    def request_stats(self, request: SearchRequest) -> CorpusStats:
        """This index's counts for the terms `request` scores (phase one of dfs_query_then_fetch)."""
        searcher = self._current_searcher()
        text_query, filters, _ = _query.queries_for(searcher, request)
        with _query.search_errors(request.text):
            return gather(searcher, query_terms_in(searcher.reader(), [text_query, *filters.values()]))

    def language_evidence(self, request: SearchRequest) -> Evidence | None:
        """What `request`'s words tell this index about their languages (an archive of
        shards sums it to choose the languages for all shards)."""
        return _query.language_evidence_for(self._current_searcher(), request)

    def request_stats_at(self, request: SearchRequest) -> tuple[int, CorpusStats]:
        """request_stats and the commit they were read at (an archive caches its sums by it)."""
        return self.generation(), self.request_stats(request)

    def name_spellings(self, words: list[str]) -> dict[str, list[str]]:
        """The other spellings this index printed capitalised for each of `words` (by name key)."""
        store = self._spelling_store()
        return {} if store is None else {word: [other for other, _ in store.name_variants(word)] for word in words}

    def printed_documents(self, words: list[str]) -> tuple[int, dict[str, int]]:
        """The articles this index holds, and how many printed each of `words` (any case)."""
        store = self._spelling_store()
        counts = {} if store is None else {word: store.documents(word) for word in words}
        return self._current_searcher().doc_count_all(), counts

    def evidence_and_stats_at(self, request: SearchRequest) -> tuple[int, Evidence | None, tuple[str, ...] | None,
                                                                      CorpusStats]:
        """request_stats_at with this index's language_evidence and the languages it
        chose from it alone, in one call: an archive of shards then asks again only the
        shards whose choice differs from the one made from all of them together."""
        generation = self.generation()
        evidence = self.language_evidence(request)
        chosen = None if evidence is None else chosen_languages(tuple(evidence[1]), evidence)
        if chosen is not None:
            # Named as the scoring round will name them when the archive's choice is this
            # index's own: the query is then parsed once for both rounds (query._PARSED).
            request = replace(request, languages_read=chosen)
        return generation, evidence, chosen, self.request_stats(request)

    def ranked_at(self, generation: int, request: SearchRequest, stats: CorpusStats,
                  wanted: int | None) -> Ranked | None:
        """ranked with statistics gathered at commit `generation`; None when this index
        has committed since (the archive-wide statistics may be stale)."""
        if self.generation() != generation:
            return None
        return self.ranked(request, stats, wanted=wanted)

    def ranked(self, request: SearchRequest, stats: CorpusStats | None = None, *,
               wanted: int | None = None, expansion: dict[str, float] | None = None) -> Ranked:
        """Total, best `wanted` (None: every match) and raw facet counts, scored with
        `stats` (and with the feedback words of `expansion` when the request asks)."""
        searcher = searcher_with(self._current_searcher(), stats)
        return _query.rank(searcher, request, facet_cache=self._facet_cache, wanted=wanted, expansion=expansion)

    def feedback_sample(self, request: SearchRequest, stats: CorpusStats) -> list[Any]:
        """This index's best matches for feedback, scored with `stats` (query.feedback_sample)."""
        searcher = searcher_with(self._current_searcher(), stats)
        return _query.feedback_sample(searcher, request, self._facet_cache)

    def term_stats(self, terms: list[str]) -> CorpusStats:
        """This index's counts for these words in every text field."""
        searcher = self._current_searcher()
        schema = searcher.schema
        pairs = {(f, schema[f].to_bytes(t)) for f in _ranking.TEXT_FIELDS if f in schema for t in terms}
        return gather(searcher, pairs)

    def hits_by_id(self, request: SearchRequest, picks: list[tuple[str, float]], *,
                   first_rank: int = 1) -> list[Hit]:
        """Hits for (id, score) pairs this index holds, ranked from `first_rank`."""
        searcher = self._current_searcher()
        terms = _query.query_terms(_query.queries_for(searcher, request)[0]) if request.highlight \
            else frozenset()
        hits = []
        with _query.search_errors(request.text):
            for i, (article_id, score) in enumerate(picks):
                docnum = _query.find_document(searcher, article_id)
                if docnum is not None:
                    hits.append(_query.make_hit(searcher, docnum, score, first_rank + i, terms, request.highlight))
        return hits

    def similar_source(self, article_id: str) -> str | None:
        searcher = self._current_searcher()
        docnum = _query.find_document(searcher, article_id)
        return None if docnum is None else _similar.source_text(searcher.stored_fields(docnum))

    def similar_stats(self, text: str) -> CorpusStats:
        return _similar.local_stats(self._current_searcher(), text)

    def similar_ranked(self, text: str, exclude: str, stats: CorpusStats, *, limit: int) -> list[Any]:
        return _similar.ranked_similar(self._current_searcher(), text, exclude, stats, limit=limit,
                                       facet_cache=self._facet_cache)

    def ids(self) -> Iterator[str]:
        for fields in self._current_searcher().all_stored_fields():
            yield fields["id"]

    def stats(self) -> IndexStats:
        searcher = self._current_searcher()
        section = self.search(SearchRequest(facets=("section", "language"), limit=1, highlight=False))
        dates = _query.date_extent(searcher, self._facet_cache)
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        return IndexStats(
            path=str(self.path),
            documents=searcher.doc_count(),
            segments=_store.segment_count(self._ix),
            size_bytes=size,
            earliest=dates[0],
            latest=dates[1],
            sections=tuple((c.value, c.count) for c in section.facets["section"]),
            language=self.options.language,
            stem=self.options.stem,
            languages=tuple((c.value, c.count) for c in section.facets["language"]),
        )

    # -- every match, and stories -------------------------------------------------

    def matches(self, request: SearchRequest, stats: CorpusStats | None = None,
                expansion: dict[str, float] | None = None) -> list[Match]:
        return _matches.all_matches(searcher_with(self._current_searcher(), stats), request,
                                    facet_cache=self._facet_cache, expansion=expansion)

    def hits_for(self, request: SearchRequest, picked: list[Match], *, first_rank: int = 1) -> list[Hit]:
        return _matches.hits_for(self._current_searcher(), request, picked, first_rank=first_rank)

    def count_facets(self, facets: tuple[str, ...], picked: list[Match], *,
                     groups: list[str] | None = None) -> dict[str, tuple[FacetCount, ...]]:
        return _matches.tally_facets(facets, self.facet_values(facets, picked), groups)

    def facet_values(self, facets: tuple[str, ...], picked: list[Match]) -> dict[str, list[tuple[str, ...]]]:
        """Each facet's values for each of these matches (which this index gave)."""
        return _matches.facet_values(self._current_searcher(), facets, picked, facet_cache=self._facet_cache)

    def analyse(self, text: str) -> list[tuple[str, str]]:
        return _matches.analyse(self._current_searcher(), text)

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        return _matches.document_frequencies(self._current_searcher(), "body", terms)

    def index_options(self) -> _store.IndexOptions:
        return self.options

    def id_list(self) -> list[str]:
        return list(self.ids())

    def section_counts(self) -> Any:
        """Raw section counts (before case variants are merged), summable over shards."""
        return self.ranked(SearchRequest(facets=("section",), limit=1, highlight=False), wanted=1).facets["section"]

    def vocabulary_call(self, name: str, *args: Any) -> Any:
        """One question to this index's vocabulary (suggestions.Vocabulary), by name."""
        return getattr(self.vocabulary(), name)(*args)

    def generation(self) -> int:
        """The commit this index's searcher reads (a shard's answers belong to one)."""
        return self._current_searcher().reader().generation()

    def _stories(self) -> StoryStore | None:
        """The grouping written beside the index (None for an index built without one)."""
        if self._story_store is None and (self.path / STORE_FILE).exists():
            self._story_store = StoryStore(self.path, readonly=True)
        return self._story_store

    def story_of(self, article_id: str) -> str:
        store = self._stories()
        return store.story_of(article_id) if store is not None else article_id

    def story_members(self, story: str) -> list[str]:
        store = self._stories()
        return (store.members(story) if store is not None else []) or [story]

    def stories_for(self, ids: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        store = self._stories()
        if store is None:
            return {article_id: (article_id, [article_id]) for article_id in ids}
        return store.stories_for(ids)

    def grouped(self) -> dict[str, str]:
        store = self._stories()
        return store.grouped() if store is not None else {}

    def writer(self, **kwargs: Any) -> _store.IndexWriter:
        return _store.IndexWriter(str(self.path), self._ix, options=self.options, **kwargs)
