"""Finding inputs and reading them as raw documents, before any parsing.

A path may be a file, a folder (searched recursively) or a glob. `.gz` files are
read transparently, with a cap on the decompressed size so a gzip bomb is refused
rather than expanded. JSON Lines files yield one raw document per line.
"""
from __future__ import annotations

import glob
import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Iterable, Iterator

from ..errors import ParseError

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx"}
TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}
KINDS = ("html", "text", "jsonl", "json")

DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_DECOMPRESSED_BYTES = 200 * 1024 * 1024
_IGNORED_NAMES = {".DS_Store", "Thumbs.db"}
# Files only a newsearch index folder holds (store.META_FILE, locking.LOCK_FILE),
# so `newsearch index .` never reads its own index as input.
_INDEX_MARKERS = ("newsearch.json", "newsearch.lock")
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """One input file and what newsearch believes it holds."""

    path: str
    kind: str  # one of KINDS
    section_hint: str = ""  # the parent folder's name, used when section_from_dir is on
    size: int = 0
    mtime: float = 0.0


@dataclass(frozen=True)
class RawDocument:
    """The undecoded content of one article: a whole file, or one JSON Lines line."""

    path: str
    kind: str
    data: bytes
    line: int | None = None
    section_hint: str = ""


def _strip_gz(name: str) -> str:
    return name[:-3] if name.lower().endswith(".gz") else name


def kind_from_name(name: str) -> str | None:
    """The input kind implied by a file name, ignoring a trailing .gz; None if unknown."""
    suffix = Path(_strip_gz(name)).suffix.lower()
    for kind, suffixes in (
        ("html", HTML_SUFFIXES),
        ("text", TEXT_SUFFIXES),
        ("jsonl", JSONL_SUFFIXES),
        ("json", JSON_SUFFIXES),
    ):
        if suffix in suffixes:
            return kind
    return None


def sniff_kind(head: bytes) -> str | None:
    """Guess the kind of an unnamed input from its first bytes; None for binary data."""
    if not head:
        return "text"
    if b"\x00" in head[:1024] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = stripped[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<!--")):
        return "html"
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0].rstrip()
        return "jsonl" if first_line.endswith(b"}") else "json"
    if stripped.startswith(b"["):
        return "json"
    return "text"


def is_index_folder(folder: Path) -> bool:
    """A newsearch index (or one being built): its files are not articles."""
    return any((folder / marker).exists() for marker in _INDEX_MARKERS)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not is_index_folder(Path(dirpath) / d)
        )
        for name in sorted(filenames):
            if not name.startswith(".") and name not in _IGNORED_NAMES:
                yield Path(dirpath) / name


def _expand(path: str) -> list[Path]:
    if any(ch in path for ch in "*?[") and not os.path.exists(path):  # "photo[1].html" is a name
        return [Path(p) for p in sorted(glob.glob(path, recursive=True))]
    return [Path(path)]


def find_sources(
    paths: Iterable[str | os.PathLike[str]], *, kind: str | None = None
) -> Iterator[SourceFile | ParseError]:
    """Yield every input file under `paths` in a stable order.

    Missing paths, unreadable files and binary files are yielded as ParseError
    values, not raised, so one bad path never hides the good ones. Inside folders,
    files with an unknown extension are ignored. `kind` forces a format.
    """
    seen: set[str] = set()
    for given in paths:
        matches = _expand(os.fspath(given))
        if not matches or not matches[0].exists():
            yield ParseError(os.fspath(given), "no such file, folder or glob match")
            continue
        for match in matches:
            walking = match.is_dir()
            if walking and is_index_folder(match):
                yield ParseError(str(match), "a newsearch index folder, not articles")
                continue
            for file in _walk(match) if walking else [match]:
                key = os.path.abspath(file)
                if key in seen:
                    continue
                seen.add(key)
                if walking and kind is None and not _walk_candidate(file.name):
                    continue
                yield _describe(file, kind)


def _walk_candidate(name: str) -> bool:
    """In a folder, take files of a known kind and extension-less ones (sniffed);
    images, stylesheets, READMEs and the like are not articles and are passed over."""
    return kind_from_name(name) is not None or "." not in _strip_gz(name)


