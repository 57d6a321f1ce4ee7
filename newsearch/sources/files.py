"""Finding inputs and reading them as raw documents, before any parsing.

A path may be a file, a folder (searched recursively) or a glob. `.gz` files are
read transparently, with a cap on the decompressed size so a gzip bomb is refused
rather than expanded. JSON Lines files yield one raw document per line.

A file's identity is its resolved path (symlinks and `..` resolved), so the same
folder typed relatively or absolutely is the same input; an index declared in a
repository keys its files relative to the declaration's root instead, so a moved
checkout still matches (`key`).
"""
from __future__ import annotations

import glob
import gzip
import io
import os
import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from stat import S_ISREG
from typing import Any, Iterable, Iterator

from ..errors import ParseError
from .bundles import SEPARATOR, is_bundle, member_path, members, open_member, read_member, split_member

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx"}
TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}
WARC_SUFFIXES = {".warc", ".arc"}  # web archives: WARC, and ARC before it
FEED_SUFFIXES = {".rss", ".atom", ".rdf", ".xml"}  # .xml: only when the content is a feed or sitemap
KINDS = ("html", "text", "jsonl", "json", "warc", "feed")

DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_DECOMPRESSED_BYTES = 200 * 1024 * 1024
_IGNORED_NAMES = {".DS_Store", "Thumbs.db"}
# Names never taken as articles when a folder or glob is walked, in any case and with
# any extension (README, readme.txt, SOURCE.TXT, LICENSE.md): files that describe a
# collection, its origin or its terms; they are not in it. Named on the command line,
# such a file is read like any other.
_NOT_ARTICLES = ("readme", "source", "sources", "license", "licence", "copying", "notice", "changelog")
# Files only a newsearch index folder holds (store.META_FILE, locking.LOCK_FILE),
# so `newsearch index .` never reads its own index as input.
_INDEX_MARKERS = ("newsearch.json", "newsearch.lock")
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """One input file and what newsearch believes it holds."""

    path: str  # resolved, absolute: where to read it
    kind: str  # one of KINDS
    # The folder between the input root and the file (its parent's name), used when
    # section_from_dir is on; "" for a file directly in the root or named on its own.
    section_hint: str = ""
    size: int = 0
    mtime: float = 0.0
    key: str = ""  # its identity in an index, when not `path` (relative to a declaration)

    @property
    def identity(self) -> str:
        """What the index and the manifest know this file by."""
        return self.key or self.path


@dataclass(frozen=True)
class Skipped:
    """A file passed over while walking a folder or glob, and why (for the summary)."""

    path: str
    reason: str
    line: int | None = None  # the record of a file of many (a WARC record's number)


@dataclass(frozen=True)
class RawDocument:
    """The undecoded content of one article: a whole file, or one JSON Lines line."""

    path: str
    kind: str
    data: bytes
    line: int | None = None
    section_hint: str = ""
    # A page from a web archive: the URL fetched, when, and the charset HTTP declared.
    url: str | None = None
    fetched: datetime | None = None
    charset: str | None = None


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
        ("warc", WARC_SUFFIXES),
        ("feed", FEED_SUFFIXES),
    ):
        if suffix in suffixes:
            return kind
    return None


def sniff_kind(head: bytes) -> str | None:
    """Guess the kind of an unnamed input from its first bytes; None for binary data."""
    if not head:
        return "text"
    if head.lstrip(b"\r\n").startswith((b"WARC/", b"filedesc://")):
        return "warc"
    if b"\x00" in head[:1024] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _is_feed(stripped):
        return "feed"
    lowered = stripped[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<!--")):
        return "html"
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0].rstrip()
        return "jsonl" if first_line.endswith(b"}") else "json"
    if stripped.startswith(b"["):
        return "json"
    return "text"


_SITEMAP = re.compile(rb"<(?:\w+:)?(?:urlset|sitemapindex)[\s>]")
_FEED = re.compile(rb"<(?:\w+:)?(?:rss|feed|RDF)[\s>]")
_JSON_FEED = re.compile(rb"^\s*\{.{0,400}jsonfeed\.org", re.S)
_FEED_SNIFF = 8192


def feed_kind(head: bytes) -> str | None:
    """'sitemap', 'json' (JSON Feed) or 'xml' (RSS, Atom) for a file's first bytes, else None."""
    head = head[:_FEED_SNIFF]
    if _JSON_FEED.match(head):
        return "json"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower().startswith((b"<!doctype html", b"<html")):
        return None
    if _SITEMAP.search(head):
        return "sitemap"
    if _FEED.search(head):
        return "xml"
    return None


def _is_feed(head: bytes) -> bool:
    return feed_kind(head) is not None


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


