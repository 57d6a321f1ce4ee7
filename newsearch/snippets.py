"""Short excerpts of the body with the matched words marked.

Matching uses the index's own analyzer, so "attacks" is marked for a query on
"attack" and "Erdoğan" for "erdogan". The whole body is scanned (Whoosh's default
highlighter stops after 32 KB), and the lead is used when nothing matches.
"""
from __future__ import annotations

import re
from typing import Any

from .analysis import PARTICLES

MARK_OPEN = "**"
MARK_CLOSE = "**"
SNIPPET_CHARS = 240
_JOINER = re.compile(
    r"[ \-\u2010\u2011]+(?:(?:" + "|".join(sorted(PARTICLES)) + r")[ \-\u2010\u2011]+)?", re.I
)


def make_snippet(text: str, terms: frozenset[str], analyzer: Any, *, width: int = SNIPPET_CHARS) -> str:
    """The window of `text` with the most distinct matched terms, matches marked **so**."""
    if not text:
        return ""
    spans = _matching_spans(text, terms, analyzer) if terms else []
    if not spans:
        return _lead(text, width)
    start, end = _best_window(spans, width)
    window_start = max(0, start - width // 4)
    window_end = min(len(text), max(end, window_start + width))
    window_start = _snap_start(text, window_start, spans[0][0] if spans else start)
    pieces: list[str] = []
    cursor = window_start
    for s, e, _ in spans:
        if s < window_start or e > window_end:
            continue
        pieces.append(text[cursor:s])
        pieces.append(f"{MARK_OPEN}{text[s:e]}{MARK_CLOSE}")
        cursor = e
    pieces.append(text[cursor:window_end])
    snippet = _squash("".join(pieces))
    prefix = "…" if window_start > 0 else ""
    suffix = "…" if window_end < len(text) else ""
    return f"{prefix}{snippet}{suffix}"


def matching_spans(text: str, terms: frozenset[str], analyzer: Any) -> list[tuple[int, int]]:
    """Every (start, end) of `text` that a snippet would mark, for marking a whole body."""
    return [(s, e) for s, e, _ in _matching_spans(text, terms, analyzer)] if terms and text else []


def _matching_spans(text: str, terms: frozenset[str], analyzer: Any) -> list[tuple[int, int, str]]:
    spans: dict[tuple[int, int], str] = {}
    for token in analyzer(text, chars=True, mode="index", removestops=False):
        if token.text in terms and token.endchar > token.startchar:
            spans.setdefault((token.startchar, token.endchar), token.text)
    ordered = sorted((s, e, t) for (s, e), t in spans.items())
    merged: list[tuple[int, int, str]] = []
    for s, e, t in ordered:
        if merged and (s < merged[-1][1] or _JOINER.fullmatch(text, merged[-1][1], s)):
            # Overlapping, or one name split only by space, hyphen or a particle:
            # "Ain al-Asad" is marked as one phrase, not as "Ain" and "Asad".
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], e), last[2])
        else:
            merged.append((s, e, t))
    return merged


def _best_window(spans: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    best = (0, spans[0][0], spans[0][1])
    left = 0
    for right in range(len(spans)):
        while spans[right][1] - spans[left][0] > width:
            left += 1
        distinct = len({t for _, _, t in spans[left: right + 1]})
        score = distinct * 10 + (right - left)
        if score > best[0]:
            best = (score, spans[left][0], spans[right][1])
    return best[1], best[2]


def _snap_start(text: str, start: int, first_match: int) -> int:
    """Begin at a word boundary so the snippet doesn't open mid-word."""
    if start <= 0:
        return 0
    space = text.rfind(" ", 0, start)
    return space + 1 if space >= 0 and space + 1 <= first_match else start


def _lead(text: str, width: int) -> str:
    paragraph = text.strip().split("\n\n", 1)[0]
    if len(paragraph) <= width:
        return _squash(paragraph)
    cut = paragraph.rfind(" ", 0, width)
    return _squash(paragraph[: cut if cut > 0 else width]) + "…"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
