"""Stories: near-duplicate grouping, on written fixtures, a real index and the dev set."""
from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from newsearch import Archive, index_paths, stories
from newsearch.cli import main

from helpers import article, utc, write_jsonl

BASE = (
    "The central bank of Ruritania raised its main lending rate by half a point to 7.5 pct on Tuesday, "
    "citing rising import prices and a weaker currency.\n\n"
    "Governor Anna Varga told reporters the board had voted six to three for the increase, the first since "
    "the spring of last year, and that further moves would depend on wage settlements.\n\n"
    "Economists had expected the bank to wait until its next meeting. Shares in Ruritanian lenders fell "
    "1.2 pct in early trading while the currency firmed against the dollar.\n\n"
    "The bank also cut its growth forecast for the year to 1.8 pct from 2.1 pct, saying exports to the "
    "region had slowed more than it had thought in its last report."
)
# A syndicated copy: new boilerplate, a word changed, the last paragraph dropped.
COPY = (
    "Subscribe to our morning briefing for the day's business news.\n\n"
    + BASE.rsplit("\n\n", 1)[0].replace("told reporters", "says")
    + "\n\n(Reporting by a staff writer; Editing by the desk)"
)
# Formulaic: the same wording, other figures (a different day's decision).
FORMULAIC = BASE.replace("7.5 pct", "8.0 pct").replace("six to three", "seven to two").replace(
    "1.2 pct", "0.4 pct").replace("1.8 pct from 2.1 pct", "1.6 pct from 1.8 pct")
OTHER = (
    "Heavy rain flooded the lower town overnight and the river reached its highest level in forty years, "
    "the mayor said, asking residents of the riverside streets to leave their homes until the water falls."
)


def test_a_copy_with_boilerplate_and_a_cut_ending_is_a_copy():
    assert stories.are_copies(stories.sketch(BASE), stories.sketch(COPY)) is not None


def test_the_same_wording_with_other_figures_is_another_story():
    assert stories.are_copies(stories.sketch(BASE), stories.sketch(FORMULAIC)) is None


def test_unrelated_and_empty_bodies_are_not_copies():
    assert stories.are_copies(stories.sketch(BASE), stories.sketch(OTHER)) is None
    assert stories.are_copies(stories.sketch(""), stories.sketch("")) is None


def test_sketch_survives_its_byte_form():
    found = stories.sketch(BASE)
    assert stories.Sketch.from_bytes(found.to_bytes()) == found


def test_grouping_respects_the_publication_window():
    day = datetime(2021, 3, 1, tzinfo=timezone.utc)
    late = datetime(2021, 3, 12, tzinfo=timezone.utc)
    grouped = stories.group([("a", day, BASE), ("b", day, COPY), ("c", late, COPY), ("d", day, FORMULAIC)])
    assert grouped == {"a": "a", "b": "a", "c": "c", "d": "d"}
    assert stories.group([("a", day, BASE), ("c", late, COPY)], window_days=30) == {"a": "a", "c": "a"}


ARTICLES = [
    article("Ruritania raises rates", BASE, url="https://wire.test/1", source="Wire", date=utc(2021, 3, 2)),
    article("Rates up in Ruritania", COPY, url="https://paper.test/1", source="Paper", date=utc(2021, 3, 3)),
    article("Ruritania raises rates again", FORMULAIC, url="https://wire.test/2", source="Wire",
            date=utc(2021, 3, 4)),
    article("River floods lower town", OTHER, url="https://wire.test/3", source="Wire", date=utc(2021, 3, 2)),
]


@pytest.fixture()
def archive(tmp_path):
    path = tmp_path / "index"
    Archive.create(path).add(ARTICLES)
    with Archive.open(path) as opened:
        yield opened


