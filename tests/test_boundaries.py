"""The package layout's import rules, checked by walking every module's imports.

Whoosh stays behind newsearch/engine/, Click in cli.py; a module that breaks the
rule fails here, so the engine stays swappable without anyone having to remember.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "newsearch"

# third-party top-level name -> the module or package allowed to import it
OWNERS = {
    "whoosh": "engine",
    "click": "cli.py",
    "dask": "cluster.py",
    "distributed": "cluster.py",
    "starlette": "web",
    "uvicorn": "web",
    "jinja2": "web",
}

# rooms that must not import these newsearch rooms (imports point down the layout)
FORBIDDEN_INTERNAL = {
    "models.py": {"engine", "ingest", "parse", "sources", "archive", "cli"},
    "errors.py": {"engine", "ingest", "parse", "sources", "archive", "cli", "models"},
    "cores.py": {"engine", "ingest", "parse", "sources", "archive", "cli", "models", "analysis"},
    "shards.py": {"engine", "ingest", "parse", "sources", "archive", "cli", "lifecycle", "cluster.py"},
    "parse": {"engine", "ingest", "archive", "cli", "lifecycle"},
    "analysis": {"engine", "ingest", "parse", "archive", "cli", "lifecycle"},
    "sources": {"engine", "ingest", "parse", "archive", "cli", "lifecycle"},
    "engine": {"ingest", "archive", "cli", "lifecycle", "web", "cluster"},
}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _room(module: Path) -> str:
    rel = module.relative_to(PACKAGE)
    return rel.parts[0]


def _imports(module: Path) -> list[tuple[str, int]]:
    """(absolute dotted name, line) for every import in the module, relative ones resolved."""
    rel = module.relative_to(PACKAGE.parent).with_suffix("")
    return _imports_in(module.read_text(encoding="utf-8"), list(rel.parts[:-1]))


def _imports_in(source: str, package: list[str]) -> list[tuple[str, int]]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if not node.module:
                    found += [(name + "." + alias.name, node.lineno) for alias in node.names]
                    continue
            else:
                name = node.module or ""
            found.append((name, node.lineno))
    return found


def test_the_walk_sees_every_room() -> None:
    rooms = {_room(m) for m in _modules()}
    assert {"engine", "ingest", "parse", "sources", "analysis", "cli.py", "archive.py"} <= rooms


@pytest.mark.parametrize("module", _modules(), ids=lambda m: str(m.relative_to(PACKAGE)))
def test_third_party_engines_stay_in_their_room(module: Path) -> None:
    room = _room(module)
    for name, line in _imports(module):
        top = name.split(".")[0]
        owner = OWNERS.get(top)
        assert owner is None or owner == room, f"{module.relative_to(PACKAGE)}:{line} imports {name}; only {owner} may"


@pytest.mark.parametrize("module", _modules(), ids=lambda m: str(m.relative_to(PACKAGE)))
def test_imports_point_down_the_layout(module: Path) -> None:
    room = _room(module)
    forbidden = FORBIDDEN_INTERNAL.get(room, set())
    for name, line in _imports(module):
        parts = name.split(".")
        if parts[0] != "newsearch" or len(parts) < 2:
            continue
        target = parts[1] if (PACKAGE / parts[1]).is_dir() else parts[1] + ".py"
        assert target not in forbidden, f"{module.relative_to(PACKAGE)}:{line} imports {name}"


def test_the_walk_resolves_every_import_form() -> None:
    """Nested, aliased and relative imports are all seen, relative ones made absolute."""
    source = ("import os, whoosh.query as q\n"
              "def f():\n    from whoosh import index\n"
              "from ..engine import store\nfrom . import errors\nfrom .models import Article\n")
    names = sorted(name for name, _ in _imports_in(source, ["newsearch", "parse"]))
    assert names == ["newsearch.engine", "newsearch.parse.errors", "newsearch.parse.models",
                     "os", "whoosh", "whoosh.query"]


def test_archive_reaches_the_engine_only_through_its_interface() -> None:
    """Archive may name the interface and the implementations it opens, never the Whoosh-side modules."""
    allowed = {"newsearch.engine.interface", "newsearch.engine.single", "newsearch.engine.sharded"}
    engine_imports = [(name, line) for name, line in _imports(PACKAGE / "archive.py")
                      if name.startswith("newsearch.engine")]
    assert engine_imports, "archive.py no longer imports the engine at all: update this test"
    for name, line in engine_imports:
        assert name in allowed, f"archive.py:{line} imports {name}"