def _describe(file: Path, forced_kind: str | None) -> SourceFile | ParseError:
    try:
        stat = file.stat()
    except OSError as exc:
        return ParseError(str(file), f"cannot read: {exc.strerror or exc}")
    if not S_ISREG(stat.st_mode):
        return ParseError(str(file), "not a regular file (device, pipe or socket), skipped")
    found = forced_kind or kind_from_name(file.name)
    if found is None:
        try:
            found = sniff_kind(_read_head(file))
        except (OSError, ParseError) as exc:
            return ParseError(str(file), f"cannot read: {getattr(exc, 'reason', exc)}")
        if found is None:
            return ParseError(str(file), "binary or unknown file type, skipped")
    return SourceFile(
        path=str(file),
        kind=found,
        section_hint=file.parent.name,
        size=stat.st_size,
        mtime=stat.st_mtime,
    )


def _read_head(file: Path, size: int = 4096) -> bytes:
    if file.name.lower().endswith(".gz"):
        with gzip.open(file, "rb") as handle:
            try:
                return handle.read(size)
            except (OSError, EOFError, zlib.error) as exc:
                raise ParseError(str(file), f"not a valid gzip file ({exc})") from exc
    with open(file, "rb") as handle:
        return handle.read(size)


def read_bytes(
    path: str,
    *,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> bytes:
    """Read a whole file (decompressing .gz), refusing files over the size limits."""
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise ParseError(path, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        if not path.lower().endswith(".gz"):
            with open(path, "rb") as handle:
                data = handle.read(max_bytes + 1)  # a file that grew since it was measured
            if len(data) > max_bytes:
                raise ParseError(path, f"file is over the {max_bytes:,}-byte limit")
            return data
        return b"".join(_gunzip_chunks(path, max_decompressed_bytes))
    except OSError as exc:
        raise ParseError(path, f"cannot read: {exc.strerror or exc}") from exc


def _gunzip_chunks(path: str, limit: int) -> Iterator[bytes]:
    total = 0
    with gzip.open(path, "rb") as handle:
        while True:
            try:
                chunk = handle.read(_READ_CHUNK)
            except (OSError, EOFError, zlib.error) as exc:
                raise ParseError(path, f"not a valid gzip file ({exc})") from exc
            if not chunk:
                return
            total += len(chunk)
            if total > limit:
                raise ParseError(
                    path, f"decompresses to more than {limit:,} bytes (limit), refused"
                )
            yield chunk


def content_bytes(source: SourceFile) -> int:
    """How many bytes reading `source` will go through: a gzip file's stored
    uncompressed size (its last four bytes, exact below 4 GiB), else the file size.
    For progress reports only."""
    if not source.path.lower().endswith(".gz") or source.size < 18:
        return source.size
    try:
        with open(source.path, "rb") as handle:
            handle.seek(-4, os.SEEK_END)
            stored = int.from_bytes(handle.read(4), "little")
    except OSError:
        return source.size
    return stored if stored >= source.size else source.size


def iter_lines(
    path: str,
    *,
    max_line_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> Iterator[tuple[int, bytes | ParseError]]:
    """Stream (line number, bytes) from a JSON Lines file, .gz or not, without loading it.

    An overlong line is yielded as a ParseError so the lines after it still count;
    an unreadable or oversized file raises ParseError.
    """
    compressed = path.lower().endswith(".gz")
    total = 0

    def count(size: int) -> None:
        nonlocal total
        total += size
        if compressed and total > max_decompressed_bytes:
            raise ParseError(path, f"decompresses to more than {max_decompressed_bytes:,} bytes (limit), refused")

    try:
        with (gzip.open if compressed else open)(path, "rb") as handle:
            number = 0
            while line := handle.readline(max_line_bytes + 1):
                number += 1
                count(len(line))
                if len(line) <= max_line_bytes:
                    if line.strip():
                        yield number, line
                    continue
                # Too long: skip the rest of the line without ever holding it whole.
                rest = line
                while not rest.endswith(b"\n") and (rest := handle.readline(_READ_CHUNK)):
                    count(len(rest))
                yield number, ParseError(path, f"line is over the {max_line_bytes:,}-byte limit", line=number)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ParseError(path, f"not a valid gzip file ({exc})") from exc
    except OSError as exc:
        raise ParseError(path, f"cannot read: {exc.strerror or exc}") from exc

