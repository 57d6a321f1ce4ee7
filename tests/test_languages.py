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
    ("می\u200cخواهم", ["میخواهم"]),  # Persian's zero-width non-joiner
    ("الْعَرَبِيَّة", ["العربية"]),  # Arabic vowel signs stay inside the word
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