def test_hits_carry_story_and_copies(archive):
    results = archive.search("Ruritania", sort="oldest")
    by_id = {hit.id: hit for hit in results.hits}
    assert results.total == 3 and results.count == "articles"
    assert by_id["https://wire.test/1"].story == by_id["https://paper.test/1"].story == "https://wire.test/1"
    assert by_id["https://wire.test/1"].copies == 2 and by_id["https://wire.test/2"].copies == 1
    assert set(by_id["https://paper.test/1"].copy_sources) == {"Wire", "Paper"}
    shown = archive.get("https://paper.test/1")
    assert (shown.story, shown.copies) == ("https://wire.test/1", 2)
    assert shown.to_dict()["story"] == "https://wire.test/1"


def test_stories_of_many_articles_at_once_are_those_found_one_by_one(archive):
    engine = archive._engine
    ids = [hit.id for hit in archive.search("Ruritania OR River", limit=10).hits] + ["https://nowhere.test/x"]
    one_by_one = {i: (engine.story_of(i), engine.story_members(engine.story_of(i))) for i in ids}
    assert engine.stories_for(ids) == one_by_one
    assert one_by_one["https://paper.test/1"] == ("https://wire.test/1", ["https://wire.test/1", "https://paper.test/1"])
    assert one_by_one["https://nowhere.test/x"] == ("https://nowhere.test/x", ["https://nowhere.test/x"])


def test_collapse_shows_one_hit_per_story(archive):
    results = archive.search("Ruritania", collapse=True, sort="oldest", facets=("source",))
    assert results.count == "stories" and results.total == 2
    assert [hit.id for hit in results.hits] == ["https://wire.test/1", "https://wire.test/2"]
    assert [hit.rank for hit in results.hits] == [1, 2]
    assert {c.value: c.count for c in results.facets["source"]} == {"Wire": 2, "Paper": 1}
    counted = archive.search("Ruritania", count="stories", facets=("source",))
    assert counted.total == 2 and len(counted.hits) == 3
    assert archive.search("Ruritania", collapse=True, count="articles").total == 3


def test_copies_lists_the_story(archive):
    assert [a.id for a in archive.copies("https://paper.test/1")] == ["https://wire.test/1", "https://paper.test/1"]
    assert [a.id for a in archive.copies("https://wire.test/3")] == ["https://wire.test/3"]
    with pytest.raises(KeyError):
        archive.copies("https://nowhere.test/")


def test_a_new_copy_joins_and_deleting_the_first_keeps_the_rest(tmp_path):
    path = tmp_path / "index"
    created = Archive.create(path)
    created.add(ARTICLES[:1])
    created.add([ARTICLES[1]])
    third = article("Ruritania rate rise", COPY + "\n\nMore to follow.", url="https://other.test/1",
                    source="Other", date=utc(2021, 3, 4))
    created.add([third])
    created.delete(["https://wire.test/1"])
    with Archive.open(path) as opened:
        assert [a.id for a in opened.copies("https://other.test/1")] == ["https://paper.test/1",
                                                                          "https://other.test/1"]
        assert opened.search("Ruritania", collapse=True).total == 1
        assert opened.get("https://other.test/1").story == "https://wire.test/1"


def test_an_index_grouped_in_several_commits_keeps_the_window_and_the_figures(tmp_path):
    path = tmp_path / "index"
    created = Archive.create(path)
    created.add(ARTICLES[:1])  # the wire story, 2 March
    late = article("Rates up in Ruritania", COPY, url="https://late.test/1", date=utc(2021, 3, 20))
    created.add([late, ARTICLES[2]])  # a copy 18 days on; the formulaic one with other figures
    created.add([ARTICLES[1]])  # the copy of 3 March, read against the committed grouping
    with Archive.open(path) as opened:
        assert opened.get("https://late.test/1").story == "https://late.test/1"
        assert opened.get("https://wire.test/2").story == "https://wire.test/2"
        assert opened.get("https://paper.test/1").story == "https://wire.test/1"


def test_rebuild_gives_the_same_grouping(tmp_path):
    records = [a.to_dict() for a in ARTICLES] * 1
    source = write_jsonl(tmp_path / "in" / "articles.jsonl", records)
    index = tmp_path / "index"

    def grouping():
        with Archive.open(index) as opened:
            return {i: opened.get(i).story for i in opened.ids()}

    index_paths([source], index=index, jobs=1)
    first = grouping()
    index_paths([source], index=index, rebuild=True, jobs=2)
    assert grouping() == first
    assert first["https://paper.test/1"] == "https://wire.test/1"


