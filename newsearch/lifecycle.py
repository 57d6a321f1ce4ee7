"""Declared indexes (indexes/NAME.toml), rebuilding them, and checking freshness.

A declaration names an index's sources and options; the built files live in
indexes/NAME/ (ignored by git). `check` compares an index's manifest with the files
on disk, so CI can fail when a committed declaration and its index disagree.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .engine import store as _store
from .errors import ConfigError, IndexNotFound
from .ingest import IngestOptions, IngestReport, Progress, index_paths, plan
from .ingest.pipeline import PRUNE_ALL
from .ingest.report import FailurePolicy
from .ingest.sharded import index_archive
from .shards import ShardMap, is_archive
from .locations import DEFAULT_NAME, INDEX_ENV, INDEXES_DIR, resolve_index_path
from .ingest.manifest import Manifest
from .sources import resolve, resolve_input

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_SOURCE_KEYS = {"paths", "format", "section_from_dir", "allow_failures"}
_ANALYSIS_KEYS = {"language", "stem"}


@dataclass(frozen=True)
class Declaration:
    """One index as the repository declares it."""

    name: str
    file: Path
    index_path: Path
    paths: tuple[str, ...]  # resolved
    options: IngestOptions
    language: str = "en"
    stem: bool = True
    root: str = ""  # the folder holding indexes/: files are known relative to it
    # Inputs known to fail ("PATH" or "PATH:LINE", relative to the root): reported, accepted.
    allow_failures: tuple[str, ...] = ()
    shards: int | None = None  # an archive of this many shards (`shards = N` at the top)

    def settings(self) -> dict[str, Any]:
        return {"language": self.language, "stem": self.stem, **self.options.to_dict()}


def declaration_file(name: str = DEFAULT_NAME, *, indexes_dir: str | os.PathLike[str] = INDEXES_DIR) -> Path:
    return Path(indexes_dir) / f"{name}.toml"


def load_declaration(name: str = DEFAULT_NAME, *, indexes_dir: str | os.PathLike[str] = INDEXES_DIR) -> Declaration:
    """Read indexes/NAME.toml; paths in it are relative to the folder holding indexes/."""
    file = declaration_file(name, indexes_dir=indexes_dir)
    if not file.is_file():
        known = ", ".join(list_declarations(indexes_dir=indexes_dir)) or "none"
        raise ConfigError(f"{file}: no such index declaration (declared: {known})")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read declaration ({exc})") from exc
    sources = data.get("sources", {})
    analysis = data.get("analysis", {})
    unknown = ((set(sources) - _SOURCE_KEYS) | (set(analysis) - _ANALYSIS_KEYS)
               | (set(data) - {"sources", "analysis", "shards"}))
    if unknown:
        raise ConfigError(f"{file}: unknown key {sorted(unknown)[0]!r}")
    paths = sources.get("paths")
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        raise ConfigError(f"{file}: [sources] paths must be a non-empty list of strings")
    root = resolve(file.parent.parent)
    shards = data.get("shards")
    if shards is not None and (not isinstance(shards, int) or isinstance(shards, bool) or shards < 1):
        raise ConfigError(f"{file}: shards must be a whole number of at least 1")
    allowed = sources.get("allow_failures", [])
    if not isinstance(allowed, list) or not all(isinstance(p, str) and p.strip() for p in allowed):
        raise ConfigError(f"{file}: [sources] allow_failures must be a list of \"PATH\" or \"PATH:LINE\" strings")
    return Declaration(
        allow_failures=tuple(_known_failure(entry, root) for entry in allowed),
        name=name,
        file=file,
        index_path=file.parent / name,
        paths=tuple(resolve_input(os.path.join(root, p)) for p in paths),
        root=root,
        options=IngestOptions(kind=sources.get("format"), section_from_dir=bool(sources.get("section_from_dir", False))),
        language=str(analysis.get("language", "en")),
        stem=bool(analysis.get("stem", True)),
        shards=shards,
    )


def _known_failure(entry: str, root: str) -> str:
    """An allow_failures entry ("PATH" or "PATH:LINE", relative to the root) as the index
    names the failure: the file's key (see sources.files) and the line."""
    text = entry.strip()
    path, _, line = text.rpartition(":")
    if not (path and line.isdigit()):
        path, line = text, ""
    key = os.path.relpath(resolve(os.path.join(root, path)), root)
    return f"{key}:{int(line)}" if line else key


