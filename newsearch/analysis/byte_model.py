"""py3langid's model read with numpy: the same answers at a third of the cost.

py3langid walks its byte automaton one byte at a time in Python and scores the
features it met against a float16 table, which numpy converts row by row; at
indexing rates that is about a tenth of a parser's time. Its automaton only
remembers the last few bytes (the state after reading a text is the state
reached from the start by reading the last `depth` bytes, where `depth` is the
deepest state's distance from the start), so the state after every byte can be
computed for all positions at once, in `depth` vectorised steps. The float16 table
stays as it is (28 MB, shared by the forked parser processes): the rows met are
widened through a 65,536-entry table of every float16's float32, exactly as numpy
converts them and twice as fast. A float32 copy of the table would be faster still
(8 us against 27 an article) but cost 60 MB more in a build.

`FastIdentifier.of` checks a model's layout and its own answers against
py3langid's on a few texts and gives None when they differ (another py3langid
version), so detection then falls back to py3langid itself.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

__all__ = ["FastIdentifier"]

_WALK_STATES = 1024  # states expanded at once by the walk that finds the deepest

# Texts the fast path must classify exactly as py3langid does before it is used.
_CHECKS = (
    "the minister said on tuesday that talks would resume next week in geneva",
    "die regierung hat am dienstag neue regeln für den handel beschlossen",
    "le gouvernement a annoncé mardi de nouvelles mesures pour les agriculteurs",
    "правительство объявило во вторник о новых мерах поддержки",
    "el presidente anunció el martes un plan de inversión en infraestructura",
    "x",
)


class FastIdentifier:
    """classify(text) -> (language code, normalised probability), as py3langid's
    LanguageIdentifier(norm_probs=True).classify gives for lower-cased text."""

    def __init__(self, identifier: Any) -> None:
        self._encode = identifier._encode
        self._next = np.frombuffer(identifier.tk_nextmove, dtype=np.dtype(identifier.tk_nextmove.typecode))
        self._rows = np.asarray(identifier._rowbase, dtype=np.int64)
        self._feature = np.asarray(identifier.tk_output, dtype=np.int64)
        table = np.asarray(identifier.nb_ptc)
        if table.dtype == np.float16:
            self._halves: np.ndarray | None = table.view(np.uint16)
            self._widened = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)
        else:
            self._halves, self._table = None, table.astype(np.float32, copy=False)
        self._prior = np.asarray(identifier.nb_pc, dtype=np.float32)
        self._classes: Sequence[str] = list(identifier.nb_classes)
        self._aliases: list[tuple[int, int]] = list(identifier._alias_pairs)
        self.depth = self._deepest_state()

    @classmethod
    def of(cls, identifier: Any) -> "FastIdentifier | None":
        """The fast reader of `identifier`'s model, or None when its layout or answers
        are not py3langid 0.4's."""
        try:
            if not getattr(identifier, "_norm_probs", False) or identifier.min_confidence is not None:
                return None
            if len(identifier.tk_output) != len(identifier._rowbase) or not all(
                    isinstance(f, int) for f in identifier.tk_output[:100]):
                return None
            fast = cls(identifier)
        except (AttributeError, TypeError, ValueError):
            return None
        for text in _CHECKS:
            expected, probability = identifier.classify(text)
            found, found_probability = fast.classify(text)
            if found != expected or abs(found_probability - probability) > 1e-4:
                return None
        return fast

    def _deepest_state(self) -> int:
        """The most bytes any state needs from the start (a breadth-first walk, a few
        thousand states at a time: whole levels at once left tens of megabytes of freed
        heap in the process that forks the parsers)."""
        depth = np.full(len(self._rows), -1, dtype=np.int32)
        depth[0] = 0
        frontier = np.zeros(1, dtype=np.int64)
        level = 0
        every_byte = np.arange(256, dtype=np.int64)
        while frontier.size:
            level += 1
            for start in range(0, frontier.size, _WALK_STATES):
                reached = self._next[(self._rows[frontier[start:start + _WALK_STATES]][:, None]
                                      + every_byte).ravel()]
                depth[reached[depth[reached] < 0]] = level
            frontier = np.flatnonzero(depth == level)
        return int(depth.max())

    def classify(self, text: str | bytes) -> tuple[str, float]:
        data = self._encode(text)
        scores = self._scores(np.frombuffer(data, dtype=np.uint8).astype(np.int64))
        for first, duplicate in self._aliases:
            scores[first] += scores[duplicate]
            scores[duplicate] = 0.0
        best = int(scores.argmax())
        return self._classes[best], float(scores[best])

    def _scores(self, data: np.ndarray) -> np.ndarray:
        count = data.size
        states = np.zeros(count, dtype=np.int64)
        for step in range(self.depth):
            lag = self.depth - 1 - step  # bytes read from the start: those lag positions back
            if lag < count:
                states[lag:] = self._next[self._rows[states[lag:]] + data[:count - lag]]
        features = self._feature[states]
        features = features[features >= 0]
        if features.size:
            met, times = np.unique(features, return_counts=True)
            rows = self._table[met] if self._halves is None else self._widened.take(self._halves.take(met, axis=0))
            scores = np.log1p(times.astype(np.float32)) @ rows + self._prior
        else:  # nothing known: every language equally likely
            scores = np.zeros(len(self._classes), dtype=np.float32)
        scores *= 1.0 / math.sqrt(count or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        return scores