def test_cli_collapse_copies_and_export(archive):
    runner = CliRunner()
    index = str(archive.path)
    collapsed = runner.invoke(main, ["query", "Ruritania", "--collapse", "--index", index, "--no-highlight"])
    assert collapsed.exit_code == 0, collapsed.output
    assert collapsed.output.startswith("2 stories")
    assert "2 copies: Wire, Paper" in collapsed.output or "2 copies: Paper, Wire" in collapsed.output
    listed = runner.invoke(main, ["query", "--copies", "https://paper.test/1", "--index", index, "--json"])
    assert [a["id"] for a in json.loads(listed.output)] == ["https://wire.test/1", "https://paper.test/1"]
    exported = runner.invoke(main, ["export", "Ruritania", "--index", index])
    rows = {row["id"]: row for row in map(json.loads, (line for line in exported.output.splitlines()
                                                       if line.startswith("{")))}
    assert (rows["https://paper.test/1"]["story"], rows["https://paper.test/1"]["copies"]) == ("https://wire.test/1", 2)
    assert (rows["https://wire.test/2"]["story"], rows["https://wire.test/2"]["copies"]) == ("https://wire.test/2", 1)
    shown = json.loads(runner.invoke(main, ["show", "https://paper.test/1", "--index", index, "--json"]).output)
    assert (shown["story"], shown["copies"]) == ("https://wire.test/1", 2)
    hits = json.loads(runner.invoke(main, ["query", "Ruritania", "--index", index, "--json"]).output)["hits"]
    assert {h["id"]: (h["story"], h["copies"]) for h in hits} == {
        "https://wire.test/1": ("https://wire.test/1", 2), "https://paper.test/1": ("https://wire.test/1", 2),
        "https://wire.test/2": ("https://wire.test/2", 1)}


def _pairs(assignment):
    groups = defaultdict(list)
    for article_id, story in assignment.items():
        groups[story].append(article_id)
    return {pair for members in groups.values() for pair in itertools.combinations(sorted(members), 2)}


def test_dev_set_pairwise_precision_and_recall(shared_dir):
    folder = shared_dir / "corpus" / "duplicates"
    records = [json.loads(line) for line in (folder / "articles.jsonl").open(encoding="utf-8")]
    gold = {r["id"]: r["story"] for r in map(json.loads, (folder / "gold.jsonl").open(encoding="utf-8"))}
    found = stories.group(
        (r["id"], datetime.fromisoformat(r["date"]).replace(tzinfo=timezone.utc), r["body"]) for r in records
    )
    predicted, truth = _pairs(found), _pairs(gold)
    hits = len(predicted & truth)
    assert hits / len(predicted) >= 0.99
    assert hits / len(truth) >= 0.97


def test_bbc_broadband_collapses_to_one_hit_per_story(shared_dir, tmp_path):
    bbc = shared_dir / "corpus" / "text" / "bbc" / "tech"
    files = [p for p in sorted(bbc.glob("*.txt")) if "broadband" in p.read_bytes().decode("latin-1").lower()]
    index = tmp_path / "index"
    index_paths([str(p) for p in files], index=index, jobs=1)
    with Archive.open(index) as opened:
        results = opened.search("broadband", collapse=True, limit=100, highlight=False)
        titles = [hit.title for hit in results.hits]
        stories_shown = [hit.story for hit in results.hits]
    assert len(set(stories_shown)) == len(stories_shown) == results.total
    # The two reprints of one BBC story (tech/150 and tech/392) are one hit.
    assert sum(t.startswith("Broadband fuels online") for t in titles) == 1
    assert "Broadband fuels online change" in titles or "Broadband fuels online expression" in titles


