"""The fast query paths give exactly Whoosh's answers: phrases, one scored pass, date limits."""
from __future__ import annotations

import random

import pytest
from whoosh import index
from whoosh import query as wq

from newsearch import Archive
from newsearch.engine.analyzers import text_analyzer
from newsearch.engine.query import _bulk, _ranked_with_bonus, parse_text_query, ranked_matches, scored_matches
from newsearch.engine.ranking import (
    B,
    FIELD_B,
    K1,
    AdjacentWords,
    Bonus,
    FieldsTerm,
    adjacent_words,
    bonus_bound,
    bonus_scores,
    field_lengths,
    make_weighting,
    rsj_idf,
)
from newsearch.engine.store import IndexOptions, build_schema

from helpers import article, utc

# Few words, many documents: frequent words span many posting blocks (Whoosh
# writes 128 postings a block), so block skipping and multi-block reads are exercised.
WORDS = "army navy treaty border oil trade union veto war wheat rare".split()
PHRASES = [["army", "navy"], ["navy", "army"], ["war", "war"], ["oil", "trade", "union"],
           ["rare", "wheat"], ["wheat", "rare"], ["veto", "veto", "veto"], ["border", "absent"]]


@pytest.fixture(scope="module")
def blocks_ix(tmp_path_factory):
    """Three segments, with deletions in the first, of random bodies and titles."""
    rng = random.Random(11)
    ix = index.create_in(str(tmp_path_factory.mktemp("blocks-ix")), build_schema(IndexOptions()))
    weights = [30] * (len(WORDS) - 1) + [1]  # "rare" is rare
    n = 0
    for _ in range(3):
        writer = ix.writer()
        for _ in range(700):
            body = " ".join(rng.choices(WORDS, weights, k=rng.randint(3, 40)))
            extra = {"tags": rng.choice(WORDS)} if n % 3 == 0 else {}  # name fields join the query too
            writer.add_document(id=str(n), title=" ".join(rng.choices(WORDS, weights, k=3)), body=body, **extra)
            n += 1
        writer.commit(merge=False)
    writer = ix.writer()
    for docid in range(0, 700, 7):
        writer.delete_by_term("id", str(docid))
    writer.commit(merge=False)
    return ix


def terms(words):
    """Words as the index holds them (stemmed), so queries built by hand find them."""
    return [token.text for token in text_analyzer()(" ".join(words))]


def whoosh_ranking(searcher, query):
    return [(hit.docnum, hit.score) for hit in searcher.search(query, limit=None)]


@pytest.mark.parametrize("words", PHRASES, ids=["-".join(w) for w in PHRASES])
@pytest.mark.parametrize("boost", [1.0, 0.3])
def test_adjacent_words_match_and_score_like_whoosh_phrase(blocks_ix, words, boost):
    words = terms(words)
    with blocks_ix.searcher(weighting=make_weighting()) as searcher:
        assert len(searcher.leaf_searchers()) == 3 and searcher.reader().has_deletions()
        for fieldname in ("body", "title"):
            expected = whoosh_ranking(searcher, wq.Phrase(fieldname, words, boost=boost))
            got = whoosh_ranking(searcher, AdjacentWords(fieldname, words, boost=boost))
            assert got == expected
            assert expected or fieldname == "title" or "absent" in words or "rare" in words
            assert sorted(searcher.docs_for_query(AdjacentWords(fieldname, words))) == sorted(
                d for d, _ in expected)


def test_the_index_really_spans_blocks_and_skips_deleted_documents(blocks_ix):
    deleted = {str(n) for n in range(0, 700, 7)}
    with blocks_ix.searcher(weighting=make_weighting()) as searcher:
        assert searcher.doc_frequency("body", terms(["army"])[0]) > 3 * 128
        hits = searcher.search(AdjacentWords("body", terms(["army", "navy"])), limit=None)
        ids = {hit["id"] for hit in hits}
        assert len(ids) > 100 and not ids & deleted


def test_phrases_with_other_slops_fall_back_to_whoosh(blocks_ix):
    with blocks_ix.searcher(weighting=make_weighting()) as searcher:
        pair = terms(["army", "navy"])
        near = whoosh_ranking(searcher, AdjacentWords("body", pair, slop=3))
        assert near == whoosh_ranking(searcher, wq.Phrase("body", pair, slop=3))
        assert len(near) > len(whoosh_ranking(searcher, AdjacentWords("body", pair)))


