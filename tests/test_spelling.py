""""Did you mean" from the dictionary of printed words built while indexing
(engine/spelling.py): words as articles print them, never stems, without walking
the index's vocabulary; and `*` answered as the match-all query it is."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh.reading import IndexReader, SegmentReader

from newsearch import Archive, index_paths
from newsearch.cli import main
from newsearch.engine.spelling import (
    SPELLING_FILE, WORD, SpellingStore, WordCounts, deletions, edit_distance, printed_words,
)

from helpers import article
from test_lifecycle import write_story


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def _refuse(*_: object, **__: object) -> None:
    raise AssertionError("walked the index vocabulary")


def _refuse_lexicons(monkeypatch: pytest.MonkeyPatch) -> None:
    # The list of languages an index holds (the `language` field's few terms) may be
    # read; the vocabulary of any text or name field may not.
    for reader in (IndexReader, SegmentReader):
        original = reader.lexicon

        def lexicon(self, fieldname, _original=original):
            if fieldname != "language":
                _refuse()
            return _original(self, fieldname)

        monkeypatch.setattr(reader, "lexicon", lexicon)
    monkeypatch.setattr(IndexReader, "corrector", _refuse)
    monkeypatch.setattr(IndexReader, "terms_within", _refuse)


@pytest.fixture()
def wages(tmp_path: Path) -> Path:
    """A few stories whose words are printed in ways a stemmer would change."""
    corpus = tmp_path / "corpus"
    write_story(corpus, "lohn.txt", "Tarifrunde", "Der Lohn steigt. Der Lohn der Arbeiter steigt um drei Prozent.")
    write_story(corpus, "embassies.txt", "Diplomats recalled",
                "Three embassies closed after the protests; the embassies reopen on Monday.")
    write_story(corpus, "more.txt", "Embassies Reopen In Title Case",
                "The embassies reopened and staff returned to the embassies.")
    write_story(corpus, "wheat.txt", "Harvest", "Farmers sold wheat and barley at the market.")
    index = tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    return index


def test_edit_distance_counts_swaps_as_one_edit_and_stops_early() -> None:
    assert edit_distance("embasy", "embassy") == 1
    assert edit_distance("goverment", "government") == 1
    assert edit_distance("recieve", "receive") == 1  # neighbours swapped
    assert edit_distance("loehne", "lohn") == 2
    assert edit_distance("kitten", "sitting") == 3  # beyond the limit of 2
    assert edit_distance("a", "abcdef") == 3


def test_deletions_reach_two_letters() -> None:
    assert deletions("abc") == {"abc", "ab", "ac", "bc"}
    assert {"a", "b", "c"} <= deletions("abc", 2)


def test_word_counts_count_articles_and_keep_the_body_spelling() -> None:
    counts = WordCounts()
    counts.add("Embassy Staff Leave", "", "The embassy said the Embassy would close.")
    counts.add("Embassy", None, "Staff left the embassy.")
    counts.add("Zzyzx Road", None, "")
    table = counts.table()
    assert table["embassy"] == (2, "embassy", 2)  # two articles; the body's spelling, not the headline's
    assert table["staff"][0] == 2
    assert table["zzyzx"] == (1, "Zzyzx", 1)  # only in a headline: its spelling there
    assert "the" in table and all(len(word) >= 3 for word in table)


def test_word_counts_count_each_article_once_whatever_the_spellings_it_prints() -> None:
    counts = WordCounts()
    counts.add("Bank Rates", None, "The Bank said the bank would act.")  # both spellings: one article
    counts.add(None, "Rates held", "BANK shares rose.")  # only in capitals
    counts.add("bank holiday", None, "Closed for the day.")  # only in a headline, in lower case
    counts.add("Varga speaks", None, "The governor Varga spoke; varga is also a surname.")
    table = counts.table()
    assert table["bank"][0] == 3
    assert table["rates"][0] == 2 and table["holiday"][0] == 1
    assert table["varga"][0] == 1 and table["the"][0] == 3


def test_printed_words_are_the_patterns_matches(shared_dir: Path) -> None:
    texts = [
        "x\u00b2y Stra\u00dfe caf\u00e9\u00a0bar snake_case 3rd O'Brien's well-known end.The",
        "abc\u2003def\u202fghi \u0645\u0631\u062d\u0628\u0627 \u65e5\u672c\u8a9e e\u0301cole", "", "  \n ",
    ]
    with gzip.open(shared_dir / "corpus" / "jsonl" / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        texts += [json.loads(line).get("body") or "" for _, line in zip(range(300), fh)]
    for text in texts:
        assert printed_words(text) == set(WORD.findall(text)), text[:80]


def test_a_suggestion_is_a_printed_word_with_its_case(wages: Path) -> None:
    result = invoke("query", "Loehne", "--index", str(wages))
    assert result.exit_code == 0
    assert 'Did you mean: "Lohn"?' in result.output  # as printed; the old vocabulary walk said "lohn"
    stem = invoke("query", "embasies", "--index", str(wages), "--json")
    assert json.loads(stem.output)["suggestion"] == "embassies"  # never the stem "embassi"


def test_suggestions_never_walk_the_vocabulary(wages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _refuse_lexicons(monkeypatch)  # Whoosh's corrector reads the lexicon
    result = invoke("query", "wheet barly", "--index", str(wages), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["suggestion"] == "wheat barley"


def test_words_of_deleted_articles_are_not_offered(wages: Path) -> None:
    with Archive.open(wages) as archive:
        wheat = archive.search("wheat").hits[0].id
        assert archive.search("wheet").suggestion == "wheat"
        archive.delete([wheat])
        assert archive.search("wheet").suggestion is None


def test_an_index_without_the_dictionary_still_suggests(wages: Path) -> None:
    (wages / SPELLING_FILE).unlink()
    with Archive.open(wages) as archive:
        assert archive.search("embasies").suggestion == "embassies"


def test_a_vocabulary_without_the_dictionary_still_suggests(wages: Path) -> None:
    """The shared look-up archives of shards use (suggestions.py), for a shard built
    before the dictionary existed: the nearest indexed term, in its printed form."""
    from newsearch.engine.suggestions import SearcherVocabulary, suggest

    (wages / SPELLING_FILE).unlink()
    with Archive.open(wages) as archive:
        vocabulary = archive._engine.vocabulary()
        assert not vocabulary.has_spelling()
        assert suggest(vocabulary, "wheet") == "wheat"
        assert suggest(vocabulary, "wheat") is None
        assert isinstance(vocabulary, SearcherVocabulary)


def test_the_dictionary_grows_with_updates_and_restarts_with_a_rebuild(wages: Path, tmp_path: Path) -> None:
    with Archive.open(wages) as archive:
        archive.add([article("Ferry", "The hovercraft crossed the strait.")])
        assert archive.search("hovercaft").suggestion == "hovercraft"
    store = SpellingStore(wages, readonly=True)
    assert [c[2] for c in store.candidates("hovercaft")] == ["hovercraft"]
    store.close()
    index_paths([tmp_path / "corpus"], index=wages, jobs=1, rebuild=True)
    with Archive.open(wages) as archive:
        assert archive.search("hovercaft").suggestion is None


def test_star_is_the_match_all_query(wages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = invoke("query", "", "--index", str(wages), "--json", "--facet", "section", "--facet", "year")
    _refuse_lexicons(monkeypatch)  # `*` used to gather every field's vocabulary
    star = invoke("query", "*", "--index", str(wages), "--json", "--facet", "section", "--facet", "year")
    assert star.exit_code == 0, star.output
    expected, found = json.loads(empty.output), json.loads(star.output)
    assert found["total"] == expected["total"] == 4
    assert [h["id"] for h in found["hits"]] == [h["id"] for h in expected["hits"]]
    assert found["facets"] == expected["facets"]
    windowed = invoke("query", "* date:2021", "--index", str(wages), "--json")
    assert json.loads(windowed.output)["total"] == 4
    assert json.loads(invoke("query", "* date:2019", "--index", str(wages), "--json").output)["total"] == 0


def test_packed_words_give_back_the_table_and_survive_pickling() -> None:
    import pickle

    from newsearch.engine.spelling import PackedWords

    table = {"embassy": (3, "embassy", 2), "kyiv": (1, "Kyiv", 1), "élan": (2, "élan", 2)}
    packed = pickle.loads(pickle.dumps(PackedWords(table)))
    assert len(packed) == 3
    assert packed.table() == table
    assert PackedWords().table() == {} and len(PackedWords()) == 0


def test_the_store_breaks_ties_between_spellings_as_merge_tables_does(tmp_path: Path) -> None:
    from newsearch.engine.spelling import PackedWords, merge_tables

    batches = [
        {"nato": (2, "NATO", 2), "kyiv": (1, "Kyiv", 1), "wages": (4, "wages", 3)},
        {"nato": (2, "Nato", 2), "kyiv": (2, "kyiv", 2), "wages": (1, "Wages", 1)},
        {"nato": (1, "nato", 1), "kyiv": (1, "Kyiv", 1)},
    ]
    expected: dict = {}
    for batch in batches:
        merge_tables(expected, batch)
    # By hand: NATO and Nato tie at two articles and "Nato" is the greater string; then
    # "nato" (one article) loses. Kyiv 1 then kyiv 2 -> kyiv 2, then Kyiv 1 loses.
    assert expected == {"nato": (5, "Nato", 2), "kyiv": (4, "kyiv", 2), "wages": (5, "wages", 3)}
    store = SpellingStore(tmp_path)
    for batch in batches:  # one commit per batch: each is folded in by SQL
        store.add(PackedWords(batch))
        store.commit()
    rows = store._db.execute("SELECT word, docs, printed, printed_docs FROM word").fetchall()
    assert {word: (docs, printed, count) for word, docs, printed, count in rows} == expected
    store.close()
