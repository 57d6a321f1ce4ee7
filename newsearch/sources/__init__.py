"""Finding inputs: files, folders and globs -> source files and raw documents.

Each source names where a document came from (a path, later a bundle member or a
WARC record), how to read its bytes and how to fingerprint it for incremental runs.
Sources know nothing of parsing or of the engine.
"""
from __future__ import annotations

from .files import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    DEFAULT_MAX_FILE_BYTES,
    HTML_SUFFIXES,
    JSON_SUFFIXES,
    JSONL_SUFFIXES,
    KINDS,
    TEXT_SUFFIXES,
    RawDocument,
    Skipped,
    SourceFile,
    content_bytes,
    find_sources,
    input_covers,
    is_index_folder,
    is_not_article,
    iter_lines,
    kind_from_name,
    read_bytes,
    resolve,
    resolve_input,
    sniff_kind,
)

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "DEFAULT_MAX_FILE_BYTES",
    "HTML_SUFFIXES",
    "JSON_SUFFIXES",
    "JSONL_SUFFIXES",
    "KINDS",
    "TEXT_SUFFIXES",
    "RawDocument",
    "Skipped",
    "SourceFile",
    "content_bytes",
    "find_sources",
    "input_covers",
    "is_index_folder",
    "is_not_article",
    "iter_lines",
    "kind_from_name",
    "read_bytes",
    "resolve",
    "resolve_input",
    "sniff_kind",
]
