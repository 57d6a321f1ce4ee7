"""Archives of shards: the shard map, the build, and exactly the answers of one index.

Small written fixtures check each rule (ties, statistics, stories, suggestions,
similar articles); the real Reuters corpus, as one index and as 4 shards, checks
the 200 searches of tests/shard_queries.py (benchmarks/cluster.py also on a cluster).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from newsearch import Archive, index_paths
from newsearch.cli import main
from newsearch.engine.sharded import LocalShards, ShardedIndex
from newsearch.errors import IndexCorrupt, NewsearchError
from newsearch.ingest.sharded import index_archive
from newsearch.shards import SHARD_MAP_FILE, ShardMap, is_archive, shard_of

from shard_queries import answer, queries

# -- the shard map ----------------------------------------------------------------


def test_an_articles_shard_is_the_same_in_every_process_and_spreads_evenly():
    ids = [f"https://news.example/{k}" for k in range(2000)]
    here = [shard_of(i, 4) for i in ids[:50]]
    script = ("import sys; from newsearch.shards import shard_of; "
              "print([shard_of(f'https://news.example/{k}', 4) for k in range(50)])")
    for seed in ("1", "2"):  # str hashes differ between these processes; shards must not
        other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                               env={"PYTHONHASHSEED": seed, "PATH": ""})
        assert json.loads(other.stdout) == here
    counts = [sum(1 for i in ids if shard_of(i, 4) == k) for k in range(4)]
    assert all(400 < c < 600 for c in counts), counts


def test_the_shard_map_round_trips_and_a_damaged_one_is_named(tmp_path):
    ShardMap.of(3).save(tmp_path)
    assert ShardMap.load(tmp_path).folders == ("shard-000", "shard-001", "shard-002")
    assert is_archive(tmp_path)
    (tmp_path / SHARD_MAP_FILE).write_text('{"format": 1, "shards": ["../elsewhere"]}')
    with pytest.raises(IndexCorrupt, match="shards.json"):
        ShardMap.load(tmp_path)
    with pytest.raises(NewsearchError, match="from 1 to"):
        ShardMap.of(0)


# -- written fixtures ---------------------------------------------------------------

BODY = ("The central bank raised interest rates on Tuesday as inflation climbed, and the finance "
        "minister said the government would cut spending to calm the bond market.")


def _articles() -> list[dict]:
    records = []
    # Equal scores: the same text under ten ids, so only the id can order them.
    for k in range(10):
        records.append({"id": f"tie-{9 - k:02d}", "title": "Harbour dredging contract", "body":
                        "The port authority signed a dredging contract for the harbour channel.",
                        "date": f"2021-03-{k + 1:02d}", "section": "business", "source": "Gazette"})
    # Copies of one story under other ids (grouped as one story), a week apart at most.
    for k, source in enumerate(["Wire", "Herald", "Courier", "Post"]):
        records.append({"id": f"copy-{source}", "title": f"Rates rise ({source})", "body": BODY,
                        "date": f"2021-04-0{k + 1}", "section": "economy", "source": source})
    words = ["volcano", "harvest", "election", "football", "satellite", "orchestra", "glacier", "refinery"]
    for k in range(60):
        a, b = words[k % len(words)], words[(k * 3 + 1) % len(words)]
        records.append({"id": f"story-{k:03d}", "title": f"{a.title()} and {b} news",
                        "body": f"A report on the {a}. " * (1 + k % 4) + f"Later the {b} was discussed. "
                                + ("The committee met again. " * (k % 5)),
                        "date": f"2021-{1 + k % 12:02d}-{1 + k % 27:02d}", "section": ["world", "World", "science"][k % 3],
                        "author": ["Ann Lee", "Bo Chan", ""][k % 3], "source": "Gazette"})
    return records


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shards")
    source = folder / "news.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in _articles()), encoding="utf-8")
    one = index_paths([source], index=folder / "one", jobs=1)
    three = index_archive([source], index=folder / "three", shards=3, jobs=1)
    assert one.ok and three.ok and one.documents == three.documents == len(_articles())
    with Archive.open(folder / "one") as single, Archive.open(folder / "three") as sharded:
        yield single, sharded, source


def test_every_shard_is_an_ordinary_index_holding_the_articles_its_ids_hash_to(pair):
    _, sharded, _ = pair
    assert isinstance(sharded._engine, ShardedIndex)
    for k, folder in enumerate(ShardMap.load(sharded.path).paths(sharded.path)):
        with Archive.open(folder) as shard:
            ids = set(shard.ids())
        assert ids and all(shard_of(i, 3) == k for i in ids)
    assert sorted(sharded.ids()) == sorted(r["id"] for r in _articles())


def test_equal_scores_are_ordered_by_article_id_in_one_index_and_in_shards(pair):
    single, sharded, _ = pair
    expected = [f"tie-{k:02d}" for k in range(10)]
    for archive in (single, sharded):
        results = archive.search("dredging", limit=10)
        assert [h.id for h in results.hits] == expected
        assert len({h.score for h in results.hits}) == 1
        page = archive.search("dredging", limit=3, page=2)
        assert [h.id for h in page.hits] == expected[3:6]
        oldest = archive.search("dredging", sort="oldest", limit=3)
        assert [h.id for h in oldest.hits] == ["tie-09", "tie-08", "tie-07"]  # 1, 2, 3 March


def test_a_shard_alone_scores_otherwise_so_archive_statistics_are_used(pair):
    single, sharded, _ = pair
    engine = sharded._engine
    request = single._request("volcano report", None, None, None, None, None, None, None, (), "relevance", "all",
                              10, 1, False, False)
    alone = engine._shards.each("ranked", request, None, wanted=100)
    decided, stats, _ = engine._gathered(request)
    combined = engine._shards.each("ranked", decided, stats, wanted=100)
    expected = {h.id: h.score for h in single.search("volcano report", limit=100).hits}
    own = {key[1]: round(score, 4) for part in alone for key, _, score in part.top}
    shared = {key[1]: round(score, 4) for part in combined for key, _, score in part.top}
    assert shared == expected
    assert own != expected  # each shard's own counts give other scores


@pytest.mark.parametrize("text, options", [
    ("news", {"facets": ("section", "author", "month", "year", "source")}),
    ("volcano OR glacier", {"sort": "newest", "limit": 7, "page": 2}),
    ('"interest rates"', {"collapse": True, "facets": ("source",)}),
    ("rates", {"count": "stories", "facets": ("source", "section")}),
    ("", {"since": "2021-03", "until": "2021-06", "facets": ("month",), "limit": 30}),
    ("section:world", {"facets": ("section",)}),
    ("refin*", {}),
    ("volcanoe", {}),  # a suggestion
    ("volcano report", {"feedback": True, "match": "any", "limit": 20}),
    ("harvest", {"feedback": True, "sort": "relevance", "limit": 30}),
    ("harvest", {"section": "World", "facets": ("section", "author")}),
])
def test_the_archive_answers_as_one_index(pair, text, options):
    single, sharded, _ = pair
    assert answer(sharded.search(text, **options)) == answer(single.search(text, **options))


def test_stories_span_shards_as_in_one_index(pair):
    single, sharded, _ = pair
    copies = [f"copy-{s}" for s in ("Wire", "Herald", "Courier", "Post")]
    assert len({shard_of(i, 3) for i in copies}) > 1  # the copies really lie in several shards
    for archive in (single, sharded):
        collapsed = archive.search('"interest rates"', collapse=True)
        assert collapsed.total == 1 and collapsed.hits[0].copies == 4
        assert [a.id for a in archive.copies("copy-Post")] == copies


def test_similar_terms_timeline_sample_and_export_match(pair):
    single, sharded, _ = pair
    for article_id in ("story-001", "copy-Wire", "tie-03"):
        assert answer(sharded.similar(article_id)) == answer(single.similar(article_id))
    assert sharded.terms("report", min_articles=2) == single.terms("report", min_articles=2)
    assert sharded.timeline(["volcano", "harvest"], by="month") == single.timeline(["volcano", "harvest"], by="month")
    assert [h.id for h in sharded.sample("news", size=5, seed=3).hits] == \
        [h.id for h in single.sample("news", size=5, seed=3).hits]
    assert [h.id for h in sharded.iter_results("news", sort="oldest")] == \
        [h.id for h in single.iter_results("news", sort="oldest")]
    assert sharded.stats().sections == single.stats().sections
    assert sharded.get("copy-Post") == single.get("copy-Post")


def test_indexing_again_updates_each_shard_in_place(pair, tmp_path):
    _, _, source = pair
    archive = tmp_path / "archive"
    first = index_archive([source], index=archive, shards=2, jobs=1)
    again = index_archive([source], index=archive, jobs=1)
    assert first.counts["new"] == len(_articles()) and again.counts["unchanged"] == len(_articles())
    assert again.documents == len(_articles()) and not again.changed
    with pytest.raises(NewsearchError, match="holds 2 shards, not 3"):
        index_archive([source], index=archive, shards=3, jobs=1)
    single = tmp_path / "single"
    index_paths([source], index=single, jobs=1)
    with pytest.raises(NewsearchError, match="already holds an index"):
        index_archive([source], index=single, shards=2, jobs=1)


def test_the_cli_builds_shards_and_queries_them_like_one_index(pair, tmp_path):
    single, _, source = pair
    runner = CliRunner()
    built = runner.invoke(main, ["index", str(source), "--index", str(tmp_path / "a"), "--shards", "2", "-j", "1",
                                 "--json"])
    assert built.exit_code == 0, built.output
    assert json.loads(built.output)["documents"] == len(_articles())
    sharded = runner.invoke(main, ["query", "news", "--facet", "section", "--index", str(tmp_path / "a"), "--json"])
    one = runner.invoke(main, ["query", "news", "--facet", "section", "--index", str(single.path), "--json"])
    assert sharded.exit_code == 0 and json.loads(sharded.output) == json.loads(one.output)


# -- the real corpus ------------------------------------------------------------------


def test_reuters_as_four_shards_answers_as_one_index(reuters_built, reuters_sharded):
    with Archive.open(reuters_built.index) as single, Archive.open(reuters_sharded) as sharded:
        # All 200: three of them ("wheat sales" with match="any", a title clause) were read in
        # a language by some shards only until the languages were chosen from all shards' counts.
        for text, options in queries():
            assert answer(sharded.search(text, **options)) == answer(single.search(text, **options)), (text, options)
        request = single._request("oil prices", None, None, None, None, None, None, None, (), "relevance", "any",
                                  10, 1, False, False)
        one, many = single._engine.matches(request), sharded._engine.matches(request)
        assert [m.id for m in one] == [m.id for m in many] and len(one) > 1000
        assert all(abs(a.score - b.score) <= 1e-9 * abs(a.score) for a, b in zip(one, many))


def test_names_are_widened_to_the_spellings_of_every_shard_as_in_one_index(reuters_built, reuters_sharded):
    # Each shard alone knows only the spellings it holds, weighed by its own counts.
    names = ["Qaddafi", "Gadhafi", "Mohammed", "Muhammad", "Khomeini", "Gorbachev", "Yeltsin", "Mubarak",
             "Hussein", "Rafsanjani", "Shevardnadze", "Tchaikovsky"]
    widened = 0
    with Archive.open(reuters_built.index) as single, Archive.open(reuters_sharded) as sharded:
        for name in names:
            one = single.search(name, names=True, facets=("section",))
            widened += one.total > single.search(name).total
            assert answer(sharded.search(name, names=True, facets=("section",))) == answer(one), name
            # The next page comes with the reading and statistics kept from the first.
            assert answer(sharded.search(name, names=True, page=2, limit=5)) == \
                answer(single.search(name, names=True, page=2, limit=5)), name
    assert widened >= 3  # the list does hold names printed in several spellings


class _CountedShards(LocalShards):
    """Local shards that remember which shard was asked what."""

    def __init__(self, paths):
        super().__init__(paths)
        self.called: list[tuple[int, str]] = []

    def _call(self, shard, method, args, kwargs):
        self.called.append((shard, method))
        return super()._call(shard, method, args, kwargs)


def test_statistics_come_with_the_language_counts_and_only_disagreeing_shards_are_asked_again(
        reuters_built, reuters_sharded):
    shards = _CountedShards(ShardMap.load(reuters_sharded).paths(reuters_sharded))
    with Archive(ShardedIndex.open(reuters_sharded, shards=shards, stats_cache=0)) as sharded, \
            Archive.open(reuters_built.index) as single:
        sharded.search("oil prices", facets=("section",))
        asked = [method for _, method in shards.called]
        assert asked.count("evidence_and_stats_at") == 4 and "request_stats_at" not in asked
        assert "language_evidence" not in asked  # no round of its own any more
        # "wheat sales": the few articles detected in another language that print these
        # words fall into some shards only, which alone would read the words otherwise.
        shards.called.clear()
        results = sharded.search("wheat sales", match="any")
        again = {shard for shard, method in shards.called if method == "request_stats_at"}
        assert 0 < len(again) < 4
        assert answer(results) == answer(single.search("wheat sales", match="any"))


def test_articles_added_through_the_archive_go_to_their_shards_and_group_as_in_one_index(pair, tmp_path):
    from helpers import article, utc

    single_path, sharded_path = tmp_path / "one", tmp_path / "many"
    index_paths([pair[2]], index=single_path, jobs=1)
    index_archive([pair[2]], index=sharded_path, shards=3, jobs=1)
    added = [article(f"Rates rise again ({k})", BODY + " Markets fell.", id=f"late-{k}", date=utc(2021, 4, 5),
                     source=f"Paper {k}") for k in range(5)]
    with Archive.open(single_path) as single, Archive.open(sharded_path) as sharded:
        assert single.add(added) == sharded.add(added) == 5
        assert len({shard_of(a.id, 3) for a in added}) > 1
        assert answer(sharded.search('"interest rates"', collapse=True)) == \
            answer(single.search('"interest rates"', collapse=True))
        assert sharded.search('"interest rates"', collapse=True).hits[0].copies == 9
        assert sharded.delete(["late-0", "late-3", "copy-Wire"]) == single.delete(["late-0", "late-3", "copy-Wire"]) == 3
        assert answer(sharded.search("rates", limit=20)) == answer(single.search("rates", limit=20))
        assert sharded.copies("late-1") and [a.id for a in sharded.copies("late-1")] == \
            [a.id for a in single.copies("late-1")]


def test_a_declared_archive_is_rebuilt_checked_and_pruned_shard_by_shard(tmp_path):
    from newsearch import check, rebuild

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = _articles()
    (corpus / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[:40]), encoding="utf-8")
    (corpus / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[40:]), encoding="utf-8")
    indexes = tmp_path / "indexes"
    indexes.mkdir()
    (indexes / "news.toml").write_text('shards = 3\n[sources]\npaths = ["corpus"]\n', encoding="utf-8")
    first = rebuild("news", indexes_dir=indexes, jobs=1)
    assert first.ok and first.documents == len(records) and is_archive(indexes / "news")
    assert ShardMap.load(indexes / "news").count == 3
    assert check("news", indexes_dir=indexes).fresh
    (corpus / "b.jsonl").unlink()
    stale = check("news", indexes_dir=indexes)
    assert not stale.fresh and stale.removed == [str((corpus / "b.jsonl").resolve())]
    second = rebuild("news", indexes_dir=indexes, jobs=1)
    assert second.files_removed == 1 and second.documents == 40
    assert check("news", indexes_dir=indexes).fresh and check(index=indexes / "news").fresh
    with Archive.open(indexes / "news") as archive:
        assert sorted(archive.ids()) == sorted(r["id"] for r in records[:40])
