"""Archives of shards on a real Dask LocalCluster (worker processes, loopback TCP).

The shards are searched by tasks on the workers that keep them open, and built
as tasks; the answers must be exactly those of one index.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

pytest.importorskip("distributed")

from newsearch import Archive  # noqa: E402
from newsearch.cli import main  # noqa: E402
from newsearch.cluster import Cluster, index_on_cluster, open_archive, open_shards  # noqa: E402
from newsearch.engine.sharded import ShardedIndex  # noqa: E402

from shard_queries import answer, queries  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    running = Cluster("local:2")
    yield running
    running.close()


def _on(cluster, path):
    return Archive(ShardedIndex.open(path, shards=open_shards(path, "", cluster=cluster)))


def test_the_local_cluster_is_two_processes_on_loopback(cluster):
    workers = cluster.workers()
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    pids = cluster.client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2


def test_reuters_on_the_cluster_answers_as_one_index(cluster, reuters_built, reuters_sharded):
    with Archive.open(reuters_built.index) as single, _on(cluster, reuters_sharded) as sharded:
        for text, options in queries()[2::8]:  # 25 of the 200; benchmarks/cluster.py runs them all
            assert answer(sharded.search(text, **options)) == answer(single.search(text, **options)), (text, options)
        assert answer(sharded.similar(single.search("cocoa").hits[0].id)) == \
            answer(single.similar(single.search("cocoa").hits[0].id))
        # each shard was opened on the worker it is pinned to, and kept open there
        opened = cluster.client.run(lambda: sorted(__import__("newsearch.cluster").cluster._OPEN))
        assert sorted(p for paths in opened.values() for p in paths) == \
            sorted(str(p.resolve()) for p in reuters_sharded.iterdir() if p.is_dir())
        assert all(len(paths) == 2 for paths in opened.values())


def test_a_build_on_the_cluster_equals_one_built_here(cluster, tmp_path, reuters_built):
    source = tmp_path / "part.jsonl"
    import gzip
    import itertools
    with gzip.open(reuters_built.source, "rt", encoding="utf-8") as lines:
        source.write_text("".join(itertools.islice(lines, 1500)), encoding="utf-8")
    from newsearch import index_paths

    index_paths([source], index=tmp_path / "one", jobs=1)
    report = index_on_cluster([source], index=tmp_path / "archive", shards=3, address=cluster.address)
    assert report.ok and report.documents == 1500 == report.counts["new"]
    with Archive.open(tmp_path / "one") as single, open_archive(tmp_path / "archive", "local:1") as sharded:
        for text, options in [("oil prices", {"facets": ("section",)}), ("bank", {"sort": "newest", "page": 2})]:
            assert answer(sharded.search(text, **options)) == answer(single.search(text, **options))


def test_the_cli_takes_a_cluster_for_building_and_querying(tmp_path, reuters_built):
    import gzip
    import itertools
    source = tmp_path / "part.jsonl"
    with gzip.open(reuters_built.source, "rt", encoding="utf-8") as lines:
        source.write_text("".join(itertools.islice(lines, 400)), encoding="utf-8")
    runner = CliRunner()
    archive = str(tmp_path / "archive")
    built = runner.invoke(main, ["index", str(source), "--index", archive, "--shards", "2", "--cluster", "local:1",
                                 "--json"])
    assert built.exit_code == 0, built.output
    on_cluster = runner.invoke(main, ["query", "oil prices", "--facet", "section", "--index", archive,
                                      "--cluster", "local:1", "--json"])
    here = runner.invoke(main, ["query", "oil prices", "--facet", "section", "--index", archive, "--json"])
    assert on_cluster.exit_code == 0, on_cluster.output
    assert json.loads(on_cluster.output) == json.loads(here.output) and json.loads(here.output)["total"] > 0
    refused = runner.invoke(main, ["index", str(source), "--index", str(tmp_path / "plain"), "--cluster", "local:1"])
    assert refused.exit_code == 2 and "--shards" in refused.output
