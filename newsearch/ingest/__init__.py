"""Ingest: sources -> parse -> engine, in worker processes, resumable and checked.

pipeline.py plans a run against the manifest and drives it; batches.py cuts the
inputs into units for workers.py's processes; manifest.py records what each input
file produced, so the next run knows what changed.
"""
from __future__ import annotations

from .pipeline import (
    DEFAULT_BATCH_SIZE,
    Failure,
    IngestOptions,
    IngestReport,
    Plan,
    Progress,
    index_paths,
    parse_paths,
    plan,
    recorded_failures,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Failure",
    "IngestOptions",
    "IngestReport",
    "Plan",
    "Progress",
    "index_paths",
    "parse_paths",
    "plan",
    "recorded_failures",
]
