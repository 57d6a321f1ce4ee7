"""Many languages in one archive: normalisation of text in any language.

Small written cases pin each rule; the real pages of ../shared/corpus/extraction
show the rule doing what a user needs (searched through a real index).
"""
from __future__ import annotations

import gzip

import pytest

from newsearch import Archive
from newsearch.analysis import fold
from newsearch.engine.analyzers import text_analyzer


def _terms(text: str, language: str = "en", *, mode: str = "index") -> list[str]:
    return [t.text for t in text_analyzer(language, stem=False)(text, mode=mode)]


@pytest.mark.parametrize("text, expected", [
    ("Mo\u00addi\u00adfi\u00adka\u00adtion", ["modifikation"]),  # soft hyphens
    ("jo\u200dined forces", ["joined", "forces"]),  # zero-width joiner inside a word
    ("word\u2060joiner", ["wordjoiner"]),
    ("\ufeffHeadline", ["headline"]),  # a stray byte-order mark
    ("\u200fright\u200e to left", ["right", "left"]),  # bidirectional marks
    ("zero\u200bwidth", ["zero", "width"]),  # a zero-width space is a break, not a joiner
    ("ＴＯＫＹＯ　２０２０", ["tokyo", "2020"]),  # full-width forms
    ("ﬁnancial oﬃce", ["financial", "office"]),  # ligatures
    ("می\u200cخواهم", ["ميخواهم"]),  # Persian's zero-width non-joiner (and its yeh folded)
    ("الْعَرَبِيَّة", ["العربيه"]),  # Arabic vowel signs stay inside the word, then go
])
def test_format_characters_width_and_ligatures(text: str, expected: list[str]) -> None:
    assert [t for t in _terms(text) if t not in ("to",)] == expected


def test_typographic_apostrophes_work_as_plain_ones() -> None:
    assert _terms("Erdoğan’s party") == _terms("Erdogan's party") == ["erdogan", "party"]
    assert _terms("l’Europe", "fr") == _terms("l'Europe", "fr") == ["europe"]


def test_fold_drops_format_characters() -> None:
    assert fold("Wi\u00adFi\u200d") == "wifi"
    assert fold("Ｅｒｄｏｇａｎ") == "erdogan"


def test_a_soft_hyphen_does_not_split_the_word_in_queries_either() -> None:
    assert _terms("Mo\u00addi\u00adfi\u00adka\u00adtion", mode="query") == ["modifikation"]


def _page_text(page) -> str:
    return gzip.decompress(page.read_bytes()).decode("utf-8", "replace")


def test_a_word_written_with_soft_hyphens_is_found(extraction_built) -> None:
    """The extraction set's pages that hyphenate 'Modifikation' softly are found by the
    plain word, and 'Wi-Fi' no longer matches its 'fi' syllable."""
    pages = sorted(extraction_built.source.glob("*.html.gz"))
    softly = {p.name.split(".")[0] for p in pages if "Mo\u00addi\u00adfi\u00adka\u00adtion" in _page_text(p)
              or "Mo&shy;di&shy;fi&shy;ka&shy;tion" in _page_text(p)}
    assert softly, "no page of the extraction set hyphenates 'Modifikation' softly any more"
    with Archive.open(extraction_built.index) as archive:
        found = {h.path.rsplit("/", 1)[-1].split(".")[0] for h in archive.search("Modifikation", limit=50).hits}
        assert softly <= found
        wifi = {h.path.rsplit("/", 1)[-1].split(".")[0] for h in archive.search('"Wi-Fi"', limit=50).hits}
        assert not softly & wifi


# -- the language of each article ------------------------------------------------

GERMAN = ("Die Studenten der Universität haben am Montag gegen die neuen Gebühren protestiert. "
          "Nach Angaben der Polizei zogen mehrere tausend Menschen durch die Innenstadt, "
          "bevor sich die Demonstration am Abend vor dem Rathaus auflöste.")
