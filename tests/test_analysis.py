"""Analysis: folding, stemming, stop words and name variants, checked through a real index.

Each variant is indexed in its own document and searched with Whoosh's own
QueryParser, so the tests exercise what users see (phrases included), not just
the token stream.
"""
from __future__ import annotations

import pickle

import pytest
from whoosh import fields, index
from whoosh.qparser import OrGroup, QueryParser

from newsearch.analysis import (
    PARTICLES,
    SUPPORTED_LANGUAGES,
    fold,
    join_particles,
    language_code,
)
from newsearch.engine.analyzers import name_analyzer, text_analyzer

DOCS = {
    "asad-hyphen": "Rockets hit Ain al-Asad air base on Tuesday.",
    "asad-cap-hyphen": "Rockets hit Ain Al-Asad air base on Tuesday.",
    "asad-space": "Rockets hit Ain al Asad air base on Tuesday.",
    "asad-cap-space": "Rockets hit Ain Al Asad air base on Tuesday.",
    "asad-ayn": "Rockets hit Ayn al-Asad air base on Tuesday.",
    "zayd-ay": "Zayd Shawkat arrived in Amman.",
    "zayd-ai": "Zaid Shaukat left Amman.",
    "asad-bare": "The Asad family ruled for decades.",
    "ain-other": "Ain Zalah is another base; al-Tanf is a third.",
    "kadhimi-hyphen": "Prime Minister al-Kadhimi visited Washington.",
    "kadhimi-bare": "Kadhimi met the president in the morning.",
    "erdogan-accent": "President Erdoğan spoke in Ankara.",
    "erdogan-plain": "President Erdogan spoke in Istanbul.",
    "baath-ayn": "The Baʿath party held a congress.",
    "baath-hamza": "A saʾid and the Baʾath leadership.",
    "marks": "Visitors from Şanlıurfa met al-ʿUzzā and Dāʾūd at Sīdī Bū Zīd.",
    "stop-phrase": "He delivered the State of the Union address.",
    "stem": "Elections were held and the voters elected a new parliament.",
    "email": "Send an e-mail to the newsroom.",
    "possessive": "Kennedy's administration faced pressure.",
    "acronym": "The U.S. and the U.N. disagreed.",
    "english-bin": "He threw the letter in the trash bin yesterday.",
    "english-ad": "The campaign bought an ad in the paper.",
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        body=fields.TEXT(analyzer=text_analyzer(), phrase=True),
    )
    ix = index.create_in(str(tmp_path_factory.mktemp("analysis-ix")), schema)
    with ix.writer() as writer:
        for key, text in DOCS.items():
            writer.add_document(id=key, body=text)
    with ix.searcher() as s:
        yield s


def hits(searcher, text: str) -> set[str]:
    query = QueryParser("body", searcher.schema).parse(text)
    return {hit["id"] for hit in searcher.search(query, limit=None)}


ASAD_SPELLINGS = ["Ain al-Asad", "Ain Al-Asad", "Ain al Asad", "Ain Al Asad", "ain al asad", "Ayn al-Asad"]
ASAD_DOCS = {"asad-hyphen", "asad-cap-hyphen", "asad-space", "asad-cap-space", "asad-ayn"}


@pytest.mark.parametrize("spelling", ASAD_SPELLINGS)
def test_phrase_matches_every_spelling_of_ain_al_asad(searcher, spelling):
    assert hits(searcher, f'"{spelling}"') == ASAD_DOCS


@pytest.mark.parametrize("spelling", ASAD_SPELLINGS)
def test_phrase_with_trailing_words_crosses_the_particle(searcher, spelling):
    assert hits(searcher, f'"hit {spelling} air base"') == ASAD_DOCS


@pytest.mark.parametrize("word", ["al-Asad", "Al-Asad", "Asad", "asad"])
def test_name_with_or_without_particle_finds_all_forms(searcher, word):
    assert hits(searcher, word) == ASAD_DOCS | {"asad-bare"}


def test_phrase_does_not_match_other_words(searcher):
    assert hits(searcher, '"Ain Zalah"') == {"ain-other"}
    assert "ain-other" not in hits(searcher, '"Ain al-Asad"')


@pytest.mark.parametrize("query", ["al-Kadhimi", "Al-Kadhimi", "Kadhimi", "kadhimi", "alKadhimi"])
def test_kadhimi_both_ways(searcher, query):
    expected = {"kadhimi-hyphen", "kadhimi-bare"}
    if query == "alKadhimi":  # the joined form only exists where the source had the hyphen
        expected = {"kadhimi-hyphen"}
    assert hits(searcher, query) == expected


@pytest.mark.parametrize("query", ["Erdoğan", "Erdogan", "ERDOGAN", "erdoğan"])
def test_turkish_letters_fold(searcher, query):
    assert hits(searcher, query) == {"erdogan-accent", "erdogan-plain"}


