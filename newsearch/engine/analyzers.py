"""Whoosh adapters for newsearch's text analysis (rules in newsearch.analysis).

NewsTokenizer applies the folding, particle and stop-word rules of
newsearch.analysis as a Whoosh Tokenizer; text_analyzer and name_analyzer build
the analyzers the schema uses.
"""
from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Callable, Iterator

from whoosh.analysis import Analyzer, CompositeAnalyzer, Filter, StemFilter, Token, Tokenizer
from whoosh.lang import stemmer_for_language, stopwords_for_language

from ..analysis import (
    APOSTROPHE,
    ELIDING_LANGUAGES,
    HYPHEN,
    MAX_TERM_CHARS,
    TOKEN,
    PARTICLES,
    UNSPACED,
    bigrams,
    fold,
    fold_word as _fold_word,
    language_code,
    unspaced_pieces,
)
from ..analysis.boundaries import grouped

__all__ = [
    "ATTESTED",
    "LanguageTagFilter",
    "LanguageText",
    "NewsTokenizer",
    "TAG",
    "TYPED",
    "attested_key",
    "language_analyzer",
    "language_tagger",
    "language_tokenizer",
    "tagged_positions",
    "fast_index_path",
    "name_analyzer",
    "text_analyzer",
]


class _Piece:
    """One word of a token after splitting on hyphens: folded text and offsets."""

    __slots__ = ("text", "start", "end", "particle", "group")

    def __init__(self, text: str, start: int, end: int, group: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.particle = False
        self.group = group


def _numbered(terms: list[str]) -> dict[str, list[int]]:
    """Term -> positions when each term takes the next position."""
    return grouped(terms, range(len(terms)))


class NewsTokenizer(Tokenizer):
    """Words, folded, with stop words closed up and particles made transparent.

    One class does splitting, folding, stop words and positions because they
    interact: a particle's position depends on the next surviving word, and a
    hyphenated compound also yields its joined form on its last word's position
    ("e-mail" -> e, mail, email) so "email address" matches "e-mail address".
    """

    def __init__(
        self,
        *,
        stoplist: frozenset[str] = frozenset(),
        particles: frozenset[str] = PARTICLES,
        elisions: bool = False,
    ) -> None:
        self.stoplist = frozenset(stoplist)
        self.particles = frozenset(particles)
        self.elisions = elisions

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self), self.stoplist, self.particles, self.elisions))

    # -- splitting -------------------------------------------------------
    def _words(self, raw: str, base: int, group: int) -> list[_Piece]:
        """The pieces of one token found at `base`: hyphen parts, apostrophes and dots resolved."""
        if raw.isalnum():  # the common case: one plain word
            text = _fold_word(raw)
            return [_Piece(text, base, base + len(raw), group)] if text else []
        pieces: list[_Piece] = []
        start = 0
        for part_match in list(HYPHEN.finditer(raw)) + [None]:
            end = part_match.start() if part_match else len(raw)
            pieces.extend(self._part(raw[start:end], base + start, group))
            start = end + 1
        return pieces

    def _unspaced(self, raw: str, base: int, group: int) -> list[_Piece]:
        """A token holding unspaced script: its runs as character bigrams, each on a
        position of its own (and a group of its own: no joined form), the rest as words."""
        pieces: list[_Piece] = []
        for text, offset, unspaced in unspaced_pieces(raw):
            if not unspaced:
                pieces.extend(self._words(text, base + offset, (group, offset)))  # type: ignore[arg-type]
                continue
            width = min(2, len(text))
            for term, i in bigrams(text):
                start = base + offset + i
                pieces.append(_Piece(term, start, start + width, (group, offset + i)))  # type: ignore[arg-type]
        return pieces

    def _part(self, part: str, offset: int, group: int) -> list[_Piece]:
        """One hyphen-free part: possessives, elisions, acronyms, decimals."""
        if not part:
            return []
        pieces = []
        # English possessive: "Kennedy's" -> "kennedy".
        if len(part) > 2 and part[-1] in "sS" and part[-2] in "'’":
            part = part[:-2]
        if self.elisions:
            m = APOSTROPHE.search(part)
            if m and 0 < m.start() <= 2 and len(part) - m.end() >= 2:
                offset += m.end()
                part = part[m.end():]
        segments = part.split(".")
        if len(segments) > 1 and not all(s.isdigit() for s in segments):
            if all(len(s) == 1 and s.isalpha() for s in segments):
                # An acronym: "U.S." -> "us", "U.N." -> "un".
                pieces.append(_Piece(_fold_word(part.replace(".", "")), offset, offset + len(part), group))
            else:
                # Words run together at a sentence end: "end.The" -> "end", "the".
                pos = offset
                for seg in segments:
                    if seg:
                        pieces.append(_Piece(_fold_word(seg), pos, pos + len(seg), group))
                    pos += len(seg) + 1
            return [p for p in pieces if p.text]
        text = _fold_word(part.replace(",", ""))
        return [_Piece(text, offset, offset + len(part), group)] if text else []

    def _pieces(self, value: str) -> list[_Piece]:
        """Every word of `value` in order, particles marked (a particle counts as one
        only when a real word follows it)."""
        pieces: list[_Piece] = []
        append = pieces.append
        for group, match in enumerate(TOKEN.finditer(value)):
            raw = match.group(0)
            if not raw.isascii() and UNSPACED.search(raw):
                pieces.extend(p for p in self._unspaced(raw, match.start(), group) if len(p.text) <= MAX_TERM_CHARS)
            elif raw.isalnum():  # the common case, without building a list
                text = _fold_word(raw)
                if text and len(text) <= MAX_TERM_CHARS:
                    append(_Piece(text, match.start(), match.end(), group))
            else:
                pieces.extend(p for p in self._words(raw, match.start(), group) if len(p.text) <= MAX_TERM_CHARS)
        nxt = None
        for piece in reversed(pieces):
            if piece.text in self.stoplist:
                continue
            piece.particle = piece.text in self.particles and nxt is not None
            nxt = piece
        return pieces

    def index_positions(self, value: str, stem: Callable[[str], str] | None = None,
                        memo: dict[str, str] | None = None) -> dict[str, list[int]]:
        """Term -> positions for indexing `value`: what the token stream gives in
        index mode with stop words removed, without building Token objects.

        Indexing spends most of its time here, so this path is kept lean (plain
        lists, no per-word objects); a test checks it against the token stream.
        With `memo` (raw token -> its term, "" for a word that takes no position),
        a text of plain words costs a dictionary look-up per word: words repeat.
        """
        if memo is not None:
            found = self._memoised_positions(value, stem, memo)
            if found is not None:
                return found
        texts: list[str] = []
        groups: list[object] = []  # a token's number, or (number, offset) inside one
        compound = False
        for group, raw in enumerate(TOKEN.findall(value)):
            if not raw.isascii() and UNSPACED.search(raw):
                compound = True
                for piece in self._unspaced(raw, 0, group):
                    if len(piece.text) <= MAX_TERM_CHARS:
                        texts.append(piece.text)
                        groups.append(piece.group)
            elif raw.isalnum():
                text = _fold_word(raw)
                if text and len(text) <= MAX_TERM_CHARS:
                    texts.append(text)
                    groups.append(group)
            else:
                pieces = [p for p in self._words(raw, 0, group) if len(p.text) <= MAX_TERM_CHARS]
                compound = compound or len(pieces) > 1
                for piece in pieces:
                    texts.append(piece.text)
                    groups.append(group)
        stoplist, particles = self.stoplist, self.particles
        positions: dict[str, list[int]] = {}
        if not compound and particles.isdisjoint(texts):
            # No joined forms and no particles: every kept word takes the next position.
            return _numbered([stem(t) if stem else t for t in texts if t not in stoplist])
        count = len(texts)
        # A particle takes no position of its own when a real word follows it.
        transparent = [False] * count
        follows = False
        for i in range(count - 1, -1, -1):
            text = texts[i]
            if text in stoplist:
                continue
            transparent[i] = follows and text in particles
            follows = True
        pos = 0
        last = count - 1
        for i in range(count):
            text = texts[i]
            if text in stoplist:
                continue
            group = groups[i]
            if (not transparent[i] and i > 0 and groups[i - 1] == group
                    and (i == last or groups[i + 1] != group)):
                first = i
                while first > 0 and groups[first - 1] == group:
                    first -= 1
                joined = "".join(texts[first:i + 1])
                if len(joined) <= MAX_TERM_CHARS:
                    term = stem(joined) if stem else joined
                    positions.setdefault(term, []).append(pos)
            term = stem(text) if stem else text
            positions.setdefault(term, []).append(pos)
            if not transparent[i]:
                pos += 1
        return positions

    def _memoised_positions(self, value: str, stem: Callable[[str], str] | None,
                            memo: dict[str, str]) -> dict[str, list[int]] | None:
        terms = self.plain_terms(value, stem, memo)
        return None if terms is None else _numbered(terms)

    def plain_terms(self, value: str, stem: Callable[[str], str] | None,
                    memo: dict[str, str]) -> list[str] | None:
        """The terms of a text whose every token is a plain word, in order, each on the
        next position: what index_positions gives, without the positions. A plain word
        is alphanumeric, not of an unspaced script and not a particle (unless also a
        stop word). None when a token is anything else (the full path then reads the
        text). `memo` maps raw tokens to terms ("" for a word that takes no position).

        The text is cut at white space first (no token spans it), and a piece holding
        one token is memoised whole, punctuation and all ("said,"): splitting costs a
        fifth of running the token pattern over the text, which then reads only
        pieces not seen before."""
        terms: list[str] = []
        append = terms.append
        for piece in value.split():
            term = memo.get(piece)
            if term is None:
                raws = TOKEN.findall(piece)
                if len(raws) != 1:
                    if not self._plain_pieces(raws, stem, memo, append):
                        return None
                    continue
                term = self._memoised_term(raws[0], stem, memo)
                if term is None:
                    return None
                if piece != raws[0]:
                    _remember(memo, piece, term)
            if term:
                append(term)
        return terms

    def _plain_pieces(self, raws: list[str], stem: Callable[[str], str] | None,
                      memo: dict[str, str], append: Callable[[str], None]) -> bool:
        """Append the terms of a piece's tokens (none, or several: "a/b"); False when
        one of them is not a plain word."""
        for raw in raws:
            term = self._memoised_term(raw, stem, memo)
            if term is None:
                return False
            if term:
                append(term)
        return True

    def _memoised_term(self, raw: str, stem: Callable[[str], str] | None, memo: dict[str, str]) -> str | None:
        """_plain_term of one token, looked up in `memo` first and kept there."""
        term = memo.get(raw)
        if term is None:
            term = self._plain_term(raw, stem)
            if term is None:
                return None
            _remember(memo, raw, term)
        return term

    def _plain_term(self, raw: str, stem: Callable[[str], str] | None) -> str | None:
        """A plain word's term ("" when it takes no position: a stop word, or nothing
        left after folding, or too long); None for a token that needs the full path."""
        if not raw.isalnum() or (not raw.isascii() and UNSPACED.search(raw)):
            return None
        text = _fold_word(raw)
        if not text or len(text) > MAX_TERM_CHARS or text in self.stoplist:
            return ""  # a stop word that is also a particle ("at") is only a stop word
        if text in self.particles:
            return None
        return stem(text) if stem else text

    # -- the tokenizer protocol -----------------------------------------------
    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = fold(value)
            t.boost, t.stopped = 1.0, False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return

        pieces = self._pieces(value)
        query = mode == "query"

        pos = start_pos
        for i, piece in enumerate(pieces):
            stopped = piece.text in self.stoplist
            if stopped and removestops:
                continue
            if piece.particle and query:
                continue
            last_of_compound = (
                not stopped
                and not piece.particle
                and i > 0
                and pieces[i - 1].group == piece.group
                and (i + 1 == len(pieces) or pieces[i + 1].group != piece.group)
            )
            if last_of_compound and not query:
                # Joined form of the whole compound, on the last word's position.
                first = i
                while first > 0 and pieces[first - 1].group == piece.group:
                    first -= 1
                joined = "".join(p.text for p in pieces[first:i + 1])
                if len(joined) <= MAX_TERM_CHARS:
                    yield self._emit(t, joined, pieces[first].start, piece.end,
                                     pos, start_char, value if keeporiginal else None)
            yield self._emit(t, piece.text, piece.start, piece.end, pos, start_char,
                             value if keeporiginal else None, stopped=stopped)
            if not stopped and not piece.particle:
                pos += 1

    @staticmethod
    def _emit(t: Token, text: str, start: int, end: int, pos: int, start_char: int,
              original: str | None, *, stopped: bool = False) -> Token:
        t.text = text
        t.boost = 1.0
        t.stopped = stopped
        if original is not None:
            t.original = original[start:end]
        if t.positions:
            t.pos = pos
        if t.chars:
            t.startchar, t.endchar = start_char + start, start_char + end
        return t