def is_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[") and not os.path.exists(path)  # "photo[1].html" is a name


def _expand(path: str) -> list[Path]:
    if is_glob(path):
        return [Path(p) for p in sorted(glob.glob(path, recursive=True))]
    return [Path(path)]


def resolve(path: str | os.PathLike[str]) -> str:
    """A path's identity: absolute, with symlinks and `..` resolved."""
    return os.path.realpath(os.fspath(path))


def glob_root(pattern: str) -> str:
    """The folder a glob searches from: its longest prefix without wildcards."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    return resolve(os.path.join(*fixed) if fixed else ".")


def resolve_input(given: str | os.PathLike[str]) -> str:
    """An input as typed -> its identity: a resolved path, or a glob rooted at a resolved folder."""
    text = os.fspath(given)
    if not is_glob(text):
        return resolve(text)
    root, parts = glob_root(text), Path(text).parts
    rest = [p for i, p in enumerate(parts) if any(ch in "".join(parts[: i + 1]) for ch in "*?[")]
    return os.path.join(root, *rest)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regular expression with glob's own rules: `*` and `?` stay within a
    folder name, `**` crosses folders, `[...]` is a class."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:end]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def input_covers(resolved_input: str, path: str) -> bool:
    """Whether indexing `resolved_input` (from resolve_input) would find the file at
    `path` (resolved): the file itself, a file under the folder, or a glob match.
    This is what "files that were indexed from that same input" means for pruning."""
    if is_glob(resolved_input):
        return _glob_regex(resolved_input).match(path) is not None
    return (path == resolved_input or path.startswith(resolved_input.rstrip(os.sep) + os.sep)
            or path.startswith(resolved_input + SEPARATOR))


def is_not_article(name: str) -> bool:
    """README, SOURCE, LICENSE and similar files (any case, any extension) describe a
    collection; met in a folder, they are never articles."""
    return _strip_gz(name).split(".", 1)[0].casefold() in _NOT_ARTICLES


def find_sources(
    paths: Iterable[str | os.PathLike[str]],
    *,
    kind: str | None = None,
    root: str | os.PathLike[str] | None = None,
    skipped: list[Skipped] | None = None,
) -> Iterator[SourceFile | ParseError]:
    """Yield every input file under `paths` in a stable order, each once.

    Missing paths, unreadable files and binary files are yielded as ParseError
    values, not raised, so one bad path never hides the good ones. Inside folders
    and globs, files with an unknown extension and README files are passed over
    (listed in `skipped` when given). `kind` forces a format. With `root`, each
    file's `key` is its path relative to `root` (a declared index's files).
    """
    seen: set[str] = set()
    for given in paths:
        text = os.fspath(given)
        matches = _expand(text)
        if not matches or not matches[0].exists():
            yield ParseError(text, "no such file, folder or glob match")
            continue
        searched_from = glob_root(text) if is_glob(text) else None
        for match in matches:
            walking = match.is_dir()
            if walking and is_index_folder(match):
                yield ParseError(str(match), "a newsearch index folder, not articles")
                continue
            base = searched_from or (resolve(match) if walking else None)
            for file in _walk(match) if walking else [match]:
                path = resolve(file)
                if path in seen:
                    continue
                seen.add(path)
                if kind is None and is_bundle(file.name):
                    yield from _bundle_sources(path, root=root, skipped=skipped)
                    continue
                if (walking or searched_from) and kind is None:
                    reason = _not_a_candidate(file.name)
                    if reason:
                        if skipped is not None:
                            skipped.append(Skipped(path, reason))
                        continue
                found = _describe(Path(path), kind, base=base, root=root, walking=walking or bool(searched_from))
                if isinstance(found, Skipped):
                    if skipped is not None:
                        skipped.append(found)
                    continue
                yield found


def _bundle_sources(bundle: str, *, root: str | os.PathLike[str] | None,
                    skipped: list[Skipped] | None) -> Iterator[SourceFile | ParseError]:
    """The members of a zip or tar bundle, as a folder's files are found (see bundles.py)."""
    for member in members(bundle):
        if isinstance(member, ParseError):
            yield member
            continue
        name = PurePosixPath(member.name).name
        reason = _not_a_candidate(name)
        if reason:
            if skipped is not None:
                skipped.append(Skipped(member.path, reason))
            continue
        found = kind_from_name(name)
        if found is None or found in ("json", "feed"):
            try:
                head = read_member(member.path, max_bytes=DEFAULT_MAX_FILE_BYTES,
                                   max_decompressed_bytes=DEFAULT_MAX_DECOMPRESSED_BYTES)[:_FEED_SNIFF]
            except ParseError as exc:
                yield exc
                continue
            if name.lower().endswith(".gz"):
                head = _gunzip_head(head)
            if found is None:
                found = sniff_kind(head)
            elif found == "json" and _is_feed(head):
                found = "feed"
            elif found == "feed" and not _is_feed(head):
                if skipped is not None:
                    skipped.append(Skipped(member.path, "XML files that are not feeds or sitemaps"))
                continue
        if found is None:
            yield ParseError(member.path, "binary or unknown file type, skipped")
            continue
        key = member_path(os.path.relpath(bundle, root), member.name) if root is not None else ""
        yield SourceFile(path=member.path, kind=found, section_hint=PurePosixPath(member.name).parent.name,
                         size=member.size, mtime=member.mtime, key=key)


