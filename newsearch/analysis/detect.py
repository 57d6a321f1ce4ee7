"""Which language an article is written in: its declaration, checked against its text.

Pages declare a language (`<html lang>`, og:locale, Content-Language, a record's
`language` field), but the declaration is often a template's default: German blog
posts served as `lang="en"` are common. So the text decides when it speaks clearly
(py3langid, a naive Bayes model over byte n-grams that ships in its package, read
on a short sample: see benchmarks/languages.py for why this one), and the
declaration decides when the text is too short or too mixed to tell.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .byte_model import FastIdentifier

__all__ = ["SAMPLE_CHARS", "detect_language", "language_of", "load_model", "primary_code"]

# What detection reads: the start of the title and body. Agreement with the pages'
# declarations is nearly the same at 300 characters as at 2,000 (benchmarks/languages.py)
# and the cost grows with the length, so indexing pays about a millisecond.
SAMPLE_CHARS = 300
# Fewer letters than this and the text is not trusted over a declaration.
MIN_LETTERS = 40
# The detector's normalised probability needed to overrule a declaration, and to
# name a language when nothing is declared.
OVERRULE = 0.99
ACCEPT = 0.50
_LETTER = re.compile(r"[^\W\d_]")
# Codes the detector and declarations write differently for one language.
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "tl": "fil"}


def primary_code(declared: str) -> str:
    """"de-AT", "pt_BR", "EN" -> "de", "pt", "en"; "" for anything that is not a code."""
    code = re.split(r"[-_\s]", (declared or "").strip().lower(), maxsplit=1)[0]
    if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha()):
        return ""
    return _ALIASES.get(code, code)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The model, loaded once per process (about a second; never on the search path):
    read with numpy (byte_model.py) when its layout is the one that reader knows,
    else py3langid's own classifier."""
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        return None
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return FastIdentifier.of(identifier) or identifier


def load_model() -> None:
    """Load the model now. A build calls this before it forks its parser processes:
    the model's arrays (about 75 MB) are then pages the processes share, where each
    worker loading its own would hold a copy."""
    _identifier()


def _enough_letters(sample: str) -> bool:
    """Whether `sample` holds MIN_LETTERS letters. Most texts hold them in their first
    few words, so those are counted first (a list of every letter of the sample cost a
    fifth of detecting)."""
    if len(_LETTER.findall(sample, 0, 2 * MIN_LETTERS)) >= MIN_LETTERS:
        return True
    return len(_LETTER.findall(sample)) >= MIN_LETTERS


def detect_language(text: str) -> tuple[str, float] | None:
    """(code, probability) for the start of `text`, or None when it holds too few
    letters to tell (or the detector is not installed)."""
    sample = text[:SAMPLE_CHARS]
    if not _enough_letters(sample):
        return None
    identifier = _identifier()
    if identifier is None:
        return None
    # Lower-cased: wire copy and headlines in capitals read to the model as another
    # language (Reuters: 251 of its first 2,000 stories undecided as written, 141 lower-cased).
    code, probability = identifier.classify(sample.lower())
    return primary_code(code), float(probability)


def language_of(declared: str, text: str) -> str:
    """The article's language: what the text says when it says so clearly, else the
    declaration, else what the text most likely is; "" when nothing tells."""
    code = primary_code(declared)
    found = detect_language(text)
    if found is None:
        return code
    detected, probability = found
    if not code:
        return detected if probability >= ACCEPT else ""
    return detected if probability >= OVERRULE else code