def _stoplist(code: str) -> frozenset[str]:
    try:
        words = stopwords_for_language(code)
    except Exception:  # Whoosh raises its own NoStopWords; any failure means none
        return frozenset()
    return frozenset(_fold_word(w) for w in words)


def text_analyzer(language: str = "en", *, stem: bool = True) -> Analyzer:
    """The analyzer for title, summary and body: fold, stop words, particles, stem.

    `language` is a code or name from SUPPORTED_LANGUAGES (English by default);
    it picks the Snowball stemmer and the stop-word list.
    """
    code = language_code(language)
    tokenizer = NewsTokenizer(stoplist=_stoplist(code), elisions=code in ELIDING_LANGUAGES)
    if not stem:
        return CompositeAnalyzer(tokenizer)
    return tokenizer | StemFilter(lang=code)


def name_analyzer() -> Analyzer:
    """The analyzer for bylines and author names: folding and particles only.

    No stop words and no stemming: stemming names makes unrelated ones collide
    ("Hastings" and "Hast"), and short name parts ("Le", "Do") matter.
    """
    return CompositeAnalyzer(NewsTokenizer())


_stem_caches: dict[object, Callable[[str], str]] = {}
# Raw token or whole piece ("said,") -> term, one table per analysis (fields analysed
# alike share it), each cleared when it reaches _MEMO_WORDS (some 30 MB).
_memos: dict[tuple, dict[str, str]] = {}
_MEMO_WORDS = 200_000


