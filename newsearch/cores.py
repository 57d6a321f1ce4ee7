"""How many cores this process may run on: the default number of workers and merges.

os.cpu_count() reports the machine's cores even when the process is confined to fewer
(a container's CPU set, `taskset`), which would start more workers than can run."""
from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may be scheduled on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)