@pytest.mark.parametrize("query", ["Baath", "Baʿath", "Ba'ath", "Baʾath", "Ba’ath"])
def test_ayn_hamza_and_apostrophes_fold(searcher, query):
    assert hits(searcher, query) == {"baath-ayn", "baath-hamza"}


@pytest.mark.parametrize(
    "query", ["Sanliurfa", "Uzza", "al-Uzza", "Daud", '"Sidi Bu Zid"', '"sīdī bū zīd"']
)
def test_transliteration_marks_fold(searcher, query):
    assert hits(searcher, query) == {"marks"}


def test_phrase_across_stop_words_both_ways(searcher):
    assert hits(searcher, '"State of the Union address"') == {"stop-phrase"}
    assert hits(searcher, '"state union address"') == {"stop-phrase"}
    assert hits(searcher, '"union state"') == set()


def test_stemming_matches_inflections(searcher):
    assert hits(searcher, "election") == {"stem"}
    assert hits(searcher, "elect") == {"stem"}
    assert hits(searcher, "parliaments") == {"stem"}


def test_hyphenated_compound_matches_joined_and_split_forms(searcher):
    assert hits(searcher, "email") == {"email"}
    assert hits(searcher, "e-mail") == {"email"}
    assert hits(searcher, '"email to the newsroom"') == {"email"}


def test_possessive_and_acronyms(searcher):
    assert hits(searcher, "Kennedy") == {"possessive"}
    assert hits(searcher, "U.S.") == {"acronym"}
    assert hits(searcher, "US") == {"acronym"}
    assert hits(searcher, "U.N.") == {"acronym"}


def test_particles_that_are_english_words_stay_searchable(searcher):
    assert hits(searcher, "bin") == {"english-bin"}
    assert hits(searcher, '"trash bin"') == {"english-bin"}
    assert hits(searcher, "ad") == {"english-ad"}


def test_or_group_query_of_variants(searcher):
    query = QueryParser("body", searcher.schema, group=OrGroup).parse("al-Kadhimi Erdoğan")
    found = {hit["id"] for hit in searcher.search(query, limit=None)}
    assert found == {"kadhimi-hyphen", "kadhimi-bare", "erdogan-accent", "erdogan-plain"}


def _terms(analyzer, text, mode="query"):
    return [t.text for t in analyzer(text, mode=mode)]


@pytest.mark.parametrize("particle", sorted(PARTICLES - {"as", "at"}))
def test_every_particle_is_transparent_hyphenated_spaced_or_absent(particle):
    analyzer = text_analyzer()
    bare = _terms(analyzer, "Ain Qadir")
    assert _terms(analyzer, f"Ain {particle}-Qadir") == bare
    assert _terms(analyzer, f"Ain {particle.title()} Qadir") == bare
    unstemmed = text_analyzer(stem=False)
    positions = {t.text: t.pos for t in unstemmed(f"Ain {particle}-Qadir", positions=True, mode="index")}
    assert positions["ain"] + 1 == positions["qadir"] == positions[particle]


@pytest.mark.parametrize("particle", ["as", "at"])
def test_stop_word_particles_vanish(particle):
    analyzer = text_analyzer()
    assert _terms(analyzer, f"{particle}-Sadr", mode="index") == [particle + "sadr", "sadr"]
    assert _terms(analyzer, f"{particle}-Sadr") == ["sadr"]
    assert _terms(analyzer, f"{particle} Sadr") == ["sadr"]


def test_fold_plain_strings():
    assert fold("Erdoğan") == "erdogan"
    assert fold("Baʿath Dāʾūd") == "baath daud"
    assert fold("ĀĪŪ ğş Straße") == "aiu gs strasse"
    assert fold("Øresund Łódź") == "oresund lodz"


def test_name_analyzer_folds_without_stemming_or_stopping():
    analyzer = name_analyzer()
    assert _terms(analyzer, "Rasha al-Aqeedi and the Editors") == [
        "rasha", "aqeedi", "and", "the", "editors",
    ]
    assert _terms(analyzer, "Rasha al-Aqeedi", mode="index") == [
        "rasha", "al", "alaqeedi", "aqeedi",
    ]


def test_languages_choose_stemmer_and_stop_words():
    assert _terms(text_analyzer("fr"), "élections présidentielles") == _terms(
        text_analyzer("french"), "élection présidentielle"
    )
    assert _terms(text_analyzer("fr"), "l'Élysée") == _terms(text_analyzer("fr"), "Elysee")
    assert _terms(text_analyzer("de"), "Wahlen") == _terms(text_analyzer("de"), "wahl")
    assert _terms(text_analyzer("en", stem=False), "elections") == ["elections"]
    assert language_code("English") == "en"
    assert set(SUPPORTED_LANGUAGES) >= {"en", "fr", "de", "es", "it", "nl", "pt", "ru", "sv"}


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError, match="klingon"):
        text_analyzer("klingon")


