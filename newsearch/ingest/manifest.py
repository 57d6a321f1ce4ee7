"""What an index was built from: a fingerprint of every source file.

Stored as manifest.json in the index folder and replaced atomically after each
committed batch, so it never claims a file whose articles were not committed.

Files are keyed by their resolved path; a declared index (indexes/NAME.toml) keys
them relative to its `root`, the folder holding indexes/, which the manifest stores
relative to the index folder itself: a checkout moved elsewhere still matches.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

MANIFEST_FILE = "manifest.json"
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Fingerprint:
    """Enough to tell whether a file changed without re-reading unchanged ones."""

    path: str
    size: int
    mtime: float
    sha1: str
    articles: int = 0
    # (line or None, reason) for each part that failed: reported again while unchanged.
    failures: tuple = ()


@dataclass(frozen=True)
class Partial:
    """A file whose first records are committed: where to resume, valid while the file
    keeps this size and modification time (else it is read again from the start)."""

    path: str
    size: int
    mtime: float
    offset: int  # where the next record starts (sources/spans.py)
    record: int  # its number (line)
    articles: int = 0  # committed so far
    failures: tuple = ()

    def matches(self, size: int, mtime: float) -> bool:
        return self.size == size and self.mtime == mtime


_FINGERPRINT_FIELDS = set(Fingerprint.__dataclass_fields__)
_PARTIAL_FIELDS = set(Partial.__dataclass_fields__)


def file_sha1(path: str) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(path: str, *, articles: int = 0) -> Fingerprint:
    stat = os.stat(path)
    return Fingerprint(path=path, size=stat.st_size, mtime=stat.st_mtime, sha1=file_sha1(path), articles=articles)


@dataclass
class Manifest:
    """The sources an index holds and the options it was built with."""

    sources: dict[str, Fingerprint] = field(default_factory=dict)  # by key (see key_of)
    inputs: list[str] = field(default_factory=list)  # resolved inputs (paths or globs)
    settings: dict[str, Any] = field(default_factory=dict)
    root: str | None = None  # resolved; keys are relative to it (a declared index)
    partial: dict[str, Partial] = field(default_factory=dict)  # by key: files committed in part
    # Articles committed so far by a run that has not finished (killed or interrupted):
    # None once a run ends, so the next run knows it resumes and says how far it got.
    unfinished: int | None = None

    @classmethod
    def load(cls, index_path: str | os.PathLike[str]) -> "Manifest":
        path = Path(index_path) / MANIFEST_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            # A damaged manifest only costs a full re-index, never wrong results.
            return cls()
        sources = {
            item["path"]: Fingerprint(**{k: v for k, v in item.items() if k in _FINGERPRINT_FIELDS})
            for item in data.get("sources", []) if "path" in item
        }
        root = data.get("root")
        if isinstance(root, str):
            root = os.path.realpath(os.path.join(os.path.realpath(index_path), root))
        else:
            root = None
        partial = {
            item["path"]: Partial(**{k: v for k, v in item.items() if k in _PARTIAL_FIELDS})
            for item in data.get("partial", []) if "path" in item
        }
        unfinished = data.get("unfinished")
        manifest = cls(sources=sources, settings=dict(data.get("settings", {})), root=root, partial=partial,
                       unfinished=unfinished if isinstance(unfinished, int) else None)
        manifest.inputs = [manifest.abs_of(p) for p in data.get("inputs", [])]
        return manifest

    def key_of(self, path: str) -> str:
        """A resolved path -> the key the index stores for it."""
        return os.path.relpath(path, self.root) if self.root else path

    def abs_of(self, key: str) -> str:
        """A key (or an input) -> the resolved path it stands for."""
        if self.root and not os.path.isabs(key):
            return os.path.normpath(os.path.join(self.root, key))
        return os.path.abspath(key)  # keys of manifests from before resolved paths: as typed

    def save(self, index_path: str | os.PathLike[str]) -> None:
        target = Path(index_path) / MANIFEST_FILE
        temporary = target.with_suffix(".json.tmp")
        data: dict[str, Any] = {
            "inputs": [self.key_of(p) for p in self.inputs],
            "settings": self.settings,
            "sources": [asdict(fp) for fp in sorted(self.sources.values(), key=lambda f: f.path)],
        }
        if self.unfinished is not None:
            data["unfinished"] = self.unfinished
        if self.partial:
            data["partial"] = [asdict(p) for p in sorted(self.partial.values(), key=lambda p: p.path)]
        if self.root:
            data["root"] = os.path.relpath(self.root, os.path.realpath(index_path))
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, target)

    def is_unchanged(self, path: str, size: int, mtime: float) -> bool | None:
        """True/False when size and mtime decide it; None when the content must be hashed."""
        known = self.sources.get(path)
        if known is None or known.size != size:
            return False
        if known.mtime == mtime:
            return True
        return None

    def update(self, fingerprints: Iterable[Fingerprint]) -> None:
        for fp in fingerprints:
            self.sources[fp.path] = fp
            self.partial.pop(fp.path, None)

    def forget(self, paths: Iterable[str]) -> None:
        for path in paths:
            self.sources.pop(path, None)
            self.partial.pop(path, None)
