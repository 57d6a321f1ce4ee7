"""The engine's interface: what Archive calls, whatever sits behind it.

One Whoosh index (single.py) and an archive split into shards (sharded.py) are
two implementations of SearchIndex, so `Archive.open(path)` can hand back either
and the CLI, lifecycle and web app never learn which. Everything crossing this
interface is plain data (models.py, SearchRequest, the dataclasses below).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from ..errors import NewsearchError
from ..models import Article, FacetCount, Hit, SearchResults
from .query import SearchRequest
from .store import IndexOptions


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
    languages: tuple[tuple[str, int], ...] = ()  # articles per language, most first

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
            "languages": {code: count for code, count in self.languages},
        }


@dataclass(frozen=True)
class Match:
    """One matching article of a search: where the engine holds it (`key`, only
    meaningful to the engine that gave it), its score, id and date."""

    key: int
    score: float
    id: str
    date: datetime | None


class BatchWriter(Protocol):
    """Adds and deletes in batches under the index's write lock (a context manager:
    leaving the block commits, an exception cancels the uncommitted batch)."""

    pending: int

    def __enter__(self) -> "BatchWriter": ...

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None: ...

    def add(self, article: Article, *, replace: bool = True) -> None: ...

    def delete_ids(self, ids: Iterable[str]) -> int: ...

    def delete_paths(self, paths: Iterable[str]) -> int: ...

    def commit(self, *, optimize: bool = False, jobs: int = 1,
               progress: Callable[[int, int], None] | None = None) -> None: ...

    def cancel(self) -> None: ...


class SearchIndex(ABC):
    """An opened index (or archive of shards): search, read back, write in batches."""

    path: Path
    options: IndexOptions

    @abstractmethod
    def close(self) -> None:
        """Release open readers; the object is unusable afterwards."""

    @abstractmethod
    def doc_count(self) -> int:
        """Articles held (deleted ones not counted)."""

    @abstractmethod
    def search(self, request: SearchRequest) -> SearchResults:
        """One page of hits, the exact total and the requested facets."""

    @abstractmethod
    def iter_hits(self, request: SearchRequest) -> Iterator[Hit]:
        """Every hit for the request in its order (for exports)."""

    @abstractmethod
    def suggest(self, text: str) -> str | None:
        """The query with unknown words replaced by the closest indexed ones, or None."""

    def marks(self, text: str, query: str, *, match: str = "all") -> list[tuple[int, int]]:
        """(start, end) spans of `text` holding the words `query` looks for, found with
        the index's own analysis. An engine that cannot tell marks nothing."""
        return []

    def missing_shards(self) -> tuple[str, ...]:
        """Shards that gave no answer to this thread's calls since it last asked (an
        archive opened with allow_partial); always empty for one index."""
        return ()

    @abstractmethod
    def article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""

    @abstractmethod
    def similar(self, article_id: str, *, limit: int = 10) -> list[Hit] | None:
        """Articles most like the given one; None when the id is not held."""

    @abstractmethod
    def ids(self) -> Iterator[str]:
        """Every article id held."""

    @abstractmethod
    def stats(self) -> IndexStats:
        """Counts, size, date extent and sections."""

    @abstractmethod
    def writer(self, **kwargs: Any) -> BatchWriter:
        """A batch writer holding the write lock."""

    # -- every match, and stories: implemented by engines that support them ----------

    def matches(self, request: SearchRequest) -> list[Match]:
        """Every article matching the request, in its sort order (not one page)."""
        raise NewsearchError(f"{self.path}: this index cannot list every match")

    def hits_for(self, request: SearchRequest, picked: list[Match], *, first_rank: int = 1) -> list[Hit]:
        """Hits (with snippets when the request asks) for matches this engine gave."""
        raise NewsearchError(f"{self.path}: this index cannot list every match")

    def count_facets(self, facets: tuple[str, ...], picked: list[Match], *,
                     groups: list[str] | None = None) -> dict[str, tuple[FacetCount, ...]]:
        """Facet counts over these matches, ordered as search orders them; with `groups`
        (one label per match, such as its story) each label counts once per value."""
        raise NewsearchError(f"{self.path}: this index cannot list every match")

    def analyse(self, text: str) -> list[tuple[str, str]]:
        """(index term, word as printed) for each word of `text` as article bodies are
        indexed (stop words removed, stemmed when the index stems)."""
        raise NewsearchError(f"{self.path}: this index cannot analyse text")

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many articles hold each body term."""
        raise NewsearchError(f"{self.path}: this index cannot count terms")

    def story_of(self, article_id: str) -> str:
        """The story (near-duplicate group, see stories.py) an article belongs to."""
        return article_id

    def story_members(self, story: str) -> list[str]:
        """Ids of the articles of a story, in the order they were grouped."""
        return [story]

    def grouped(self) -> dict[str, str]:
        """Article id -> story for the articles whose story holds two or more."""
        return {}

    def stories_for(self, ids: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        """Each article's story and that story's members, for many articles at once."""
        found = {}
        for article_id in ids:
            story = self.story_of(article_id)
            found[article_id] = (story, self.story_members(story))
        return found

    def sources_of(self, ids: Sequence[str]) -> dict[str, str]:
        """The publisher of each of these articles that the index holds."""
        held = {article_id: self.article(article_id) for article_id in ids}
        return {article_id: article.source for article_id, article in held.items() if article is not None}

    def add(self, articles: Iterable[Article]) -> int:
        """Add or replace articles (same id replaces) and commit; returns how many."""
        count = 0
        with self.writer() as writer:
            for article in articles:
                writer.add(article)
                count += 1
        return count

    def delete(self, ids: Iterable[str]) -> int:
        """Delete articles by id and commit; returns how many were held."""
        with self.writer() as writer:
            return writer.delete_ids(ids)

    def optimize(self, *, jobs: int = 1, progress: Callable[[int, int], None] | None = None) -> None:
        """Merge all segments into one (faster searches after many small updates);
        `progress` gets (documents copied, documents to copy)."""
        with self.writer() as writer:
            writer.commit(optimize=True, jobs=jobs, progress=progress)


__all__ = ["BatchWriter", "IndexOptions", "IndexStats", "Match", "SearchIndex", "SearchRequest"]
