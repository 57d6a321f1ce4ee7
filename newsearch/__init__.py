"""newsearch: full-text search over news archives.

    from newsearch import Archive, index_paths
    index_paths(["articles/"], index="indexes/news")
    with Archive.open("indexes/news") as archive:
        results = archive.search("Ain al-Asad", since="2021-07", facets=("section", "month"))

Names are imported on first use, so `newsearch query` does not load the indexing
and parsing code, and `newsearch index` does not load the query code up front.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    "Archive": "archive",
    "IndexStats": "archive",
    "ConfigError": "errors",
    "IndexCorrupt": "errors",
    "IndexLocked": "errors",
    "IndexNotFound": "errors",
    "NewsearchError": "errors",
    "ParseError": "errors",
    "QuerySyntaxError": "errors",
    "SchemaMismatch": "errors",
    "ShardUnavailable": "errors",
    "StorageError": "errors",
    "Failure": "ingest",
    "IngestOptions": "ingest",
    "IngestReport": "ingest",
    "Progress": "ingest",
    "index_paths": "ingest",
    "parse_paths": "ingest",
    "Freshness": "lifecycle",
    "check": "lifecycle",
    "load_declaration": "lifecycle",
    "rebuild": "lifecycle",
    "Article": "models",
    "FacetCount": "models",
    "Hit": "models",
    "SearchResults": "models",
    "Period": "periods",
    "parse_period": "periods",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsearch' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
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
        ShardUnavailable,
        StorageError,
    )
    from .ingest import Failure, IngestOptions, IngestReport, Progress, index_paths, parse_paths
    from .lifecycle import Freshness, check, load_declaration, rebuild
    from .models import Article, FacetCount, Hit, SearchResults
    from .periods import Period, parse_period
