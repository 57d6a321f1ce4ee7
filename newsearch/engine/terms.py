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
from typing import Any

from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader

__all__ = ["current_search", "new_search", "remember_terms"]

_SEARCHES = count(1)
_current = 0
_MISSING = (-1, -1)


def new_search() -> None:
    """Start a search: the look-ups remembered for earlier ones are dropped."""
    global _current
    _current = next(_SEARCHES)


def current_search() -> int:
    """The number of the search running (0 outside any), for memories kept per search."""
    return _current


class _RememberingTermsReader(W3TermsReader):
    """Whoosh's term table reader, answering a key asked again in a search from memory."""

    _seen: dict[bytes, tuple[int, int]]
    _seen_in: int

    def _place(self, key: bytes) -> tuple[int, int]:
        if self._seen_in != _current:
            self._seen, self._seen_in = {}, _current
        place = self._seen.get(key)
        if place is None:
            try:
                place = self._tindex.range_for_key(key)
            except KeyError:
                place = _MISSING
            self._seen[key] = place
        return place

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
            terms._seen, terms._seen_in = {}, -1
