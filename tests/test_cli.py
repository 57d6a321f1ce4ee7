"""The command line through Click's CliRunner: exact outputs, exit codes, JSON shapes."""
import json

import pytest
from click.testing import CliRunner

from newsearch.cli import main

from helpers import write_jsonl

RECORDS = [
    {"url": "https://ex.org/a", "title": "Rockets hit the air base", "author": "Omar Haddad",
     "section": "World", "date": "2021-07-07", "body": "Three rockets hit the base at dawn."},
    {"url": "https://ex.org/b", "title": "Harbour fees rise", "author": "Dana Reyes",
     "section": "Business", "date": "2021-09-01", "body": "Port fees rose for the third time."},
    {"url": "https://ex.org/c", "title": "Rocket engines tested", "author": "Dana Reyes",
     "section": "Science", "date": "2021-09-15", "body": "Engineers tested new rocket engines."},
]


@pytest.fixture()
def index(tmp_path):
    source = write_jsonl(tmp_path / "in" / "news.jsonl", RECORDS)
    path = tmp_path / "ix"
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(path), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_index_summary_and_second_run_is_a_no_op(tmp_path, index):
    again = run("index", tmp_path / "in", "--index", index)
    assert again.exit_code == 0
    assert "3 inputs: 0 new, 0 replaced, 0 merged, 3 unchanged, 0 skipped, 0 failed; 0 files read" in again.output
    assert "index already up to date" in again.output


def test_query_text_output_is_exact(index):
    result = run("query", "rockets", "--index", index, "--facet", "section", "--sort", "oldest")
    assert result.exit_code == 0, result.output
    assert result.output == (
        '2 results for "rockets" (page 1 of 1)\n'
        "\n"
        "  1. Rockets hit the air base\n"
        "     2021-07-07 · World · Omar Haddad\n"
        "     Three **rockets** hit the base at dawn.\n"
        "     id: https://ex.org/a\n"
        "\n"
        "  2. Rocket engines tested\n"
        "     2021-09-15 · Science · Dana Reyes\n"
        "     Engineers tested new **rocket** engines.\n"
        "     id: https://ex.org/c\n"
        "\n"
        "section:\n"
        "  Science       1\n"
        "  World         1\n"
    )


def test_query_json_shape(index):
    result = run("query", "rocket", "--index", index, "--json", "--facet", "author", "--facet", "month")
    data = json.loads(result.output)
    assert data["total"] == 2 and data["page"] == 1 and data["limit"] == 10
    assert {h["id"] for h in data["hits"]} == {"https://ex.org/a", "https://ex.org/c"}
    assert set(data["hits"][0]) >= {"id", "title", "byline", "section", "date", "url", "score", "snippet"}
    assert data["facets"]["author"] == [{"value": "Dana Reyes", "count": 1}, {"value": "Omar Haddad", "count": 1}]
    months = [(m["value"], m["count"]) for m in data["facets"]["month"]]
    assert months == [("2021-07", 1), ("2021-08", 0), ("2021-09", 1)]


def test_month_facet_is_a_bar_chart(index):
    result = run("query", "", "--index", index, "--facet", "month", "--limit", "1")
    assert "  2021-09       2 " + "█" * 40 in result.output
    assert "  2021-08       0 \n" in result.output


def test_filters_and_dates(index):
    data = json.loads(run("query", "", "--index", index, "--author", "dana reyes", "--since", "Sep 2021",
                          "--json").output)
    assert data["total"] == 2
    data = json.loads(run("query", "", "--index", index, "--until", "July 2021", "--json").output)
    assert [h["id"] for h in data["hits"]] == ["https://ex.org/a"]


def test_bad_query_is_one_line_error_not_traceback(index):
    result = run("query", '"unclosed', "--index", index)
    assert result.exit_code == 1
    assert result.output.startswith("Error: unbalanced quote")
    assert "Traceback" not in result.output and result.output.count("\n") == 1
    bad_date = run("query", "x", "--since", "someday", "--index", index)
    assert bad_date.exit_code == 1 and "someday" in bad_date.output


def test_missing_index_says_how_to_build_one(tmp_path):
    result = run("query", "x", "--index", tmp_path / "none")
    assert result.exit_code == 1
    assert "no index at" in result.output and "newsearch index" in result.output


def test_show_and_export(index, tmp_path):
    shown = run("show", "https://ex.org/b", "--index", index)
    assert "title:    Harbour fees rise" in shown.output
    assert shown.output.rstrip().endswith("Port fees rose for the third time.")
    data = json.loads(run("show", "https://ex.org/b", "--index", index, "--json").output)
    assert data["authors"] == ["Dana Reyes"] and data["date"] == "2021-09-01T00:00:00+00:00"
    assert run("show", "nope", "--index", index).exit_code == 1
    out = tmp_path / "out.csv"
    assert run("export", "", "--index", index, "--format", "csv", "--sort", "oldest", "-o", out).exit_code == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "rank,id,title,date,section,byline,authors,source,tags,url,path,score,snippet,story,copies,body"
    assert len(lines) == 4 and ",https://ex.org/a," in lines[1]
    jsonl = run("export", "rocket", "--index", index).output.splitlines()
    assert len([line for line in jsonl if line.startswith("{")]) == 2


def test_parse_json_prints_one_object_per_article_without_indexing(tmp_path):
    source = write_jsonl(tmp_path / "news.jsonl", RECORDS[:2])
    result = run("parse", source, "--json")
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.output.splitlines()]
    assert [o["title"] for o in objects] == ["Rockets hit the air base", "Harbour fees rise"]
    assert objects[0]["date"] == "2021-07-07T00:00:00+00:00" and objects[0]["authors"] == ["Omar Haddad"]


def test_index_reports_bad_files_and_exits_nonzero(tmp_path):
    folder = tmp_path / "in"
    write_jsonl(folder / "good.jsonl", RECORDS[:1])
    (folder / "bad.jsonl").write_text('{"title": "ok", "body": "fine text here"}\n{broken\n')
    result = run("index", folder, "--index", tmp_path / "ix", "--jobs", "1")
    assert result.exit_code == 1
    assert "bad.jsonl:2:" in result.output
    assert "1 failed" in result.output
    assert json.loads(run("query", "", "--index", tmp_path / "ix", "--json").output)["total"] == 2


def test_stats_lists_sections(index):
    result = run("stats", "--index", index)
    assert "documents: 3" in result.output
    assert "dates:     2021-07-07 to 2021-09-15" in result.output


def test_a_bad_file_keeps_failing_until_it_is_fixed(tmp_path):
    folder = tmp_path / "in"
    write_jsonl(folder / "good.jsonl", RECORDS[:1])
    bad = folder / "bad.jsonl"
    bad.write_text('{"title": "ok", "body": "fine text here"}\n{broken\n')
    index = tmp_path / "ix"
    assert run("index", folder, "--index", index, "--jobs", "1").exit_code == 1
    again = run("index", folder, "--index", index, "--jobs", "1")
    assert again.exit_code == 1
    assert "bad.jsonl:2:" in again.output and "unchanged since it failed" in again.output
    bad.write_text('{"title": "ok", "body": "fine text here"}\n')
    fixed = run("index", folder, "--index", index, "--jobs", "1")
    assert fixed.exit_code == 0, fixed.output
    assert "0 failed" in fixed.output
