"""Parse once for every shard: parsed spans spooled to disk, split by shard.

A sharded build first parses each span of its inputs once (in parser processes, or as
Dask tasks on a cluster) and writes, per shard, the span's parse as that shard will
read it: its own articles whole, another shard's as an `Away` stand-in (id, date,
capture time and, for the shard that groups stories, the body's sketch), and every
error and record passed over, so each shard's manifest and report stay as before.
Each shard's build then reads its file instead of parsing (batches.write_batch).

A missing or unreadable file only costs a parse: the shard's build parses that span
itself, so a spool lost, cut short or out of date never changes what is indexed.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import Article
from ..shards import shard_of
from ..stories import Sketch, sketch
from ..sources.spans import Span

if TYPE_CHECKING:
    from .batches import Parsed
    from .pipeline import IngestOptions

SPOOL_PREFIX = ".parsed-"  # a run's spool folder inside the archive folder, removed at the end
STORIES_SHARD = 0  # the shard whose build groups every article into stories


@dataclass(frozen=True)
class Away:
    """An article another shard holds: what this shard's build still needs of it."""

    id: str
    date: datetime | None
    fetched: datetime | None
    sketch: Sketch | None  # for the shard that groups stories only


@dataclass(frozen=True)
class Spool:
    """The folder of one run's parsed spans, for an archive of `count` shards."""

    folder: str
    count: int

    @classmethod
    def beside(cls, archive: str | os.PathLike[str], count: int) -> "Spool":
        """A new spool of its own in the archive folder (two runs never share one)."""
        return cls(str(Path(archive) / f"{SPOOL_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"), count)

    def file(self, unit: Span, options: IngestOptions, shard: int) -> Path:
        """Where shard `shard` finds this span parsed with these options."""
        source = unit.source
        key = repr((source.identity, source.path, source.size, source.mtime, unit.start, unit.end,
                    unit.first_record, unit.count, options))
        return Path(self.folder) / f"{hashlib.sha1(key.encode('utf-8')).hexdigest()}.{shard}"

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def sweep(archive: str | os.PathLike[str]) -> None:
    """Remove the spools that killed runs left in the archive folder (their process is gone)."""
    for folder in Path(archive).glob(SPOOL_PREFIX + "*"):
        pid = folder.name[len(SPOOL_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def spool_span(spool: Spool, unit: Span, options: IngestOptions) -> int:
    """Runs in a parser: parse one span and write each shard's part; the articles parsed.
    Never raises: a part that cannot be written is parsed again by its shard."""
    from .batches import parse_span

    parsed = parse_span(unit, options)
    parts: list[list[Parsed]] = [[] for _ in range(spool.count)]
    articles = 0
    for line, item in parsed:
        if not isinstance(item, Article):
            for part in parts:
                part.append((line, item))
            continue
        articles += 1
        home = shard_of(item.id, spool.count)
        for shard, part in enumerate(parts):
            if shard == home:
                part.append((line, item))
            else:
                part.append((line, Away(item.id, item.date, item.fetched,
                                        sketch(item.body) if shard == STORIES_SHARD else None)))
    try:
        Path(spool.folder).mkdir(parents=True, exist_ok=True)
        for shard, part in enumerate(parts):
            target = spool.file(unit, options, shard)
            temporary = target.with_name(target.name + ".tmp")
            temporary.write_bytes(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, target)
    except OSError:
        pass
    return articles


def spooled(spool: Spool, unit: Span, options: IngestOptions, shard: int) -> list[Any] | None:
    """Shard `shard`'s part of a span parsed beforehand, or None when there is none to read."""
    try:
        found = pickle.loads(spool.file(unit, options, shard).read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None
    return found if isinstance(found, list) else None


__all__ = ["Away", "SPOOL_PREFIX", "Spool", "spool_span", "spooled", "sweep"]
