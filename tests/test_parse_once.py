"""A sharded build parses each input once (ingest/spool.py) and builds what a build
whose shards each parse every input builds: the same articles in each shard, the same
stories, the same answers; resumed, updated and interrupted builds alike."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from newsearch import Archive
from newsearch.ingest import batches
from newsearch.ingest.manifest import Manifest
from newsearch.ingest.sharded import index_archive
from newsearch.ingest.spool import SPOOL_PREFIX, Away, Spool, spool_span, sweep
from newsearch.ingest.batches import units
from newsearch.ingest.pipeline import IngestOptions
from newsearch.shards import ShardMap, shard_of
from newsearch.sources import find_sources

from shard_queries import answer

BODY = "The central bank raised interest rates again on Tuesday, citing prices."


def _write_inputs(folder: Path) -> list[Path]:
    """Three JSON Lines files (one with a bad line) and a copy of a story across them."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n, name in enumerate(("wire", "herald", "courier")):
        lines = [json.dumps({"id": f"{name}-{k:03d}", "title": f"{name} report {k}",
                             "body": f"A report on the harbour, number {k}. " * (1 + k % 3),
                             "date": f"2021-0{1 + k % 9}-1{k % 9}", "section": ["world", "business"][k % 2],
                             "source": name}) for k in range(40 + 10 * n)]
        lines.append(json.dumps({"id": f"copy-{name}", "title": "Rates rise", "body": BODY,
                                 "date": f"2021-04-0{n + 1}", "section": "economy", "source": name}))
        if name == "herald":
            lines.insert(5, "{not json")
        path = folder / f"{name}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


def _count_parses(monkeypatch) -> Counter:
    """Every span parsed in this process, by (file, first record)."""
    parsed: Counter = Counter()
    real = batches.parse_span

    def counting(unit, options):
        parsed[(Path(unit.source.path).name, unit.first_record)] += 1
        return real(unit, options)

    monkeypatch.setattr(batches, "parse_span", counting)
    return parsed


def _no_parse_beforehand(spool, groups, options, run):
    """The build as it was before parse-once: every shard's build parses every input."""


def _shard_ids(archive: Path) -> list[set[str]]:
    found = []
    for folder in ShardMap.load(archive).paths(archive):
        with Archive.open(folder) as shard:
            found.append(set(shard.ids()))
    return found


def test_each_input_is_parsed_once_for_all_the_shards(tmp_path, monkeypatch):
    files = _write_inputs(tmp_path / "in")
    parsed = _count_parses(monkeypatch)
    report = index_archive(files, index=tmp_path / "archive", shards=4, jobs=1, allow_failures=1)
    assert report.documents == 40 + 50 + 60 + 3 and len(report.failures) == 1
    assert set(parsed) == {("wire.jsonl", 1), ("herald.jsonl", 1), ("courier.jsonl", 1)}
    assert set(parsed.values()) == {1}, parsed
    assert not [p for p in (tmp_path / "archive").iterdir() if p.name.startswith(SPOOL_PREFIX)]


def test_parsing_once_builds_the_shards_and_answers_of_every_shard_parsing(tmp_path):
    files = _write_inputs(tmp_path / "in")
    once = index_archive(files, index=tmp_path / "once", shards=3, jobs=1, allow_failures=1)
    each = index_archive(files, index=tmp_path / "each", shards=3, jobs=1, allow_failures=1,
                         parse=_no_parse_beforehand)
    assert once.counts == each.counts and once.documents == each.documents
    assert [f.reason for f in once.failures] == [f.reason for f in each.failures]
    assert _shard_ids(tmp_path / "once") == _shard_ids(tmp_path / "each")
    for k, ids in enumerate(_shard_ids(tmp_path / "once")):
        assert ids and all(shard_of(i, 3) == k for i in ids)
    for k in range(3):  # each shard's manifest records every file and its failures as before
        a, b = (Manifest.load(tmp_path / name / f"shard-{k:03d}") for name in ("once", "each"))
        assert {key: (fp.articles, fp.failures) for key, fp in a.sources.items()} == \
            {key: (fp.articles, fp.failures) for key, fp in b.sources.items()}
    with Archive.open(tmp_path / "once") as one, Archive.open(tmp_path / "each") as other:
        for text, options in [("harbour", {"facets": ("section",)}), ("rates", {"collapse": True}),
                              ("report", {"sort": "newest", "page": 2})]:
            assert answer(one.search(text, **options)) == answer(other.search(text, **options))
        assert [a.id for a in one.copies("copy-wire")] == [a.id for a in other.copies("copy-wire")]
        assert len(one.copies("copy-wire")) == 3  # the copies lie in several shards, still one story


