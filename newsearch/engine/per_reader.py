"""Values remembered for one reader object while it lives.

A cache keyed by `id(reader)` alone is wrong: once a refreshed searcher lets the old
reader go, CPython hands its address to the next reader, and a new commit would get
the old commit's per-document arrays (wrong facets and ids, or an index error when
the new commit is longer). Each entry here holds a weak reference to its reader, is
used only for that very object, and goes when the reader does.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Generic, Hashable, TypeVar

Value = TypeVar("Value")


class PerReader(Generic[Value]):
    """(reader, name) -> value, for live readers only; at most `limit` entries."""

    def __init__(self, limit: int = 32) -> None:
        self.limit = limit
        self._entries: dict[tuple[int, Hashable], tuple[Callable[[], Any], Value]] = {}
        self._lock = threading.RLock()  # a callback can run while put() holds it (GC)

    def get(self, reader: Any, name: Hashable) -> Value | None:
        held = self._entries.get((id(reader), name))
        if held is None or held[0]() is not reader:
            return None
        return held[1]

    def put(self, reader: Any, name: Hashable, value: Value) -> Value:
        key = (id(reader), name)
        try:
            ref: Callable[[], Any] = weakref.ref(reader, lambda dead: self._forget(key, dead))
        except TypeError:  # a reader type without weak references: held until cleared
            ref = lambda: reader  # noqa: E731
        with self._lock:
            if len(self._entries) >= self.limit:
                self._entries.clear()
            self._entries[key] = (ref, value)
        return value

    def _forget(self, key: tuple[int, Hashable], dead: Any) -> None:
        with self._lock:
            held = self._entries.get(key)
            if held is not None and held[0] is dead:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