FRENCH = ("Les étudiants de l'université ont manifesté lundi contre la hausse des frais "
          "d'inscription. Selon la police, plusieurs milliers de personnes ont défilé dans "
          "le centre-ville avant de se disperser le soir devant la mairie.")


@pytest.mark.parametrize("declared, code", [("de-AT", "de"), ("pt_BR", "pt"), ("EN", "en"), ("nb", "no"),
                                            ("", ""), ("english", ""), ("x-default", "x")])
def test_primary_code(declared: str, code: str) -> None:
    from newsearch.analysis.detect import primary_code

    assert primary_code(declared) == (code if len(code) >= 2 else "")


def test_the_text_overrules_a_template_default_and_short_text_keeps_the_declaration() -> None:
    from newsearch.analysis.detect import language_of

    assert language_of("en", GERMAN) == "de"  # a German post served as lang="en"
    assert language_of("", FRENCH) == "fr"
    assert language_of("fr-FR", FRENCH) == "fr"
    assert language_of("de", "Kurz notiert") == "de"  # too short to argue with
    assert language_of("", "Kurz notiert") == ""


def _parsed(kind: str, data: str):
    from newsearch.parse.dispatch import parse_document
    from newsearch.sources import RawDocument

    [article] = parse_document(RawDocument(path=f"fixture.{kind}", kind=kind, data=data.encode("utf-8")))
    return article


def test_every_input_kind_gets_a_language() -> None:
    html = (f'<html lang="en"><head><title>Protest</title></head><body><article><h1>Protest</h1>'
            f'<p>{GERMAN}</p><p>{GERMAN}</p></article></body></html>')
    assert _parsed("html", html).language == "de"
    assert _parsed("jsonl", '{"title": "Manifestation", "body": "%s", "language": "fr"}' % FRENCH).language == "fr"
    assert _parsed("jsonl", '{"title": "Manifestation", "body": "%s"}' % FRENCH).language == "fr"
    assert _parsed("text", "Protest in der Innenstadt\n\n" + GERMAN).language == "de"


def test_an_article_of_unknown_language_gets_the_index_fallback(tmp_path) -> None:
    from newsearch.models import Article

    with Archive.create(tmp_path / "ix", language="de") as archive:
        archive.add([Article(id="a", title="Kurz", body="Kurz notiert."),
                     Article(id="b", title="Short", body="Briefly.", language="en")])
        assert archive.get("a").language == "de"
        assert archive.get("b").language == "en"


def test_language_facet_and_filter_on_the_extraction_pages(extraction_built) -> None:
    from newsearch.engine.store import SCHEMA_VERSION  # noqa: F401  (the index is built by this version)

    with Archive.open(extraction_built.index) as archive:
        everything = archive.search("", facets=("language",), limit=1, highlight=False)
        counts = {f.value: f.count for f in everything.facets["language"]}
        assert counts["de"] > counts["en"] > counts.get("fr", 0) > 0
        german = archive.search("", language="de", limit=1000, highlight=False)
        assert german.total == counts["de"]
        assert {archive.get(h.id).language for h in german.hits} == {"de"}
        both = archive.search("", language=["de", "fr"], limit=1, highlight=False)
        assert both.total == counts["de"] + counts["fr"]
        # the facet ignores its own filter, as every facet does
        filtered = archive.search("", language="de", facets=("language",), limit=1, highlight=False)
        assert {f.value: f.count for f in filtered.facets["language"]} == counts


