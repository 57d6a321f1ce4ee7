"""Which segments to merge while a build goes on: tiers of similar size.

Every worker batch of a build becomes a segment, and every segment costs each
query a setup and a term look-up, so an index of a million articles in 50
segments answers slower than the same articles in five. Merging everything into
one at the end would rewrite the whole index in one process after the build;
merging by tiers rewrites each article about once per tenfold growth and runs
beside the build (background_merges.py). A segment's tier is how many times
`factor` its size is above `floor`; once `factor` neighbouring segments of one
tier are idle, they are merged into one of the next tier. Only neighbours are
merged, so the documents keep their order (ties in a ranking stay as they were),
and the segment count stays below `factor` per tier: it grows with the logarithm
of the corpus, not the corpus.

Segments under `floor` articles (small update runs) are left to the commit's own
small-segment merge (segments.py).

While the workers run, at most `at_once` merges run beside them: merges run at a lower
priority, so on a small machine two of them only share what the workers leave, while
each holds its own memory (benchmarks/README.md). The rest wait for a later commit, or
for the end of the build, when as many run as there are cores.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Collection

from ..cores import usable_cores


@dataclass(frozen=True)
class TieredMerges:
    """Merge `factor` neighbouring idle segments of one tier (sizes from `floor` up)."""

    factor: int = 10
    floor: int = 5_000
    at_once: int | None = None  # merges running at once while the build goes on; None: any number

    def __post_init__(self) -> None:
        if self.factor < 2 or self.floor < 1:
            raise ValueError("a merge policy needs a factor of at least 2 and a floor of at least 1")
        if self.at_once is not None and self.at_once < 1:
            raise ValueError("a merge policy runs at least one merge at a time")

    def tier(self, documents: int) -> int | None:
        """0 for segments from floor to factor x floor, 1 for the next tenfold, ...; None under floor."""
        if documents < self.floor:
            return None
        return int(math.log(documents / self.floor, self.factor) + 1e-9)

    def plan(self, segments: list[Any], busy: Collection[str]) -> list[list[Any]]:
        """Groups of segments to merge now, each `factor` neighbours of one tier,
        none of them `busy` (already being merged); the lowest tiers first."""
        groups: list[list[Any]] = []
        run: list[Any] = []
        run_tier: int | None = None
        for segment in segments:
            tier = None if segment.segment_id() in busy else self.tier(segment.doc_count_all())
            if tier is None or tier != run_tier:
                run, run_tier = [], tier
            if tier is None:
                continue
            run.append(segment)
            if len(run) == self.factor:
                groups.append(run)
                run, run_tier = [], None
        return sorted(groups, key=lambda group: sum(s.doc_count_all() for s in group))


# The policy of every IndexWriter that merges in the background (store.py).
DEFAULT_POLICY = TieredMerges(at_once=max(1, usable_cores() // 2))

__all__ = ["DEFAULT_POLICY", "TieredMerges"]