def test_grouping_before_a_commit_keeps_each_key_holder_through_deletions(tmp_path):
    """Keys held by one uncommitted article, then two, then one again (a deletion):
    a later copy still finds the one left, and the commit files exactly its keys."""
    day = utc(2021, 3, 2)
    with stories.StoryStore(tmp_path) as store:
        first = store.assign("a", day, stories.sketch(BASE))
        assert store.assign("b", day, stories.sketch(COPY).to_bytes()) == first == "a"  # bytes as workers send
        store.forget(["a"])
        assert store.assign("c", day, stories.sketch(BASE)) == "a"  # through b, the story keeps its id
        assert store.assign("d", day, stories.sketch(OTHER)) == "d"
        store.commit()
        filed = {i for _, i, _ in store.filed_keys()}
        assert filed == {"b", "c", "d"}
        lookup = stories.sketch(COPY).mins[:stories.LOOKUP_KEYS]
        held = {v for v, i, _ in store.filed_keys() if i == "b"}
        assert held == set(lookup)


def test_a_committed_article_forgotten_then_committed_leaves_no_member_or_keys(tmp_path):
    """Forgetting stored articles removes their rows at the next commit (the look-up of
    what was stored goes 500 ids at a time, so more than 500 are forgotten here), and a
    later copy of a removed article starts its own story."""
    day = utc(2021, 3, 2)
    fillers = [f"Filler number {n} about the harbour, the ferries and the weather of week {n}." for n in range(600)]
    with stories.StoryStore(tmp_path) as store:
        assert store.assign("wire", day, stories.sketch(BASE)) == "wire"
        for n, text in enumerate(fillers):
            store.assign(f"filler-{n:03d}", day, stories.sketch(text))
        store.commit()
        store.forget(["wire"] + [f"filler-{n:03d}" for n in range(599)])
        store.commit()
        members = {i for (i,) in store._db.execute("SELECT id FROM member")}
        assert members == {"filler-599"}
        assert {i for _, i, _ in store.filed_keys()} == {"filler-599"}
        assert store.assign("paper", day, stories.sketch(COPY)) == "paper"


def test_committed_candidates_outside_the_window_are_not_read(tmp_path, monkeypatch):
    """A committed article sharing keys with a new one but dated outside the window is
    ruled out from its keys' days: its sketch is never loaded, and the grouping is the
    same as when it is (the copy inside the window still joins)."""
    with stories.StoryStore(tmp_path) as store:
        store.assign("march", utc(2021, 3, 2), stories.sketch(BASE))
        store.assign("june", utc(2021, 6, 2), stories.sketch(BASE))
        store.commit()
        read: list[list[str]] = []
        real = store._stored_members
        monkeypatch.setattr(store, "_stored_members", lambda ids: read.append(sorted(ids)) or real(ids))
        assert store.assign("copy", utc(2021, 3, 4), stories.sketch(COPY)) == "march"
        assert read == [["march"]]
        assert store.assign("late", utc(2022, 1, 1), stories.sketch(COPY)) == "late"
        assert read == [["march"]]  # both committed holders are months away


def _store_of_one_wire_story_rewritten(folder, *statements: str) -> None:
    """A store holding the BASE story ("wire", committed), then changed by `statements`
    into the layout of an older store."""
    import sqlite3
    with stories.StoryStore(folder) as store:
        store.assign("wire", utc(2021, 3, 2), stories.sketch(BASE))
        store.commit()
    db = sqlite3.connect(folder / stories.STORE_FILE)
    with db:
        for statement in statements:
            db.execute(statement)
    db.close()


def test_a_store_written_before_keys_had_days_still_groups(tmp_path):
    """Stores from before the posting table had a day column gain it on open; their
    keys (day unknown) still find the copies they should."""
    _store_of_one_wire_story_rewritten(  # the posting table as it was written before
        tmp_path,
        "CREATE TABLE old (value INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (value, id)) WITHOUT ROWID",
        "INSERT INTO old SELECT value, id FROM recent_key",
        "DROP TABLE posting", "DROP TABLE recent_key", "DROP TABLE key_level",
        "ALTER TABLE old RENAME TO posting")
    with stories.StoryStore(tmp_path) as store:
        assert store.assign("paper", utc(2021, 3, 3), stories.sketch(COPY)) == "wire"
        assert store.assign("far", utc(2022, 3, 3), stories.sketch(COPY)) == "far"  # still outside the window
        store.commit()
        days = {i: day for _, i, day in store.filed_keys()}
    assert days["wire"] is None and days["paper"] is not None and days["far"] is not None


