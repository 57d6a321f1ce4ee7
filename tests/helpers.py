"""Small builders shared by tests: articles and corpora written into tmp folders."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from newsearch import Article


def article(title: str, body: str, **fields: object) -> Article:
    return Article(title=title, body=body, **fields)  # type: ignore[arg-type]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path