def _remember(memo: dict[str, str], key: str, term: str) -> None:
    """Keep `key`'s term, clearing the memo first when it holds _MEMO_WORDS entries
    (raw tokens and whole pieces alike)."""
    if len(memo) >= _MEMO_WORDS:
        memo.clear()
    memo[key] = term


class FastAnalysis:
    """One of our analyzers' index-time output without Token objects: called with a
    text it gives term -> positions; `plain_terms` gives a sentence's terms in order
    when all its words are plain (for numbering sentences without a dict per sentence)."""

    __slots__ = ("tokenizer", "stem", "memo")

    def __init__(self, tokenizer: NewsTokenizer, stem: Callable[[str], str] | None, memo: dict[str, str]) -> None:
        self.tokenizer = tokenizer
        self.stem = stem
        self.memo = memo

    def __call__(self, value: str) -> dict[str, list[int]]:
        return self.tokenizer.index_positions(value, self.stem, self.memo)

    def plain_terms(self, value: str) -> list[str] | None:
        return self.tokenizer.plain_terms(value, self.stem, self.memo)


def fast_index_path(analyzer: Analyzer) -> FastAnalysis | None:
    """A function giving term -> positions for `analyzer`'s index-time output, when
    the analyzer is one of ours (NewsTokenizer, then optionally a StemFilter);
    None for any other analyzer, whose token stream must then be used."""
    parts = _our_parts(analyzer)
    if parts is None:
        return None
    tokenizer, stemmer = parts
    if stemmer is None:
        return FastAnalysis(tokenizer, None, _memos.setdefault((tokenizer, None, None), {}))
    key = stemmer.lang or stemmer.stemfn
    cached = _cached_stem(stemmer)
    ignore = stemmer.ignore

    def stem(word: str) -> str:
        return word if word in ignore else cached(word)

    stem_word = cached if not ignore else stem
    return FastAnalysis(tokenizer, stem_word, _memos.setdefault((tokenizer, key, ignore), {}))


