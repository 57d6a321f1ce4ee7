"""Ranking: BM25F field combination, the RSJ idf and RM3 feedback on a tiny real index."""
from __future__ import annotations

import math

import pytest
from whoosh import fields, index
from whoosh import query as wq
from whoosh.qparser import MultifieldParser, OrGroup

from newsearch.engine.analyzers import text_analyzer
from newsearch.engine.ranking import (
    K1,
    FieldsTerm,
    NewsBM25,
    add_proximity,
    combine_fields,
    expand_query,
    feedback_terms,
    make_weighting,
    rsj_idf,
)

DOCS = [
    ("both", "Volcano erupts", "The volcano sent ash over the island."),
    ("body-twice", "Island news", "A volcano and another volcano were seen from the island."),
    ("body-once", "Weather report", "Clouds, rain and a distant volcano on the horizon."),
    ("lava-1", "Lava flows reach the coast", "Lava and magma flowed; the volcano crater glowed."),
    ("lava-2", "Magma chamber studied", "Scientists measured magma and lava temperatures near the crater."),
    ("lava-3", "Crater lake", "The crater filled with water after lava cooled into basalt magma rock."),
    ("crater-only", "Crater rim survey", "Geologists walked the crater rim and sampled magma vents."),
    ("west-germany", "Talks", "Troops in West Germany and talks in the east of the country."),
    ("west-apart", "Talks", "Troops in the west of the country; talks in Germany and the east."),
    ("budget", "Budget vote", "Parliament passed the budget after a long debate."),
    ("budget-2", "Tax plans", "The finance minister defended the tax plans in parliament."),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    analyzer = text_analyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        body=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        section=fields.TEXT(stored=True),
    )
    ix = index.create_in(str(tmp_path_factory.mktemp("ranking-ix")), schema)
    with ix.writer() as writer:
        for key, title, body in DOCS:
            writer.add_document(id=key, title=title, body=body, section="science")
    return ix


def ranked(searcher, query, limit=None):
    return [hit["id"] for hit in searcher.search(query, limit=limit)]


def test_rsj_idf_falls_with_document_frequency_and_stays_positive():
    assert rsj_idf(1, 1000) > rsj_idf(10, 1000) > rsj_idf(500, 1000) > rsj_idf(1000, 1000) > 0
    assert rsj_idf(1000, 1000) == pytest.approx(math.log(1 + 0.5 / 1000.5))


def test_fields_term_score_is_bm25_of_the_weighted_frequency_sum(ix):
    # b = 0 switches length normalisation off, so the expected score needs no lengths.
    term = FieldsTerm("volcano", {"title": 2.0, "body": 1.0}, b=0.0, field_b={})
    with ix.searcher() as searcher:
        scores = {hit["id"]: hit.score for hit in searcher.search(term, limit=None)}
    df, n = 4, len(DOCS)  # "volcano" is in the body of 4 of the 8 documents
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))

    def expected(tf):
        return idf * tf * (K1 + 1) / (tf + K1)

    assert scores["both"] == pytest.approx(expected(2.0 * 1 + 1.0 * 1))
    assert scores["body-twice"] == pytest.approx(expected(2.0))
    assert scores["body-once"] == pytest.approx(expected(1.0))
    assert set(scores) == {"both", "body-twice", "body-once", "lava-1"}


def test_title_and_body_saturate_together(ix):
    with ix.searcher() as searcher:
        combined = {h["id"]: h.score for h in searcher.search(
            FieldsTerm("volcano", {"title": 2.0, "body": 1.0}, b=0.0, field_b={}), limit=None)}
        body_only = {h["id"]: h.score for h in searcher.search(
            FieldsTerm("volcano", {"body": 1.0}, b=0.0, field_b={}), limit=None)}
    # A headline mention adds to the body mention but far less than doubling it.
    assert body_only["both"] < combined["both"] < 2 * body_only["both"]


def test_combine_fields_groups_one_word_across_text_fields(ix):
    parser = MultifieldParser(["title", "body", "section"], ix.schema, group=OrGroup,
                              fieldboosts={"title": 2.0, "body": 1.0, "section": 0.5})
    query = combine_fields(parser.parse('volcano "crater lake" science'))
    leaves = list(query.leaves()) if hasattr(query, "leaves") else [query]
    grouped = [q for q in leaves if isinstance(q, FieldsTerm)]
    assert sorted((q.text, q.weights) for q in grouped) == [
        ("scienc", {"title": 2.0, "body": 1.0}),
        ("volcano", {"title": 2.0, "body": 1.0}),
    ]
    assert any(isinstance(q, wq.Phrase) for q in query.subqueries) or any(
        isinstance(q, wq.Or) and any(isinstance(s, wq.Phrase) for s in q.subqueries)
        for q in query.subqueries
    )
    # Non-text fields keep their own term, and every field's term is still reported.
    assert ("section", "science") in set(query.iter_all_terms())
    assert {("title", "volcano"), ("body", "volcano")} <= set(query.iter_all_terms())


def test_combine_fields_keeps_all_words_required(ix):
    parser = MultifieldParser(["title", "body"], ix.schema)  # AND of words
    query = combine_fields(parser.parse("volcano island"))
    with ix.searcher(weighting=make_weighting()) as searcher:
        assert set(ranked(searcher, query)) == {"both", "body-twice"}