def test_analyzers_pickle_as_whoosh_schemas_require():
    analyzer = text_analyzer("en")
    clone = pickle.loads(pickle.dumps(analyzer))
    assert _terms(clone, "Ain al-Asad elections") == ["ain", "asad", "elect"]
    assert clone == analyzer


@pytest.mark.parametrize(
    "typed, joined",
    [
        ("al Asad", "al-Asad"),
        ("Ain Al Asad base", "Ain Al-Asad base"),
        ("bin Laden", "bin-Laden"),
        ("ash Sham", "ash-Sham"),
        ("trash bin", "trash bin"),
        ("ad campaign", "ad campaign"),
        ("ash cloud", "ash cloud"),
        ("al OR asad", "al OR asad"),
        ("al title:asad", "al title:asad"),
        ("al 2020", "al 2020"),
        ('"ain al asad" al Kadhimi', '"ain al asad" al-Kadhimi'),
    ],
)
def test_join_particles_in_query_strings(typed, joined):
    assert join_particles(typed) == joined


@pytest.mark.parametrize("typed", ["al Asad", "Al Asad", "ain al asad"])
def test_unquoted_particle_and_name_match_every_form_when_all_words_required(searcher, typed):
    expected = ASAD_DOCS | ({"asad-bare"} if not typed.startswith("ain") else set())
    assert hits(searcher, join_particles(typed)) == expected


def test_unquoted_kadhimi_with_spaced_particle(searcher):
    assert hits(searcher, join_particles("al Kadhimi")) == {"kadhimi-hyphen", "kadhimi-bare"}


@pytest.mark.parametrize("query", ['"Zayd Shawkat"', '"Zaid Shaukat"', "Zayd", "zaid", "Shaukat"])
def test_romanised_diphthongs_match_both_ways(searcher, query):
    assert hits(searcher, query) == {"zayd-ay", "zayd-ai"}


def test_diphthong_rule_keeps_english_words_apart(searcher):
    # "ay"/"aw" before a vowel stay as written: "away" is not "awai" + something else.
    assert [t.text for t in text_analyzer()("layer lawyer")] != [t.text for t in text_analyzer()("lair laur")]


def test_rereading_gives_the_analyzers_own_tokens_on_real_texts(shared_dir):
    # Snippets, highlights and feedback read stored texts again with cheaper stems:
    # every token must be what the analyzer itself gives, stop words and offsets included.
    from newsearch.engine.analyzers import language_analyzer, rereading_analyzer

    def tokens(analyzer, text):
        return [(t.text, t.startchar, t.endchar, t.pos, t.stopped)
                for t in analyzer(text, chars=True, positions=True, mode="index", removestops=False)]

    analyzer = text_analyzer("en")
    assert rereading_analyzer(analyzer) is not analyzer
    texts = sorted((shared_dir / "corpus" / "text" / "bbc").glob("*/*.txt"))[::40]
    assert len(texts) > 40
    for path in texts:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert tokens(rereading_analyzer(analyzer), text) == tokens(text_analyzer("en"), text), path.name
    german = language_analyzer("de")
    assert rereading_analyzer(german) is german  # tagged terms: left to its own analyzer


def _words_of_real_pages(shared_dir):
    """Every distinct word of the extraction pages' bodies (many languages) and of some
    BBC texts, as the tokenizer hands them to a stemmer."""
    import json
    texts = []
    with open(shared_dir / "corpus" / "extraction" / "gold.jsonl", encoding="utf-8") as handle:
        texts += [json.loads(line).get("body") or "" for line in handle]
    texts += [p.read_text(encoding="utf-8", errors="replace")
              for p in sorted((shared_dir / "corpus" / "text" / "bbc").glob("*/*.txt"))[::20]]
    unstemmed = text_analyzer("en", stem=False)
    return sorted({t.text for text in texts for t in unstemmed(text, mode="index", removestops=False)})[::3]


def test_stemmers_said_to_keep_the_first_letter_keep_it_on_real_words(shared_dir):
    # Snippets skip stemming a word whose first letter no query term starts with; that is
    # only right if the stemmer never changes a first letter. Every word of the
    # extraction pages (many languages) and of BBC texts, through every such stemmer.
    from whoosh.lang import stemmer_for_language

    from newsearch.engine.analyzers import KEEPS_FIRST_LETTER

    words = _words_of_real_pages(shared_dir)
    assert len(words) > 8_000
    for code in sorted(KEEPS_FIRST_LETTER):
        stem = stemmer_for_language(code)
        changed = [(w, stem(w)) for w in words if w[:1].isalnum() and stem(w)[:1] != w[:1].lower()]
        assert changed == [], (code, changed[:5])
    # Why Russian is left out: a Latin word with one Cyrillic letter comes back in Cyrillic.
    assert stemmer_for_language("ru")("d\u0435liver")[:1] != "d"
    assert "ru" not in KEEPS_FIRST_LETTER and "ar" not in KEEPS_FIRST_LETTER