def _our_parts(analyzer: Analyzer) -> tuple[NewsTokenizer, StemFilter | None] | None:
    """(tokenizer, stemmer or None) when `analyzer` is one of ours: NewsTokenizer, then
    optionally a StemFilter; None for any other analyzer."""
    items = list(getattr(analyzer, "items", [analyzer]))
    if not items or type(items[0]) is not NewsTokenizer:
        return None
    if len(items) == 1:
        return items[0], None
    if len(items) != 2 or type(items[1]) is not StemFilter:
        return None
    return items[0], items[1]


def _cached_stem(stemmer: StemFilter) -> Callable[[str], str]:
    """`stemmer`'s stemming function behind functools' cache, which is much cheaper per
    call than Whoosh's own (a Python-level LFU), and words repeat. One cache per
    language: stemmer_for_language returns a new bound method each call, so keying by
    the function would start (and keep) a new cache for every schema."""
    key = stemmer.lang or stemmer.stemfn
    cached = _stem_caches.get(key)
    if cached is None:
        stemfn = stemmer_for_language(stemmer.lang) if stemmer.lang else stemmer.stemfn  # as StemFilter.clear()
        cached = _stem_caches[key] = lru_cache(maxsize=200_000)(stemfn)
    return cached


# Snowball stemmers that only take letters off the end of a folded word (or change its
# last ones), so that a stem begins with the word's first letter, lowercased (the
# folding leaves a few letters upper case, such as "C" from "ℂ"). Not Arabic's (ISRI
# removes prefixes) nor Russian's (it transliterates, which turns the Latin letters of
# a mixed word into Cyrillic). tests/test_analysis.py checks the rest on real words.
KEEPS_FIRST_LETTER = frozenset({"da", "de", "en", "es", "fi", "fr", "hu", "it", "nl", "no", "pt", "ro", "sv"})


