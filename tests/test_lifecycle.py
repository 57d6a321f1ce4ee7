"""Index lifecycle: incremental runs, check, prune, declared rebuilds, schema and option changes, stats."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Archive, index_paths
from newsearch.cli import main
from newsearch.errors import NewsearchError, SchemaMismatch
from newsearch.lifecycle import check, rebuild
from newsearch.ingest.manifest import Manifest
from newsearch.engine.store import META_FILE, SCHEMA_VERSION

from conftest import EXAMPLES

QUERIES = ("harbor", "wheat drought", "semiconductor OR chip", "Iraq", "council vote")
FACETS = ("section", "author", "year", "month", "tag", "source")


def write_story(folder: Path, name: str, title: str, body: str, *, section: str = "World",
                date: str = "2021-03-04", author: str = "Jane Roe") -> Path:
    """One plain-text article in the header-block layout the text parser reads."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"Title: {title}\nBy: {author}\nDate: {date}\nSection: {section}\n\n{body}\n",
                    encoding="utf-8")
    return path


def small_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    write_story(corpus, "otters.txt", "Otters return to the canal",
                "Otters were seen near the old mill for the first time in decades.", section="Science")
    write_story(corpus, "tram.txt", "Council approves tram extension",
                "The council voted to extend the tram line to the harbour district.", section="Politics",
                date="2022-05-01")
    write_story(corpus, "bakery.txt", "Bakery wins regional prize",
                "A family bakery won the regional prize for its rye loaf.", section="Business",
                date="2020-11-20", author="Sam Poe")
    return corpus


def snapshot(index: Path) -> dict:
    """Ids, ranked hits and facet counts: what must not change between equal builds."""
    with Archive.open(index) as archive:
        state: dict = {"ids": sorted(archive.ids())}
        for text in QUERIES + ("",):
            results = archive.search(text, facets=FACETS, limit=50, highlight=False)
            state[text] = (
                results.total,
                [hit.id for hit in results.hits],
                {name: [(f.value, f.count) for f in counts] for name, counts in results.facets.items()},
            )
    return state


def hit_ids(index: Path, text: str) -> list[str]:
    with Archive.open(index) as archive:
        return [hit.id for hit in archive.search(text, limit=50, highlight=False).hits]