def _gunzip_head(data: bytes, size: int = 4096) -> bytes:
    try:
        return zlib.decompressobj(31).decompress(data, size)
    except zlib.error:
        return b""


def _not_a_candidate(name: str) -> str | None:
    """Why a file met in a folder or glob is not read, or None to read it. Files of a
    known kind and extension-less ones (sniffed) are read; README files, images,
    stylesheets and the like are passed over."""
    if is_not_article(name):
        return "README, SOURCE or LICENSE files, about the collection"
    if kind_from_name(name) is None and "." in _strip_gz(name):
        return "not an article file type"
    return None


def _section_hint(path: Path, base: str | None) -> str:
    """The name of the folder between the input root and the file, never the root itself."""
    parent = str(path.parent)
    if base is None or parent == base or not parent.startswith(base.rstrip(os.sep) + os.sep):
        return ""
    return path.parent.name


def _describe(file: Path, forced_kind: str | None, *, base: str | None = None,
              root: str | os.PathLike[str] | None = None, walking: bool = False) -> SourceFile | ParseError | Skipped:
    try:
        stat = file.stat()
    except OSError as exc:
        return ParseError(str(file), f"cannot read: {exc.strerror or exc}")
    if not S_ISREG(stat.st_mode):
        return ParseError(str(file), "not a regular file (device, pipe or socket), skipped")
    found = forced_kind or kind_from_name(file.name)
    if forced_kind is None and found in ("json", "feed"):
        try:
            is_feed = _is_feed(_read_head(file, _FEED_SNIFF))
        except (OSError, ParseError):
            is_feed = found == "feed"  # reading will name the problem
        if found == "json" and is_feed:
            found = "feed"  # a JSON Feed
        elif found == "feed" and not is_feed:
            return Skipped(str(file), "XML files that are not feeds or sitemaps") if walking else \
                ParseError(str(file), "neither a feed (RSS, Atom, JSON Feed) nor a news sitemap")
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
        section_hint=_section_hint(file, base),
        size=stat.st_size,
        mtime=stat.st_mtime,
        key=os.path.relpath(file, root) if root is not None else "",
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
    """Read a whole file (decompressing .gz), refusing files over the size limits. A
    bundle member (`bundle.zip!/page.html`) is read from its bundle."""
    if SEPARATOR in path and split_member(path) is not None:
        data = read_member(path, max_bytes=max_bytes, max_decompressed_bytes=max_decompressed_bytes)
        if path.lower().endswith(".gz"):
            return b"".join(_gunzip_stream(gzip.GzipFile(fileobj=io.BytesIO(data)), path, max_decompressed_bytes))
        return data
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
    with gzip.open(path, "rb") as handle:
        yield from _gunzip_stream(handle, path, limit)


def _gunzip_stream(handle: Any, path: str, limit: int) -> Iterator[bytes]:
    total = 0
    while True:
        try:
            chunk = handle.read(_READ_CHUNK)
        except (OSError, EOFError, zlib.error) as exc:
            raise ParseError(path, f"not a valid gzip file ({exc})") from exc
        if not chunk:
            return
        total += len(chunk)
        if total > limit:
            raise ParseError(path, f"decompresses to more than {limit:,} bytes (limit), refused")
        yield chunk


def is_member(path: str) -> bool:
    """A path inside a zip or tar bundle (`bundle.zip!/page.html`)."""
    return SEPARATOR in path and split_member(path) is not None


def open_input(path: str) -> Any:
    """A binary file object over an input: a file, a .gz file decompressed, a bundle member."""
    if is_member(path):
        handle = open_member(path)
        return gzip.GzipFile(fileobj=handle, mode="rb") if path.lower().endswith(".gz") else handle
    return gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")


def content_bytes(source: SourceFile) -> int:
    """How many bytes reading `source` will go through: a gzip file's stored
    uncompressed size (its last four bytes, exact below 4 GiB), else the file size.
    For progress reports only."""
    if not source.path.lower().endswith(".gz") or source.size < 18 or is_member(source.path):
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
    compressed = path.lower().endswith(".gz") or is_member(path)
    total = 0

    def count(size: int) -> None:
        nonlocal total
        total += size
        if compressed and total > max_decompressed_bytes:
            raise ParseError(path, f"decompresses to more than {max_decompressed_bytes:,} bytes (limit), refused")

    try:
        with open_input(path) as handle:
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