def rereading_analyzer(analyzer: Analyzer, only_for: frozenset[str] | None = None) -> Callable[..., Iterator[Token]]:
    """`analyzer` for reading stored texts again (snippets, highlights, feedback): the
    same tokens, but for our tokenizer followed by a stemmer the stems come from
    functools' cache, shared with indexing, rather than Whoosh's Python-level one.

    With `only_for` (the terms a caller looks for, as snippets do), a word that cannot
    become one of them keeps its folded form instead of being stemmed: with a stemmer
    of KEEPS_FIRST_LETTER, one whose first letter no term starts with. Stemming every
    distinct word of ten bodies was half of a cold query's snippets; a token's text can
    then only be trusted as "one of `only_for` or not". This holds for an article in
    another language too (its terms are stems with the language's tag after them)."""
    if only_for is not None:
        spotting = _spotting_analyzer(analyzer, only_for)
        if spotting is not None:
            return spotting
    parts = _our_parts(analyzer)
    if parts is None or parts[1] is None:
        return analyzer
    tokenizer, stemmer = parts
    cached, ignore = _cached_stem(stemmer), stemmer.ignore

    def tokens(value: str, **kwargs: Any) -> Iterator[Token]:
        for token in tokenizer(value, **kwargs):
            if not token.stopped and token.text not in ignore:
                token.text = cached(token.text)
            yield token

    return tokens


def _spotting_analyzer(analyzer: Analyzer, only_for: frozenset[str]) -> Callable[..., Iterator[Token]] | None:
    """rereading_analyzer's tokens for `only_for`, or None when the analyzer's stemmer
    may change a first letter (or the analyzer is not one of ours)."""
    items = list(getattr(analyzer, "items", [analyzer]))
    if len(items) != 2 or type(items[0]) is not NewsTokenizer:
        return None
    tokenizer, second = items
    if type(second) is StemFilter and second.lang in KEEPS_FIRST_LETTER:
        # As StemFilter: stop words and the ignored words keep their text.
        term, ignore, stopped_too = _cached_stem(second), second.ignore, False
    elif type(second) is LanguageTagFilter and second.code in KEEPS_FIRST_LETTER:
        # As LanguageTagFilter: every token becomes its tagged term.
        term, ignore, stopped_too = language_tagger(second.code, second.stem), frozenset(), True
    else:
        return None
    firsts = frozenset(t[:1] for t in only_for)

    def spotting(value: str, **kwargs: Any) -> Iterator[Token]:
        for token in tokenizer(value, **kwargs):
            text = token.text
            first = text[:1]
            if ((stopped_too or not token.stopped) and text not in ignore
                    and (first in firsts or first.lower() in firsts or not first.isalnum())):
                token.text = term(text)
            yield token

    return spotting


# ---------------------------------------------------------------------------
# Articles in other languages than the index's own
#
# An article in the index's language is analysed as before (its terms untouched, so a
# one-language archive indexes and ranks exactly as it did). An article in another
# language L is analysed with L's stop words, elisions and Snowball stemmer, and each
# of its word terms carries L's tag ("student@de"), so one language's stems can only
# ever match words of that language; character bigrams stay untagged, shared by every
# language that writes Chinese characters. A query is read once per language present
# (engine/readings.py).

