"""Strict per-field scoring of extracted articles against the gold set.

Shared by `benchmarks/extraction.py` and the quality gate test, so both always
judge with the same rules (see ../shared/corpus/README.md):
normalised exact title; the same set of author names; the same day; any section
in common; every `with` snippet and no `without` snippet in the body; token F1
of the body against the reference text. A field is scored only over the pages
whose gold record has it.
"""
from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

FIELDS = ("title", "authors", "date", "sections", "snippets", "body")

_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")
# Typographic variants that differ between a page and a hand-written gold record.
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
})


def normalise(text: str | None) -> str:
    """Case, width, quote and whitespace differences do not count; words do."""
    text = unicodedata.normalize("NFKC", text or "").translate(_FOLD)
    return _SPACE.sub(" ", text).strip().casefold()


def tokens(text: str | None) -> list[str]:
    return _TOKEN.findall(normalise(text))


@dataclass(frozen=True)
class Prediction:
    """What one extractor said about one page, in the scorer's terms."""

    title: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""  # YYYY-MM-DD or ""
    sections: tuple[str, ...] = ()
    body: str = ""


@dataclass(frozen=True)
class GoldPage:
    id: str
    set: str
    url: str
    path: Path
    gold: dict

    def read(self) -> bytes:
        with gzip.open(self.path, "rb") as handle:
            return handle.read()


def load_gold(shared: Path, *, set_name: str | None = None, limit: int | None = None) -> list[GoldPage]:
    """Gold records in file order, optionally one set only and/or the first N."""
    root = shared / "corpus" / "extraction"
    pages: list[GoldPage] = []
    with open(root / "gold.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            if set_name and record["set"] != set_name:
                continue
            pages.append(GoldPage(record["id"], record["set"], record["url"], root / record["file"], record))
            if limit and len(pages) >= limit:
                break
    return pages


def token_f1(predicted: str, reference: str) -> float:
    pred, ref = Counter(tokens(predicted)), Counter(tokens(reference))
    if not pred or not ref:
        return float(not pred and not ref)
    common = sum((pred & ref).values())
    if not common:
        return 0.0
    precision = common / sum(pred.values())
    recall = common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def snippets_ok(body: str, with_: Iterable[str], without: Iterable[str]) -> bool:
    text = normalise(body)
    return all(normalise(s) in text for s in with_) and not any(normalise(s) in text for s in without)


def score_page(gold: dict, pred: Prediction) -> dict[str, float]:
    """Per-field scores (1.0/0.0, or F1 for the body) for the fields gold has."""
    scores: dict[str, float] = {}
    if gold.get("title"):
        scores["title"] = float(normalise(pred.title) == normalise(gold["title"]))
    if gold.get("authors"):
        want = {normalise(a) for a in gold["authors"]}
        scores["authors"] = float({normalise(a) for a in pred.authors if a.strip()} == want)
    if gold.get("date"):
        scores["date"] = float(pred.date[:10] == gold["date"][:10])
    if gold.get("sections"):
        want = {normalise(s) for s in gold["sections"]}
        scores["sections"] = float(bool(want & {normalise(s) for s in pred.sections}))
    if gold.get("with") or gold.get("without"):
        scores["snippets"] = float(snippets_ok(pred.body, gold.get("with") or (), gold.get("without") or ()))
    if gold.get("body"):
        scores["body"] = token_f1(pred.body, gold["body"])
    return scores


@dataclass
class Tally:
    """Running per-field sums, so accuracy is the mean over pages that have the field."""

    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, scores: dict[str, float]) -> None:
        for name, value in scores.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
            self.counts[name] = self.counts.get(name, 0) + 1

    def accuracy(self, name: str) -> float | None:
        count = self.counts.get(name, 0)
        return self.sums[name] / count if count else None

    def table(self) -> Iterator[tuple[str, float | None, int]]:
        for name in FIELDS:
            yield name, self.accuracy(name), self.counts.get(name, 0)


def newsearch_prediction(article) -> Prediction:
    """An Article in the scorer's terms (the date as the publication's local day, the one
    the page prints and the date filters match)."""
    local = article.local_date
    return Prediction(
        title=article.title,
        authors=tuple(article.authors),
        date=local.date().isoformat() if local else "",
        sections=(article.section,) if article.section else (),
        body=article.body,
    )