def test_adjacent_words_replaces_phrases_throughout_a_query():
    query = wq.Or([wq.Phrase("body", ["a", "b"], boost=2.0), wq.And([wq.Term("title", "c"),
                                                                     wq.Phrase("title", ["d", "e"])])])
    converted = adjacent_words(query)
    phrases = [q for q in converted.leaves() if isinstance(q, wq.Phrase)]
    assert [type(q) for q in phrases] == [AdjacentWords, AdjacentWords]
    assert [(q.fieldname, q.words, q.boost) for q in phrases] == [("body", ["a", "b"], 2.0), ("title", ["d", "e"], 1.0)]


QUERIES = [("army navy", "all"), ("oil wheat veto", "all"), ("rare", "all"), ('"army navy" OR wheat', "all"),
           ("army NOT navy", "all"), ("army OR navy OR oil", "all"), ("treaty border union", "any"),
           ('title:war "oil trade"', "all")]


@pytest.mark.parametrize("text, match", QUERIES)
def test_one_scored_pass_equals_whoosh_full_ranking(blocks_ix, text, match):
    query, _ = parse_text_query(text, blocks_ix.schema, match=match)
    with blocks_ix.searcher(weighting=make_weighting()) as searcher:
        docs, scores = scored_matches(searcher, query)
        expected = whoosh_ranking(searcher, query)
        assert docs == sorted(docs) and len(docs) == len(set(docs))
        assert sorted(zip(docs, scores), key=lambda p: (-p[1], p[0])) == expected
        assert expected or text == "rare"


@pytest.mark.parametrize("text, match", [("army navy", "all"), ("oil wheat veto", "any"), ('"army navy"', "all")])
def test_lists_and_terms_joined_by_and_or_optional_take_the_bulk_path(blocks_ix, text, match):
    query, _ = parse_text_query(text, blocks_ix.schema, match=match)
    with blocks_ix.searcher(weighting=make_weighting()) as searcher:
        subsearcher, _ = searcher.leaf_searchers()[0]
        matcher = query.matcher(subsearcher, searcher.context(needs_current=True)).replace(0)
        assert "W3LeafMatcher(('tags'" in repr(matcher) or text.startswith('"')
        lengths = field_lengths(subsearcher.reader(), "body")  # read once from the column, then cached
        assert lengths is not None and lengths is field_lengths(subsearcher.reader(), "body")
        assert lengths[:50] == [subsearcher.doc_field_length(d, "body", 0) or 0 for d in range(50)]
        bulk = _bulk(matcher, subsearcher.reader())
        assert bulk is not None and len(bulk[0]) > 10


# -- date limits through the public API --------------------------------------------


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """Articles either side of day and month edges, one undated, over two segments."""
    path = tmp_path_factory.mktemp("dated") / "ix"
    stamps = {
        "june-last-second": utc(2021, 6, 30, 23, 59, 59),
        "july-first": utc(2021, 7, 1, 0, 0, 0),
        "july-mid": utc(2021, 7, 15, 12),
        "july-last-second": utc(2021, 7, 31, 23, 59, 59),
        "august-first": utc(2021, 8, 1),
        "old": utc(1987, 3, 2),
        "undated": None,
    }
    archive = Archive.create(path)
    items = [article(f"Harbour {key}", f"The harbour story {key}.", id=key, date=date)
             for key, date in stamps.items()]
    archive.add(items[:4])
    archive.add(items[4:])
    archive.close()
    with Archive.open(path) as opened:
        yield opened


def found(results):
    return sorted(hit.id for hit in results.hits)


@pytest.mark.parametrize("options, expected", [
    ({"since": "2021-07", "until": "2021-07"}, ["july-first", "july-last-second", "july-mid"]),
    ({"since": "2021-07-01"}, ["august-first", "july-first", "july-last-second", "july-mid"]),
    ({"until": "2021-06-30"}, ["june-last-second", "old"]),
    ({"since": "2021-07-15", "until": "2021-07-15"}, ["july-mid"]),
    ({"since": "2022"}, []),
])
def test_date_limits_keep_exactly_the_articles_inside(dated, options, expected):
    for text in ("harbour", ""):
        results = dated.search(text, limit=20, facets=("year",), **options)
        assert found(results) == expected
        assert results.total == len(expected)
        assert sum(c.count for c in results.facets["year"]) == len(expected)