TAG = "@"


class LanguageText(str):
    """A text field's value together with its article's language.

    The analysis runs per field value, without the rest of the document; this is how
    the language travels with the text. `words` gathers the folded words it held
    (unstemmed), for the attested-words field."""

    language: str
    words: set[str] | None

    def __new__(cls, text: str, language: str) -> "LanguageText":
        value = super().__new__(cls, text)
        value.language = language
        value.words = None
        return value

    def __reduce__(self) -> tuple:
        return (LanguageText, (str(self), self.language))


def _has_stemmer(code: str) -> bool:
    try:
        stemmer_for_language(code)
    except Exception:  # Whoosh raises its own error for a language without a stemmer
        return False
    return True


@lru_cache(maxsize=None)
def language_tagger(code: str, stem: bool = True) -> Callable[[str], str]:
    """word -> its term in an article of language `code`: stemmed when the language has a
    Snowball stemmer (and stemming is on), tagged; bigrams of unspaced script unchanged."""
    stemfn = stemmer_for_language(code) if stem and _has_stemmer(code) else None
    suffix = TAG + code

    @lru_cache(maxsize=200_000)
    def term(word: str) -> str:
        if UNSPACED.match(word):
            return word
        return (stemfn(word) if stemfn else word) + suffix

    return term


@lru_cache(maxsize=None)
def language_tokenizer(code: str) -> NewsTokenizer:
    """The tokenizer with `code`'s stop words and elision rule."""
    return NewsTokenizer(stoplist=_stoplist(code), elisions=code in ELIDING_LANGUAGES)


def tagged_positions(code: str, stem: bool = True) -> Callable[..., dict[str, list[int]]]:
    """term -> positions for text of an article in language `code`; its unstemmed
    words are added to `words` when given (what the attested-words field holds)."""
    tokenizer = language_tokenizer(code)
    term = language_tagger(code, stem)

    def positions(value: str, words: set[str] | None = None) -> dict[str, list[int]]:
        plain = tokenizer.index_positions(value)
        if words is not None:
            words.update(plain)
        found: dict[str, list[int]] = {}
        for word, where in plain.items():
            key = term(word)
            held = found.get(key)
            if held is None:
                found[key] = where
            else:  # two words with one stem: their positions merged in order
                found[key] = sorted(held + where)
        return found

    return positions


class LanguageTagFilter(Filter):
    """Stems and tags the tokens of one language's text (see language_tagger).

    In query mode a word is stemmed only when `attested(code, word)` says that
    articles of this language print it: an English word such as "families" must not
    find German pages through the German stem of "Familien". Unattested words keep
    their tagged form as typed, which in practice matches nothing."""

    def __init__(self, code: str, stem: bool = True) -> None:
        self.code = code
        self.stem = stem

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        term = language_tagger(self.code, self.stem)
        attested = ATTESTED.get()
        typed = TYPED.get()
        for token in tokens:
            word = token.text
            if (token.mode == "query" and attested is not None and not UNSPACED.match(word)
                    and not attested(self.code, word)):
                token.text = word + TAG + self.code
            else:
                token.text = term(word)
            if typed is not None and token.mode == "query":
                typed[token.text] = word
            yield token


# Set while a query is parsed for one language: (code, folded word) -> whether articles
# of that language print the word. None outside a parse (every word is stemmed).
ATTESTED: ContextVar[Callable[[str, str], bool] | None] = ContextVar("newsearch_attested", default=None)
# Set while a query is parsed for one language: each query term -> the folded word it was
# typed as (what compound heads are looked up by).
TYPED: ContextVar[dict[str, str] | None] = ContextVar("newsearch_typed", default=None)


@lru_cache(maxsize=None)
def language_analyzer(code: str, stem: bool = True) -> Analyzer:
    """The analyzer for the text of an article in language `code` (not the index's own)."""
    return language_tokenizer(code) | LanguageTagFilter(code, stem)


def attested_key(code: str, word: str) -> str:
    """The attested-words field's term for a folded word of language `code`: reversed,
    so that the words ending in a given word share a prefix (compound heads)."""
    return code + ":" + word[::-1]
