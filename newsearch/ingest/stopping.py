"""Ending a run cleanly on Ctrl-C (SIGINT) or SIGTERM.

A signal must not land in the middle of a commit, and the parser processes must
not each print a KeyboardInterrupt traceback. So the indexing process only notes
the signal (`StopSignals`), the pipeline asks at safe points (between results,
and a few times a second while it waits for a worker) and stops there: the
batches in flight are dropped, the workers are ended, the last commit stands.
Workers ignore SIGINT (the terminal sends it to the whole process group) and
keep SIGTERM's default, so ending them is quiet. A second signal stops at once.
"""
from __future__ import annotations

import signal
import threading
from typing import Any, Callable

from ..errors import NewsearchError

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(NewsearchError):
    """The run was asked to stop by a signal; raised at a safe point, caught by the pipeline."""

    def __init__(self, name: str) -> None:
        super().__init__(f"interrupted by {name}")
        self.name = name


class StopSignals:
    """While active (a context manager, main thread only), SIGINT and SIGTERM are noted
    instead of raising; `requested` names the first one. Call it as `stop` for
    index_paths: it returns the signal's name once one arrived, else None."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, Any] = {}

    def __call__(self) -> str | None:
        return self.requested

    def _note(self, signum: int, frame: Any) -> None:
        if self.requested is not None:
            raise KeyboardInterrupt  # asked twice: stop now
        self.requested = signal.Signals(signum).name

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


def quiet_worker() -> None:
    """Initializer of parser processes: Ctrl-C is the indexing process's to handle,
    and SIGTERM ends a worker at once, without Python's handler or a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def check(stop: Callable[[], str | None] | None) -> None:
    """Raise Interrupted when a stop was requested."""
    if stop is not None:
        name = stop()
        if name:
            raise Interrupted(name)
