"""The archive-wide statistics kept for repeated searches: used only while no shard committed."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newsearch import Archive
from newsearch.engine.sharded import LocalShards, ShardedIndex
from newsearch.models import Article
from newsearch.shards import ShardMap

from shard_queries import answer, small_archive

ARTICLES = [{"id": f"https://port.example/{k}", "title": f"Dredging notice {k}",
             "body": f"Pilots report the channel depth on day {k}; dredging " + "silt " * (k % 5),
             "date": f"2022-03-{1 + k % 28:02d}", "section": ["port", "weather"][k % 2]} for k in range(30)]


class CountedShards(LocalShards):
    """Local shards that remember which methods were called on them."""

    def __init__(self, paths):
        super().__init__(paths)
        self.called: list[str] = []

    def _call(self, shard, method, args, kwargs):
        self.called.append(method)
        return super()._call(shard, method, args, kwargs)


@pytest.fixture
def archive(tmp_path):
    return small_archive(tmp_path, ARTICLES)[0]


def _open(path, **options):
    shards = CountedShards(ShardMap.load(path).paths(path))
    return Archive(ShardedIndex.open(path, shards=shards, **options)), shards


def test_a_repeated_search_skips_the_statistics_round_and_answers_alike(archive):
    cached, shards = _open(archive)
    with cached:
        first = answer(cached.search("dredging silt", facets=("section",)))
        shards.called.clear()
        again = answer(cached.search("dredging silt", page=2, limit=5))
        assert "evidence_and_stats_at" not in shards.called and "request_stats_at" not in shards.called and shards.called.count("ranked_at") == 3
        assert again == answer(Archive.open(archive).search("dredging silt", page=2, limit=5))
        assert answer(cached.search("dredging silt", facets=("section",))) == first


def test_a_shard_that_committed_makes_the_kept_statistics_be_gathered_again(archive):
    cached, shards = _open(archive)
    with cached:
        before = cached.search("dredging silt")
        cached.add([Article(id="https://port.example/new", title="Dredging ends",
                            body="The dredging of silt ended; silt silt silt.",
                            date=datetime(2022, 4, 1, tzinfo=timezone.utc))])
        shards.called.clear()
        after = cached.search("dredging silt")
        assert shards.called.count("evidence_and_stats_at") == 3
        assert after.total == before.total + 1
        with Archive.open(archive) as fresh:
            assert answer(after) == answer(fresh.search("dredging silt"))


def test_no_statistics_are_kept_when_the_cache_is_off(archive):
    uncached, shards = _open(archive, stats_cache=0)
    with uncached:
        uncached.search("dredging")
        shards.called.clear()
        uncached.search("dredging")
        assert shards.called.count("evidence_and_stats_at") == 3 and "ranked_at" not in shards.called


def test_a_names_search_does_not_take_the_kept_statistics_of_the_same_words_without_names(tmp_path):
    leaders = ARTICLES + [{"id": f"https://port.example/leader-{k}", "title": f"{name} visits the port",
                           "body": f"{name} watched the dredging from the quay.", "date": "2022-03-05"}
                          for k, name in enumerate(["Gaddafi", "Qaddafi", "Qaddafi", "Kadhafi"])]
    path = small_archive(tmp_path, leaders)[0]
    cached, _ = _open(path)
    with cached, Archive.open(path) as fresh:
        plain = cached.search("Gaddafi")
        widened = cached.search("Gaddafi", names=True)
        assert plain.total == 1 and widened.total == 4
        assert answer(widened) == answer(fresh.search("Gaddafi", names=True))
        assert answer(cached.search("Gaddafi", names=True, page=2, limit=2)) == \
            answer(fresh.search("Gaddafi", names=True, page=2, limit=2))