def _small_levels(monkeypatch, first: int = 40, growth: int = 2) -> None:
    monkeypatch.setattr(stories, "FIRST_LEVEL_KEYS", first)
    monkeypatch.setattr(stories, "KEY_LEVEL_GROWTH", growth)


def _fillers(start: int, count: int) -> list[tuple[str, str]]:
    return [(f"filler-{n:03d}", f"Filler number {n} about the harbour, the ferries and the weather of week {n}.")
            for n in range(start, start + count)]


def test_keys_move_through_the_levels_and_are_filed_once(tmp_path, monkeypatch):
    """Commits file into level 0; a level past its size moves on (the last into
    `posting`). Every committed key is filed exactly once, wherever it is, and copies
    of articles in any level, `posting` included, still join their stories."""
    _small_levels(monkeypatch)
    day = utc(2021, 3, 2)
    expected: set[tuple[int, str]] = set()
    with stories.StoryStore(tmp_path) as store:
        store.assign("wire", day, stories.sketch(BASE))
        expected |= {(v, "wire") for v in stories.sketch(BASE).mins[:stories.LOOKUP_KEYS]}
        for round_ in range(12):
            for article_id, text in _fillers(round_ * 5, 5):
                store.assign(article_id, day, stories.sketch(text))
                expected |= {(v, article_id) for v in stories.sketch(text).mins[:stories.LOOKUP_KEYS]}
            store.commit()
        last_id, last_text = _fillers(60, 1)[0]  # 16 keys: under level 0's size, they stay there
        store.assign(last_id, day, stories.sketch(last_text))
        expected |= {(v, last_id) for v in stories.sketch(last_text).mins[:stories.LOOKUP_KEYS]}
        store.commit()
        filed = [(v, i) for v, i, _ in store.filed_keys()]
        assert len(filed) == len(set(filed)) and set(filed) == expected
        in_posting = {i for (i,) in store._db.execute("SELECT DISTINCT id FROM posting")}
        level_of = dict(store._db.execute("SELECT id, MIN(level) FROM recent_key GROUP BY id"))
        assert "wire" in in_posting  # the first commit's keys went all the way
        assert level_of[last_id] == 0 and not in_posting & set(level_of)
        assert store.assign("paper", utc(2021, 3, 3), stories.sketch(COPY)) == "wire"


def test_forgetting_removes_keys_from_every_level_and_counts_survive_reopening(tmp_path, monkeypatch):
    _small_levels(monkeypatch)
    day = utc(2021, 3, 2)
    with stories.StoryStore(tmp_path) as store:
        for round_ in range(6):
            for article_id, text in _fillers(round_ * 5, 5):
                store.assign(article_id, day, stories.sketch(text))
            store.commit()
        rows = list(store._level_rows)
        where = dict(store._db.execute("SELECT id, MIN(level) FROM recent_key GROUP BY id"))
        in_posting = {i for (i,) in store._db.execute("SELECT DISTINCT id FROM posting")}
        assert in_posting and len(set(where.values())) >= 1
    gone = [sorted(in_posting)[0]] + sorted(where)[:2]
    with stories.StoryStore(tmp_path) as store:
        assert store._level_rows == rows  # read back from key_level
        store.forget(gone)
        store.commit()
        assert not {i for _, i, _ in store.filed_keys()} & set(gone)
        assert {i for _, i, _ in store.filed_keys()} == {f"filler-{n:03d}" for n in range(30)} - set(gone)


