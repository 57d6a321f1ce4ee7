"""Archive: the public handle on one index, for reading and small writes.

It delegates to store.py (writing) and query.py (searching) and imports no Whoosh
itself, so the engine stays replaceable behind this class.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .engine import matches as _matches
from .engine import query as _query
from .engine import store as _store
from .errors import NewsearchError, QuerySyntaxError
from .locations import resolve_index_path
from .models import Article, Hit, SearchResults
from .stories import STORE_FILE, StoryStore

COUNTS = ("articles", "stories")

DateLike = Any  # str ("2021-07", "July 2021"), datetime.date or datetime.datetime
Values = str | Sequence[str] | None


def _as_tuple(value: Values) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(v for v in value if v and v.strip())


@dataclass(frozen=True)
class IndexStats:
    """What `newsearch stats` prints about an index."""

    path: str
    documents: int
    segments: int
    size_bytes: int
    earliest: str | None
    latest: str | None
    sections: tuple[tuple[str, int], ...]
    language: str
    stem: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "documents": self.documents,
            "segments": self.segments,
            "size_bytes": self.size_bytes,
            "earliest": self.earliest,
            "latest": self.latest,
            "sections": {name: count for name, count in self.sections},
            "language": self.language,
            "stem": self.stem,
        }


class Archive:
    """An opened index: search it, read articles back, add or delete a few.

    >>> with Archive.open("indexes/default") as archive:      # doctest: +SKIP
    ...     results = archive.search("Ain al-Asad", facets=("section", "year"))
    """

    def __init__(self, path: Path, ix: Any, options: _store.IndexOptions) -> None:
        self.path = path
        self.options = options
        self._ix = ix
        self._searcher: Any = None
        self._facet_cache = _query.FacetCache(path)
        self._story_store: StoryStore | None = None

    # -- opening ------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> "Archive":
        """Open an existing index (default: NEWSEARCH_INDEX or indexes/default)."""
        resolved = resolve_index_path(path)
        ix, options = _store.open_index(resolved, read_segments=False)
        archive = cls(resolved, ix, options)
        archive._current_searcher()  # reads every segment now: damage shows at open
        return archive

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        language: str = "en",
        stem: bool = True,
        overwrite: bool = False,
    ) -> "Archive":
        """Create an empty index; refuses to replace one unless `overwrite`."""
        resolved = resolve_index_path(path)
        if _store.exists(resolved) and not overwrite:
            raise NewsearchError(f"{resolved}: an index already exists (pass overwrite=True to replace it)")
        options = _store.IndexOptions(language=language, stem=stem)
        ix = _store.create_index(resolved, options)
        return cls(resolved, ix, options)

    @classmethod
    def open_or_create(
        cls, path: str | os.PathLike[str] | None = None, *, language: str = "en", stem: bool = True
    ) -> "Archive":
        resolved = resolve_index_path(path)
        if _store.exists(resolved):
            return cls.open(resolved)
        return cls.create(resolved, language=language, stem=stem)

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._story_store is not None:
            self._story_store.close()
            self._story_store = None

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __len__(self) -> int:
        return self._current_searcher().doc_count()

    def _current_searcher(self) -> Any:
        """A searcher on the last committed state, refreshed when a writer committed."""
        if self._searcher is None:
            self._searcher = _query.open_searcher(self._ix, str(self.path))
        elif not _query.up_to_date(self._searcher, str(self.path)):
            # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps segment readers
            # with stale deletions and brings merged-away segments back (duplicates).
            stale, self._searcher = self._searcher, _query.open_searcher(self._ix, str(self.path))
            stale.close()
        return self._searcher

    # -- searching ------------------------------------------------------------

    def search(
        self,
        query: str = "",
        *,
        section: Values = None,
        author: Values = None,
        source: Values = None,
        tag: Values = None,
        since: DateLike = None,
        until: DateLike = None,
        facets: Iterable[str] = (),
        sort: str = "relevance",
        match: str = "all",
        limit: int = 10,
        page: int = 1,
        highlight: bool = True,
        feedback: bool = False,
        collapse: bool = False,
        count: str | None = None,
    ) -> SearchResults:
        """One page of results with the exact total and the requested facet counts.

        `query` uses Whoosh's syntax (AND/OR/NOT, "phrases", field:value, wildcards,
        date:[2021-07-01 TO 2021-07-31]); `match="any"` ORs bare words. `since` and
        `until` are inclusive and accept "2021", "2021-07", "July 2021", "2021-07-06".
        Each filter accepts one value or a list (any of them matches). `feedback`
        expands the query with words from the top hits (pseudo-relevance feedback):
        better recall for topic searches, about three times slower.

        `collapse` shows one hit per story (near-duplicate copies of one article,
        see stories.py): the best-ranked copy, with `copies` and `copy_sources`.
        `count` says what `total` and the facets count: "articles" or "stories"
        (default: stories when collapsing, else articles); story counts take every
        filter into account, a facet's own included.
        """
        count = count or ("stories" if collapse else "articles")
        if count not in COUNTS:
            raise QuerySyntaxError(f"unknown count {count!r} (choose from {', '.join(COUNTS)})")
        request = self._request(query, section, author, source, tag, since, until,
                                facets, sort, match, limit, page, highlight, feedback)
        if collapse or count == "stories":
            results = self._search_stories(request, collapse=collapse, count=count)
        else:
            results = _query.run_search(self._current_searcher(), request, facet_cache=self._facet_cache)
            results = replace(results, hits=tuple(self._with_stories(results.hits)))
        if results.total < 3 and query.strip():
            suggestion = _query.suggest(self._current_searcher(), query)
            if suggestion:
                results = replace(results, suggestion=suggestion)
        return results

    # -- stories ----------------------------------------------------------------

    def _stories(self) -> StoryStore | None:
        """The index's story grouping (None for an index built without one)."""
        if self._story_store is None and (self.path / STORE_FILE).exists():
            self._story_store = StoryStore(self.path, readonly=True)
        return self._story_store

    def _story_members(self, article_id: str) -> tuple[str, list[str]]:
        store = self._stories()
        if store is None:
            return article_id, [article_id]
        story = store.story_of(article_id)
        return story, store.members(story) or [article_id]

    def _with_stories(self, hits: Iterable[Hit], *, sources: bool = True) -> Iterator[Hit]:
        """Hits with their story, copy count and (with `sources`) the copies' publishers."""
        searcher = self._current_searcher()
        for hit in hits:
            story, members = self._story_members(hit.id)
            publishers: tuple[str, ...] = ()
            if sources and len(members) > 1:
                found = []
                for member in members:
                    docnum = _query.find_document(searcher, member)
                    if docnum is not None:
                        found.append(searcher.stored_fields(docnum).get("source", "") or "")
                publishers = tuple(dict.fromkeys(p for p in found if p))
            yield replace(hit, story=story, copies=len(members), copy_sources=publishers)

    def _search_stories(self, request: _query.SearchRequest, *, collapse: bool, count: str) -> SearchResults:
        """Search over every match: one hit per story when collapsing, totals and facets
        counted by story when asked."""
        _query.validate(request)
        searcher = self._current_searcher()
        found = _matches.all_matches(searcher, request, facet_cache=self._facet_cache)
        store = self._stories()
        grouped = store.grouped() if store is not None else {}
        story_of = [grouped.get(m.id, m.id) for m in found]
        firsts: list[int] = []
        seen: set[str] = set()
        for k, story in enumerate(story_of):
            if story not in seen:
                seen.add(story)
                firsts.append(k)
        shown = firsts if collapse else list(range(len(found)))
        offset = (request.page - 1) * request.limit
        picked = [found[k] for k in shown[offset:offset + request.limit]]
        hits = _matches.hits_for(searcher, request, picked, first_rank=offset + 1)
        facets = {}
        if request.facets:
            values = _matches.facet_values(searcher, request.facets, [m.docnum for m in found],
                                           facet_cache=self._facet_cache)
            for name in request.facets:
                if count == "stories":
                    per_story = {(story_of[k], v) for k, vs in enumerate(values[name]) for v in vs}
                    tally = Counter(v for _, v in per_story)
                else:
                    tally = Counter(v for vs in values[name] for v in vs)
                facets[name] = _query.order_facet(name, tally)
        total = len(firsts) if count == "stories" else len(found)
        return SearchResults(query=request.text, total=total, hits=tuple(self._with_stories(hits)),
                             facets=facets, page=request.page, limit=request.limit, count=count)

    def copies(self, article_id: str) -> list[Article]:
        """Every article of the story that `article_id` belongs to (or that story's id),
        in the order they were grouped; KeyError when neither is in the index."""
        store = self._stories()
        story = store.story_of(article_id) if store is not None else article_id
        members = store.members(story) if store is not None else []
        articles = []
        for member in members or [article_id]:
            try:
                articles.append(self.get(member))
            except KeyError:
                continue
        if not articles:
            raise KeyError(article_id)
        return articles

    def iter_results(
        self,
        query: str = "",
        *,
        section: Values = None,
        author: Values = None,
        source: Values = None,
        tag: Values = None,
        since: DateLike = None,
        until: DateLike = None,
        sort: str = "relevance",
        match: str = "all",
        highlight: bool = False,
        feedback: bool = False,
    ) -> Iterator[Hit]:
        """Every hit, not just one page, for exports; streams stored fields one by one."""
        request = self._request(query, section, author, source, tag, since, until,
                                (), sort, match, 1, 1, highlight, feedback)
        return self._with_stories(_query.iter_hits(self._current_searcher(), request), sources=False)

    def _request(self, query: str, section: Values, author: Values, source: Values, tag: Values,
                 since: DateLike, until: DateLike, facets: Iterable[str], sort: str, match: str,
                 limit: int, page: int, highlight: bool, feedback: bool) -> _query.SearchRequest:
        filters = {
            name: _as_tuple(value)
            for name, value in (("section", section), ("author", author), ("source", source), ("tag", tag))
            if _as_tuple(value)
        }
        return _query.SearchRequest(
            text=query or "",
            filters=filters,
            since=since,
            until=until,
            facets=tuple(dict.fromkeys(facets)),
            sort=sort,
            match=match,
            limit=limit,
            page=page,
            highlight=highlight,
            feedback=feedback,
        )

    def get(self, article_id: str) -> Article:
        """The stored article with this id; KeyError when there is none."""
        searcher = self._current_searcher()
        docnum = _query.find_document(searcher, article_id)
        if docnum is None:
            raise KeyError(article_id)
        story, members = self._story_members(article_id)
        article = _store.stored_to_article(searcher.stored_fields(docnum))
        return replace(article, story=story, copies=len(members))

    def similar(self, article_id: str, *, limit: int = 10) -> SearchResults:
        """Articles most like the given one (more-like-this over title and body)."""
        searcher = self._current_searcher()
        docnum = _query.find_document(searcher, article_id)
        if docnum is None:
            raise KeyError(article_id)
        hits = _query.similar_hits(searcher, docnum, limit=limit)
        return SearchResults(query=f"similar:{article_id}", total=len(hits), hits=tuple(hits), limit=limit)

    def ids(self) -> Iterator[str]:
        """Every article id in the index."""
        for fields in self._current_searcher().all_stored_fields():
            yield fields["id"]

    def stats(self) -> IndexStats:
        searcher = self._current_searcher()
        section = self.search("", facets=("section",), limit=1, highlight=False)
        dates = _query.date_extent(searcher)
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
        )

    # -- writing ---------------------------------------------------------------

    def writer(self, **kwargs: Any) -> _store.IndexWriter:
        """A batch writer (context manager) holding the index's write lock."""
        return _store.IndexWriter(str(self.path), self._ix, **kwargs)

    def add(self, articles: Iterable[Article]) -> int:
        """Add or replace articles (same id replaces) and commit; returns how many."""
        count = 0
        with self.writer() as writer:
            for article in articles:
                writer.add(article)
                count += 1
        return count

    def delete(self, ids: Iterable[str]) -> int:
        with self.writer() as writer:
            return writer.delete_ids(ids)

    def optimize(self) -> None:
        """Merge all segments into one (faster searches after many small updates)."""
        with self.writer() as writer:
            writer.commit(optimize=True)