def test_rereading_for_some_terms_marks_what_full_rereading_marks(shared_dir):
    # The snippet path stems only words that could become one of the query's terms: the
    # marked spans and snippets must be the same as with every word stemmed.
    from newsearch.engine.analyzers import rereading_analyzer
    from newsearch.snippets import make_snippet, matching_spans

    analyzer = text_analyzer("en")
    full = rereading_analyzer(analyzer)
    texts = sorted((shared_dir / "corpus" / "text" / "bbc").glob("*/*.txt"))[::60]
    assert len(texts) > 30
    compared = marked = 0
    for path in texts:
        text = path.read_text(encoding="utf-8", errors="replace")
        stems = sorted({t.text for t in full(text, mode="index")})
        for terms in (frozenset(stems[::97]), frozenset(stems[5::41]) | {"zzyzx"}, frozenset({"govern", "elect"})):
            some = rereading_analyzer(analyzer, terms)
            spans = matching_spans(text, terms, full)
            assert matching_spans(text, terms, some) == spans, (path.name, sorted(terms))
            assert make_snippet(text, terms, some) == make_snippet(text, terms, full), path.name
            compared += 1
            marked += bool(spans)
    assert compared > 90 and marked > 60
    # Names joined across a hyphen or particle are still found.
    text = "Rockets hit Ain al-Asad air base; the Asads were running."
    terms = frozenset({"alasad", "asad", "run"})
    assert matching_spans(text, terms, rereading_analyzer(analyzer, terms)) == matching_spans(text, terms, full)


def test_rereading_for_some_terms_leaves_other_words_unstemmed():
    from newsearch.engine.analyzers import language_analyzer, rereading_analyzer

    analyzer = text_analyzer("en")
    texts = lambda a: [t.text for t in a("Running elections", mode="index")]  # noqa: E731
    assert texts(rereading_analyzer(analyzer, frozenset({"elect"}))) == ["running", "elect"]
    assert texts(rereading_analyzer(analyzer, frozenset({"run"}))) == ["run", "elections"]
    assert texts(rereading_analyzer(analyzer)) == ["run", "elect"]
    # A stemmer not known to keep first letters stems every word, as before.
    russian = text_analyzer("ru")
    assert [t.text for t in rereading_analyzer(russian, frozenset({"x"}))("выборы")] == ["выбор"]
    # An article in another language: its terms are tagged stems.
    german = language_analyzer("de")
    running, elections = texts(german)
    assert running == "running@de" and elections.endswith("@de")
    assert texts(rereading_analyzer(german, frozenset({elections}))) == ["running", elections]
    assert texts(rereading_analyzer(german)) == texts(german)
    assert rereading_analyzer(language_analyzer("ru"), frozenset({"x"})) is language_analyzer("ru")
    # Folding leaves "ℂ" as "C"; without stemming nothing lowercases it, so the term is "C@de".
    unstemmed = language_analyzer("de", stem=False)
    full = [t.text for t in unstemmed("ℂ Zahlen", mode="index")]
    assert full[0] == "C@de"
    assert [t.text for t in rereading_analyzer(unstemmed, frozenset({"C@de"}))("ℂ Zahlen", mode="index")] == \
        ["C@de", "zahlen"]


def test_rereading_for_some_terms_marks_what_other_languages_analyzers_mark(shared_dir):
    # Articles of the extraction pages (most of them German, some French and others),
    # read with other languages' analyzers: spans the same as the analyzer's own.
    import json

    from newsearch.engine.analyzers import language_analyzer, rereading_analyzer
    from newsearch.snippets import matching_spans

    with open(shared_dir / "corpus" / "extraction" / "gold.jsonl", encoding="utf-8") as handle:
        bodies = [b for b in (json.loads(line).get("body") or "" for line in handle) if len(b) > 300][::3]
    assert len(bodies) > 25
    compared = marked = 0
    for code in ("de", "fr", "es"):
        analyzer = language_analyzer(code)
        for text in bodies:
            terms_found = sorted({t.text for t in analyzer(text, mode="index", removestops=False)})
            terms = frozenset(terms_found[::53]) | {"zzyzx@" + code}
            spans = matching_spans(text, terms, analyzer)
            assert matching_spans(text, terms, rereading_analyzer(analyzer, terms)) == spans, (code, sorted(terms))
            compared += 1
            marked += bool(spans)
    assert compared > 75 and marked > 60
