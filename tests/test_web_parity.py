"""/api/search returns what `newsearch query --json` prints, on 3,000 real Reuters stories.

Both go through Archive.search, but by different roads (Click options, a query string
parsed by the web app), so a parameter one side drops or renames shows up here.
"""
from __future__ import annotations

import gzip
import itertools
import json

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from newsearch import Archive, index_paths
from newsearch.cli import main
from newsearch.web import create_app

STORIES = 3_000
# One spec per query: the API's parameters; the CLI gets the same as options.
QUERIES = [
    {"q": "oil", "facet": ["section", "month"]},
    {"q": "crude oil prices", "facet": ["section"]},
    {"q": '"interest rates"', "facet": ["month"]},
    {"q": "dollar OR yen", "facet": ["section"], "sort": "newest"},
    {"q": "opec", "section": ["crude"], "facet": ["section", "month"]},
    {"q": "", "facet": ["section", "month"]},
    {"q": "bank", "page": 2},
    {"q": "wheat", "since": "1987-03", "until": "1987-04", "facet": ["month"]},
    {"q": "title:coffee", "facet": ["section"]},
    {"q": "trade deficit japan", "match": "any", "limit": 20},
    {"q": "stock*", "facet": ["year"]},
    {"q": "profit NOT loss", "facet": ["section"]},
    {"q": "oill prises"},
    {"q": "acquisition", "facet": ["author", "source"]},
    {"q": "shares", "section": ["earn", "acq"], "facet": ["section"]},
    {"q": "date:1987-03 oil", "facet": ["month"]},
    {"q": "tonnes", "sort": "oldest", "page": 3},
    {"q": "copper OR zinc", "facet": ["section", "month"], "limit": 5},
    {"q": "japan", "since": "March 1987", "facet": ["section"]},
    {"q": "federal reserve", "until": "1987-04-15", "match": "any", "facet": ["tag", "section"]},
]


@pytest.fixture(scope="module")
def reuters(shared_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reuters")
    with gzip.open(shared_dir / "corpus/jsonl/reuters21578.jsonl.gz", "rt", encoding="utf-8") as lines:
        (folder / "reuters.jsonl").write_text("".join(itertools.islice(lines, STORIES)), encoding="utf-8")
    index = folder / "ix"
    report = index_paths([folder / "reuters.jsonl"], index=index, jobs=1)
    assert report.ok and report.articles == STORIES
    return index


def _cli_args(spec: dict) -> list[str]:
    args = [spec.get("q", "")]
    for name, value in spec.items():
        if name == "q":
            continue
        for one in value if isinstance(value, list) else [value]:
            args += [f"--{name}", str(one)]
    return args


def _api_params(spec: dict) -> list[tuple[str, str]]:
    return [(name, str(one)) for name, value in spec.items() for one in (value if isinstance(value, list) else [value])]


def test_api_search_matches_the_cli_for_twenty_queries(reuters):
    runner = CliRunner()
    found = 0
    with Archive.open(reuters) as archive, TestClient(create_app(archive), base_url="http://127.0.0.1") as client:
        for spec in QUERIES:
            printed = runner.invoke(main, ["query", *_cli_args(spec), "--index", str(reuters), "--json"])
            assert printed.exit_code == 0, (spec, printed.output)
            expected = json.loads(printed.output)
            answer = client.get("/api/search", params=_api_params(spec))
            assert answer.status_code == 200, (spec, answer.text)
            got = answer.json()
            assert [h["id"] for h in got["hits"]] == [h["id"] for h in expected["hits"]], spec
            assert got["total"] == expected["total"] and got["facets"] == expected["facets"], spec
            assert got == expected, spec
            found += expected["total"] > 0
    assert found >= 18  # the queries really find things, so equal answers are not two empty pages
    assert json.loads(runner.invoke(main, ["query", "--index", str(reuters), "--json"]).output)["total"] == STORIES