def test_a_store_written_before_key_levels_still_groups(tmp_path):
    """A store whose keys are all in `posting` and that has no level tables gains them
    on open; its keys still find copies, and new keys go to level 0."""
    _store_of_one_wire_story_rewritten(  # as written before: every key in posting, no level tables
        tmp_path, "INSERT INTO posting SELECT value, id, day FROM recent_key",
        "DROP TABLE recent_key", "DROP TABLE key_level")
    with stories.StoryStore(tmp_path) as store:
        assert store.assign("paper", utc(2021, 3, 3), stories.sketch(COPY)) == "wire"
        store.commit()
        assert {i for (i,) in store._db.execute("SELECT DISTINCT id FROM recent_key WHERE level = 0")} == {"paper"}
        assert {i for (i,) in store._db.execute("SELECT DISTINCT id FROM posting")} == {"wire"}


def _key_lookups(store) -> list[str]:
    """The key look-ups the store's connection runs from now on."""
    seen: list[str] = []
    store._db.set_trace_callback(lambda statement: seen.append(statement) if "FROM posting WHERE value IN" in statement
                                 else None)
    return seen


def test_the_key_filter_skips_look_ups_of_keys_never_stored_and_keeps_the_grouping(tmp_path, monkeypatch):
    """A fresh store filters from the start: an article sharing no key with the stored
    ones costs no key look-up, a copy still finds its story, and the stories are those
    found with every key looked up."""
    articles = [(f"filler-{n:03d}", utc(2021, 3, 2), text) for n, (_, text) in enumerate(_fillers(0, 40))]
    articles[10:10] = [("wire", utc(2021, 3, 2), BASE)]
    copies = [("paper", utc(2021, 3, 3), COPY), ("other", utc(2021, 3, 3), OTHER)]

    def grouped(folder, filtering: bool) -> dict[str, str]:
        folder.mkdir()
        with stories.StoryStore(folder) as store:
            if not filtering:
                monkeypatch.setattr(store, "_maybe_stored", lambda keys: keys)
            found = {i: store.assign(i, day, stories.sketch(text)) for i, day, text in articles[:20]}
            store.commit()
            found.update({i: store.assign(i, day, stories.sketch(text)) for i, day, text in articles[20:]})
            store.commit()
            looked_up = _key_lookups(store)
            found.update({i: store.assign(i, day, stories.sketch(text)) for i, day, text in copies})
            if filtering:
                assert len(looked_up) == 1  # the copy's keys only: "other" shares none
            return found

    with_filter, without = grouped(tmp_path / "a", True), grouped(tmp_path / "b", False)
    assert with_filter == without
    assert with_filter["paper"] == "wire" and with_filter["other"] == "other"


def test_the_key_filter_grows_and_holds_every_committed_key(tmp_path, monkeypatch):
    monkeypatch.setattr(stories, "MIN_FILTER_BITS", 256)
    with stories.StoryStore(tmp_path) as store:
        for round_ in range(8):
            for article_id, text in _fillers(round_ * 10, 10):
                store.assign(article_id, utc(2021, 3, 2), stories.sketch(text))
            store.commit()
        assert store._filter is not None and store._filter.bits > 256
        assert all(store._filter.holds(value) for value, _, _ in store.filed_keys())
        assert store._filter.bits <= 2 * stories.FILTER_BITS_PER_KEY * 2 * store._filter.keys


def test_a_reopened_store_filters_after_enough_look_ups(tmp_path, monkeypatch):
    """A store opened with keys in it looks them up in SQLite until FILTER_AFTER articles
    have asked, then builds the filter from its key tables; copies still join."""
    monkeypatch.setattr(stories, "FILTER_AFTER", 3)
    with stories.StoryStore(tmp_path) as store:
        store.assign("wire", utc(2021, 3, 2), stories.sketch(BASE))
        for article_id, text in _fillers(0, 5):
            store.assign(article_id, utc(2021, 3, 2), stories.sketch(text))
        store.commit()
    with stories.StoryStore(tmp_path) as store:
        assert store._filter is None
        for article_id, text in _fillers(5, 2):
            store.assign(article_id, utc(2021, 3, 2), stories.sketch(text))
        assert store._filter is None
        assert store.assign("paper", utc(2021, 3, 3), stories.sketch(COPY)) == "wire"  # the third: built now
        assert store._filter is not None
        assert all(store._filter.holds(value) for value, _, _ in store.filed_keys())
        assert store.assign("agency", utc(2021, 3, 3), stories.sketch(COPY)) == "wire"


