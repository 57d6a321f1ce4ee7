"""Archives of shards on a real Dask LocalCluster (worker processes, loopback TCP).

The shards are searched through ShardHost actors on the workers that keep them open, and built
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
from newsearch.errors import QuerySyntaxError  # noqa: E402

from shard_queries import answer, queries  # noqa: E402


@pytest.fixture(scope="module")
def reuters_source(shared_dir):
    return shared_dir / "corpus" / "jsonl" / "reuters21578.jsonl.gz"


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
        # a query every shard refuses raises as on one index, not as a lost worker
        with pytest.raises(QuerySyntaxError, match="unknown field 'nosuchfield'"):
            sharded.search("nosuchfield:x")
        # the shards were opened on the workers and are kept open there between queries
        opened = cluster.client.run(lambda: sorted(__import__("newsearch.cluster").cluster._OPEN))
        assert set().union(*opened.values()) == {str(p.resolve()) for p in reuters_sharded.iterdir() if p.is_dir()}


def test_a_build_on_the_cluster_equals_one_built_here(cluster, tmp_path, reuters_source):
    source = tmp_path / "part.jsonl"
    import gzip
    import itertools
    with gzip.open(reuters_source, "rt", encoding="utf-8") as lines:
        source.write_text("".join(itertools.islice(lines, 1500)), encoding="utf-8")
    from newsearch import index_paths

    index_paths([source], index=tmp_path / "one", jobs=1)
    report = index_on_cluster([source], index=tmp_path / "archive", shards=3, address=cluster.address)
    assert report.ok and report.documents == 1500 == report.counts["new"]
    with Archive.open(tmp_path / "one") as single, open_archive(tmp_path / "archive", "local:1") as sharded:
        for text, options in [("oil prices", {"facets": ("section",)}), ("bank", {"sort": "newest", "page": 2})]:
            assert answer(sharded.search(text, **options)) == answer(single.search(text, **options))


def test_parse_tasks_on_the_workers_spool_every_span_for_every_shard(cluster, tmp_path, reuters_source,
                                                                     monkeypatch):
    import gzip
    import itertools
    from newsearch.cluster import parse_on
    from newsearch.ingest.batches import Batch
    from newsearch.ingest.pipeline import IngestOptions
    from newsearch.ingest.sharded import spans_to_parse
    from newsearch.ingest.spool import Spool
    from newsearch.shards import shard_of

    source = tmp_path / "part.jsonl"
    with gzip.open(reuters_source, "rt", encoding="utf-8") as lines:
        source.write_text("".join(itertools.islice(lines, 700)), encoding="utf-8")
    monkeypatch.setattr("newsearch.ingest.sharded.SPOOL_TASK_ARTICLES", 200)
    groups = spans_to_parse([str(source)], [tmp_path / "archive" / "shard-000"], {})
    assert len(groups) > 1  # several parse tasks, spread over the two workers
    spool, options = Spool(str(tmp_path / "spool"), 3), IngestOptions()
    parse_on(cluster)(spool, groups, options, {})
    units = [unit for group in groups for unit in group]
    assert len(list((tmp_path / "spool").iterdir())) == 3 * len(units)
    own = [[item.id for unit in units for _, item in Batch((unit,), "", None, options, (k, 3), False, spool)
            .parsed(unit) if hasattr(item, "body")] for k in range(3)]
    assert sum(map(len, own)) == 700 and all(shard_of(i, 3) == k for k, ids in enumerate(own) for i in ids)


def test_the_cli_takes_a_cluster_for_building_and_querying(tmp_path, reuters_source):
    import gzip
    import itertools
    source = tmp_path / "part.jsonl"
    with gzip.open(reuters_source, "rt", encoding="utf-8") as lines:
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


def _kill_a_busy_worker(cluster, deadline_seconds=60.0):
    """SIGKILL a worker process while it runs a task (the nanny starts a new one)."""
    import os
    import signal
    import time

    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        busy = [w for w, tasks in cluster.client.processing().items() if tasks]
        if busy:
            pids = cluster.client.run(os.getpid, workers=[busy[0]])
            os.kill(pids[busy[0]], signal.SIGKILL)
            return busy[0]
        time.sleep(0.05)
    raise AssertionError("no worker became busy")


def test_a_worker_killed_mid_build_has_its_shard_built_by_another(tmp_path, reuters_source):
    import gzip
    import itertools
    import threading

    from newsearch import index_paths

    source = tmp_path / "part.jsonl"
    with gzip.open(reuters_source, "rt", encoding="utf-8") as lines:
        source.write_text("".join(itertools.islice(lines, 2000)), encoding="utf-8")
    index_paths([source], index=tmp_path / "one", jobs=1)
    running = Cluster("local:2")
    try:
        reports = []
        # index_on_cluster makes its own connection: give it this cluster's scheduler
        running_address = running.client.scheduler.address
        build = threading.Thread(target=lambda: reports.append(
            index_on_cluster([source], index=tmp_path / "archive", shards=2, address=running_address)))
        build.start()
        _kill_a_busy_worker(running)
        build.join(timeout=300)
        assert reports and reports[0].documents == 2000
        with Archive.open(tmp_path / "one") as single, _on(running, tmp_path / "archive") as sharded:
            for text, options in [("oil", {"facets": ("section",)}), ("bank rates", {"match": "any", "page": 3})]:
                assert answer(sharded.search(text, **options)) == answer(single.search(text, **options))
            before = answer(sharded.search("trade", limit=30, facets=("month",)))
            _search_while_killing(running, sharded)
            assert answer(sharded.search("trade", limit=30, facets=("month",))) == before
            assert before == answer(single.search("trade", limit=30, facets=("month",)))
    finally:
        running.close()


def _kill_a_worker(cluster):
    """SIGKILL the first worker process (the nanny starts a new one in its place)."""
    import os
    import signal

    worker = cluster.workers()[0]
    pids = cluster.client.run(os.getpid, workers=[worker])
    os.kill(pids[worker], signal.SIGKILL)
    return worker


def _search_while_killing(cluster, archive):
    """Searches whose shard calls lose a worker midway are sent again to another: every
    answer given while and after a worker dies is whole."""
    import threading
    import time

    killed = threading.Event()
    answers = []

    def search() -> None:
        while not killed.is_set() and len(answers) < 2000:
            answers.append(answer(archive.search("trade", limit=30, facets=("month",))))
        answers.append(answer(archive.search("trade", limit=30, facets=("month",))))

    searching = threading.Thread(target=search)
    searching.start()
    try:
        deadline = time.monotonic() + 60
        while len(answers) < 3 and time.monotonic() < deadline:  # searches are under way
            time.sleep(0.01)
        _kill_a_worker(cluster)
    finally:
        killed.set()
        searching.join(timeout=120)
    assert not searching.is_alive()
    assert len(answers) >= 4 and all(a == answers[0] for a in answers)