def test_weighting_prefers_the_rarer_word(ix):
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
    with ix.searcher(weighting=make_weighting()) as searcher:
        assert isinstance(searcher.weighting, NewsBM25)
        # "volcano" is in half the documents, "ash" in one: the ash article wins
        # although "volcano" appears more often elsewhere.
        order = ranked(searcher, combine_fields(parser.parse("volcano ash")))
    assert order[0] == "both"


def test_feedback_terms_come_from_the_top_documents(ix):
    with ix.searcher(weighting=make_weighting()) as searcher:
        top = [(h.docnum, h.score) for h in searcher.search(FieldsTerm("lava", {"title": 2, "body": 1}), limit=3)]
        weights = feedback_terms(searcher, top, terms=5)
    assert sum(weights.values()) == pytest.approx(1.0)
    assert {"magma", "crater"} <= set(weights)
    assert "budget" not in weights and "parliament" not in weights


def test_expand_query_broadens_or_only_reorders(ix):
    original = FieldsTerm("lava", {"title": 2, "body": 1})
    with ix.searcher(weighting=make_weighting()) as searcher:
        plain = set(ranked(searcher, original))
        narrow = expand_query(searcher, original, docs=3, terms=5, broaden=False)
        broad = expand_query(searcher, original, docs=3, terms=5, broaden=True)
        assert set(ranked(searcher, narrow)) == plain
        found = set(ranked(searcher, broad))
    assert plain < found and "crater-only" in found  # on the subject, without the word "lava"
    assert not found & {"budget", "budget-2"}


def test_expand_query_respects_restrict_and_empty_results(ix):
    with ix.searcher(weighting=make_weighting()) as searcher:
        nothing = FieldsTerm("submarine", {"title": 2, "body": 1})
        assert expand_query(searcher, nothing) is nothing
        only_budget = wq.Term("id", "budget")
        expanded = expand_query(searcher, FieldsTerm("lava", {"body": 1}), restrict=only_budget)
        # The feedback search found nothing inside the restriction, so nothing is added.
        assert expanded == FieldsTerm("lava", {"body": 1})


def test_proximity_rewards_adjacent_words_without_changing_the_matches(ix):
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
    plain = combine_fields(parser.parse("west germany"))
    near = add_proximity(plain, schema=ix.schema)
    with ix.searcher(weighting=make_weighting()) as searcher:
        plain_scores = {h["id"]: h.score for h in searcher.search(plain, limit=None)}
        near_scores = {h["id"]: h.score for h in searcher.search(near, limit=None)}
    assert set(near_scores) == set(plain_scores)
    assert near_scores["west-germany"] > plain_scores["west-germany"]
    assert near_scores["west-apart"] == pytest.approx(plain_scores["west-apart"])
    assert near_scores["west-germany"] > near_scores["west-apart"]


def test_proximity_needs_two_words_and_positions(ix):
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
    single = combine_fields(parser.parse("germany"))
    assert add_proximity(single, schema=ix.schema) is single
    pair = combine_fields(parser.parse("west germany"))
    no_positions = fields.Schema(body=fields.TEXT(phrase=False))
    assert add_proximity(pair, schema=no_positions) is pair
    assert add_proximity(pair, schema=ix.schema, weight=0) is pair


WORDS = ("army navy treaty border election budget coalition crisis embassy envoy famine harbour "
         "island jungle kingdom labour mine nuclear oil parliament pact rebel riot senate strike "
         "summit tariff trade union veto war wheat").split()


@pytest.fixture(scope="module")
def random_ix(tmp_path_factory):
    import random

    rng = random.Random(7)
    analyzer = text_analyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        body=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
    )
    ix = index.create_in(str(tmp_path_factory.mktemp("random-ix")), schema)
    with ix.writer() as writer:
        for n in range(300):
            title = " ".join(rng.choices(WORDS, k=4))
            body = " ".join(rng.choices(WORDS[: rng.randint(8, len(WORDS))], k=rng.randint(10, 60)))
            writer.add_document(id=str(n), title=title, body=body)
    return ix


@pytest.mark.parametrize("text", ["army treaty border election", "nuclear pact summit veto war", "oil trade tariff"])
def test_top_hits_equal_the_full_ranking_with_optional_clauses(random_ix, text):
    # Whoosh prunes top-N searches with each matcher's maximum score; an Or that
    # understates it makes AndMaybe drop documents that belong in the top hits.
    parser = MultifieldParser(["title", "body"], random_ix.schema, group=OrGroup)
    query = add_proximity(combine_fields(parser.parse(text)), schema=random_ix.schema)
    with random_ix.searcher(weighting=make_weighting()) as searcher:
        expanded = expand_query(searcher, query, docs=3, terms=5, broaden=False)
        for q in (query, expanded):
            full = [h["id"] for h in searcher.search(q, limit=None)]
            for limit in (5, 20):
                assert [h["id"] for h in searcher.search(q, limit=limit)] == full[:limit]


@pytest.mark.parametrize("text", ["army treaty border election", "nuclear pact summit veto war"])
def test_top_hits_of_any_words_within_a_required_word(random_ix, text):
    # And prunes with its parts' maximum scores too; the any-words part must not understate its own.
    parser = MultifieldParser(["title", "body"], random_ix.schema, group=OrGroup)
    query = wq.And([combine_fields(parser.parse(text)), FieldsTerm("union", {"title": 2, "body": 1})])
    with random_ix.searcher(weighting=make_weighting()) as searcher:
        full = [h["id"] for h in searcher.search(query, limit=None)]
        for limit in (3, 10):
            assert [h["id"] for h in searcher.search(query, limit=limit)] == full[:limit]
