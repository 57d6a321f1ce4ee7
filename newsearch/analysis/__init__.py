"""Text analysis: how article text becomes index terms, and queries the same terms.

News archives spell the same name many ways ("Ain al-Asad", "Ain Al Asad",
"Asad"; "Erdoğan", "Erdogan"; "Baʿath", "Ba'ath", "Baath"), so one tokenizer
folds case, accents and transliteration marks and treats Arabic articles and
particles (al-, el-, ad-, as-, ash-, at-, az-, ibn, bin, abu) as *position
transparent*:

* At index time a particle is kept as a term (so a search for "bin" or "ad"
  still finds it) but it does not take a position of its own: it sits on the
  position of the word after it.  "Ain al-Asad", "Ain al Asad" and "Ain Asad"
  therefore all index as ``ain@0 asad@1`` (plus ``al@1`` and, for the
  hyphenated form, the joined ``alasad@1``).
* At query time a particle followed by another word is dropped, so the phrase
  "Ain al Asad" asks for ``ain asad`` at consecutive positions and matches every
  spelling above; "al-Kadhimi" asks for ``kadhimi``.

Stop words are removed at both ends without leaving gaps, so phrases match
across them ("state of the union" matches "state union" and vice versa);
Whoosh builds phrase queries from the query terms alone, ignoring their
positions, so closing the gaps is what keeps index and query consistent.

This package knows no search engine: the Whoosh analyzer classes that apply these
rules are thin adapters in newsearch/engine/analyzers.py.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


__all__ = [
    "PARTICLES",
    "SUPPORTED_LANGUAGES",
    "UNSPACED",
    "bigrams",
    "fold",
    "fold_word",
    "join_particles",
    "language_code",
    "unspaced_pieces",
]

# Language code -> Snowball stemmer name (the stemmers Whoosh ships).
SUPPORTED_LANGUAGES: dict[str, str] = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
}

# Arabic articles and particles that transliterations attach with a hyphen,
# a space, or not at all.
PARTICLES: frozenset[str] = frozenset(
    {"al", "el", "ad", "as", "ash", "at", "az", "ibn", "bin", "abu"}
)

# Languages whose apostrophes mark elided articles ("l'Élysée", "dell'Italia"),
# so the short piece before the apostrophe is dropped rather than glued on.
ELIDING_LANGUAGES = frozenset({"fr", "it", "ca", "pt"})

# Apostrophes and transliteration marks for ayn and hamza: dropped by folding,
# so "Baʿath", "Ba'ath" and "Baath" are one term.
_MARKS = "'’‘`´ʹʻʼʽʾʿˈ"
# Invisible format characters that sit inside words: the soft hyphen of hyphenated
# German ("Mo\u00addi\u00adfi\u00adka\u00adtion"), joiners (Persian's ZWNJ), the word
# joiner, bidirectional marks and a stray byte-order mark. They belong to the word
# they sit in and are dropped from its term. The zero-width space (U+200B) is
# not among them: it marks a break between words, so it splits like a space.
_IN_WORD_FORMAT = "\u00ad\u061c\u180e\u200c-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
_FORMAT_CODES = [0x00AD, 0x061C, 0x180E, 0x200B, *range(0x200C, 0x2010), *range(0x202A, 0x202F),
                 *range(0x2060, 0x2065), *range(0x2066, 0x2070), 0xFEFF]
_DROP_MARKS = {ord(c): None for c in _MARKS} | {code: None for code in _FORMAT_CODES}


def _combining_marks(start: int = 0x0300, stop: int = 0x3100) -> str:
    """A regex class body of the combining marks (Mn, Mc, Me) of the scripts up to
    kana: Python's \\w leaves them out, so without them an Arabic word with its
    vowel signs, a Hindi word with its virama or a Thai word with its tone marks
    would fall apart into pieces."""
    codes = [c for c in range(start, stop) if unicodedata.category(chr(c))[0] == "M"]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


# Letters that Unicode decomposition leaves alone but readers treat as plain.
_SPECIAL = str.maketrans(
    {"ø": "o", "đ": "d", "ł": "l", "ı": "i", "ħ": "h", "ŧ": "t", "ð": "d",
     "þ": "th", "æ": "ae", "œ": "oe", "ĳ": "ij",
     # Arabic normalisation (after decomposition has taken the hamza and madda off
     # alef and the vowel signs off every letter): alef wasla is alef, alef maqsura
     # is yeh, taa marbuta is heh, the Persian yeh and kaf are the Arabic ones, and
     # the tatweel that stretches a word is dropped.
     "ٱ": "ا", "ى": "ي", "ی": "ي", "ة": "ه", "ک": "ك", "ـ": None}
)

# Scripts written without spaces between words (Chinese, Japanese kana, Thai, Lao,
# Myanmar, Khmer) and Hangul: a run of them is indexed as overlapping character
# bigrams, as Lucene's CJK analyzer does, so "新竹" is found inside "新竹縣的寒流".
_UNSPACED_CHARS = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
                   "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f")
UNSPACED = re.compile(f"[{_UNSPACED_CHARS}]+")


def unspaced_pieces(raw: str) -> list[tuple[str, int, bool]]:
    """A token cut where unspaced script starts or stops: (text, offset, unspaced).
    "2021年3月" -> ("2021", 0, False), ("年", 4, True), ("3", 5, False), ("月", 6, True)."""
    pieces: list[tuple[str, int, bool]] = []
    start = 0
    for match in UNSPACED.finditer(raw):
        if match.start() > start:
            pieces.append((raw[start:match.start()], start, False))
        pieces.append((match.group(0), match.start(), True))
        start = match.end()
    if start < len(raw):
        pieces.append((raw[start:], start, False))
    return pieces


def bigrams(run: str) -> list[tuple[str, int]]:
    """(term, offset) of each overlapping pair of characters of a run; a lone character
    stands for itself. Terms are NFKC-normalised (half-width kana become full-width),
    not accent-folded: in kana a voicing mark is a different letter."""
    if len(run) == 1:
        return [(_unspaced_term(run), 0)]
    return [(_unspaced_term(run[i:i + 2]), i) for i in range(len(run) - 1)]


@lru_cache(maxsize=100_000)
def _unspaced_term(text: str) -> str:
    return unicodedata.normalize("NFKC", text)

_WORD = r"[\w" + _combining_marks() + "\ufe00-\ufe0f\ufe20-\ufe2f" + _IN_WORD_FORMAT + _MARKS[5:] + r"]+"
# A token is words joined by hyphens, apostrophes or dots ("al-Asad", "Ba'ath",
# "U.S.") or digits joined by commas ("1,000"); the joins are resolved below.
_JOIN = r"(?:[-‐‑.'’‘`´]|(?<=\d),(?=\d))"
TOKEN = re.compile(_WORD + "(?:" + _JOIN + _WORD + ")*")
HYPHEN = re.compile(r"[-‐‑]")
APOSTROPHE = re.compile(r"['’‘`´]")
MAX_TERM_CHARS = 100


def fold(text: str) -> str:
    """Case, accent and transliteration-mark folding for any plain string.

    "Erdoğan" -> "erdogan", "Baʿath" -> "baath", "Straße" -> "strasse"; full-width
    forms and ligatures become plain letters ("ＡＢＣ" -> "abc", "ﬁ" -> "fi") and
    format characters go ("Mo\u00addi\u00adfi\u00adka\u00adtion" -> "modifikation").
    Used for index terms and for comparing facet values or highlight words.
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.translate(_DROP_MARKS).translate(_SPECIAL)


