"""What an indexing run did, told so that every number adds up.

Every input a run met is counted once, as exactly one of: new (an article the index
did not hold), replaced (an article the index held, same id), merged (same id as
another input of this run, which is named; the later one is kept), unchanged (in a
file skipped as unchanged), skipped (a file passed over, with the reason) or
failed (a file or record that could not be read, with the reason). An input is a
file, or a record of a JSON Lines or JSON file. Only committed work is counted:
an interrupted run reports what it kept, not what it had parsed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import ParseError
from ..sources import Skipped

OUTCOMES = ("new", "replaced", "merged", "unchanged", "skipped", "failed")


def plural(count: int, noun: str) -> str:
    """'1 article', '2,226 articles'."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class Failure:
    """One input that could not be indexed, and why."""

    path: str
    reason: str
    line: int | None = None

    @classmethod
    def from_error(cls, error: ParseError) -> "Failure":
        return cls(path=error.path, reason=error.reason, line=error.line)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "reason": self.reason}


KEPT_LATER = "kept the later one"
ENTRY_FILLS = "merged: the page gives the text, the feed entry fills what it lacks"


@dataclass(frozen=True)
class Merge:
    """An input whose article has the same id as another input's in the same run."""

    path: str
    line: int | None
    other_path: str
    other_line: int | None
    id: str
    how: str = KEPT_LATER  # KEPT_LATER, or ENTRY_FILLS for a feed entry and its page

    def __str__(self) -> str:
        here = f"{self.path}:{self.line}" if self.line is not None else self.path
        there = f"{self.other_path}:{self.other_line}" if self.other_line is not None else self.other_path
        return f"{here} has the same article id as {there}; {self.how}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "with_path": self.other_path,
                "with_line": self.other_line, "id": self.id, "how": self.how}


@dataclass(frozen=True)
class FailurePolicy:
    """Failures a run accepts: they are reported but do not fail the run.

    `known` lists inputs known to be bad ("PATH" for any failure of that file,
    "PATH:LINE" for one record), as the index knows them (relative to a declared
    index's root); `count` accepts up to that many failures of any input besides.
    A failure that is neither known nor within the count fails the run.
    """

    count: int = 0
    known: tuple[str, ...] = ()

    def allowed(self, failures: Iterable[Failure]) -> list[Failure]:
        """The failures this policy accepts, in order."""
        known = set(self.known)
        accepted, left = [], self.count
        for failure in failures:
            if failure.path in known or failure.where in known:
                accepted.append(failure)
            elif left > 0:
                accepted.append(failure)
                left -= 1
        return accepted


@dataclass(frozen=True)
class Progress:
    """Sent to the progress callback a few times a second during a run."""

    files_done: int
    files_total: int
    articles: int
    failures: int
    elapsed: float
    bytes_done: int = 0  # of input read so far (uncompressed), the measure of how far a run is
    bytes_total: int = 0
    merging: int = 0  # articles in background merges the run waits for at its end (0 while it reads)