def test_date_clauses_and_limits_combine(dated):
    results = dated.search("harbour date:>=2021-07-15", until="2021-07-31", limit=20)
    assert found(results) == ["july-last-second", "july-mid"]
    results = dated.search("harbour date:[1980 TO 2021-06]", limit=20)
    assert found(results) == ["june-last-second", "old"]


def test_date_limits_hold_for_other_sort_orders(dated):
    newest = dated.search("harbour", since="2021-06-30", until="2021-07-31", sort="newest", limit=20)
    assert [hit.id for hit in newest.hits] == ["july-last-second", "july-mid", "july-first", "june-last-second"]
    oldest = dated.search("harbour", until="2021-07-01", sort="oldest", limit=2, page=2)
    assert [hit.id for hit in oldest.hits] == ["july-first"] and oldest.total == 3


def test_undated_articles_are_found_without_date_limits(dated):
    results = dated.search("harbour", limit=20)
    assert results.total == 7 and "undated" in found(results)
    assert dated.search("harbour", limit=20, sort="newest").hits[-1].id == "undated"


def test_bm25f_terms_use_each_documents_own_field_length(blocks_ix):
    word = terms(["army"])[0]
    with blocks_ix.searcher(weighting=make_weighting()) as searcher:
        got = dict(whoosh_ranking(searcher, FieldsTerm(word, {"title": 2.0, "body": 1.0})))
        tf: dict[int, float] = {}
        for fieldname, weight in (("title", 2.0), ("body", 1.0)):
            b, average = FIELD_B.get(fieldname, B), searcher.avg_field_length(fieldname)
            postings = searcher.postings(fieldname, word)  # global numbers, deletions left out
            while postings.is_active():
                docnum, length = postings.id(), searcher.doc_field_length(postings.id(), fieldname)
                tf[docnum] = tf.get(docnum, 0.0) + weight * postings.weight() / ((1 - b) + b * length / average)
                postings.next()
        idf = rsj_idf(max(searcher.doc_frequency(f, word) for f in ("title", "body")), searcher.doc_count_all())
        assert len({searcher.doc_field_length(d, "body") for d in got}) > 10  # lengths really vary
    assert sorted(got) == sorted(tf)
    for docnum, score in got.items():
        assert score == pytest.approx(idf * tf[docnum] * (K1 + 1) / (tf[docnum] + K1), rel=1e-12)


def test_positions_of_the_index_schema_decode_without_whoosh_per_call_path(blocks_ix):
    from newsearch.engine.term_arrays import position_decoder as _position_decoder

    fmt = blocks_ix.schema["body"].format
    decode = _position_decoder(fmt)
    assert decode != fmt.decode_positions  # the schema's format is the one the fast decoder knows
    with blocks_ix.searcher() as searcher:
        postings = searcher.reader().leaf_readers()[0][0].postings("body", terms(["army"])[0])
        for _ in range(50):
            assert list(decode(postings.value())) == fmt.decode_positions(postings.value())
            postings.next()


@pytest.mark.parametrize("text", ["army navy", "oil wheat veto", "war treaty border union", "rare wheat"])
@pytest.mark.parametrize("wanted", [1, 7, 40])
def test_a_page_ranked_with_the_bonus_only_where_it_matters_is_whoosh_first_page(blocks_ix, text, wanted):
    query, _ = parse_text_query(text, blocks_ix.schema)
    assert isinstance(query, Bonus)
    with blocks_ix.searcher(weighting=make_weighting()) as searcher:
        docs, ranked = ranked_matches(searcher, query, None, wanted)
        expected = whoosh_ranking(searcher, query)
        assert ranked == expected[:wanted]
        assert sorted(docs) == sorted(d for d, _ in expected)


def test_the_bonus_bound_is_above_every_bonus_and_pruning_is_used(blocks_ix):
    query, _ = parse_text_query("army navy", blocks_ix.schema)
    with blocks_ix.searcher(weighting=make_weighting()) as searcher:
        bound = bonus_bound(searcher, query.b)
        bonuses = dict(whoosh_ranking(searcher, query.b))
        assert bound is not None and len(bonuses) > 100
        assert max(bonuses.values()) < bound < 3 * max(bonuses.values())
        docs, _ = scored_matches(searcher, query.a)
        assert _ranked_with_bonus(searcher, query, None, 5) is not None
        assert bonus_scores(searcher, query.b, docs) == bonuses
