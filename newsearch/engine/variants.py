"""A query's names widened to their other spellings (analysis/names.py).

Why: "Gaddafi" should find the papers that print "Qaddafi" or "Kadhafi". The index's
dictionary of printed words (engine/spelling.py) files every word printed capitalised
under its name key, so the other spellings of a typed word are one look-up; the word
then becomes "(Gaddafi OR Qaddafi OR Kadhafi)" before the query is parsed, each
spelling analysed as if typed, and one rarer than the typed word weighed by how much
rarer it is. Words in quotes or after a field name
are left as typed (a phrase cannot hold alternatives).
"""
from __future__ import annotations

import math
import re
from typing import Protocol

__all__ = ["MAX_VARIANTS", "typed_names", "with_name_variants"]

# At most this many other spellings per word, the commonest first.
MAX_VARIANTS = 8
_PHRASE = re.compile(r'"[^"]*"')
_WORD = re.compile(r"(?<![\w:*?\\])([^\W\d_]{4,})(?![\w:*?])")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})


class NameDictionary(Protocol):
    def name_variants(self, typed: str) -> list[tuple[str, int]]: ...

    def documents(self, word: str) -> int: ...


def _weight(typed: int, docs: int, articles: int) -> float:
    """A spelling rarer than the typed one counts in proportion to how much rarer it is,
    and its higher inverse document frequency is taken back: otherwise a misprint found
    in two articles ("Commmission") would rank above the thousands that print the name
    as typed."""
    if docs >= typed:
        return 1.0
    articles = max(articles, typed, 1)
    return (docs / typed) * math.log(1 + articles / typed) / math.log(1 + articles / max(1, docs))


def _weighed(word: str, weight: float) -> str:
    return word if weight >= 1 else f"{word}^{max(weight, 0.001):.3g}"


def with_name_variants(text: str, names: NameDictionary | None, articles: int) -> str:
    """`text` with each name outside quotes and fields joined by OR to its other spellings
    (`articles`: how many the index holds, for weighing rarer spellings)."""
    if names is None or not text.strip():
        return text
    pieces = []
    last = 0
    for phrase in _PHRASE.finditer(text):
        pieces.append(_widen(text[last:phrase.start()], names, articles))
        pieces.append(phrase.group(0))
        last = phrase.end()
    pieces.append(_widen(text[last:], names, articles))
    return "".join(pieces)


def typed_names(text: str) -> list[str]:
    """The words of `text` that with_name_variants looks up (an archive of shards asks
    every shard about them first)."""
    outside = _PHRASE.sub(" ", text)
    return sorted({word for word in _WORD.findall(outside) if word not in _OPERATORS})


def _widen(part: str, names: NameDictionary, articles: int) -> str:
    def replace(match: re.Match[str]) -> str:
        word = match.group(1)
        if word in _OPERATORS:
            return word
        others = names.name_variants(word)[:MAX_VARIANTS]
        if not others:
            return word
        typed = max(1, names.documents(word))
        return "(" + " OR ".join([word] + [_weighed(other, _weight(typed, docs, articles))
                                           for other, docs in others]) + ")"

    return _WORD.sub(replace, part)