def test_an_update_parses_only_the_changed_file_once(tmp_path, monkeypatch):
    files = _write_inputs(tmp_path / "in")
    index_archive(files, index=tmp_path / "archive", shards=3, jobs=1, allow_failures=1)
    with files[0].open("a", encoding="utf-8") as more:
        more.write(json.dumps({"id": "wire-late", "title": "Late", "body": BODY, "source": "wire"}) + "\n")
    parsed = _count_parses(monkeypatch)
    report = index_archive(files, index=tmp_path / "archive", jobs=1, allow_failures=1)
    assert report.counts["new"] == 1 and report.files_unchanged == 2
    assert parsed == Counter({("wire.jsonl", 1): 1})


def test_a_span_missing_from_the_spool_is_parsed_by_the_shard_that_needs_it(tmp_path, monkeypatch):
    files = _write_inputs(tmp_path / "in")
    spool = Spool(str(tmp_path / "spool"), 2)
    options = IngestOptions()
    unit = next(units([s for s in find_sources([str(files[1])], kind=None)], options))
    spool_span(spool, unit, options)
    direct = [(line, str(item)) for line, item in batches.parse_span(unit, options)]
    spool.file(unit, options, 1).unlink()  # shard 1's part of the span is gone
    parsed = _count_parses(monkeypatch)
    kept = batches.Batch((unit,), "", None, options, (0, 2), True, spool).parsed(unit)
    assert not parsed  # shard 0 reads its part
    again = batches.Batch((unit,), "", None, options, (1, 2), False, spool).parsed(unit)
    assert sum(parsed.values()) == 1 and [(line, str(item)) for line, item in again] == direct
    away = [item for _, item in kept if isinstance(item, Away)]
    assert away and all(shard_of(a.id, 2) == 1 and a.sketch is not None for a in away)


def test_a_spool_part_holds_its_own_articles_whole_and_every_error(tmp_path):
    files = _write_inputs(tmp_path / "in")
    spool = Spool(str(tmp_path / "spool"), 3)
    options = IngestOptions()
    unit = next(units(list(find_sources([str(files[1])], kind=None)), options))
    assert spool_span(spool, unit, options) == 51
    parts = [batches.Batch((unit,), "", None, options, (k, 3), k == 0, spool).parsed(unit) for k in range(3)]
    assert len({len(p) for p in parts}) == 1  # every item in every part, in input order
    for k, part in enumerate(parts):
        own = [item.id for _, item in part if hasattr(item, "body")]
        assert own and all(shard_of(i, 3) == k for i in own)
        assert sum(1 for _, item in part if hasattr(item, "reason")) == 1
        if k:
            assert all(item.sketch is None for _, item in part if isinstance(item, Away))


@pytest.mark.parametrize("jobs", [2])
def test_parser_processes_fill_the_spool_and_build_the_same_shards(tmp_path, jobs):
    files = _write_inputs(tmp_path / "in")
    index_archive(files, index=tmp_path / "parallel", shards=3, jobs=jobs, allow_failures=1)
    index_archive(files, index=tmp_path / "each", shards=3, jobs=1, allow_failures=1, parse=_no_parse_beforehand)
    assert _shard_ids(tmp_path / "parallel") == _shard_ids(tmp_path / "each")


def test_a_spool_a_killed_run_left_is_swept_and_a_live_runs_kept(tmp_path):
    import os
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, live = tmp_path / f"{SPOOL_PREFIX}{gone.stdout.strip()}-0000", tmp_path / f"{SPOOL_PREFIX}{os.getpid()}-1111"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "part.0").write_bytes(b"x")
    sweep(tmp_path)
    assert not dead.exists() and live.exists()
