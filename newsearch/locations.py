"""Where the index lives when the caller doesn't say (--index, NEWSEARCH_INDEX, or
indexes/default), and which cluster runs it (--cluster, NEWSEARCH_CLUSTER): known here,
without importing what builds or searches, so a plain query does not load Dask's side."""
from __future__ import annotations

import os
from pathlib import Path

INDEX_ENV = "NEWSEARCH_INDEX"
CLUSTER_ENV = "NEWSEARCH_CLUSTER"
INDEXES_DIR = "indexes"
DEFAULT_NAME = "default"


def default_index_path() -> Path:
    """NEWSEARCH_INDEX when set, else indexes/default under the current folder."""
    from_env = os.environ.get(INDEX_ENV)
    if from_env:
        return Path(from_env)
    return Path(INDEXES_DIR) / DEFAULT_NAME


def resolve_index_path(path: str | os.PathLike[str] | None) -> Path:
    return Path(path) if path else default_index_path()


def cluster_address(given: str | None = None) -> str | None:
    """The cluster to use: the one given, else NEWSEARCH_CLUSTER, else none."""
    value = (given or os.environ.get(CLUSTER_ENV, "")).strip()
    return value or None
