"""The ingest summary accounts for every input (new, replaced, merged, unchanged,
skipped, failed), on the real corpora and on small cases, and `--json` says the
same; known failures can be accepted without hiding new ones."""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Archive, index_paths
from newsearch.cli import main
from newsearch.lifecycle import rebuild

from helpers import write_jsonl
from test_lifecycle import declare, write_story


def nonblank_lines(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return sum(1 for line in lines if line.strip())


def summary_numbers(text: str) -> dict[str, int]:
    """The numbers of the printed summary, by outcome, to compare with --json."""
    head = text.split("\n", 1)[0]
    found = {m.group(2): int(m.group(1).replace(",", "")) for m in re.finditer(r"([\d,]+) (?:\([^)]*\) )?([a-z]+)", head)}
    return {key: found[key] for key in ("new", "replaced", "merged", "unchanged", "skipped", "failed")}


def assert_adds_up(report, inputs: int) -> None:
    counts = report.inputs
    assert sum(counts.values()) == report.inputs_total == inputs, counts
    with Archive.open(report.index) as archive:
        assert report.documents == len(archive)
    # A fresh build: every article is new or merged into another input's.
    assert counts["replaced"] == counts["unchanged"] == 0
    assert report.documents == counts["new"]
    assert counts["merged"] == len(report.merges) and counts["failed"] == len(report.failures)
    assert summary_numbers(report.summary()) == counts
    data = report.to_dict()
    assert {k: v for k, v in data["inputs"].items() if k != "total"} == counts and data["inputs"]["total"] == inputs


def test_bbc_every_file_is_accounted_for(bbc_built) -> None:
    files = [p for p in bbc_built.source.rglob("*") if p.is_file()]
    report = bbc_built.report
    assert_adds_up(report, len(files))
    assert [Path(s.path).name for s in report.skipped] == ["README.TXT"]
    # The collection repeats stories word for word: each repeat names the file it repeats.
    def words(path: str) -> str:
        return " ".join(Path(path).read_bytes().decode("utf-8", "replace").split()).lower()

    assert report.merges and {words(m.path) == words(m.other_path) for m in report.merges} == {True}


def test_reuters_every_record_is_accounted_for(reuters_built) -> None:
    assert_adds_up(reuters_built.report, nonblank_lines(reuters_built.source))
    assert all(m.line and m.other_line for m in reuters_built.report.merges)


def test_fakenewsnet_every_record_is_accounted_for(fakenewsnet_built) -> None:
    report = fakenewsnet_built.report
    assert_adds_up(report, nonblank_lines(fakenewsnet_built.source))
    assert len(report.failures) >= 50 and all(f.line for f in report.failures)


def test_extraction_every_page_is_accounted_for(extraction_built) -> None:
    assert_adds_up(extraction_built.report, len(list(extraction_built.source.glob("*.html.gz"))))
    assert extraction_built.report.merges  # pages of the same canonical URL are one article


def test_json_and_text_summary_agree_on_an_unchanged_run(bbc_built, tmp_path: Path) -> None:
    runner = CliRunner()
    as_json = runner.invoke(main, ["index", str(bbc_built.source), "--index", str(bbc_built.index),
                                   "--section-from-dir", "-j", "2", "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output[as_json.output.index("{"):])
    text = runner.invoke(main, ["index", str(bbc_built.source), "--index", str(bbc_built.index),
                                "--section-from-dir", "-j", "2"])
    numbers = summary_numbers(text.output.strip().splitlines()[-2])
    assert {k: v for k, v in data["inputs"].items() if k != "total"} == numbers
    assert data["inputs"]["total"] == sum(numbers.values()) == bbc_built.report.inputs_total
    assert numbers["unchanged"] + numbers["skipped"] == data["inputs"]["total"]


def test_an_update_counts_new_replaced_merged_and_removed(tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "in" / "feed.jsonl", [
        {"url": "https://n.test/1", "title": "Dam opens", "body": "The dam opened on Monday."},
        {"url": "https://n.test/2", "title": "Ferry late", "body": "The ferry ran late."},
    ])
    write_story(tmp_path / "in", "gone.txt", "Old note", "An old note that goes away.")
    index = tmp_path / "ix"
    first = index_paths([tmp_path / "in"], index=index, jobs=1)
    assert first.inputs == {"new": 3, "replaced": 0, "merged": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    write_jsonl(feed, [
        {"url": "https://n.test/1", "title": "Dam opens", "body": "The dam opened on Monday, late."},
        {"url": "https://n.test/3", "title": "Bridge shut", "body": "The bridge shut for repairs."},
        {"url": "https://n.test/3", "title": "Bridge shut", "body": "The bridge shut for repairs today."},
        {"title": "", "body": ""},
    ])
    (tmp_path / "in" / "gone.txt").unlink()
    write_story(tmp_path / "in", "kept.txt", "Kept note", "A note that stays.")
    result = CliRunner().invoke(main, ["index", str(tmp_path / "in"), "--index", str(index), "-j", "1", "--json"])
    assert result.exit_code == 1  # the empty record fails
    data = json.loads(result.output[result.output.index("{"):])
    assert data["inputs"] == {"new": 2, "replaced": 1, "merged": 1, "unchanged": 0, "skipped": 0, "failed": 1,
                              "total": 5}
    (merge,) = data["merged"]
    assert (merge["line"], merge["with_line"], merge["id"]) == (3, 2, "https://n.test/3")
    assert "merged " in result.output and ":3 has the same article id as " in result.output
    # https://n.test/2 went with the new version of its file; gone.txt with its file.
    assert (data["documents_before"], data["documents"], data["files_removed"]) == (3, 3, 1)
    assert data["articles_removed"] == 2


def test_accepted_failures_are_reported_but_do_not_fail_and_new_ones_still_do(tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "in" / "feed.jsonl", [
        {"title": "Dam opens", "body": "The dam opened on Monday."},
        {"title": "", "body": ""},
        {"title": "", "body": ""},
    ])
    index, runner = tmp_path / "ix", CliRunner()
    base = ["index", str(feed), "--index", str(index), "-j", "1"]
    refused = runner.invoke(main, base + ["--allow-failures", "1"])
    assert refused.exit_code == 1 and refused.output.count("skipped ") == 2
    accepted = runner.invoke(main, base + ["--allow-failures", "2"])
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.count("(accepted as known)") == 2 and "2 of them accepted as known" in accepted.output

    # Declared: the known bad records by PATH:LINE, relative to the declaration; a new bad record fails.
    declare(tmp_path / "indexes", "feed", ["in"], allow_failures=["in/feed.jsonl:2", "in/feed.jsonl:3"])
    assert rebuild("feed", indexes_dir=tmp_path / "indexes", jobs=1).ok
    again = rebuild("feed", indexes_dir=tmp_path / "indexes", jobs=1)  # unchanged: failures reported again
    assert again.ok and len(again.failures) == 2 and len(again.allowed_failures) == 2
    write_jsonl(feed, [{"title": "Dam opens", "body": "The dam opened."}, {"title": "", "body": ""},
                       {"title": "", "body": ""}, {"title": "", "body": ""}])
    worse = runner.invoke(main, ["rebuild", "feed", "--indexes-dir", str(tmp_path / "indexes"), "-j", "1"])
    assert worse.exit_code == 1
    assert "feed.jsonl:4" in worse.output and worse.output.count("(accepted as known)") == 2
    with pytest.raises(Exception, match="allow_failures"):
        declare(tmp_path / "indexes", "bad", ["in"], allow_failures="in/feed.jsonl")
        rebuild("bad", indexes_dir=tmp_path / "indexes", jobs=1)


def test_fakenewsnet_known_failures_can_be_accepted(fakenewsnet_built) -> None:
    count = len(fakenewsnet_built.report.failures)
    runner = CliRunner()
    base = ["index", str(fakenewsnet_built.source), "--index", str(fakenewsnet_built.index), "-j", "2"]
    assert runner.invoke(main, base).exit_code == 1  # unchanged, still failing: never passes by itself
    assert runner.invoke(main, base + ["--allow-failures", str(count - 1)]).exit_code == 1
    assert runner.invoke(main, base + ["--allow-failures", str(count)]).exit_code == 0


def test_an_articles_origin_packs_into_one_int_and_back() -> None:
    from newsearch.ingest.pipeline import _Origin

    for number, line in [(0, None), (0, 0), (0, 1), (7, 123_456), (70_000, 2 ** 39), (3, None)]:
        assert _Origin.unpack(_Origin.pack(number, line)) == (number, line)
    assert _Origin.pack(1, None) != _Origin.pack(0, None) != _Origin.pack(0, 0)
