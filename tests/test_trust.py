"""What the index holds is what is on disk, and what newsearch prints about it is true:
identity by resolved path, pruning by input, sections from folders, README files,
`check`/`rebuild` agreeing, and the small messages a careful user reads."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Archive, index_paths
from newsearch.cli import main
from newsearch.ingest import IngestOptions
from newsearch.lifecycle import check, rebuild

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


def test_a_declared_index_still_matches_after_the_checkout_moves(tmp_path: Path) -> None:
    checkout = tmp_path / "repo"
    small_corpus(checkout)
    declare(checkout / "indexes", "news", ["corpus"])
    assert rebuild("news", indexes_dir=checkout / "indexes", jobs=1).articles == 3
    moved = tmp_path / "moved"
    shutil.move(str(checkout), str(moved))
    # A copy keeps modification times, as a cache restore does; a move keeps everything.
    assert check("news", indexes_dir=moved / "indexes").fresh
    report = rebuild("news", indexes_dir=moved / "indexes", jobs=1)
    assert (report.files_indexed, report.files_unchanged, report.files_removed) == (0, 3, 0)
    (moved / "corpus" / "bakery.txt").unlink()
    stale = check("news", indexes_dir=moved / "indexes")
    assert stale.removed == [str(moved / "corpus" / "bakery.txt")]
    assert rebuild("news", indexes_dir=moved / "indexes", jobs=1).files_removed == 1
    assert hit_ids(moved / "indexes" / "news", "rye") == []
    manifest = json.loads((moved / "indexes" / "news" / "manifest.json").read_text())
    assert all(not source["path"].startswith("/") for source in manifest["sources"])


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
    index = tmp_path / "ix"
    result = invoke("index", str(root), "--index", str(index), "--section-from-dir", "-j", "1", "--json")
    assert result.exit_code == 0, result.output
    with Archive.open(index) as archive:
        sections = {hit.title: hit.section for hit in archive.search("", limit=10).hits}
    assert sections == {"Rates rise": "business", "Top story": "", "Wire item": ""}
    data = json.loads(result.output[result.output.index("{"):])
    assert data["files_found"] == 3
    assert sorted(Path(s["path"]).name for s in data["skipped"]) == ["README.TXT", "readme.txt"]
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
    assert "1 article " in result.output and "1 articles" not in result.output
    assert "1 file" in result.output and "1 files" not in result.output
