"""What the index holds is what is on disk, and what newsearch prints about it is true:
identity by resolved path, pruning by input, sections from folders, README files,
`check`/`rebuild` agreeing, and the small messages a careful user reads."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Archive, index_paths
from newsearch.cli import main
from newsearch.ingest import IngestOptions
from newsearch.lifecycle import check

from test_lifecycle import declare, hit_ids, small_corpus, write_story


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_a_folder_typed_relatively_then_absolutely_is_one_input(tmp_path: Path, monkeypatch) -> None:
    small_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    first = invoke("index", "corpus", "--index", "ix", "-j", "1", "--json")
    assert first.exit_code == 0, first.output
    again = invoke("index", str(tmp_path / "corpus"), "--index", str(tmp_path / "ix"), "-j", "1", "--json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.output[again.output.index("{"):])
    assert (data["files_indexed"], data["files_unchanged"], data["files_removed"]) == (0, 3, 0)
    assert check(index=tmp_path / "ix").fresh
    # ... and through a symlink to the same folder, and with `..` in the path.
    os.symlink(tmp_path / "corpus", tmp_path / "link")
    (tmp_path / "sub").mkdir()
    for typed in ("link", "sub/../corpus"):
        report = index_paths([typed], index="ix", jobs=1)
        assert (report.files_indexed, report.files_unchanged, report.files_removed) == (0, 3, 0)
    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == 3


def test_a_declared_index_still_matches_after_the_checkout_moves(tmp_path: Path, monkeypatch) -> None:
    checkout = tmp_path / "repo"
    small_corpus(checkout)
    declare(checkout / "indexes", "news", ["corpus"])
    monkeypatch.chdir(checkout)
    assert invoke("rebuild", "news", "-j", "1").exit_code == 0
    moved = tmp_path / "moved"
    shutil.move(str(checkout), str(moved))  # a move (or a cache restore) keeps modification times
    monkeypatch.chdir(moved)
    fresh = invoke("check", "news")
    assert fresh.exit_code == 0, fresh.output
    again = invoke("rebuild", "news", "-j", "1", "--json")
    data = json.loads(again.output[again.output.index("{"):])
    assert (data["files_indexed"], data["files_unchanged"], data["files_removed"]) == (0, 3, 0)
    (moved / "corpus" / "bakery.txt").unlink()
    stale = invoke("check", "news")
    assert stale.exit_code == 1 and f"removed: {moved / 'corpus' / 'bakery.txt'}" in stale.output
    assert "`newsearch rebuild news`" in stale.output
    assert "1 file removed" in invoke("rebuild", "news", "-j", "1").output
    assert hit_ids(moved / "indexes" / "news", "rye") == []
    manifest = json.loads((moved / "indexes" / "news" / "manifest.json").read_text())
    assert [source["path"] for source in manifest["sources"]] == ["corpus/otters.txt", "corpus/tram.txt"]


def test_index_check_and_rebuild_agree_on_a_deleted_file(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    assert invoke("index", str(corpus), "--index", str(index), "-j", "1").exit_code == 0
    (corpus / "tram.txt").unlink()
    stale = invoke("check", "--index", str(index))
    assert stale.exit_code == 1
    assert f"removed: {corpus / 'tram.txt'}" in stale.output
    assert f"`newsearch rebuild --index {index}`" in stale.output
    fixed = invoke("rebuild", "--index", str(index), "-j", "1")
    assert fixed.exit_code == 0, fixed.output
    assert "1 file removed" in fixed.output
    assert invoke("check", "--index", str(index)).exit_code == 0
    assert hit_ids(index, "tram") == []


def test_rebuild_by_path_uses_the_manifest_inputs_and_options(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1, options=IngestOptions(section_from_dir=True))
    write_story(corpus / "desk", "ferry.txt", "Ferry resumes", "The ferry resumes its timetable.", section="")
    result = invoke("rebuild", "--index", str(index), "-j", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[result.output.index("{"):])["files_indexed"] == 1
    with Archive.open(index) as archive:
        (hit,) = archive.search("ferry").hits
        assert hit.section == "desk"  # section_from_dir kept from the first run
    missing = invoke("rebuild", "--index", str(tmp_path / "nothing"))
    assert missing.exit_code == 1 and "Traceback" not in missing.output


def test_check_uses_newsearch_index_and_an_unknown_name_is_bad_usage(tmp_path: Path, monkeypatch) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    monkeypatch.chdir(tmp_path)  # no indexes/ here: only the environment can name the index
    fresh = invoke("check", env={"NEWSEARCH_INDEX": str(index)})
    assert fresh.exit_code == 0, fresh.output
    assert "up to date" in fresh.output
    (corpus / "otters.txt").write_text("Title: Otters\n\nChanged.\n", encoding="utf-8")
    assert invoke("check", env={"NEWSEARCH_INDEX": str(index)}).exit_code == 1
    declare(tmp_path / "indexes", "news", ["corpus"])
    unknown = invoke("check", "nosuch")
    assert unknown.exit_code == 2 and "'nosuch'" in unknown.output and "news" in unknown.output
    assert invoke("rebuild", "nosuch").exit_code == 2
    # A name typed on the command line wins over the environment.
    named = invoke("check", "news", env={"NEWSEARCH_INDEX": str(index)})
    assert named.exit_code == 1 and "no index at indexes/news" in named.output


def test_section_from_dir_is_the_folder_below_the_input_never_the_input_itself(tmp_path: Path) -> None:
    root = tmp_path / "jsonl"
    (root / "business").mkdir(parents=True)
    (root / "business" / "a.txt").write_text("Rates rise\n\nThe bank raised rates again today.\n")
    (root / "top.txt").write_text("Top story\n\nA story filed straight into the root folder.\n")
    (root / "feed.jsonl").write_text(json.dumps({"title": "Wire item", "body": "A wire story line."}) + "\n")
    (root / "README.TXT").write_text("About this collection\n\nThis folder holds test articles.\n")
    (root / "business" / "readme.txt").write_text("Notes\n\nNot an article either.\n")
    (root / "SOURCE.txt").write_text("Origin\n\nCopied from a public archive in 2026.\n")
    (root / "License.md").write_text("Terms\n\nFree to share.\n")
    index = tmp_path / "ix"
    result = invoke("index", str(root), "--index", str(index), "--section-from-dir", "-j", "1", "--json")
    assert result.exit_code == 0, result.output
    with Archive.open(index) as archive:
        sections = {hit.title: hit.section for hit in archive.search("", limit=10).hits}
    assert sections == {"Rates rise": "business", "Top story": "", "Wire item": ""}
    data = json.loads(result.output[result.output.index("{"):])
    assert data["files_found"] == 3
    assert sorted(Path(s["path"]).name for s in data["skipped"]) == ["License.md", "README.TXT", "SOURCE.txt",
                                                                     "readme.txt"]
    # A glob's root is its folder without wildcards; a file named alone has no folder below its root.
    glob_index = tmp_path / "gx"
    index_paths([str(root / "*" / "*.txt"), str(root / "top.txt")], index=glob_index, jobs=1,
                options=IngestOptions(section_from_dir=True))
    with Archive.open(glob_index) as archive:
        assert {hit.title: hit.section for hit in archive.search("", limit=10).hits} == {
            "Rates rise": "business", "Top story": ""}


def test_counts_are_written_in_good_english(tmp_path: Path) -> None:
    folder = tmp_path / "one"
    write_story(folder, "only.txt", "Only story", "The single story in this folder.")
    result = invoke("index", str(folder), "--index", str(tmp_path / "ix"), "-j", "1")
    assert result.exit_code == 0, result.output
    # (a rate such as "31 articles/s" may follow: a count of one is "1" on its own)
    assert re.search(r"(?<![\d.])1 article\b", result.output)
    assert not re.search(r"(?<![\d.])1 articles\b", result.output)
    assert "1 file" in result.output and not re.search(r"(?<![\d.])1 files\b", result.output)


# ---------------------------------------------------------------------------
# Messages a careful user reads


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    write_story(corpus, "byline.txt", "Canal boats", "Boats moved along the canal.", author="The Of And")
    index_paths([corpus], index=index, jobs=1)
    return index


def test_a_page_past_the_end_is_said_so(sample: Path) -> None:
    result = invoke("query", "", "--index", str(sample), "--page", "100", "-n", "1000")
    assert result.exit_code == 1
    assert "page 100 is past the end: 4 results fill 1 page of 1,000" in result.output
    assert invoke("query", "", "--index", str(sample), "--page", "1").exit_code == 0
    assert invoke("query", "zebra", "--index", str(sample), "--page", "3").exit_code == 0  # nothing found is no error
    too_many = invoke("query", "", "--index", str(sample), "-n", "1001")
    assert too_many.exit_code == 2
    assert "at most 1,000" in invoke("query", "--help").output


@pytest.mark.parametrize("text,message", [
    ("section:", "section: in query 'section:' needs a value"),
    ("oil AND", "AND at the end of query 'oil AND' needs a word after it"),
    ('"the of and"', "too common to be indexed"),
])
def test_queries_that_cannot_mean_what_they_say_are_refused(sample: Path, text: str, message: str) -> None:
    for match in ("all", "any"):
        result = invoke("query", text, "--index", str(sample), "--match", match)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_stop_words_do_not_match_bylines(sample: Path) -> None:
    with Archive.open(sample) as archive:
        assert archive.search("the rye", match="any").total == 1  # rye, not the byline "The Of And"
        assert archive.search('byline:"the of and"').total == 1  # asked for by field: searched


def test_export_has_the_body_and_fields_can_be_chosen(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert invoke("export", "rye", "--index", str(sample), "--format", "csv", "-o", str(out)).exit_code == 0
    import csv

    (row,) = list(csv.DictReader(out.open(encoding="utf-8")))
    assert row["body"] == "A family bakery won the regional prize for its rye loaf."
    chosen = invoke("export", "", "--index", str(sample), "--fields", "title,body,language", "--sort", "oldest")
    assert chosen.exit_code == 0
    records = [json.loads(line) for line in chosen.output.splitlines() if line.startswith("{")]
    assert list(records[0]) == ["title", "body", "language"] and len(records) == 4
    assert records[0]["title"] == "Bakery wins regional prize" and records[0]["body"].startswith("A family bakery")
    bad = invoke("export", "", "--index", str(sample), "--fields", "title,colour")
    assert bad.exit_code == 2 and "colour" in bad.output


def test_optimize_says_what_it_is_doing_before_it_starts(sample: Path) -> None:
    result = invoke("optimize", "--index", str(sample))
    assert result.exit_code == 0
    first, last = result.output.strip().splitlines()
    assert first.startswith(f"optimizing {sample}: merging ") and "4 articles into one" in first
    assert last.startswith(f"optimized {sample}: 4 articles in one segment in ")


def test_shell_completion_as_documented_completes_commands() -> None:
    import subprocess
    import sys

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "_NEWSEARCH_COMPLETE=bash_source newsearch" in readme
    env = {**os.environ, "COMP_WORDS": "newsearch ind", "COMP_CWORD": "1", "_NEWSEARCH_COMPLETE": "bash_complete"}
    done = subprocess.run([sys.executable, "-c", "from newsearch.cli import main; main(prog_name='newsearch')"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert "plain,index" in done.stdout.splitlines()