# Romanised Arabic and Persian names write one diphthong two ways: "Ayn"/"Ain",
# "Zayd"/"Zaid", "Shawkat"/"Shaukat". Before a consonant or at the end of a word,
# "ay" is read as "ai" and "aw" as "au" (index and query alike); English loses
# little, as its stemmer already turns a final "ay" into "ai" ("day" -> "dai").
_DIPHTHONG = re.compile(r"a(?:(y)|w)(?![aeiouy])")


def _diphthongs(word: str) -> str:
    if "ay" not in word and "aw" not in word:
        return word
    return _DIPHTHONG.sub(lambda m: "ai" if m.group(1) else "au", word)


@lru_cache(maxsize=100_000)
def fold_word(word: str) -> str:
    """fold() for one token, diphthongs unified; words repeat (Zipf), so a cache saves most of the work."""
    if word.isascii() and word.isalnum():
        return _diphthongs(word.lower())
    return _diphthongs(fold(word))


def language_code(language: str) -> str:
    """The two-letter code for a language given as code or name ("english")."""
    key = (language or "en").strip().lower()
    if key in SUPPORTED_LANGUAGES:
        return key
    for code, name in SUPPORTED_LANGUAGES.items():
        if key == name:
            return code
    raise ValueError(
        f"unsupported language {language!r}; choose one of "
        + ", ".join(sorted(SUPPORTED_LANGUAGES))
    )


# Particles that are rarely English words join the next query word whatever its
# case; the others ("bin", "ad", "ash"...) only before a capitalised name.
_ALWAYS_JOIN = "al|el|ibn|abu"
_JOIN_BEFORE_NAME = "|".join(sorted(PARTICLES - set(_ALWAYS_JOIN.split("|"))))
_QUERY_PARTICLE = re.compile(
    r"(?<![\w:\-])((?i:" + _ALWAYS_JOIN + r")|(?i:" + _JOIN_BEFORE_NAME + r")(?=\s+[A-Z]))"
    r"\s+(?!(?:AND|OR|NOT|TO|ANDNOT|ANDMAYBE)\b)(?=[^\W\d_][^\s:]*(?:\s|$))"
)
_QUOTED = re.compile(r'("[^"]*")')


def join_particles(text: str) -> str:
    """Glue a particle to the next word in a query string: "al Asad" -> "al-Asad".

    Whoosh's parser analyses unquoted words one at a time, so "al" alone would
    stay a required word and "al Asad" would miss articles that write "Asad";
    joined, the analyzer drops the particle as it does for "al-Asad".  Phrases,
    field prefixes and operators are left alone.
    """
    parts = _QUOTED.split(text)
    return "".join(p if p.startswith('"') else _QUERY_PARTICLE.sub(r"\1-", p) for p in parts)
