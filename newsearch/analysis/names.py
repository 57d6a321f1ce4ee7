"""Name keys: one key for the ways a name is written in Latin letters.

Why: papers transliterate Arabic, Persian and Russian names each their own way
(Qaddafi, Gaddafi, Kadhafi, Gadhafi, Khadafy; Mohammed, Muhammad, Mohamed;
Tchaikovsky, Chaikovsky, Tschaikowsky) and German place names lose their umlauts
(Muenchen for München). A search for one spelling should find the others. The key
folds what these systems disagree on and keeps what they agree on:

- accents and umlauts go ("ü" and "ue" both become "u");
- letters written for one sound become one: k, q, c before a/o/u, kh, and g or gh
  as the first letter; ch, tch, tsch; sh, sch; ph and f; w and v; dh and d; th and t;
  doubled letters are one;
- an "h" after the first letter goes (Mohammed/Mohamed, Gadhafi/Gaddafi);
- vowels keep three classes (a/e, o/u, i/y): they are written differently, but
  dropping them would make Paris, Peres and Prius one name.

Only words printed capitalised get a key (engine/spelling.py), and a key must hold
at least four letters, so common words are not joined to each other.
"""
from __future__ import annotations

import re
from functools import lru_cache

from . import fold

__all__ = ["MIN_KEY", "name_key"]

MIN_KEY = 4

_UMLAUT_PAIRS = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_GROUPS = [
    (re.compile(r"tsch|tch|ch"), "C"),  # upper case: kept apart from c, k and s
    (re.compile(r"sch|sh"), "S"),
    (re.compile(r"^(?:kh|gh|g)|kh|ck|q|c(?=[aou])|k"), "k"),  # g only first: Gaddafi, not bang/bank
    (re.compile(r"ph"), "f"),
    (re.compile(r"dh"), "d"),
    (re.compile(r"th"), "t"),
    (re.compile(r"w"), "v"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"c"), "s"),  # a soft c left over (before e, i, y)
]
_VOWELS = str.maketrans({"e": "a", "o": "u", "y": "i"})


@lru_cache(maxsize=100_000)
def name_key(word: str) -> str:
    """The key of a name ("Gaddafi" -> "kadafi", "München" -> "munkan"); "" for words
    too short or not made of letters."""
    text = fold(word)
    if not text.isalpha() or not text.isascii():
        return ""
    text = _UMLAUT_PAIRS.sub(lambda m: m.group(1)[0], text)
    for pattern, replacement in _GROUPS:
        text = pattern.sub(replacement, text)
    text = text[0] + text[1:].replace("h", "")
    text = text.translate(_VOWELS)
    text = re.sub(r"(.)\1+", r"\1", text).lower()
    return text if len(text) >= MIN_KEY else ""
