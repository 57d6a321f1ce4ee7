"""200 searches that one index and an archive of shards must answer alike.

Words, phrases, fields, dates, match="any", date sorts and deep pages, built from
everyday news words (none taken from a particular article). Used by
tests/test_shards.py, tests/test_cluster.py (a share of them) and benchmarks/cluster.py (all).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORDS = ["oil", "prices", "wheat", "coffee", "gold", "bank", "dollar", "trade", "japan", "opec",
         "shares", "profit", "tax", "bonds", "sugar", "grain", "strike", "merger", "loss", "exports",
         "copper", "government", "rates", "minister", "market"]
PHRASES = ['"crude oil"', '"interest rates"', '"trade deficit"', '"central bank"', '"net loss"',
           '"stock exchange"', '"money supply"', '"united states"', '"oil prices"', '"finance minister"']
PAIRS = ["oil prices", "coffee export quotas", "bank rates", "gold mine", "wheat sales",
         "dollar yen", "trade talks", "sugar crop", "tax cuts", "merger offer"]
FIELDS = ["title:oil", "title:bank", "title:wheat", "section:earn", "section:acq", "title:(gold OR silver)",
          "title:opec", "section:crude", "title:dollar", "section:grain"]
DATES = ["date:1987-03", "date:1987-04", "date:[1987-03-01 TO 1987-03-15]", "date:>=1987-04-01",
         "date:<1987-03-10"]
FACETS = ("section", "month", "author", "source", "year")

Spec = tuple[str, dict[str, Any]]


def queries() -> list[Spec]:
    specs: list[Spec] = []
    for k, word in enumerate(WORDS):
        specs.append((word, {"facets": ("section",)}))
        specs.append((word, {"sort": "newest", "limit": 20, "page": 1 + k % 3}))
        specs.append((f"{word} {DATES[k % len(DATES)]}", {"facets": ("month", "section")}))
        specs.append((word, {"limit": 50, "page": 2 + k % 4}))  # deep pages
    for k, phrase in enumerate(PHRASES):
        specs.append((phrase, {"facets": FACETS[: 1 + k % len(FACETS)]}))
        specs.append((phrase, {"sort": "oldest", "limit": 25}))
        specs.append((phrase, {"since": "1987-03", "until": "1987-04", "facets": ("year",)}))
    for k, pair in enumerate(PAIRS):
        specs.append((pair, {}))
        specs.append((pair, {"match": "any", "limit": 30, "page": 1 + k % 3, "facets": ("section",)}))
        specs.append((pair, {"match": "any", "sort": "newest"}))
        specs.append((pair, {"collapse": True, "facets": ("section",)}))
    for k, field in enumerate(FIELDS):
        specs.append((field, {"facets": ("month",)}))
        specs.append((field, {"sort": "oldest", "page": 2, "limit": 10}))
        specs.append((f"{field} {WORDS[k]}", {"match": "any"}))
    for k, date in enumerate(DATES):
        specs.append((date, {"sort": "newest", "facets": ("section", "month")}))
        specs.append((date, {"limit": 100, "page": 3}))
    for k, word in enumerate(WORDS[:10]):
        specs.append((f"{word} NOT {WORDS[-1 - k]}", {"facets": ("section",)}))
        specs.append((f"{word}*", {"limit": 20}))
        specs.append((f"{word} w/5 {WORDS[(k + 7) % len(WORDS)]}", {}))
    for misspelt in ("cofee", "petrolium", "goverment", "excange", "inflaton"):
        specs.append((misspelt, {}))  # suggestions
    specs.append(("", {"sort": "newest", "limit": 40, "facets": ("section", "month", "year")}))
    specs.append(("", {"count": "stories", "facets": ("section",)}))
    specs.append(("oil", {"section": ["crude", "nat-gas"], "facets": ("section",)}))
    specs.append(("shares", {"collapse": True, "page": 2}))
    specs.append(("profit", {"count": "stories", "facets": ("month",)}))
    return specs[:200]


def answer(results: Any) -> dict[str, Any]:
    """What must be identical: ids in order, totals, facets, suggestion, scores, snippets."""
    return {
        "total": results.total,
        "ids": [hit.id for hit in results.hits],
        "ranks": [hit.rank for hit in results.hits],
        "scores": [hit.score for hit in results.hits],
        "snippets": [hit.snippet for hit in results.hits],
        "stories": [(hit.story, hit.copies) for hit in results.hits],
        "facets": {name: [(c.value, c.count) for c in counts] for name, counts in results.facets.items()},
        "suggestion": results.suggestion,
    }


def small_archive(folder: Path, articles: list[dict[str, Any]], shards: int = 3) -> tuple[Path, Path]:
    """An archive of `shards` shards built from written articles: (archive, JSON Lines source)."""
    from newsearch.ingest.sharded import index_archive

    source = folder / "news.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    path = folder / "archive"
    assert index_archive([source], index=path, shards=shards, jobs=1).ok
    return path, source