def test_query_with_the_language_facet_through_the_cli(extraction_built) -> None:
    import json

    from click.testing import CliRunner

    from newsearch.cli import main

    result = CliRunner().invoke(main, ["query", "Studenten", "--index", str(extraction_built.index),
                                       "--facet", "language", "--language", "de", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] > 0
    assert [f["value"] for f in data["facets"]["language"]][0] == "de"


def test_the_web_api_takes_language() -> None:
    from newsearch.web.params import SearchParams

    params = SearchParams.from_pairs([("q", "Wahl"), ("language", "de"), ("language", "nl")])
    assert params.search_options()["language"] == ("de", "nl")
    assert ("language", "nl") in params.pairs() and params.filtered


# -- unspaced scripts and Arabic ----------------------------------------------------


def test_unspaced_script_becomes_overlapping_bigrams() -> None:
    assert _terms("新竹縣的寒流") == ["新竹", "竹縣", "縣的", "的寒", "寒流"]
    assert _terms("2021年3月") == ["2021", "年", "3", "月"]  # runs of another script are words
    assert _terms("ｶﾀｶﾅ") == _terms("カタカナ")  # half-width kana are the full-width ones
    assert _terms("が") != _terms("か")  # a voicing mark is not an accent
    assert _terms("新竹", mode="query") == ["新竹"]


def test_unspaced_positions_on_the_fast_path_match_the_token_stream() -> None:
    from newsearch.engine.analyzers import fast_index_path

    analyzer = text_analyzer("en")
    text = "Rain in 新竹縣的寒流, 2021年3月の東京 and ภาษาไทย e-mail"
    stream: dict[str, list[int]] = {}
    for token in analyzer(text, mode="index", positions=True):
        stream.setdefault(token.text, []).append(token.pos)
    assert fast_index_path(analyzer)(text) == stream


@pytest.mark.parametrize("one, other", [
    ("أحمد", "احمد"), ("إسلام", "اسلام"), ("آمنة", "امنه"),  # alef forms, taa marbuta
    ("مصطفى", "مصطفي"),  # alef maqsura
    ("مُحَمَّد", "محمد"),  # vowel signs
    ("كتـــاب", "كتاب"),  # tatweel
    ("ٱلله", "الله"),  # alef wasla
    ("کتاب", "كتاب"), ("ایران", "ايران"),  # Persian kaf and yeh
])
def test_arabic_normalisation(one: str, other: str) -> None:
    assert _terms(one) == _terms(other) == [fold(other)]


def test_a_chinese_page_is_found_by_two_character_words_of_its_body(extraction_built) -> None:
    pages = sorted(extraction_built.source.glob("*.html.gz"))
    chinese = {p.name.split(".")[0] for p in pages if "新竹" in _page_text(p) and "寒流" in _page_text(p)}
    assert chinese, "no page of the extraction set holds both words any more"
    with Archive.open(extraction_built.index) as archive:
        for word in ("新竹", "寒流"):
            found = {h.path.rsplit("/", 1)[-1].split(".")[0] for h in archive.search(word, limit=50).hits}
            assert chinese <= found, word
        assert archive.search("新竹 AND 雪山", limit=1).total <= archive.search("新竹", limit=1).total


def test_stats_count_the_articles_per_language(extraction_built) -> None:
    from click.testing import CliRunner

    from newsearch.cli import main

    with Archive.open(extraction_built.index) as archive:
        stats = archive.stats()
        facet = archive.search("", facets=("language",), limit=1, highlight=False).facets["language"]
    assert dict(stats.languages) == {f.value: f.count for f in facet}
    assert sum(dict(stats.languages).values()) == stats.documents
    result = CliRunner().invoke(main, ["stats", "--index", str(extraction_built.index)])
    assert result.exit_code == 0, result.output
    assert f"languages: de {dict(stats.languages)['de']:,}" in result.output


# -- each article analysed in its own language ----------------------------------------

def _mixed_archive(tmp_path):
    from newsearch.models import Article

    articles = [
        Article(id="de-protest", title="Studenten protestieren in Berlin", language="de",
                body="Tausende Studentinnen und Studenten demonstrierten gegen die Politik. "
                     "Die Familien der Studierenden klagen über hohe Mieten."),
        Article(id="de-student", title="Der Student aus Köln", language="de",
                body="Ein Student erzählt von seinem Studium in der Stadt."),
        Article(id="en-students", title="Students protest in London and Berlin", language="en",
                body="Thousands of students marched against rents; their families joined them."),
        Article(id="en-council", title="Town council", language="en",
                body="The council elected a new mayor for the families of the town."),
    ]
    archive = Archive.create(tmp_path / "mixed")
    archive.add(articles)
    return archive


def test_a_german_word_finds_its_german_inflections_only(tmp_path) -> None:
    with _mixed_archive(tmp_path) as archive:
        found = {h.id for h in archive.search("Studenten").hits}
        # German stemming joins "Studenten" and "Student"; the English "students" is not German.
        assert found == {"de-protest", "de-student"}
        assert {h.id for h in archive.search("students").hits} == {"en-students"}


def test_one_languages_stems_do_not_match_another_languages_words(tmp_path) -> None:
    """German stems "Familien" and "families" alike ("famili"): an English query must not
    reach the German page through that accident, and a German query not the English ones."""
    with _mixed_archive(tmp_path) as archive:
        assert {h.id for h in archive.search("families").hits} == {"en-students", "en-council"}
        assert {h.id for h in archive.search("Familien").hits} == {"de-protest"}


def test_phrases_and_snippets_in_the_articles_language(tmp_path) -> None:
    with _mixed_archive(tmp_path) as archive:
        hits = archive.search('"Studenten protestieren"', highlight=True).hits
        assert [h.id for h in hits] == ["de-protest"]
        # German stop words ("die", "der") are dropped as German text drops them.
        assert archive.search('"Familien der Studierenden"').total == 1
        snippet = archive.search("Student", highlight=True, language="de").hits
        assert all("**Stud" in h.snippet for h in snippet), [h.snippet for h in snippet]


def test_the_language_filter_and_facet_with_several_readings(tmp_path) -> None:
    with _mixed_archive(tmp_path) as archive:
        result = archive.search("Berlin", facets=("language",))
        assert {h.id for h in result.hits} == {"de-protest", "en-students"}
        assert {f.value: f.count for f in result.facets["language"]} == {"de": 1, "en": 1}
        assert {h.id for h in archive.search("Berlin", language="de").hits} == {"de-protest"}
        assert {h.id for h in archive.search("Berlin", language="en").hits} == {"en-students"}


def test_a_one_language_index_has_plain_terms(tmp_path) -> None:
    """An index whose articles are all in its own language is analysed as before: no
    tagged terms and no attested words, so its queries and scores are unchanged."""
    from newsearch.models import Article

    archive = Archive.create(tmp_path / "english")
    archive.add([Article(id="a", title="Students march", body="Students marched on Monday.", language="en")])
    with archive:
        assert archive.search("student").total == 1
    from whoosh.index import open_dir  # the test reads the index files themselves

    with open_dir(str(tmp_path / "english")).reader() as reader:
        body = {t.decode() for t in reader.lexicon("body")}
        assert "student" in body and not any("@" in t for t in body)
        assert list(reader.lexicon("words")) == []


def test_studenten_on_the_real_pages_finds_german_inflections(extraction_built) -> None:
    """On the extraction set, "Studenten" finds German pages that print a form of the word,
    and no page in another language."""
    import re

    with Archive.open(extraction_built.index) as archive:
        result = archive.search("Studenten", facets=("language",), limit=100, highlight=False)
        assert result.total > 0
        assert {f.value for f in result.facets["language"]} == {"de"}
        for hit in result.hits:
            article = archive.get(hit.id)
            text = " ".join((article.title, article.summary, article.body))
            assert re.search(r"\bStudent", text, re.IGNORECASE), hit.id


def test_german_and_dutch_words_find_the_compounds_they_end(tmp_path) -> None:
    from newsearch.models import Article

    archive = Archive.create(tmp_path / "compounds")
    archive.add([
        Article(id="bund", title="Beschluss", language="de",
                body="Die Bundesregierung hat am Montag neue Mindestlöhne beschlossen."),
        Article(id="wien", title="Wien", language="de", body="Die Regierung von Österreich tagte am Abend."),
        Article(id="heirat", title="Hochzeit", language="de", body="Die Heirat fand im Sommer statt."),
        Article(id="raad", title="Amsterdam", language="nl", body="De gemeenteraad van Amsterdam besprak de begroting."),
        Article(id="en", title="Council", language="en", body="The council met on Monday about the government."),
    ])
    with archive:
        assert {h.id for h in archive.search("Regierung").hits} == {"bund", "wien"}
        assert {h.id for h in archive.search("Löhne").hits} >= {"bund"}
        assert {h.id for h in archive.search("raad").hits} == {"raad"}
        # too short to be looked up as a head: "Rat" is not inside "Heirat"
        assert archive.search("Rat").total == 0
        # the head must be the end of the compound, not its start
        assert archive.search("Bundes").total == 0


def test_loehne_on_the_real_pages_finds_no_english_page(extraction_built) -> None:
    """The issue's case: an English page about the town of Lohn ranked first for "Löhne"
    (English folding and stemming make both "lohn"). No English page prints "Löhne", so
    the query is not read as English."""
    with Archive.open(extraction_built.index) as archive:
        result = archive.search("Löhne", facets=("language",), limit=50, highlight=False)
        assert result.total > 0
        assert {f.value for f in result.facets["language"]} == {"de"}


def test_an_english_word_is_not_read_in_a_language_that_rarely_prints_it(extraction_built) -> None:
    """"banks" is printed by a single German page: read as German too, its stem would
    bring in every German "Bank" page; the top hits must be English pages."""
    with Archive.open(extraction_built.index) as archive:
        hits = archive.search("banks", limit=10, highlight=False).hits
        assert hits
        assert all(archive.get(h.id).language != "de" for h in hits), [archive.get(h.id).title for h in hits]
        # Asked for German, it is read as German, as the user said.
        assert archive.search("banks", language="de", highlight=False).total > 0


def test_a_word_printed_in_both_languages_is_read_in_both(tmp_path) -> None:
    from newsearch.models import Article

    archive = Archive.create(tmp_path / "both")
    archive.add([
        Article(id=f"de{i}", title="Berlin heute", language="de",
                body=f"Die Stadt Berlin plant neue Wohnungen im Bezirk {i}.") for i in range(3)
    ] + [
        Article(id=f"en{i}", title="Berlin today", language="en",
                body=f"The city of Berlin plans new homes in district {i}.") for i in range(3)
    ] + [Article(id="en-x", title="Housing", language="en", body="Wohnungen is the German word for homes.")])
    with archive:
        assert {h.id for h in archive.search("Berlin").hits} == {"de0", "de1", "de2", "en0", "en1", "en2"}
        # "Wohnungen": 3 of 3 German articles print it, 1 of 4 English: read in both (1/4 >= 0.2 x 1).
        assert {h.id for h in archive.search("Wohnungen").hits} == {"de0", "de1", "de2", "en-x"}


def test_a_language_with_few_articles_does_not_outvote_the_archive(tmp_path) -> None:
    """Two French articles that both print "France" against sixty English ones of which
    ten do: by raw rates English would be left out (10/60 is under a fifth of 2/2) and
    its articles lost; a language's count is weighed with its size."""
    from newsearch.models import Article

    english = [Article(id=f"en{i}", title=f"Report {i}", language="en",
                       body=("Exports to France rose again." if i < 10 else "Exports to Spain rose again.")
                       + " Traders said markets were calm.") for i in range(60)]
    french = [Article(id=f"fr{i}", title="La France", language="fr",
                      body="La France exporte davantage de vin cette année.") for i in range(2)]
    archive = Archive.create(tmp_path / "small-language")
    archive.add(english + french)
    with archive:
        found = {h.id for h in archive.search("France", limit=50).hits}
        assert {f"en{i}" for i in range(10)} <= found


def test_a_language_printing_a_word_in_more_articles_is_never_left_out(tmp_path) -> None:
    """Forty short reports detected as another language all print "loss"; a thousand English
    articles of which sixty do have the lower rate but more articles: English stays."""
    from newsearch.models import Article

    english = [Article(id=f"en{i}", title=f"Story {i}", language="en",
                       body=("The company reported a loss." if i < 60 else "The company reported a profit.")
                       + " Shares were little changed.") for i in range(1000)]
    reports = [Article(id=f"pcm{i}", title="Results", language="pcm", body="Net loss 3 cts vs loss 2 cts.")
               for i in range(40)]
    archive = Archive.create(tmp_path / "misdetected")
    archive.add(english + reports)
    with archive:
        assert archive.search("loss", limit=10).total == 100


def test_a_parallel_build_loads_the_language_model_before_it_forks(tmp_path) -> None:
    """Loaded in the indexing process, the model's arrays are pages its forked parser
    processes share; loaded by each worker, every worker holds a copy."""
    from newsearch import index_paths
    from newsearch.analysis import detect

    from helpers import write_jsonl

    detect._identifier.cache_clear()
    records = [{"id": f"a{i}", "title": f"Harbour news {i}",
                "body": "The harbour board met on Monday and agreed to widen the eastern quay."} for i in range(4)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    report = index_paths([source], index=tmp_path / "ix", jobs=2)
    assert report.articles == 4
    assert detect._identifier.cache_info().currsize == 1  # workers parse; only a preload fills it here


def _page_samples(shared_dir, count: int = 80) -> list[str]:
    """Lower-cased 300-character pieces of the text of real pages in many languages."""
    from bs4 import BeautifulSoup

    samples = []
    for page in sorted((shared_dir / "corpus" / "extraction" / "pages").glob("*.html.gz"))[:count]:
        text = " ".join(BeautifulSoup(gzip.decompress(page.read_bytes()), "lxml").get_text(" ").split())
        samples.extend(text[start:start + 300].lower() for start in range(0, min(len(text), 3000), 700))
    return samples


def test_the_numpy_reading_of_the_language_model_answers_as_py3langid(shared_dir) -> None:
    """Detection reads py3langid's model with numpy (analysis/byte_model.py); every
    answer must be py3langid's own, on real pages and on texts with few or no letters."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from newsearch.analysis.byte_model import FastIdentifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    fast = FastIdentifier.of(reference)
    assert fast is not None
    samples = _page_samples(shared_dir) + ["", "x", "1234 5678", "¿qué?", "日本語のテキストです", "ünïcödé " * 40]
    languages = set()
    for text in samples:
        expected, probability = reference.classify(text)
        found, found_probability = fast.classify(text)
        assert found == expected and found_probability == pytest.approx(probability, abs=1e-4), text
        languages.add(expected)
    assert len(samples) > 200 and len(languages) >= 5  # the pages span several languages


def test_a_model_the_numpy_reader_does_not_know_falls_back_to_py3langid() -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from newsearch.analysis.byte_model import FastIdentifier

    class ScoresOtherwise(LanguageIdentifier):  # another py3langid's answers: the checks disagree
        __slots__ = ()

        def classify(self, text):
            return "la", 0.75

    assert FastIdentifier.of(ScoresOtherwise.from_model_file(MODEL_FILE, norm_probs=True)) is None
    assert FastIdentifier.of(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)) is not None
    assert FastIdentifier.of(object()) is None


def test_the_letter_count_that_lets_the_text_speak_reads_the_whole_sample(shared_dir) -> None:
    """detect_language counts the first words' letters first; the answer must be the
    count over the whole sample's, letters late or never."""
    from newsearch.analysis.detect import _LETTER, MIN_LETTERS, SAMPLE_CHARS, _enough_letters

    samples = _page_samples(shared_dir, 30) + [
        "", "a" * (MIN_LETTERS - 1), "a" * MIN_LETTERS, "1, 2, 3; " * 12 + "b" * MIN_LETTERS,
        "1, 2, 3; " * 12 + "b" * (MIN_LETTERS - 1), "x\u00b2 " * 60, "\u65e5\u672c\u8a9e" * 20,
    ]
    answers = set()
    for sample in samples:
        sample = sample[:SAMPLE_CHARS]
        expected = len(_LETTER.findall(sample)) >= MIN_LETTERS
        assert _enough_letters(sample) == expected, sample[:80]
        answers.add(expected)
    assert answers == {True, False}
