"""Sentence and paragraph boundaries, kept in the positions of indexed words.

A body's words are numbered as usual, and each position also carries the number of
its paragraph and sentence:

    position = paragraph << PARAGRAPH_SHIFT | sentence << SENTENCE_SHIFT | word

where `word` counts the field's words from 0 (so distances in words stay exact)
and `sentence` counts within the paragraph. Two words stand side by side (a phrase)
only when their positions differ by one, that is inside one sentence: a phrase never
runs over a sentence or paragraph break. The same sentence is the same
`position >> SENTENCE_SHIFT`; the same paragraph, `position >> PARAGRAPH_SHIFT`.

Paragraphs are separated by a blank line (as newsearch stores bodies). A sentence
ends at . ! or ? (maybe followed by a closing quote or bracket) before white space
and a capital letter, digit or opening quote, except after a known abbreviation
or a single capital letter (initials: "J. Smith", "U.S. officials").
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator

SENTENCE_SHIFT = 20
PARAGRAPH_SHIFT = 40
WORD_MASK = (1 << SENTENCE_SHIFT) - 1
# Longer units are cut: the word number must stay below 2**20, sentences below 2**20.
MAX_WORDS = WORD_MASK

_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# The stop is matched, not looked behind for: a pattern that starts with a character
# class lets the regex engine skip to the candidates (twice as fast on news bodies).
_SENTENCE_END = re.compile(r"""[.!?](["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])""")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Rep|Sen|Gov|Pres|Rev|Hon|No|Nos|Vol|Co|Corp|Inc|Ltd|"
    r"Bros|vs|etc|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mt|Ft|Ave|Blvd|Dept|Univ|"
    r"e\.g|i\.e|a\.m|p\.m)\.|\b[A-Z]\.|\b(?:[A-Za-z]\.){2,})$"
)
# Characters before a break that _ABBREVIATION needs to see: its longest word ("approx.")
# with room to spare; a run of initials matches on its last two as well as on all of them.
_LONGEST_ABBREVIATION = 16


def paragraphs(text: str) -> list[str]:
    return [p for p in _PARAGRAPH.split(text) if p.strip()]


def sentences(paragraph: str) -> Iterator[str]:
    """The sentences of one paragraph, in order."""
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        end = match.end(1)
        # Only the last few characters can hold the abbreviation: searching the whole
        # sentence so far made long paragraphs cost more per break than short ones.
        if _ABBREVIATION.search(paragraph, max(start, end - _LONGEST_ABBREVIATION), end):
            continue
        head = paragraph[start:end]
        if head.strip():
            yield head
        start = match.end()
    tail = paragraph[start:]
    if tail.strip():
        yield tail


def sentence_bases(text: str) -> Iterator[tuple[int, str]]:
    """Each sentence of `text` with the paragraph and sentence bits of its positions."""
    for number, paragraph in enumerate(paragraphs(text)):
        for count, sentence in enumerate(sentences(paragraph)):
            yield (number << PARAGRAPH_SHIFT) | (min(count, MAX_WORDS) << SENTENCE_SHIFT), sentence


def grouped(terms: Iterable[str], places: Iterable[int]) -> dict[str, list[int]]:
    """Terms and positions side by side as term -> positions (in the order given)."""
    found: dict[str, list[int]] = {}
    for term, at in zip(terms, places):
        where = found.get(term)
        if where is None:
            found[term] = [at]
        else:
            where.append(at)
    return found


def flattened(found: dict[str, list[int]]) -> tuple[list[str], list[int]]:
    """term -> positions as two lists side by side (grouped's inverse)."""
    terms: list[str] = []
    places: list[int] = []
    for term, where in found.items():
        terms += [term] * len(where)
        places += where
    return terms, places


def flat_positions_with_boundaries(text: str, positions: Callable[[str], dict[str, list[int]]],
                                   plain_terms: Callable[[str], list[str] | None] | None = None
                                   ) -> tuple[list[str], list[int]]:
    """The terms of `text` and their encoded positions, as two lists side by side, each
    term's positions ascending. `positions` gives term -> plain positions (from 0) for
    one piece of text, as the field's analysis numbers them. `plain_terms`, when given,
    gives a sentence's terms in order if each takes the next position (None otherwise):
    the common case, which then costs no dictionary per sentence."""
    terms_out: list[str] = []
    places: list[int] = []
    word = 0
    for base, sentence in sentence_bases(text):
        terms = plain_terms(sentence) if plain_terms is not None else None
        if terms is not None and word + len(terms) <= MAX_WORDS:
            terms_out += terms
            start = base + word  # base + n is base | n below 2**20
            places += range(start, start + len(terms))
            word += len(terms)
            continue
        plain = positions(sentence)
        if not plain:
            continue
        top = 0
        for term, where in plain.items():
            terms_out += [term] * len(where)
            places += [base | min(word + w, MAX_WORDS) for w in where]
            if where[-1] > top:
                top = where[-1]
        word += top + 1
    return terms_out, places


def word_number(position: int) -> int:
    return position & WORD_MASK


def sentence_of(position: int) -> int:
    return position >> SENTENCE_SHIFT


def paragraph_of(position: int) -> int:
    return position >> PARAGRAPH_SHIFT
