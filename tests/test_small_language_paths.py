"""A small language's reading reads only its own articles' postings, and term look-ups
are remembered within a search: both give exactly the answers of the plain path."""
from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh.reading import TermNotFound

from newsearch import Archive
from newsearch.engine import query as engine_query
from newsearch.engine import readings, terms
from newsearch.engine.term_arrays import in_set
from newsearch.models import Article

WORDS = "army navy treaty border trade union veto wheat harbour senate".split()
QUERIES = ["army", "navy treaty", '"trade union"', "veto OR wheat", "army -navy", "harbour senate",
           "title:army", "border", '"army navy"', "wheat harbour treaty"]


def _articles() -> list[Article]:
    """Many English articles and a few German ones printing the same words, so that
    every query is read in both languages and the German articles are under an eighth
    of each segment."""
    rng = random.Random(5)
    found = []
    for n in range(900):
        german = n % 60 == 7
        body = " ".join(rng.choices(WORDS, k=rng.randint(5, 60)))
        if german:
            body += " und die Regierung sagte am Montag, dass der Vertrag nicht gilt."
        found.append(Article(id=f"a{n:04d}", title=" ".join(rng.choices(WORDS, k=3)), body=body,
                             section=rng.choice(["World", "Business"]), language="de" if german else "en"))
    return found


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory):
    path = tmp_path_factory.mktemp("small-language") / "ix"
    articles = _articles()
    with Archive.create(path) as archive:
        for start in range(0, len(articles), 300):  # three segments
            archive.add(articles[start:start + 300])
        archive.delete(["a0007", "a0100"])  # one German and one English article gone
    return path


def _answers(path, monkeypatch, *, plain: bool) -> list[tuple]:
    with monkeypatch.context() as patched:
        if plain:
            patched.setattr(readings, "WITHIN_SHARE", 0.0)
            patched.setattr(engine_query, "WITHIN_SHARE", 0.0)
            patched.setattr(engine_query, "remember_terms", lambda reader: None)
        with Archive.open(path) as archive:
            found = []
            for text in QUERIES:
                for page in (1, 2):
                    result = archive.search(text, facets=("section", "language"), limit=10, page=page,
                                            highlight=False)
                    found.append((text, page, result.total, [(h.id, h.score) for h in result.hits],
                                  {name: [(f.value, f.count) for f in counts] for name, counts in result.facets.items()}))
            return found


def test_a_small_languages_reading_is_kept_to_its_articles_with_the_same_answers(mixed_index, monkeypatch):
    made = []

    class Counted(readings.Within):
        def __new__(cls, ids):
            made.append(len(ids))
            return super().__new__(cls, ids)

    with monkeypatch.context() as patched:
        patched.setattr(readings, "Within", Counted)
        fast = _answers(mixed_index, monkeypatch, plain=False)
    assert made, "the German reading was never kept to the German articles"
    assert max(made) <= 300 * readings.WITHIN_SHARE
    plain = _answers(mixed_index, monkeypatch, plain=True)
    assert fast == plain
    # the German articles are really found (the two readings are both at work)
    languages = {value for _, _, _, _, facets in fast for value, _ in facets["language"]}
    assert languages == {"en", "de"}
    assert any(hit_id in {f"a{n:04d}" for n in range(7, 900, 60)} for _, _, _, hits, _ in fast for hit_id, _ in hits)


def test_a_segment_without_the_language_reads_nothing_for_it(tmp_path):
    with Archive.create(tmp_path / "ix") as archive:
        archive.add([Article(id="e1", title="Army", body="army navy", language="en"),
                     Article(id="e2", title="Navy", body="navy treaty", language="en")])
        archive.add([Article(id="d1", title="Armee", body="army Armee und Marine", language="de"),
                     Article(id="e3", title="Treaty", body="treaty army", language="en")])
        result = archive.search("army", limit=10, highlight=False)
        assert {h.id for h in result.hits} == {"e1", "d1", "e3"}
        assert result.total == 3


@pytest.mark.parametrize("wanted", [True, False])
def test_filtering_by_a_set_equals_testing_every_match(wanted):
    rng = random.Random(3)
    for _ in range(200):
        ids = sorted(rng.sample(range(5000), rng.randint(0, 400)))
        scores = [rng.random() for _ in ids]
        held = set(rng.sample(range(5000), rng.randint(0, 30)) + rng.sample(ids, min(len(ids), rng.randint(0, 5))))
        expected = [(d, s) for d, s in zip(ids, scores) if (d in held) is wanted]
        keep = in_set(np.array(ids, dtype=np.int64), held) == wanted
        got = zip(np.array(ids, dtype=np.int64)[keep].tolist(), np.array(scores)[keep].tolist())
        assert list(got) == expected


def test_term_lookups_are_made_once_per_search_and_answer_as_whoosh(mixed_index):
    with Archive.open(mixed_index) as archive:
        searcher = archive._engine._current_searcher()
        leaf = searcher.reader().leaf_readers()[0][0]
        table = leaf._terms
        assert type(table).__name__ == "_RememberingTermsReader"
        asked = []
        real = table._tindex.range_for_key
        table._tindex.range_for_key = lambda key: asked.append(key) or real(key)
        terms.new_search()
        for _ in range(3):
            assert ("body", b"wheat") in table
            assert table.doc_frequency("body", b"wheat") == leaf.doc_frequency("body", "wheat") > 0
            assert table.term_info("body", b"wheat").doc_frequency() == leaf.doc_frequency("body", "wheat")
            assert ("body", b"nowhere") not in table
            with pytest.raises(TermNotFound):
                table.term_info("body", b"nowhere")
        assert len(asked) == 2  # one look-up for each key in the search
        terms.new_search()
        assert table.doc_frequency("body", b"wheat") > 0
        assert len(asked) == 3  # a new search asks the table again
