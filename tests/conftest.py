"""Shared fixtures: where the real corpus lives and how its absence is handled."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout; skip when absent, fail when CI requires it."""
    candidates = [Path(os.environ["NEWSEARCH_SHARED"])] if os.environ.get("NEWSEARCH_SHARED") else []
    candidates.append(PROJECT.parent / "shared")
    for path in candidates:
        if (path / "corpus").is_dir():
            return path
    message = f"../shared not found beside {PROJECT}"
    if os.environ.get("NEWSEARCH_REQUIRE_SHARED") == "1":
        pytest.fail(message + " (NEWSEARCH_REQUIRE_SHARED=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def seed_path(shared_dir: Path) -> Path:
    return next((shared_dir / "seeds").glob("*.txt"))


# Real corpora, each indexed once per test session with two workers: tests of facets,
# of the ingest summary's accounting and of accepted failures share these builds.


@dataclass(frozen=True)
class Built:
    source: Path  # the file or folder indexed
    index: Path
    report: Any  # newsearch.IngestReport


def _build(tmp_path_factory: pytest.TempPathFactory, name: str, source: Path, **options: Any) -> Built:
    from newsearch import IngestOptions, index_paths

    index = tmp_path_factory.mktemp(name) / "ix"
    report = index_paths([source], index=index, jobs=2, options=IngestOptions(**options))
    return Built(source, index, report)


@pytest.fixture(scope="session")
def bbc_built(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory, "bbc", shared_dir / "corpus" / "text" / "bbc", section_from_dir=True)


@pytest.fixture(scope="session")
def reuters_built(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory, "reuters", shared_dir / "corpus" / "jsonl" / "reuters21578.jsonl.gz")


@pytest.fixture(scope="session")
def fakenewsnet_built(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory, "fakenewsnet", shared_dir / "corpus" / "jsonl" / "fakenewsnet.jsonl.gz")


@pytest.fixture(scope="session")
def extraction_built(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory, "extraction", shared_dir / "corpus" / "extraction" / "pages")


@pytest.fixture(scope="session")
def news_warc_built(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The packed news crawl (news-dev.warc.gz: 712 records, 200 news pages), indexed as it comes."""
    return _build(tmp_path_factory, "news-warc", shared_dir / "corpus" / "warc" / "news-dev.warc.gz")


@pytest.fixture(scope="session")
def reuters_sharded(reuters_built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Reuters corpus as an archive of 4 shards (the same inputs as reuters_built)."""
    from newsearch.ingest.sharded import index_archive

    archive = tmp_path_factory.mktemp("reuters-shards") / "archive"
    report = index_archive([reuters_built.source], index=archive, shards=4, jobs=2)
    assert report.ok and report.documents == reuters_built.report.documents
    return archive
