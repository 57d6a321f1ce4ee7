"""Shards that cannot answer: named in the error, or left out by name with allow_partial."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from newsearch import Archive, ShardUnavailable
from newsearch.cli import main
from newsearch.engine.locking import WriterLock
from newsearch.errors import IndexLocked
from newsearch.ingest.sharded import index_archive
from newsearch.shards import ShardMap, shard_of

from shard_queries import small_archive

ARTICLES = [{"id": f"https://news.example/{k}", "title": f"Harbour report {k}",
             "body": f"The harbour authority met on day {k} about dredging and cargo.",
             "date": f"2021-05-{1 + k % 28:02d}", "section": ["port", "trade"][k % 2]} for k in range(40)]


@pytest.fixture
def archive(tmp_path):
    return small_archive(tmp_path, ARTICLES)


def _held_by(shard: int) -> set[str]:
    return {a["id"] for a in ARTICLES if shard_of(a["id"], 3) == shard}


def test_a_missing_shard_is_named_and_allow_partial_answers_from_the_others(archive):
    path, _ = archive
    shutil.rmtree(path / "shard-001")
    with pytest.raises(ShardUnavailable, match="shard shard-001 is unavailable.*no index at"):
        Archive.open(path)
    with Archive.open(path, allow_partial=True) as partial:
        results = partial.search("harbour", limit=100, facets=("section",))
        assert results.missing_shards == ("shard-001",)
        assert {h.id for h in results.hits} == _held_by(0) | _held_by(2)
        assert results.total == len(_held_by(0) | _held_by(2))
        assert sum(c.count for c in results.facets["section"]) == results.total
        assert partial.search("harbour", collapse=True, limit=100).missing_shards == ("shard-001",)
        assert partial.sample("harbour", size=3, seed=1).missing_shards == ("shard-001",)


def test_a_shard_of_another_schema_version_is_named(archive):
    path, _ = archive
    meta = path / "shard-002" / "newsearch.json"
    data = json.loads(meta.read_text())
    data["schema_version"] = 1
    meta.write_text(json.dumps(data))
    with pytest.raises(ShardUnavailable, match="shard shard-002 .*schema version 1"):
        Archive.open(path)


def test_the_cli_says_which_shards_are_missing(archive):
    path, _ = archive
    shutil.rmtree(path / "shard-000")
    runner = CliRunner()
    refused = runner.invoke(main, ["query", "harbour", "--index", str(path)])
    assert refused.exit_code == 1 and "shard-000" in refused.output and "--allow-partial" in refused.output
    partial = runner.invoke(main, ["query", "harbour", "--index", str(path), "--allow-partial", "--json"])
    assert partial.exit_code == 0, partial.output
    data = json.loads(partial.output)
    assert data["missing_shards"] == ["shard-000"] and data["total"] == len(_held_by(1) | _held_by(2))
    text = runner.invoke(main, ["query", "harbour", "--index", str(path), "--allow-partial"])
    assert "partial: shards shard-000 gave no answer" in text.output


def test_a_locked_shard_stops_a_build_naming_it(archive):
    path, source = archive
    lock = WriterLock(str(path / "shard-001"))
    lock.acquire()
    try:
        with pytest.raises(IndexLocked, match="shard-001"):
            index_archive([source], index=path, jobs=1, rebuild=True)
    finally:
        lock.release()
    # the lock gone, the next run builds every shard
    assert index_archive([source], index=path, jobs=1).documents == len(ARTICLES)


def test_writing_refuses_an_archive_with_a_missing_shard(archive):
    path, _ = archive
    shutil.rmtree(path / "shard-002")
    with Archive.open(path, allow_partial=True) as partial, pytest.raises(ShardUnavailable, match="shard-002"):
        partial.add([])
    assert ShardMap.load(path).count == 3
