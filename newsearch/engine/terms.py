"""A term's place in a segment's term table, looked up once per search.

Whoosh looks a term up in the segment's hash table every time it is asked about it:
an Or weighs each branch by its document count, the matcher then asks whether the
term is there and reads its postings: three look-ups of one key per field and
segment, six where two language readings share their byline, section and tag terms.
Segments never change, so remembering the answers is always right; they are kept
for one search only (new_search), so memory stays small and a query's cost does not
depend on the queries before it.
"""
from __future__ import annotations

from itertools import count
from typing import Any, Callable, Hashable

from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader

__all__ = ["SearchMemo", "new_search", "remember_terms"]

_SEARCHES = count(1)
_current = 0
_MISSING = (-1, -1)


def new_search() -> None:
    """Start a search: the look-ups remembered for earlier ones are dropped."""
    global _current
    _current = next(_SEARCHES)


class SearchMemo:
    """Answers kept for the length of one search: dropped when the next one starts."""

    def __init__(self) -> None:
        self._held: dict[Hashable, Any] = {}
        self._search = -1

    def get(self, key: Hashable, compute: Callable[[Hashable], Any]) -> Any:
        """The answer for `key` in this search, from `compute(key)` the first time."""
        if self._search != _current:
            self._held, self._search = {}, _current
        held = self._held
        try:
            return held[key]
        except KeyError:
            answer = held[key] = compute(key)
            return answer


class _RememberingTermsReader(W3TermsReader):
    """Whoosh's term table reader, answering a key asked again in a search from memory."""

    _seen: SearchMemo

    def _place(self, key: bytes) -> tuple[int, int]:
        return self._seen.get(key, self._look_up)

    def _look_up(self, key: bytes) -> tuple[int, int]:
        try:
            return self._tindex.range_for_key(key)
        except KeyError:
            return _MISSING

    def _range_for_key(self, fieldname: str, tbytes: bytes) -> tuple[int, int]:
        place = self._place(self._keycoder(fieldname, tbytes))
        if place is _MISSING:
            raise KeyError(tbytes)
        return place

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self._place(self._keycoder(*term)) is not _MISSING

    def term_info(self, fieldname: str, tbytes: bytes) -> Any:
        place = self._place(self._keycoder(fieldname, tbytes))
        if place is _MISSING:
            return super().term_info(fieldname, tbytes)  # raises Whoosh's TermNotFound
        position, length = place
        return W3TermInfo.from_bytes(self._dbfile.get(position, length))


def remember_terms(reader: Any) -> None:
    """Make every segment of `reader` remember its term look-ups within a search
    (segments of other codecs are left as they are)."""
    leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    for leaf, _ in leaves:
        terms = getattr(leaf, "_terms", None)
        if type(terms) is W3TermsReader:
            terms.__class__ = _RememberingTermsReader
            terms._seen = SearchMemo()
