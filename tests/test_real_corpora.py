"""End to end on real data from ../shared: the seed article, BBC texts, Reuters JSONL,
and the extraction pages. Facet counts are checked against counts computed from the
raw inputs, not from the index."""
import gzip
import json
from collections import Counter

import pytest
from click.testing import CliRunner

from newsearch import Archive
from newsearch.cli import main

SEED_TITLE = "US Embassy, Ain al-Asad base targeted in Iraq as militias up tension"


def test_seed_indexes_and_is_found_by_the_cli(tmp_path, seed_path):
    index = tmp_path / "ix"
    runner = CliRunner()
    built = runner.invoke(main, ["index", str(seed_path.parent), "--index", str(index)])
    assert built.exit_code == 0, built.output
    result = runner.invoke(main, ["query", "Ain al-Asad", "--index", str(index), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 1
    hit = data["hits"][0]
    assert hit["title"] == SEED_TITLE
    assert hit["byline"] == "Al-Monitor Staff"
    assert hit["date"].startswith("2021-07-06")
    shown = json.loads(runner.invoke(main, ["show", hit["id"], "--index", str(index), "--json"]).output)
    body = shown["body"]
    assert body.startswith("The US Embassy in Baghdad")
    for boilerplate in ("Subscribe to Our Newsletters", "All rights reserved", "Sign Me Up",
                        "UN says Iran advances nuclear enrichment", "Nazlan Ertan", "Getty Images"):
        assert boilerplate not in body
    assert "Getty" not in shown["byline"] and "Ayman Henna" not in shown["authors"]


@pytest.fixture(scope="module")
def bbc(bbc_built):
    return bbc_built.source, bbc_built.index, bbc_built.report


def test_bbc_indexes_every_file(bbc):
    folder, index, report = bbc
    # README.TXT describes the collection: README files are never articles.
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".txt"
             and not p.name.lower().startswith("readme")]
    assert report.failures == []
    assert report.files_indexed == report.articles == len(files)
    # The collection repeats some stories word for word: the same article keeps one id.
    distinct = {" ".join(p.read_bytes().decode("utf-8", "replace").split()).lower() for p in files}
    with Archive.open(index) as archive:
        assert len(archive) == len(distinct)


def test_bbc_section_facets_match_the_folders(bbc):
    folder, index, _ = bbc
    # One count per distinct story: the collection repeats some word for word.
    stories = {" ".join(p.read_bytes().decode("utf-8", "replace").split()).lower(): p.parent.name
               for p in sorted(folder.glob("*/*.txt"))}
    expected = Counter(stories.values())
    with Archive.open(index) as archive:
        results = archive.search("", facets=("section",), limit=1)
    counts = {c.value: c.count for c in results.facets["section"]}
    for section, count in expected.items():
        assert counts[section] == count


def test_bbc_query_facets_equal_counts_over_the_matching_articles(bbc):
    _, index, _ = bbc
    with Archive.open(index) as archive:
        results = archive.search("economy growth", facets=("section",), limit=5)
        matching = list(archive.iter_results("economy growth"))
        direct = Counter(archive.get(hit.id).section for hit in matching)
    assert results.total == len(matching) > 20
    assert {c.value: c.count for c in results.facets["section"]} == dict(direct)


@pytest.mark.slow
def test_reuters_jsonl_indexes_and_facets_match_the_records(reuters_built):
    source, index, report = reuters_built.source, reuters_built.index, reuters_built.report
    records = [json.loads(line) for line in gzip.open(source, "rt", encoding="utf-8") if line.strip()]
    assert [str(f) for f in report.failures] == []
    assert report.articles == len(records)
    ids = {r["url"] for r in records}
    with Archive.open(index) as archive:
        assert len(archive) == len(ids)
        results = archive.search("", facets=("section", "year"), limit=1)
        grain = archive.search("", section="grain", facets=("year",), limit=1)
    sections = Counter(r["section"].casefold() for r in records if r["section"])
    assert {c.value.casefold(): c.count for c in results.facets["section"]} == dict(sections)
    years = Counter(r["date"][:4] for r in records if r["date"])
    assert {c.value: c.count for c in results.facets["year"] if c.count} == dict(years)
    assert grain.total == sections["grain"]


def test_extraction_pages_all_index_without_a_crash(extraction_built):
    pages = sorted(extraction_built.source.glob("*.html.gz"))
    report = extraction_built.report
    crashes = [str(f) for f in report.failures if f.reason.startswith("parser failed")]
    assert crashes == []
    assert report.articles + len(report.failures) >= len(pages)
    assert report.articles >= 0.95 * len(pages)
