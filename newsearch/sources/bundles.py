"""Zip and tar bundles read as folders: each member is a source of its own.

Exports often ship as one archive of pages. Members are read in place, never
extracted to disk, so a member named `/etc/passwd` or `../../x` cannot write
anywhere; such names are reported all the same, as they mark a hostile or broken
bundle. A member is known as `BUNDLE!/path/in/bundle` (in messages, in `path`, in
the manifest) and fingerprinted by its size and modification time, so an
incremental run reads only the members that changed. Reading a member is capped
like a `.gz` file: its declared size against the file limit, the bytes it
decompresses to against the decompression limit (a zip bomb is refused, not
expanded).
"""
from __future__ import annotations

import io
import os
import tarfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, Iterator

from ..errors import ParseError

SEPARATOR = "!/"
BUNDLE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One regular file inside a bundle."""

    bundle: str
    name: str  # the member's path inside the bundle, as stored
    size: int  # declared uncompressed size
    mtime: float

    @property
    def path(self) -> str:
        return member_path(self.bundle, self.name)


def is_bundle(name: str) -> bool:
    return name.lower().endswith(BUNDLE_SUFFIXES)


def member_path(bundle: str, name: str) -> str:
    return f"{bundle}{SEPARATOR}{name}"


def split_member(path: str) -> tuple[str, str] | None:
    """'a/b.zip!/x/y.html' -> ('a/b.zip', 'x/y.html'); None for an ordinary path."""
    at = path.find(SEPARATOR)
    while at >= 0:
        bundle = path[:at]
        if is_bundle(bundle) and os.path.isfile(bundle):
            return bundle, path[at + len(SEPARATOR):]
        at = path.find(SEPARATOR, at + 1)
    return None


def unsafe_name(name: str) -> str | None:
    """Why a member name could write outside a folder it were extracted to, or None."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "member path is absolute"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "member path climbs out of the bundle with '..'"
    return None


def members(bundle: str) -> Iterator[Member | ParseError]:
    """The regular files of a bundle in stored order; a ParseError for a bundle that
    cannot be read and for each member whose name is unsafe (never read)."""
    try:
        if bundle.lower().endswith(".zip"):
            with zipfile.ZipFile(bundle) as archive:
                infos = [(i.filename, i.file_size, datetime(*i.date_time).timestamp(), not i.is_dir())
                         for i in archive.infolist()]
        else:
            with tarfile.open(bundle, "r:*") as archive:
                infos = [(i.name, i.size, float(i.mtime), i.isfile()) for i in archive.getmembers()]
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as exc:
        yield ParseError(bundle, f"not a readable bundle ({exc})")
        return
    for name, size, mtime, regular in infos:
        if not regular:
            continue  # folders, links, devices: nothing to read
        reason = unsafe_name(name)
        if reason:
            yield ParseError(member_path(bundle, name), f"{reason}, not read")
            continue
        yield Member(bundle, name, size, mtime)


def read_member(path: str, *, max_bytes: int, max_decompressed_bytes: int) -> bytes:
    """A member's bytes, refusing more than the limits (see the module notes)."""
    with open_member(path, max_bytes=max_bytes) as handle:
        data = handle.read(max_decompressed_bytes + 1)
    if len(data) > max_decompressed_bytes:
        raise ParseError(path, f"decompresses to more than {max_decompressed_bytes:,} bytes (limit), refused")
    return data


# A crawl inside a bundle is read into memory, where its framing can seek: at most this much.
MAX_STORED_MEMBER_BYTES = 1 << 30


def open_stored(path: str) -> IO[bytes]:
    """A seekable binary file object over an input's bytes as stored: the file itself,
    or a bundle member held in memory (WARC and ARC framing seeks to record offsets,
    which zip and compressed tar members cannot do cheaply)."""
    if split_member(path) is None:
        return open(path, "rb")
    bundle = split_member(path)[0]
    stat = os.stat(bundle)
    return io.BytesIO(_member_bytes(path, stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=1)
def _member_bytes(path: str, mtime_ns: int, size: int) -> bytes:
    """One member's bytes, kept while the same member is read again (one crawl's spans
    enter it many times); keyed by the bundle's stamp so a changed bundle is re-read."""
    return read_member(path, max_bytes=MAX_STORED_MEMBER_BYTES, max_decompressed_bytes=MAX_STORED_MEMBER_BYTES)


def open_member(path: str, *, max_bytes: int | None = None) -> IO[bytes]:
    """A binary file object over one member (closing it releases the bundle)."""
    found = split_member(path)
    if found is None:
        raise ParseError(path, "no such bundle member")
    bundle, name = found
    reason = unsafe_name(name)
    if reason:
        raise ParseError(path, f"{reason}, not read")
    try:
        if bundle.lower().endswith(".zip"):
            archive = zipfile.ZipFile(bundle)
            try:
                info = archive.getinfo(name)
                _check_size(path, info.file_size, max_bytes)
                return _Closing(archive.open(info), archive)
            except BaseException:
                archive.close()
                raise
        tar = _tar(bundle)
        info = tar.getmember(name)
        _check_size(path, info.size, max_bytes)
        handle = tar.extractfile(info)
        if handle is None:
            raise ParseError(path, "not a regular file in the bundle")
        return io.BytesIO(handle.read())
    except KeyError as exc:
        raise ParseError(path, "no such member in the bundle") from exc
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as exc:
        raise ParseError(path, f"cannot read the member ({exc})") from exc


def _check_size(path: str, size: int, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise ParseError(path, f"member is {size:,} bytes, over the {limit:,}-byte limit")


class _Closing(io.RawIOBase):
    """A member's stream that also closes its bundle."""

    def __init__(self, stream: IO[bytes], archive: zipfile.ZipFile) -> None:
        self._stream, self._archive = stream, archive

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ParseError(getattr(self._archive, "filename", ""), f"cannot read the member ({exc})") from exc

    def readline(self, size: int = -1) -> bytes:
        return self._stream.readline(size)

    def close(self) -> None:
        try:
            self._stream.close()
            self._archive.close()
        finally:
            super().close()


# A compressed tar is read front to back: each process keeps the one it read last open,
# so members asked for in order (as batches ask) cost one pass, not one pass each.
_open_tars: dict[str, tarfile.TarFile] = {}


def _tar(bundle: str) -> tarfile.TarFile:
    stamp = f"{bundle}:{os.getpid()}:{os.path.getmtime(bundle)}"
    tar = _open_tars.get(stamp)
    if tar is None:
        for old in _open_tars.values():
            old.close()
        _open_tars.clear()
        tar = _open_tars[stamp] = tarfile.open(bundle, "r:*")
    return tar