def list_declarations(*, indexes_dir: str | os.PathLike[str] = INDEXES_DIR) -> list[str]:
    folder = Path(indexes_dir)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def rebuild(
    name: str = DEFAULT_NAME,
    *,
    indexes_dir: str | os.PathLike[str] = INDEXES_DIR,
    full: bool = False,
    jobs: int | None = None,
    fail_fast: bool = False,
    progress: Callable[[Progress], None] | None = None,
    allow_failures: int = 0,
    stop: Callable[[], str | None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring a declared index up to date: new and changed files indexed, removed ones pruned.

    The declaration's `allow_failures` inputs, and up to `allow_failures` others, are
    reported without failing the run.

    A full rebuild happens when asked, when there is no index yet, or when the
    declared analysis options differ from the ones the index was built with.
    """
    declaration = load_declaration(name, indexes_dir=indexes_dir)
    layout = _first_index(declaration.index_path)
    manifest = Manifest.load(layout)
    options_changed = (manifest.settings != declaration.settings() or set(manifest.inputs) != set(declaration.paths)
                       or (manifest.sources and manifest.root != declaration.root))
    needs_full = full or options_changed or not _store.exists(layout)
    if not needs_full:
        try:
            for shard in _indexes(declaration.index_path):
                _store.open_index(shard)
        except Exception:
            needs_full = True
    build: Callable[..., IngestReport] = index_paths
    extra: dict[str, Any] = {}
    if declaration.shards is not None or is_archive(declaration.index_path):
        build, extra = index_archive, {"shards": declaration.shards}
    return build(
        declaration.paths,
        **extra,
        index=declaration.index_path,
        rebuild=needs_full,
        prune=True,
        jobs=jobs,
        language=declaration.language,
        stem=declaration.stem,
        options=declaration.options,
        fail_fast=fail_fast,
        progress=progress,
        root=declaration.root,
        allow_failures=FailurePolicy(count=allow_failures, known=declaration.allow_failures),
        stop=stop,
        notify=notify,
    )


def _indexes(path: Path) -> list[Path]:
    """The ordinary indexes at `path`: itself, or each shard of an archive."""
    return ShardMap.load(path).paths(path) if is_archive(path) else [path]


def _first_index(path: Path) -> Path:
    """Where an index (or an archive, whose shards all record the same inputs) keeps its manifest."""
    return _indexes(path)[0]


def rebuild_index(
    index: str | os.PathLike[str] | None = None,
    *,
    full: bool = False,
    jobs: int | None = None,
    fail_fast: bool = False,
    progress: Callable[[Progress], None] | None = None,
    allow_failures: int = 0,
    stop: Callable[[], str | None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring an index built with `index_paths` up to date from its own manifest: the
    inputs it was built from, with the same options; removed files are pruned."""
    index_path = resolve_index_path(index)
    if not _store.exists(_first_index(index_path)):
        raise IndexNotFound(str(index_path))
    manifest = Manifest.load(_first_index(index_path))
    if not manifest.inputs:
        raise ConfigError(f"{index_path}: its manifest names no inputs; index them again with `newsearch index`")
    settings = manifest.settings
    options = IngestOptions.from_settings(settings)
    build = index_archive if is_archive(index_path) else index_paths
    return build(manifest.inputs, index=index_path, rebuild=full, prune=PRUNE_ALL, jobs=jobs,
                       options=options, fail_fast=fail_fast, progress=progress, allow_failures=allow_failures,
                       stop=stop, notify=notify)


@dataclass
class Freshness:
    """Whether an index still matches its sources and options."""

    index: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    settings_changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    unfinished: int | None = None  # articles an interrupted run committed; the next run resumes

    @property
    def fresh(self) -> bool:
        return not (self.added or self.changed or self.removed or self.missing or self.settings_changed
                    or self.unfinished is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "fresh": self.fresh,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "missing_inputs": self.missing,
            "settings_changed": {k: {"index": a, "declared": b} for k, (a, b) in self.settings_changed.items()},
            "unfinished": self.unfinished,
        }


def check(
    name: str | None = None,
    *,
    index: str | os.PathLike[str] | None = None,
    indexes_dir: str | os.PathLike[str] = INDEXES_DIR,
) -> Freshness:
    """Compare an index with its sources: a declared one by name, or any index by path."""
    declaration = None
    if index is None and name is None and os.environ.get(INDEX_ENV):
        index = os.environ[INDEX_ENV]  # like every other command
    if index is None:
        declaration = load_declaration(name or DEFAULT_NAME, indexes_dir=indexes_dir)
        index = declaration.index_path
    index_path = Path(index)
    if is_archive(index_path):
        return _check_archive(index_path, declaration)
    return _check_one(index_path, declaration)


def _check_archive(archive: Path, declaration: Declaration | None) -> Freshness:
    """Every shard checked as an index; the archive is stale when one is, and lists each
    file once."""
    report = Freshness(index=str(archive))
    for shard in _indexes(archive):
        part = _check_one(shard, declaration)
        for name in ("added", "changed", "removed", "missing"):
            listed = getattr(report, name)
            listed.extend(p for p in getattr(part, name) if p not in listed)
        report.settings_changed.update(part.settings_changed)
        if part.unfinished is not None:
            report.unfinished = (report.unfinished or 0) + part.unfinished
    return report


def _check_one(index_path: Path, declaration: Declaration | None) -> Freshness:
    if not _store.exists(index_path):
        raise IndexNotFound(str(index_path))
    manifest = Manifest.load(index_path)
    inputs = list(declaration.paths) if declaration else manifest.inputs
    kind = manifest.settings.get("kind")
    report = Freshness(index=str(index_path))
    # An index this newsearch cannot open is stale whatever its sources say.
    schema_version = _store.read_meta(index_path).get("schema_version")
    if not _store.is_readable_version(schema_version):
        report.settings_changed["schema_version"] = (schema_version, _store.SCHEMA_VERSION)
    else:
        _store.open_index(index_path)[0].close()  # IndexCorrupt when its files are unreadable
    if declaration is not None:
        declared = declaration.settings()
        for key in sorted(set(declared) | set(manifest.settings)):
            if manifest.settings.get(key) != declared.get(key):
                report.settings_changed[key] = (manifest.settings.get(key), declared.get(key))
    work = plan(inputs, manifest, kind=kind, prune=PRUNE_ALL)
    for source in work.to_index:
        (report.changed if source.identity in manifest.sources else report.added).append(source.path)
    report.removed = [manifest.abs_of(key) for key in work.removed]
    report.unfinished = manifest.unfinished
    report.missing = [e.path for e in work.missing if e.reason.startswith("no such")]
    return report
