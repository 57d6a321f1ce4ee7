"""Spans: one big file cut into byte ranges for several workers, and resumed from a committed offset."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from newsearch.errors import ParseError
from newsearch.sources import find_sources, iter_lines
from newsearch.sources.spans import ResumePoint, plan_spans, span_records


def export(path: Path, count: int, *, blank_every: int = 7) -> Path:
    lines = []
    for number in range(count):
        lines.append(json.dumps({"title": f"Item {number}", "body": f"Body of item {number} " * (number % 5 + 1)}))
        if number % blank_every == 0:
            lines.append("   ")  # blank lines count as lines but are no records
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def source_of(path: Path):
    (source,) = list(find_sources([path]))
    return source


@pytest.mark.parametrize("name", ["items.jsonl", "items.jsonl.gz"])
def test_spans_cover_every_line_once_in_order(tmp_path: Path, name: str) -> None:
    path = export(tmp_path / name, 1_000)
    spans = list(plan_spans(source_of(path), records_per_span=64))
    assert len(spans) > 10 and spans[-1].last and not any(s.last for s in spans[:-1])
    # A plain file is split by byte ranges the workers read themselves; a gzip stream cannot be
    # entered mid-way, so its spans carry their lines.
    assert all((s.records is None) == name.endswith(".jsonl") for s in spans)
    for before, after in zip(spans, spans[1:]):
        assert before.end == after.start and before.resume == ResumePoint(after.start, after.first_record)
    read = [(n, line) for span in spans for n, line in span_records(span)]
    assert read == list(iter_lines(str(path)))


def test_a_span_reads_only_its_byte_range(tmp_path: Path) -> None:
    path = export(tmp_path / "items.jsonl", 300)
    spans = list(plan_spans(source_of(path), records_per_span=100))
    middle = spans[1]
    numbers = [n for n, _ in span_records(middle)]
    data = path.read_bytes()
    assert data[middle.start - 1:middle.start] == b"\n"  # spans start at line starts
    assert numbers[0] == middle.first_record and len(numbers) == middle.count == 100
    assert all(json.loads(line)["title"].startswith("Item") for _, line in span_records(middle))


@pytest.mark.parametrize("name", ["items.jsonl", "items.jsonl.gz"])
def test_resuming_starts_at_the_committed_offset_with_the_right_line_numbers(tmp_path: Path, name: str) -> None:
    path = export(tmp_path / name, 500)
    first = list(plan_spans(source_of(path), records_per_span=50))
    point = first[3].resume
    resumed = list(plan_spans(source_of(path), resume=point, records_per_span=50))
    assert resumed[0].start == point.offset and resumed[0].first_record == point.record
    expected = [(n, line) for span in first[4:] for n, line in span_records(span)]
    assert [(n, line) for span in resumed for n, line in span_records(span)] == expected


def test_unreadable_gzip_ends_with_the_error_as_a_record(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress(b"".join(json.dumps({"title": f"T{n}", "body": "x"}).encode() + b"\n" for n in range(2000)))
    path.write_bytes(whole[: len(whole) // 2])
    spans = list(plan_spans(source_of(path), records_per_span=100))
    last = [line for _, line in span_records(spans[-1])]
    assert isinstance(last[-1], ParseError) and "gzip" in last[-1].reason
    assert os.path.basename(last[-1].path) == "cut.jsonl.gz"
