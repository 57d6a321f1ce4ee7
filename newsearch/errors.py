"""newsearch's own exceptions: callers never need to catch a Whoosh type.

Each error's message is one line that names the file or index involved and the
reason, so the CLI can print it as is.
"""
from __future__ import annotations


class NewsearchError(Exception):
    """Base class for every error newsearch raises on purpose."""


class ParseError(NewsearchError):
    """An input could not be turned into an article."""

    def __init__(self, path: str, reason: str, *, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple:
        # Parse errors travel back from worker processes, so they must pickle.
        return (_rebuild_parse_error, (self.path, self.reason, self.line))


def _rebuild_parse_error(path: str, reason: str, line: int | None) -> ParseError:
    return ParseError(path, reason, line=line)


class IndexNotFound(NewsearchError):
    """No index exists where one was expected."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"no index at {path}: build one with `newsearch index PATH...` or `newsearch rebuild`"
        )

    def __reduce__(self) -> tuple:
        return (IndexNotFound, (self.path,))


class IndexLocked(NewsearchError):
    """Another process is writing the index."""


class IndexCorrupt(NewsearchError):
    """The index files cannot be read."""


class SchemaMismatch(NewsearchError):
    """The index was built by an incompatible version or with other options."""


class QuerySyntaxError(NewsearchError):
    """A query string or filter value that cannot be understood."""


class StorageError(NewsearchError):
    """The disk refused a write (full, read-only, permissions)."""


class ConfigError(NewsearchError):
    """A declared index (indexes/NAME.toml) is missing or invalid."""


class ShardUnavailable(NewsearchError):
    """A shard of an archive could not answer (missing, damaged, of another schema,
    or its worker lost for good); the message names the shard."""

    def __init__(self, archive: str, shard: str, reason: str) -> None:
        self.archive = archive
        self.shard = shard
        self.reason = reason
        super().__init__(f"{archive}: shard {shard} is unavailable: {reason} "
                         "(allow_partial=True / --allow-partial searches the other shards)")

    def __reduce__(self) -> tuple:
        return (ShardUnavailable, (self.archive, self.shard, self.reason))
