"""newsearch: full-text search over news archives.

    from newsearch import Archive, index_paths
    index_paths(["articles/"], index="indexes/news")
    with Archive.open("indexes/news") as archive:
        results = archive.search("Ain al-Asad", since="2021-07", facets=("section", "month"))
"""
from __future__ import annotations

__version__ = "0.1.0"

from .archive import Archive, IndexStats
from .errors import (
    ConfigError,
    IndexCorrupt,
    IndexLocked,
    IndexNotFound,
    NewsearchError,
    ParseError,
    QuerySyntaxError,
    SchemaMismatch,
    StorageError,
)
from .ingest import Failure, IngestOptions, IngestReport, Progress, index_paths, parse_paths
from .lifecycle import Freshness, check, load_declaration, rebuild
from .models import Article, FacetCount, Hit, SearchResults
from .periods import Period, parse_period

__all__ = [
    "Archive",
    "Article",
    "ConfigError",
    "FacetCount",
    "Failure",
    "Freshness",
    "Hit",
    "IndexCorrupt",
    "IndexLocked",
    "IndexNotFound",
    "IndexStats",
    "IngestOptions",
    "IngestReport",
    "NewsearchError",
    "ParseError",
    "Period",
    "Progress",
    "QuerySyntaxError",
    "SchemaMismatch",
    "SearchResults",
    "StorageError",
    "__version__",
    "check",
    "index_paths",
    "load_declaration",
    "parse_paths",
    "parse_period",
    "rebuild",
]
