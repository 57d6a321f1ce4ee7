"""Name keys: other spellings of names found with names=True (analysis/names.py, engine/variants.py)."""
from __future__ import annotations

import re
import sqlite3

import pytest
from click.testing import CliRunner

from newsearch import Archive
from newsearch.analysis.names import name_key
from newsearch.cli import main
from newsearch.models import Article


@pytest.mark.parametrize("family", [
    ["Qaddafi", "Gaddafi", "Kadhafi", "Gadhafi", "Khadafy"],
    ["Mohammed", "Muhammad", "Mohamed"],
    ["Tchaikovsky", "Chaikovsky", "Tschaikowsky"],
    ["Muenchen", "München"],
    ["Hussein", "Husain"],
])
def test_a_transliteration_family_shares_one_key(family: list[str]) -> None:
    keys = {name_key(word) for word in family}
    assert len(keys) == 1 and "" not in keys, {word: name_key(word) for word in family}


@pytest.mark.parametrize("one, other", [
    ("Paris", "Peres"), ("Paris", "Prius"), ("Bank", "Bang"), ("March", "Marsh"), ("Ahmed", "Mohammed"),
])
def test_different_names_keep_different_keys(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


def test_short_words_and_non_letters_get_no_key() -> None:
    assert name_key("Kahn") == "" or len(name_key("Kahn")) >= 4
    assert name_key("G7") == "" and name_key("EU") == ""


def _archive(tmp_path):
    archive = Archive.create(tmp_path / "names")
    archive.add([
        Article(id="q", title="Qaddafi speaks", body="Colonel Qaddafi spoke in Tripoli on Monday."),
        Article(id="g1", title="Gaddafi", body="Muammar Gaddafi met envoys. Gaddafi said little."),
        Article(id="g2", title="Talks", body="Gaddafi and the envoys talked about oil."),
        Article(id="k", title="Regime", body="The Kadhafi regime fell in the end."),
        Article(id="lower", title="Tide", body="A gaddafi tide is not a thing, but this word is lower case."),
        Article(id="other", title="Tripoli", body="Nothing about the colonel here."),
    ])
    return archive


def test_a_name_finds_its_other_spellings_only_when_asked(tmp_path) -> None:
    with _archive(tmp_path) as archive:
        assert {h.id for h in archive.search("Gaddafi").hits} == {"g1", "g2", "lower"}
        assert {h.id for h in archive.search("Gaddafi", names=True).hits} == {"g1", "g2", "lower", "q", "k"}
        assert {h.id for h in archive.search("Kadhafi", names=True).hits} == {"g1", "g2", "lower", "q", "k"}
        # In a phrase the word stays as typed.
        assert {h.id for h in archive.search('"Colonel Gaddafi"', names=True).hits} == set()
        assert {h.id for h in archive.search('"Colonel Qaddafi"', names=True).hits} == {"q"}


def test_a_rarer_spelling_ranks_below_the_typed_one(tmp_path) -> None:
    with _archive(tmp_path) as archive:
        hits = [h.id for h in archive.search("Gaddafi", names=True).hits]
        # g2 and k print the name once in the body alone; one article spells it Kadhafi, three Gaddafi.
        assert hits[0] == "g1" and hits.index("g2") < hits.index("k"), hits


def test_an_index_without_name_keys_searches_as_typed(tmp_path) -> None:
    archive = _archive(tmp_path)
    archive.close()
    db = sqlite3.connect(str(tmp_path / "names" / "spelling.sqlite"))
    db.execute("DROP TABLE namekey")
    db.commit()
    db.close()
    with Archive.open(tmp_path / "names") as archive:
        assert {h.id for h in archive.search("Gaddafi", names=True).hits} == {"g1", "g2", "lower"}


def test_names_on_the_command_line(tmp_path) -> None:
    _archive(tmp_path).close()
    plain = CliRunner().invoke(main, ["query", "Kadhafi", "--index", str(tmp_path / "names"), "--json"])
    widened = CliRunner().invoke(main, ["query", "Kadhafi", "--index", str(tmp_path / "names"), "--json", "--names"])
    assert plain.exit_code == 0 and widened.exit_code == 0, widened.output
    assert '"total": 1' in plain.output.replace(" ", "").replace('"total":1', '"total": 1')
    assert '"total": 5' in widened.output.replace('"total":5', '"total": 5')


def test_reuters_mohammed_finds_the_other_spellings(reuters_built) -> None:
    """Reuters prints the name as Mohammed, Mohammad, Mohamed and Muhammad."""
    with Archive.open(reuters_built.index) as archive:
        plain = archive.search("Mohammed", limit=500, highlight=False)
        widened = archive.search("Mohammed", names=True, limit=500, highlight=False)
        assert widened.total > plain.total
        texts = [" ".join((a.title, a.summary, a.body)) for a in map(archive.get, (h.id for h in widened.hits))]
        assert any(re.search(r"\bMohammad\b", t) and not re.search(r"\bMohammed\b", t) for t in texts)
