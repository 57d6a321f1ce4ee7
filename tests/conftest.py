"""Shared fixtures: where the real corpus lives and how its absence is handled."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout; skip when absent, fail when CI requires it."""
    candidates = [Path(os.environ["NEWSEARCH_SHARED"])] if os.environ.get("NEWSEARCH_SHARED") else []
    candidates.append(PROJECT.parent / "shared")
    for path in candidates:
        if (path / "corpus").is_dir():
            return path
    message = f"../shared not found beside {PROJECT}"
    if os.environ.get("NEWSEARCH_REQUIRE_SHARED") == "1":
        pytest.fail(message + " (NEWSEARCH_REQUIRE_SHARED=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def seed_path(shared_dir: Path) -> Path:
    return next((shared_dir / "seeds").glob("*.txt"))