class _CountingConnection:
    """A store's connection that counts the key rows its look-ups return."""

    def __init__(self, db) -> None:
        self._db, self.rows = db, 0

    def execute(self, sql, *args):
        rows = self._db.execute(sql, *args).fetchall()
        if "FROM posting WHERE value IN" in sql:
            self.rows += len(rows)
        return iter(rows)

    def __getattr__(self, name):
        return getattr(self._db, name)


def test_keys_held_by_too_many_stored_articles_are_read_once(tmp_path, monkeypatch):
    """A key more than MAX_POSTING committed articles hold never counts; once a look-up
    finds it so, later look-ups skip it (some generated keys are held by thousands),
    with the same stories, until a commit removes committed articles."""
    monkeypatch.setattr(stories, "MAX_POSTING", 3)
    stock = -(1 << 62)

    def sketch(*mins: int) -> stories.Sketch:
        return stories.Sketch(100, tuple(sorted(mins)), ())

    day = utc(2021, 3, 2)
    with stories.StoryStore(tmp_path) as store:
        for n in range(5):
            store.assign(f"held-{n}", day, sketch(stock, 1000 + n))
        store.commit()
        counting = store._db = _CountingConnection(store._db)
        assert store.assign("first", day, sketch(stock, 2000)) == "first"
        assert stock in store._stock and counting.rows == 5
        assert store.assign("second", day, sketch(stock, 1001)) == "held-1"  # through its other key
        assert counting.rows == 6  # held-1's row for 1001; the stock key was not read again
        store._db = counting._db
        store.forget(["held-0", "held-1", "held-2", "held-3", "first"])
        store.commit()
        assert not store._stock  # two holders left (held-4, second): the key counts again
        store.assign("third", day, sketch(stock, 3000))
        assert stock not in store._stock


def test_sketch_keeps_the_smallest_shingles_of_long_and_short_bodies():
    """The sketch's minima are the smallest shingle hashes whether they are picked by
    sorting (short bodies) or by numpy's partition (long ones), negatives included."""
    import random
    import zlib as _zlib

    from newsearch.stories import SHINGLE_WORDS, SKETCH_SIZE, _WORD, sketch

    rng = random.Random(7)
    vocabulary = ["w%d" % i for i in range(3000)]
    for words in (5, 40, 60, 140, 700):
        body = " ".join(rng.choice(vocabulary) for _ in range(words))
        hashes = list(map(_zlib.crc32, _WORD.findall(body.lower().encode())))
        shingles = {hash(t) for t in zip(*(hashes[i:] for i in range(SHINGLE_WORDS)))}
        expected = sorted(shingles)[:SKETCH_SIZE]
        found = sketch(body)
        assert list(found.mins) == expected
        assert found.size == len(shingles)
        assert any(h < 0 for h in shingles) or words < 60


def test_shingles_hashed_in_numpy_are_the_hashes_of_their_tuples(shared_dir, monkeypatch) -> None:
    """Sketches hash runs of words with CPython's tuple hash done in numpy; stored
    sketches must be the ones hash() gives, in this and every other process."""
    assert stories._TUPLE_HASH_IN_NUMPY  # else the numpy path is never taken here
    words = [0, 5, 2**32 - 1, 77, 2**31, 9, 123456]
    assert stories._shingle_hashes(stories.np.array(words, dtype=stories.np.uint64)).tolist() == [
        hash(tuple(words[i:i + 4])) for i in range(len(words) - 3)]
    lines = (shared_dir / "corpus" / "duplicates" / "articles.jsonl").read_text().splitlines()
    bodies = [json.loads(line)["body"] for line in lines[:300]] + ["", "one two", "six six six six six"]
    fast = [stories.sketch(body) for body in bodies]
    monkeypatch.setattr(stories, "_TUPLE_HASH_IN_NUMPY", False)
    assert fast == [stories.sketch(body) for body in bodies]
    assert sum(1 for s in fast if len(s.mins) == stories.SKETCH_SIZE) > 100