@dataclass
class IngestReport:
    """What an indexing run did; `ok` is False when an input failed (beyond the
    accepted ones), the run stopped at a failure, or it was interrupted."""

    index: str
    files_found: int = 0
    files_indexed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    articles: int = 0  # articles written by this run (new + replaced + merged)
    articles_removed: int = 0  # articles deleted: of removed files, and replaced ones
    failures: list[Failure] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # files passed over, with the reason
    merges: list[Merge] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES[:4], 0))
    documents_before: int = 0
    documents: int = 0  # articles the index holds after the run
    seconds: float = 0.0
    stopped_early: bool = False
    interrupted: str | None = None  # the signal that stopped the run ("SIGINT", "SIGTERM")
    stale_lock_pid: int | None = None
    resumed: bool = False
    resumed_articles: int = 0  # articles an interrupted run had already committed
    policy: FailurePolicy = FailurePolicy()
    dates_rejected: int = 0  # dates dropped as implausible (zero, before the floor, after the fetch)
    articles_without_text: int = 0  # indexed from their title, date and byline alone

    # -- the accounting ---------------------------------------------------------

    @property
    def inputs(self) -> dict[str, int]:
        """Every input met, by outcome; the values add up to `inputs_total`."""
        return {**self.counts, "skipped": len(self.skipped), "failed": len(self.failures)}

    @property
    def inputs_total(self) -> int:
        return sum(self.inputs.values())

    @property
    def allowed_failures(self) -> list[Failure]:
        return self.policy.allowed(self.failures)

    @property
    def ok(self) -> bool:
        failing = len(self.failures) - len(self.allowed_failures)
        return not failing and not self.stopped_early and not self.interrupted

    @property
    def changed(self) -> bool:
        return bool(self.files_indexed or self.files_removed)

    def summary(self) -> str:
        """Two lines: what happened to every input, then what the index holds."""
        counts = self.inputs
        parts = [f"{counts['new']:,} new", f"{counts['replaced']:,} replaced"]
        parts.append(f"{counts['merged']:,} merged (same id as another input)" if counts["merged"]
                     else "0 merged")
        parts.append(f"{counts['unchanged']:,} unchanged")
        parts.append(self.skipped_summary() + " skipped" if self.skipped else "0 skipped")
        failed = f"{counts['failed']:,} failed"
        allowed = len(self.allowed_failures)
        if allowed:
            failed += f" ({allowed:,} of them accepted as known)"
        parts.append(failed)
        rate = self.articles / self.seconds if self.seconds > 0 else 0.0
        first = (f"{plural(self.inputs_total, 'input')}: " + ", ".join(parts)
                 + f"; {plural(self.files_indexed, 'file')} read in {self.seconds:.1f}s ({rate:,.0f} articles/s)")
        second = f"index holds {plural(self.documents, 'article')} (was {self.documents_before:,}"
        if self.files_removed:
            second += f"; {plural(self.files_removed, 'file')} removed"
        if self.articles_removed:
            second += f"; {self.articles_removed:,} deleted"
        second += ")"
        if self.articles_without_text:
            second += f"; {self.articles_without_text:,} without article text (indexed from their metadata)"
        if self.dates_rejected:
            second += f"; {self.dates_rejected:,} dates rejected as implausible"
        if self.interrupted:
            second += (f"; interrupted by {self.interrupted}: the articles above are committed and kept, "
                       "run the same command again to resume")
        elif self.stopped_early:
            second += "; stopped at the first failure (a fresh build is not swapped in)"
        elif not self.changed and not self.failures and not self.resumed:
            second += "; index already up to date"
        if self.resumed and not self.interrupted:
            second += f"; resumed an interrupted build ({plural(self.resumed_articles, 'article')} already built)"
        return first + "\n" + second

    def skipped_summary(self) -> str:
        """'2 (1 a README file, not an article; 1 not an article file type)'."""
        reasons: dict[str, int] = {}
        for item in self.skipped:
            reasons[item.reason] = reasons.get(item.reason, 0) + 1
        return f"{len(self.skipped):,} (" + "; ".join(f"{n:,} {r}" for r, n in sorted(reasons.items())) + ")"

    def to_dict(self) -> dict[str, Any]:
        allowed = self.allowed_failures
        return {
            "index": self.index,
            "inputs": {**self.inputs, "total": self.inputs_total},
            "documents": self.documents,
            "documents_before": self.documents_before,
            "files_found": self.files_found,
            "files_indexed": self.files_indexed,
            "files_unchanged": self.files_unchanged,
            "files_removed": self.files_removed,
            "articles": self.articles,
            "articles_removed": self.articles_removed,
            "failures": [dict(f.to_dict(), accepted=f in allowed) for f in self.failures],
            "merged": [m.to_dict() for m in self.merges],
            "skipped": [{"path": item.path, "reason": item.reason} for item in self.skipped],
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "interrupted": self.interrupted,
            "resumed": self.resumed,
            "resumed_articles": self.resumed_articles,
            "stale_lock_pid": self.stale_lock_pid,
            "dates_rejected": self.dates_rejected,
            "articles_without_text": self.articles_without_text,
        }
