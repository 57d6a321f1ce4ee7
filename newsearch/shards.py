"""The shard map of an archive split into shards: which shards, and which holds an article.

An archive folder holds `shards.json` and one ordinary newsearch index per shard
(`shard-000`, `shard-001`, ...). An article's shard is a stable hash of its id, the
same in every process, run and machine, so indexing it again replaces it in place.
Standard library only: the engine, ingest and the archive all read it.
"""
from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import IndexCorrupt, NewsearchError

SHARD_MAP_FILE = "shards.json"
SHARD_MAP_FORMAT = 1
MAX_SHARDS = 1024


def shard_of(article_id: str, shards: int) -> int:
    """The shard (0 .. shards-1) holding an article: crc32 of its UTF-8 id, modulo."""
    return zlib.crc32(article_id.encode("utf-8")) % shards


def shard_name(number: int) -> str:
    return f"shard-{number:03d}"


@dataclass(frozen=True)
class ShardMap:
    """How many shards an archive holds and where each one is (relative folder names)."""

    folders: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.folders)

    @classmethod
    def of(cls, shards: int) -> "ShardMap":
        if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= MAX_SHARDS:
            raise NewsearchError(f"shards must be a whole number from 1 to {MAX_SHARDS}, not {shards!r}")
        return cls(tuple(shard_name(k) for k in range(shards)))

    def paths(self, archive: str | os.PathLike[str]) -> list[Path]:
        return [Path(archive) / folder for folder in self.folders]

    def shard_of(self, article_id: str) -> int:
        return shard_of(article_id, self.count)

    def save(self, archive: str | os.PathLike[str]) -> None:
        """Write the map atomically (a temporary file, then a rename)."""
        target = Path(archive) / SHARD_MAP_FILE
        temporary = target.with_suffix(".json.tmp")
        temporary.write_text(json.dumps({"format": SHARD_MAP_FORMAT, "hash": "crc32-utf8",
                                         "shards": list(self.folders)}, indent=2), encoding="utf-8")
        os.replace(temporary, target)

    @classmethod
    def load(cls, archive: str | os.PathLike[str]) -> "ShardMap":
        file = Path(archive) / SHARD_MAP_FILE
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"{file}: unreadable shard map ({exc})") from exc
        folders = data.get("shards") if isinstance(data, dict) else None
        if (data.get("format") != SHARD_MAP_FORMAT or data.get("hash") != "crc32-utf8"
                or not isinstance(folders, list) or not folders
                or not all(isinstance(f, str) and f and "/" not in f and f not in (".", "..") for f in folders)):
            raise IndexCorrupt(f"{file}: not a shard map this newsearch can read")
        return cls(tuple(folders))


def is_archive(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is an archive of shards (it holds a shard map)."""
    return (Path(path) / SHARD_MAP_FILE).is_file()


__all__ = ["SHARD_MAP_FILE", "ShardMap", "is_archive", "shard_name", "shard_of"]
