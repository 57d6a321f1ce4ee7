"""Archive: the public handle on an index, for reading and small writes.

It talks to the engine only through engine.interface.SearchIndex (one Whoosh
index today, an archive of shards beside it), so callers never learn which
engine or layout answers them.
"""
from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import replace
from typing import Any, Callable, Iterable, Iterator, Sequence

from .engine.interface import BatchWriter, IndexOptions, IndexStats, Match, SearchIndex, SearchRequest
from .engine.single import WhooshIndex
from .errors import NewsearchError, QuerySyntaxError
from .locations import resolve_index_path
from .models import Article, Hit, SearchResults, TermScore, Timeline, TimelineSeries
from .periods import BUCKETS, bucket, bucket_range
from .shards import is_archive

COUNTS = ("articles", "stories")
# Hits whose stories are looked up in one call.
STORY_BATCH = 500

DateLike = Any  # str ("2021-07", "July 2021"), datetime.date or datetime.datetime
Values = str | Sequence[str] | None


def _as_tuple(value: Values) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(v for v in value if v and v.strip())


def _chunks(items: Iterable[Hit], size: int) -> Iterator[list[Hit]]:
    chunk: list[Hit] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Archive:
    """An opened index: search it, read articles back, add or delete a few.

    >>> with Archive.open("indexes/default") as archive:      # doctest: +SKIP
    ...     results = archive.search("Ain al-Asad", facets=("section", "year"))
    """

    def __init__(self, engine: SearchIndex) -> None:
        self._engine = engine
        self.path = engine.path
        self.options = engine.options

    # -- opening ------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, allow_partial: bool = False) -> "Archive":
        """Open an existing index or archive of shards (default: NEWSEARCH_INDEX or indexes/default).

        A shard of an archive that cannot answer raises ShardUnavailable naming it;
        with `allow_partial` the other shards answer and `SearchResults.missing_shards`
        names the ones left out."""
        resolved = resolve_index_path(path)
        if is_archive(resolved):
            from .engine.sharded import ShardedIndex  # here: a single index's cold query skips it

            return cls(ShardedIndex.open(resolved, allow_partial=allow_partial))
        return cls(WhooshIndex.open(resolved))

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
        if WhooshIndex.exists(resolved) and not overwrite:
            raise NewsearchError(f"{resolved}: an index already exists (pass overwrite=True to replace it)")
        return cls(WhooshIndex.create(resolved, IndexOptions(language=language, stem=stem)))

    @classmethod
    def open_or_create(
        cls, path: str | os.PathLike[str] | None = None, *, language: str = "en", stem: bool = True
    ) -> "Archive":
        resolved = resolve_index_path(path)
        if WhooshIndex.exists(resolved) or is_archive(resolved):
            return cls.open(resolved)
        return cls.create(resolved, language=language, stem=stem)

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __len__(self) -> int:
        return self._engine.doc_count()

    # -- searching ------------------------------------------------------------

    def search(
        self,
        query: str = "",
        *,
        section: Values = None,
        author: Values = None,
        source: Values = None,
        tag: Values = None,
        language: Values = None,
        since: DateLike = None,
        until: DateLike = None,
        facets: Iterable[str] = (),
        sort: str = "relevance",
        match: str = "all",
        limit: int = 10,
        page: int = 1,
        highlight: bool = True,
        feedback: bool = False,
        names: bool = False,
        collapse: bool = False,
        count: str | None = None,
    ) -> SearchResults:
        """One page of results with the exact total and the requested facet counts.

        `query` uses Whoosh's syntax (AND/OR/NOT, "phrases", field:value, wildcards,
        date:[2021-07-01 TO 2021-07-31]); `match="any"` ORs bare words. `since` and
        `until` are inclusive and accept "2021", "2021-07", "July 2021", "2021-07-06".
        Each filter accepts one value or a list (any of them matches); `language` takes codes
        ("de", "en"). `feedback`
        expands the query with words from the top hits (pseudo-relevance feedback):
        better recall for topic searches, about three times slower. `names` also finds
        the other spellings of names ("Gaddafi": Qaddafi, Kadhafi; see README, Names).

        `collapse` shows one hit per story (near-duplicate copies of one article,
        see stories.py): the best-ranked copy, with `copies` and `copy_sources`.
        `count` says what `total` and the facets count: "articles" or "stories"
        (default: stories when collapsing, else articles); story counts take every
        filter into account, a facet's own included.
        """
        count = count or ("stories" if collapse else "articles")
        if count not in COUNTS:
            raise QuerySyntaxError(f"unknown count {count!r} (choose from {', '.join(COUNTS)})")
        self._engine.missing_shards()  # counted from here on
        request = self._request(query, section, author, source, tag, language, since, until,
                                facets, sort, match, limit, page, highlight, feedback, names)
        if collapse or count == "stories":
            results = self._search_stories(request, collapse=collapse, count=count)
        else:
            results = self._engine.search(request)
            results = replace(results, hits=tuple(self._with_stories(results.hits)))
        if results.total < 3 and query.strip():
            suggestion = self._engine.suggest(query)
            if suggestion:
                results = replace(results, suggestion=suggestion)
        return self._with_missing(results)

    def _with_missing(self, results: SearchResults) -> SearchResults:
        """Results that name the shards of an archive that gave no answer (allow_partial)."""
        missing = self._engine.missing_shards()
        return replace(results, missing_shards=missing) if missing else results

    # -- stories ----------------------------------------------------------------

    def _story_members(self, article_id: str) -> tuple[str, list[str]]:
        story = self._engine.story_of(article_id)
        return story, self._engine.story_members(story)

    def _with_stories(self, hits: Iterable[Hit], *, sources: bool = True) -> Iterator[Hit]:
        """Hits with their story, copy count and (with `sources`) the copies' publishers,
        looked up for many hits at once (an archive of shards answers each batch in one call)."""
        for chunk in _chunks(hits, STORY_BATCH):
            stories = self._engine.stories_for([hit.id for hit in chunk])
            wanted = [m for hit in chunk for m in stories[hit.id][1] if len(stories[hit.id][1]) > 1] if sources else []
            publisher = self._engine.sources_of(list(dict.fromkeys(wanted))) if wanted else {}
            for hit in chunk:
                story, members = stories[hit.id]
                publishers: tuple[str, ...] = ()
                if sources and len(members) > 1:
                    publishers = tuple(dict.fromkeys(publisher[m] for m in members if publisher.get(m)))
                yield replace(hit, story=story, copies=len(members), copy_sources=publishers)

    def _search_stories(self, request: SearchRequest, *, collapse: bool, count: str) -> SearchResults:
        """Search over every match: one hit per story when collapsing, totals and facets
        counted by story when asked."""
        found = self._engine.matches(request)
        grouped = self._engine.grouped()
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
        hits = self._engine.hits_for(request, picked, first_rank=offset + 1)
        facets = self._engine.count_facets(request.facets, found,
                                           groups=story_of if count == "stories" else None)
        total = len(firsts) if count == "stories" else len(found)
        return SearchResults(query=request.text, total=total, hits=tuple(self._with_stories(hits)),
                             facets=facets, page=request.page, limit=request.limit, count=count)

    def copies(self, article_id: str) -> list[Article]:
        """Every article of the story that `article_id` belongs to (or that story's id),
        in the order they were grouped; KeyError when neither is in the index."""
        story = self._engine.story_of(article_id)
        articles = []
        for member in self._engine.story_members(story):
            try:
                articles.append(self.get(member))
            except KeyError:
                continue
        if not articles:
            raise KeyError(article_id)
        return articles

    def _story_firsts(self, found: list[Match]) -> list[Match]:
        """The first match of each story, in the matches' order."""
        grouped = self._engine.grouped()
        seen: set[str] = set()
        firsts = []
        for match in found:
            story = grouped.get(match.id, match.id)
            if story not in seen:
                seen.add(story)
                firsts.append(match)
        return firsts

    # -- research: attention over time, distinctive terms, samples ----------------

    def timeline(
        self,
        queries: str | Sequence[str],
        *,
        by: str = "month",
        normalize: bool = False,
        collapse: bool = False,
        section: Values = None,
        author: Values = None,
        source: Values = None,
        tag: Values = None,
        language: Values = None,
        since: DateLike = None,
        until: DateLike = None,
        match: str = "all",
    ) -> Timeline:
        """Matches of each query per day, week (from Monday), month or year, every period
        from the first to the last with a match shown (zero when empty).

        Counts are exact: a series' counts plus its undated matches equal the query's
        total. `collapse` counts stories instead of articles (a story in the period of
        its earliest dated copy). `normalize` adds each count's share of all articles
        of its period (with the same filters), as Media Cloud normalises attention.
        """
        if by not in BUCKETS:
            raise QuerySyntaxError(f"unknown period {by!r} (choose from {', '.join(BUCKETS)})")
        texts = [queries] if isinstance(queries, str) else list(queries)
        if not texts:
            raise QuerySyntaxError("timeline needs at least one query")

        def per_period(text: str) -> tuple[Counter[str], int, int]:
            request = self._request(text, section, author, source, tag, language, since, until, (), "oldest", match,
                                    1, 1, False, False)
            found = self._engine.matches(request)  # oldest first: a story's first is its earliest copy
            if collapse:
                found = self._story_firsts(found)
            counts = Counter(bucket(m.date, by) for m in found if m.date is not None)
            return counts, len(found), sum(1 for m in found if m.date is None)

        tallies = [per_period(text) for text in texts]
        background = per_period("")[0] if normalize else None
        labels = [label for counts, _, _ in tallies for label in counts]
        periods = bucket_range(min(labels), max(labels), by) if labels else []
        series = []
        for text, (counts, total, undated) in zip(texts, tallies):
            row = tuple(counts.get(p, 0) for p in periods)
            shares = None
            if background is not None:
                shares = tuple(c / background[p] if background.get(p) else 0.0 for c, p in zip(row, periods))
            series.append(TimelineSeries(query=text, counts=row, total=total, undated=undated, shares=shares))
        return Timeline(by=by, periods=tuple(periods), series=tuple(series),
                        count="stories" if collapse else "articles",
                        archive_counts=tuple(background.get(p, 0) for p in periods) if background is not None
                        else None)

    def terms(
        self,
        query: str,
        *,
        limit: int = 30,
        sample: int = 200,
        section: Values = None,
        author: Values = None,
        source: Values = None,
        tag: Values = None,
        language: Values = None,
        since: DateLike = None,
        until: DateLike = None,
        match: str = "all",
        min_articles: int = 3,
    ) -> list[TermScore]:
        """Words and names over-represented in the articles matching `query` against the
        whole archive, best first.

        The foreground is the `sample` best-ranked matches with copies of one story
        read once; each word counts once per article. The score is JLH (as in
        Elasticsearch's significant_text): (fg - bg) * fg / bg over the shares of
        foreground and archive articles holding the word. Stop words of the index
        language never count; words in fewer than `min_articles` foreground articles
        are left out. Each word is shown as most often printed (ICCO, not icco).
        """
        if limit < 1 or sample < 1:
            raise QuerySyntaxError("limit and sample must be at least 1")
        request = self._request(query, section, author, source, tag, language, since, until, (), "relevance", match,
                                1, 1, False, False)
        picked = self._story_firsts(self._engine.matches(request))[:sample]
        holding: Counter[str] = Counter()
        printed: dict[str, Counter[str]] = {}
        for found in picked:
            article = self._engine.article(found.id)
            if article is None:
                continue
            words = self._engine.analyse("\n\n".join(p for p in (article.title, article.body) if p))
            for term, shown in words:
                printed.setdefault(term, Counter())[shown] += 1
            holding.update({term for term, _ in words})
        size = len(picked)
        everything = max(1, len(self))
        candidates = [t for t, n in holding.items() if n >= min(min_articles, size) and not t.isdigit()]
        background = self._engine.document_frequencies(candidates)
        scores = []
        for term in candidates:
            fg = holding[term] / size
            bg = max(background.get(term, 0), holding[term]) / everything
            if fg <= bg:
                continue
            shown = max(printed[term].items(), key=lambda item: (item[1], item[0]))[0]
            scores.append(TermScore(term=term, printed=shown, score=round((fg - bg) * fg / bg, 4),
                                    foreground=holding[term], background=background.get(term, 0)))
        scores.sort(key=lambda s: (-s.score, s.term))
        return scores[:limit]

    def sample(
        self,
        query: str = "",
        *,
        size: int = 10,
        seed: int | None = None,
        section: Values = None,
        author: Values = None,
        source: Values = None,
        tag: Values = None,
        language: Values = None,
        since: DateLike = None,
        until: DateLike = None,
        match: str = "all",
        collapse: bool = False,
        highlight: bool = True,
    ) -> SearchResults:
        """A uniform random sample of `size` of all matching articles (not of the top
        hits), the same for the same `seed` and index. `collapse` samples stories."""
        if size < 1:
            raise QuerySyntaxError("sample size must be at least 1")
        self._engine.missing_shards()
        request = self._request(query, section, author, source, tag, language, since, until, (), "relevance", match,
                                min(size, 1000), 1, highlight, False)
        found = self._engine.matches(request)
        if collapse:
            found = self._story_firsts(found)
        population = sorted(found, key=lambda m: m.id)  # an order that merges of segments do not change
        chosen = random.Random(seed).sample(population, min(size, len(population)))
        hits = self._engine.hits_for(request, chosen)
        return self._with_missing(SearchResults(
            query=query, total=len(population), hits=tuple(self._with_stories(hits)),
            limit=max(1, len(hits)), count="stories" if collapse else "articles", sampled=True))

    def iter_results(
        self,
        query: str = "",
        *,
        section: Values = None,
        author: Values = None,
        source: Values = None,
        tag: Values = None,
        language: Values = None,
        since: DateLike = None,
        until: DateLike = None,
        sort: str = "relevance",
        match: str = "all",
        highlight: bool = False,
        feedback: bool = False,
        names: bool = False,
    ) -> Iterator[Hit]:
        """Every hit, not just one page, for exports; streams stored fields one by one."""
        request = self._request(query, section, author, source, tag, language, since, until,
                                (), sort, match, 1, 1, highlight, feedback, names)
        return self._with_stories(self._engine.iter_hits(request), sources=False)

    def _request(self, query: str, section: Values, author: Values, source: Values, tag: Values, language: Values,
                 since: DateLike, until: DateLike, facets: Iterable[str], sort: str, match: str,
                 limit: int, page: int, highlight: bool, feedback: bool, names: bool = False) -> SearchRequest:
        filters = {
            name: _as_tuple(value)
            for name, value in (("section", section), ("author", author), ("source", source), ("tag", tag),
                                ("language", language))
            if _as_tuple(value)
        }
        return SearchRequest(
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
            names=names,
        )

    def get(self, article_id: str) -> Article:
        """The stored article with this id; KeyError when there is none."""
        article = self._engine.article(article_id)
        if article is None:
            raise KeyError(article_id)
        story, members = self._story_members(article_id)
        return replace(article, story=story, copies=len(members))

    def marks(self, text: str, query: str, *, match: str = "all") -> tuple[tuple[int, int], ...]:
        """(start, end) spans of `text` where the query's words occur, as snippets mark
        them (stemmed, folded, names joined), for showing a whole body highlighted."""
        if not query.strip() or not text:
            return ()
        return tuple(self._engine.marks(text, query, match=match))

    def similar(self, article_id: str, *, limit: int = 10) -> SearchResults:
        """Articles most like the given one (more-like-this over title and body)."""
        hits = self._engine.similar(article_id, limit=limit)
        if hits is None:
            raise KeyError(article_id)
        return SearchResults(query=f"similar:{article_id}", total=len(hits), hits=tuple(hits), limit=limit)

    def ids(self) -> Iterator[str]:
        """Every article id in the index."""
        return self._engine.ids()

    def stats(self) -> IndexStats:
        return self._engine.stats()

    # -- writing ---------------------------------------------------------------

    def writer(self, **kwargs: Any) -> BatchWriter:
        """A batch writer (context manager) holding the index's write lock."""
        return self._engine.writer(**kwargs)

    def add(self, articles: Iterable[Article]) -> int:
        """Add or replace articles (same id replaces) and commit; returns how many."""
        return self._engine.add(articles)

    def delete(self, ids: Iterable[str]) -> int:
        return self._engine.delete(ids)

    def optimize(self, *, jobs: int = 1, progress: Callable[[int, int], None] | None = None) -> None:
        """Merge all segments into one (faster searches after many small updates),
        neighbouring groups in `jobs` processes first; `progress` gets
        (documents copied, documents to copy)."""
        self._engine.optimize(jobs=jobs, progress=progress)


__all__ = ["Archive", "IndexStats"]