def declare(indexes: Path, name: str, paths: list[str], **extra: object) -> Path:
    indexes.mkdir(parents=True, exist_ok=True)
    lines = ["[sources]", "paths = [" + ", ".join(json.dumps(p) for p in paths) + "]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    file = indexes / f"{name}.toml"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return file


# ---------------------------------------------------------------------------
# Incremental `index`


def test_second_index_run_processes_nothing(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    first = index_paths([corpus], index=index, jobs=1)
    assert (first.files_indexed, first.articles) == (3, 3)
    second = index_paths([corpus], index=index, jobs=1)
    assert (second.files_indexed, second.articles, second.files_unchanged) == (0, 0, 3)
    assert not second.changed

    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "already up to date" in result.output
    assert "3 inputs: 0 new, 0 replaced, 0 merged, 3 unchanged, 0 skipped, 0 failed; 0 files read" in result.output


def test_touched_but_identical_file_is_not_reindexed(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    later = os.stat(corpus / "otters.txt").st_mtime + 100
    os.utime(corpus / "otters.txt", (later, later))
    assert check(index=index).fresh
    assert index_paths([corpus], index=index, jobs=1).files_indexed == 0
    # The new time is recorded, so later runs need not hash the file again.
    assert Manifest.load(index).sources[str(corpus / "otters.txt")].mtime == later


def test_modified_file_is_reindexed_and_check_reports_it(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    assert hit_ids(index, "otters") and not hit_ids(index, "beavers")
    write_story(corpus, "otters.txt", "Beavers build a dam on the canal",
                "Beavers have built a dam below the old mill, the canal trust said.", section="Science")

    stale = check(index=index)
    assert not stale.fresh
    assert stale.changed == [str(corpus / "otters.txt")] and not stale.added and not stale.removed
    runner = CliRunner()
    result = runner.invoke(main, ["check", "--index", str(index)])
    assert result.exit_code == 1
    assert f"changed: {corpus / 'otters.txt'}" in result.output and "stale" in result.output

    report = index_paths([corpus], index=index, jobs=1)
    assert (report.files_indexed, report.files_unchanged) == (1, 2)
    assert len(hit_ids(index, "beavers")) == 1
    assert hit_ids(index, "otters") == []
    with Archive.open(index) as archive:
        assert len(archive) == 3

    assert check(index=index).fresh
    result = runner.invoke(main, ["check", "--index", str(index)])
    assert result.exit_code == 0 and "up to date" in result.output


def test_added_file_is_reported_and_indexed(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    new = write_story(corpus / "more", "ferry.txt", "Night ferry resumes", "The night ferry to the islands resumes.")
    stale = check(index=index)
    assert stale.added == [str(new)] and not stale.changed
    result = CliRunner().invoke(main, ["check", "--index", str(index), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["fresh"] is False and data["added"] == [str(new)]
    report = index_paths([corpus], index=index, jobs=1)
    assert (report.files_indexed, report.files_unchanged) == (1, 3)
    assert len(hit_ids(index, "ferry")) == 1


def test_deleted_file_goes_when_its_folder_is_indexed_again_and_other_inputs_stay(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    other = write_story(tmp_path / "elsewhere", "ferry.txt", "Ferry resumes", "The ferry resumes its winter timetable.")
    index_paths([corpus, other], index=index, jobs=1)
    (corpus / "bakery.txt").unlink()
    assert check(index=index).removed == [str(corpus / "bakery.txt")]
    runner = CliRunner()

    kept = runner.invoke(main, ["index", str(corpus), "--index", str(index), "--no-prune", "-j", "1"])
    assert kept.exit_code == 0, kept.output
    assert len(hit_ids(index, "bakery")) == 1 and not check(index=index).fresh

    # Indexing the folder again means "what is in it now"; the other input is not touched.
    result = runner.invoke(main, ["index", str(corpus), "--index", str(index), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "1 file removed" in result.output and "up to date" not in result.output
    assert hit_ids(index, "bakery") == [] and len(hit_ids(index, "ferry")) == 1
    with Archive.open(index) as archive:
        assert len(archive) == 3
    assert check(index=index).fresh

    # --prune removes every file not found under the paths given: here the other input's.
    pruned = runner.invoke(main, ["index", str(corpus), "--index", str(index), "--prune", "-j", "1"])
    assert pruned.exit_code == 0, pruned.output
    assert hit_ids(index, "ferry") == []
    with Archive.open(index) as archive:
        assert len(archive) == 2


def test_index_refuses_a_folder_that_is_not_an_index(tmp_path: Path) -> None:
    corpus, target = small_corpus(tmp_path), tmp_path / "documents"
    target.mkdir()
    (target / "notes.txt").write_text("my notes", encoding="utf-8")
    with pytest.raises(NewsearchError, match="not an index folder"):
        index_paths([corpus], index=target, jobs=1)
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(target), "--rebuild"])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "notes.txt" in result.output
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    assert not (tmp_path / "documents.replaced").exists()


# ---------------------------------------------------------------------------
# Declared indexes and `rebuild`


def test_rebuild_prunes_and_updates_a_declared_index(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    indexes = tmp_path / "indexes"
    declare(indexes, "news", ["corpus"])
    first = rebuild("news", indexes_dir=indexes, jobs=1)
    built = indexes / "news"
    assert first.articles == 3 and Archive.open(built).search("rye").total == 1

    (corpus / "bakery.txt").unlink()
    write_story(corpus, "tram.txt", "Tram extension delayed", "The tram extension is delayed by a year.")
    assert not check("news", indexes_dir=indexes).fresh
    second = rebuild("news", indexes_dir=indexes, jobs=1)
    assert (second.files_removed, second.files_indexed, second.files_unchanged) == (1, 1, 1)
    assert hit_ids(built, "rye") == [] and len(hit_ids(built, "delayed")) == 1
    assert check("news", indexes_dir=indexes).fresh
    assert rebuild("news", indexes_dir=indexes, jobs=1).files_indexed == 0


def test_rebuild_twice_gives_identical_ids_results_and_facets(tmp_path: Path) -> None:
    indexes = tmp_path / "indexes"
    declare(indexes, "sample", [str(EXAMPLES)], section_from_dir=True)
    rebuild("sample", indexes_dir=indexes, full=True, jobs=1)
    first = snapshot(indexes / "sample")
    assert len(first["ids"]) >= 20 and first[""][0] == len(first["ids"])
    assert first["harbor"][0] > 0 and first[""][2]["section"]
    rebuild("sample", indexes_dir=indexes, full=True, jobs=2)
    assert snapshot(indexes / "sample") == first


def test_rebuild_cli_and_check_on_declared_index(tmp_path: Path) -> None:
    small_corpus(tmp_path)
    indexes = tmp_path / "indexes"
    declare(indexes, "news", ["corpus"])
    runner = CliRunner()
    result = runner.invoke(main, ["check", "news", "--indexes-dir", str(indexes)])
    assert result.exit_code == 1 and "no index" in result.output
    result = runner.invoke(main, ["rebuild", "news", "--indexes-dir", str(indexes), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "3 inputs: 3 new" in result.output
    result = runner.invoke(main, ["check", "news", "--indexes-dir", str(indexes)])
    assert result.exit_code == 0 and "up to date" in result.output
    result = runner.invoke(main, ["rebuild", "news", "--indexes-dir", str(indexes), "-j", "1"])
    assert result.exit_code == 0 and "already up to date" in result.output


def test_changed_declaration_is_stale_and_rebuild_applies_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "arts").mkdir(parents=True)
    (corpus / "arts" / "gallery.txt").write_text("Gallery reopens\n\nThe city gallery reopens after repairs.\n",
                                                 encoding="utf-8")
    indexes = tmp_path / "indexes"
    declare(indexes, "news", ["corpus"])
    rebuild("news", indexes_dir=indexes, jobs=1)
    declare(indexes, "news", ["corpus"], section_from_dir=True)
    stale = check("news", indexes_dir=indexes)
    assert stale.settings_changed == {"section_from_dir": (False, True)} and not stale.changed
    result = CliRunner().invoke(main, ["check", "news", "--indexes-dir", str(indexes)])
    assert result.exit_code == 1 and "setting changed: section_from_dir" in result.output
    rebuild("news", indexes_dir=indexes, jobs=1)
    assert check("news", indexes_dir=indexes).fresh
    with Archive.open(indexes / "news") as archive:
        assert [(f.value, f.count) for f in archive.search("", facets=("section",)).facets["section"]] == [
            ("arts", 1)]


# ---------------------------------------------------------------------------
# Options and schema versions


def test_language_mismatch_needs_rebuild(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    with pytest.raises(SchemaMismatch, match="--rebuild"):
        index_paths([corpus], index=index, language="fr", jobs=1)
    with pytest.raises(SchemaMismatch, match="stem"):
        index_paths([corpus], index=index, stem=False, jobs=1)
    runner = CliRunner()
    result = runner.invoke(main, ["index", str(corpus), "--index", str(index), "--language", "fr"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "language='en'" in result.output and "--rebuild" in result.output
    result = runner.invoke(main, ["index", str(corpus), "--index", str(index), "--rebuild", "--language", "fr",
                                  "-j", "1"])
    assert result.exit_code == 0, result.output
    # Without --language an update keeps the index's own analysis.
    result = runner.invoke(main, ["index", str(corpus), "--index", str(index), "-j", "1"])
    assert result.exit_code == 0 and "already up to date" in result.output
    with Archive.open(index) as archive:
        assert archive.options.language == "fr"
    # Nor does a rebuild that names no language switch back to English.
    assert index_paths([corpus], index=index, rebuild=True, jobs=1).articles == 3
    with Archive.open(index) as archive:
        assert archive.options.language == "fr"


def test_changed_ingest_options_reread_files(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "ix"
    (corpus / "arts").mkdir(parents=True)
    (corpus / "arts" / "gallery.txt").write_text("Gallery reopens\n\nThe city gallery reopens after repairs.\n",
                                                 encoding="utf-8")
    index_paths([corpus], index=index, jobs=1)
    report = index_paths([corpus], index=index, jobs=1, options=_options(section_from_dir=True))
    assert report.files_indexed == 1
    with Archive.open(index) as archive:
        assert archive.search("gallery", section="arts").total == 1


def _options(**kwargs: object):
    from newsearch.ingest import IngestOptions

    return IngestOptions(**kwargs)  # type: ignore[arg-type]


def _set_schema_version(index: Path, version: int) -> None:
    meta_file = index / META_FILE
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["schema_version"] = version
    meta_file.write_text(json.dumps(meta), encoding="utf-8")


def test_schema_mismatch_says_rebuild(tmp_path: Path) -> None:
    small_corpus(tmp_path)
    indexes = tmp_path / "indexes"
    declare(indexes, "news", ["corpus"])
    rebuild("news", indexes_dir=indexes, jobs=1)
    built = indexes / "news"
    _set_schema_version(built, 999)

    with pytest.raises(SchemaMismatch, match="newsearch rebuild"):
        Archive.open(built)
    with pytest.raises(SchemaMismatch, match="999"):
        index_paths([tmp_path / "corpus"], index=built, jobs=1)
    result = CliRunner().invoke(main, ["query", "otters", "--index", str(built)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "newsearch rebuild" in result.output
    assert "Traceback" not in result.output
    stale = check("news", indexes_dir=indexes)
    assert stale.settings_changed == {"schema_version": (999, SCHEMA_VERSION)} and not stale.changed

    report = rebuild("news", indexes_dir=indexes, jobs=1)
    assert report.articles == 3
    assert len(hit_ids(built, "otters")) == 1


# ---------------------------------------------------------------------------
# Maintenance: stats and optimize


def test_stats_and_optimize(tmp_path: Path) -> None:
    corpus, index = small_corpus(tmp_path), tmp_path / "ix"
    index_paths([corpus], index=index, jobs=1)
    # Later small runs add segments of their own.
    write_story(corpus / "b", "ferry.txt", "Night ferry resumes", "The night ferry resumes.", section="World",
                date="2023-01-09")
    index_paths([corpus], index=index, jobs=1)
    write_story(corpus / "c", "choir.txt", "Choir tours abroad", "The youth choir tours abroad.",
                section="Culture", date="2019-08-30")
    index_paths([corpus], index=index, jobs=1)
    before = snapshot(index)

    runner = CliRunner()
    result = runner.invoke(main, ["stats", "--index", str(index), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["documents"] == 5
    assert stats["segments"] > 1
    assert stats["size_bytes"] > 1000
    assert stats["earliest"].startswith("2019-08-30") and stats["latest"].startswith("2023-01-09")
    assert stats["sections"] == {"Business": 1, "Culture": 1, "Politics": 1, "Science": 1, "World": 1}

    text = runner.invoke(main, ["stats", "--index", str(index)])
    assert text.exit_code == 0
    assert "documents: 5" in text.output and "2019-08-30 to 2023-01-09" in text.output

    result = runner.invoke(main, ["optimize", "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "5 articles in one segment" in result.output
    after = json.loads(runner.invoke(main, ["stats", "--index", str(index), "--json"]).output)
    assert after["segments"] == 1 and after["documents"] == 5
    assert snapshot(index) == before
    assert check(index=index).fresh


def test_stats_on_missing_index_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--index", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "no index at" in result.output


# ---------------------------------------------------------------------------
# The CI recipe in docs/


def _workflow_commands() -> list[list[str]]:
    """The `newsearch ...` commands of the example workflow, shell redirections and `|| true` dropped."""
    import shlex

    text = (EXAMPLES.parent / "docs" / "github-actions-example.yml").read_text(encoding="utf-8")
    commands = []
    for line in text.splitlines():
        line = line.strip().removeprefix("run:").strip()
        if line.startswith("newsearch "):
            words = shlex.split(line.split("||")[0].split(">")[0])
            commands.append(words[1:])
    return commands


def test_ci_example_commands_work_on_a_fresh_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    shutil.copytree(EXAMPLES, tmp_path / "examples")
    (tmp_path / "indexes").mkdir()
    shutil.copy(EXAMPLES.parent / "indexes" / "default.toml", tmp_path / "indexes")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSEARCH_INDEX", raising=False)
    commands = _workflow_commands()
    assert [c[0] for c in commands] == ["check", "rebuild", "check", "query"]
    runner = CliRunner()
    outputs = []
    for args in commands:
        result = runner.invoke(main, args + (["-j", "1"] if args[0] == "rebuild" else []))
        outputs.append(result)
    assert outputs[0].exit_code == 1  # no cached index yet: the step tolerates it
    assert outputs[1].exit_code == 0 and json.loads(outputs[1].stdout)["articles"] >= 20
    assert outputs[2].exit_code == 0
    assert outputs[3].exit_code == 0 and json.loads(outputs[3].stdout)["total"] > 0
