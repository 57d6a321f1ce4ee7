"""The search API on a small hand-made archive: filters, facets, dates, sorting, paging."""
import sys
from collections import Counter

import pytest

from newsearch import Archive, NewsearchError, QuerySyntaxError

from helpers import article, utc

ARTICLES = [
    article("Rockets hit Ain al-Asad base", "Three rockets struck the Ain al-Asad air base in Anbar.",
            section="World", authors=("Omar Haddad",), byline="Omar Haddad", date=utc(2021, 7, 7),
            tags=("iraq", "security"), source="Gazette", url="https://ex.org/1"),
    article("Drone downed near embassy", "An armed drone was shot down near the embassy in Baghdad.",
            section="World", authors=("Omar Haddad", "Dana Reyes"), date=utc(2021, 7, 6),
            tags=("iraq",), source="Gazette", url="https://ex.org/2"),
    article("Port of Basra expands", "Investors from the Gulf are funding new berths at the Basra port.",
            section="Business", authors=("Dana Reyes",), date=utc(2021, 9, 1), source="Ledger",
            url="https://ex.org/3"),
    article("Wheat prices climb", "Drought pushed wheat prices higher across the region.",
            section="Business", authors=("Kenji Watanabe",), date=utc(2020, 1, 21), source="Ledger",
            url="https://ex.org/4"),
    article("Council delays vote", "The city council delayed its vote on the transit levy again.",
            section="Politics", authors=("Marcus Bell",), date=utc(2019, 11, 5), url="https://ex.org/5"),
    article("Undated wire copy", "Markets were calm as traders waited for the central bank.",
            section="business", url="https://ex.org/6"),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("ix") / "index"
    created = Archive.create(path)
    assert created.add(ARTICLES) == len(ARTICLES)
    with Archive.open(path) as opened:
        yield opened


def direct_counts(matching, field):
    counts = Counter()
    for art in matching:
        values = getattr(art, field)
        for value in (values if isinstance(values, tuple) else (values,)):
            if value:
                counts[value] += 1
    return counts


def test_search_finds_and_reports_plain_hits(archive):
    results = archive.search("rockets")
    assert results.total == 1
    hit = results.hits[0]
    assert hit.title == "Rockets hit Ain al-Asad base"
    assert hit.section == "World" and hit.authors == ("Omar Haddad",)
    assert hit.date == utc(2021, 7, 7) and hit.url == "https://ex.org/1"
    assert "**rockets**" in hit.snippet.lower()


def test_highlights_follow_stemming(archive):
    hit = archive.search("rocket").hits[0]
    assert "**rockets**" in hit.snippet.lower()


def test_match_all_and_any(archive):
    assert archive.search("wheat embassy").total == 0
    assert archive.search("wheat embassy", match="any").total == 2


def test_facet_counts_equal_direct_counts(archive):
    results = archive.search("", facets=("section", "author", "source", "tag"), limit=1)
    assert results.total == len(ARTICLES)
    section = {c.value.casefold(): c.count for c in results.facets["section"]}
    assert section == {k.casefold(): v for k, v in
                       (Counter({"world": 2, "business": 3, "politics": 1})).items()}
    assert {c.value: c.count for c in results.facets["author"]} == direct_counts(ARTICLES, "authors")
    assert {c.value: c.count for c in results.facets["source"]} == direct_counts(ARTICLES, "source")
    assert {c.value: c.count for c in results.facets["tag"]} == direct_counts(ARTICLES, "tags")


def test_month_histogram_fills_empty_months(archive):
    results = archive.search("", since="2021-07", until="2021-09", facets=("month",))
    assert [(c.value, c.count) for c in results.facets["month"]] == [
        ("2021-07", 2), ("2021-08", 0), ("2021-09", 1)]


def test_section_filter_keeps_other_sections_counts(archive):
    results = archive.search("", section="world", facets=("section", "author"))
    assert results.total == 2
    # The section facet ignores its own filter; other facets respect it.
    assert {c.value.casefold() for c in results.facets["section"]} == {"world", "business", "politics"}
    assert {c.value: c.count for c in results.facets["author"]} == {"Omar Haddad": 2, "Dana Reyes": 1}


def test_author_filter_matches_multi_author_articles(archive):
    results = archive.search("", author="Dana Reyes", sort="oldest")
    assert [h.url for h in results.hits] == ["https://ex.org/2", "https://ex.org/3"]


@pytest.mark.parametrize(
    "since,until,expected",
    [("2021", "2021", 3), ("July 2021", None, 3), (None, "2020", 2), ("2021-07-07", "2021-07-07", 1),
     ("6 July 2021", "July 6, 2021", 1)],
)
def test_date_filters_are_inclusive_periods(archive, since, until, expected):
    assert archive.search("", since=since, until=until).total == expected


def test_date_ranges_inside_the_query(archive):
    assert archive.search("date:[2021-07-01 TO 2021-07-31]").total == 2
    assert archive.search("date:2021-07").total == 2
    assert archive.search("date:>2020").total == 3
    assert archive.search("date:<=2020").total == 2
    with pytest.raises(QuerySyntaxError):
        archive.search("date:[2021-07-01 TO someday]")


def test_sorting_by_date(archive):
    newest = [h.date for h in archive.search("", sort="newest", limit=5).hits]
    assert newest == sorted(newest, reverse=True)
    oldest = [h.date for h in archive.search("", sort="oldest", limit=5).hits if h.date]
    assert oldest == sorted(oldest)


def test_paging_is_consistent(archive):
    all_ids = [h.id for h in archive.search("", sort="oldest", limit=6).hits]
    pages = [h.id for p in (1, 2, 3) for h in archive.search("", sort="oldest", limit=2, page=p).hits]
    assert pages == all_ids
    assert archive.search("", limit=2).pages == 3


def test_query_language_fields_phrases_boolean(archive):
    assert archive.search("section:politics").total == 1
    assert archive.search('"transit levy"').total == 1
    assert archive.search('"levy transit"').total == 0
    assert archive.search("iraq OR wheat").total >= 2
    assert archive.search("drone NOT embassy").total == 0
    assert archive.search("basr*").total == 1


def test_bad_queries_raise_clear_errors(archive):
    for text in ('"unclosed', "(open", "nosuchfield:x"):
        with pytest.raises(QuerySyntaxError):
            archive.search(text)
    with pytest.raises(QuerySyntaxError):
        archive.search("x", limit=10_000)
    with pytest.raises(QuerySyntaxError):
        archive.search("x", facets=("colour",))


def test_get_iter_results_and_similar(archive):
    stored = archive.get("https://ex.org/3")
    assert stored.title == "Port of Basra expands" and stored.authors == ("Dana Reyes",)
    assert stored.body.startswith("Investors from the Gulf")
    with pytest.raises(KeyError):
        archive.get("missing")
    assert len(list(archive.iter_results(""))) == len(ARTICLES)
    similar = archive.similar("https://ex.org/1", limit=3)
    assert all(h.id != "https://ex.org/1" for h in similar.hits)


def test_readding_an_article_replaces_it(tmp_path):
    archive = Archive.create(tmp_path / "ix")
    archive.add([ARTICLES[0]])
    archive.add([ARTICLES[0].with_changes(title="Rockets hit base again")])
    assert len(archive) == 1
    assert archive.get("https://ex.org/1").title == "Rockets hit base again"
    with pytest.raises(NewsearchError):
        Archive.create(tmp_path / "ix")


def test_stats(archive):
    stats = archive.stats()
    assert stats.documents == len(ARTICLES)
    assert stats.earliest.startswith("2019-11-05") and stats.latest.startswith("2021-09-01")
    assert dict(stats.sections)["Business"] == 3


def test_refuses_to_run_beside_the_original_whoosh(monkeypatch, tmp_path):
    from newsearch.engine import store

    site = tmp_path / "site-packages"
    (site / "whoosh_reloaded-2.7.5.dist-info").mkdir(parents=True)
    (site / "whoosh").mkdir()
    store.ensure_single_whoosh([str(site), str(tmp_path / "missing"), str(tmp_path / "a.zip")])  # reloaded alone
    for name in ("Whoosh-2.7.4.dist-info", "Whoosh-2.7.4-py3.11.egg-info"):
        (site / name).mkdir()
        with pytest.raises(NewsearchError, match="original 'whoosh'.*" + name.replace(".", r"\.")):
            store.ensure_single_whoosh([str(site)])
        (site / name).rmdir()
    with pytest.raises(NewsearchError, match="original 'whoosh'"):
        store.ensure_single_whoosh([str(tmp_path / "Whoosh-2.7.4-py3.11.egg")])
    # Opening or creating an index runs the check over the import path.
    (site / "Whoosh-2.7.4.dist-info").mkdir()
    monkeypatch.setattr(store, "_whoosh_checked", False)
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    with pytest.raises(NewsearchError, match="original 'whoosh'"):
        Archive.create(tmp_path / "ix")


def test_this_machines_import_path_passes_the_check_as_importlib_metadata_agrees(monkeypatch):
    from importlib import metadata

    from newsearch.engine import store

    monkeypatch.setattr(store, "_whoosh_checked", False)
    store.ensure_single_whoosh()
    assert store._whoosh_checked
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("whoosh")  # this machine has whoosh-reloaded only, as the check found
    assert metadata.distribution("whoosh-reloaded").metadata["Name"].lower() == "whoosh-reloaded"


def test_did_you_mean_uses_the_index_vocabulary_and_printed_words(archive):
    results = archive.search("rokets")
    assert results.total == 0
    assert results.suggestion == "rockets"
    assert archive.search("embasy").suggestion == "embassy"  # the printed word, not the stem
    assert archive.search("rockets").suggestion is None


def test_feedback_is_an_option_that_keeps_the_best_hit(archive):
    plain = archive.search("rockets base", match="any")
    expanded = archive.search("rockets base", match="any", feedback=True)
    assert expanded.hits[0].id == plain.hits[0].id == "https://ex.org/1"
    assert len(list(archive.iter_results("rockets base", match="any", feedback=True))) >= plain.total


def test_filter_with_many_values_keeps_every_hit(archive):
    results = archive.search("", section=["world", "business", "politics"], limit=10)
    assert results.total == len(ARTICLES)


def test_facet_arrays_are_saved_per_segment_and_reused(tmp_path):
    path = tmp_path / "ix"
    Archive.create(path).add(ARTICLES[:3])
    with Archive.open(path) as first:
        counts = first.search("", facets=("author",)).facets["author"]
    saved = sorted(p.name for p in (path / "facets").iterdir())
    # the author facet, and the ids that order equal scores
    assert {name.split(".", 1)[1] for name in saved} == {"facet_author.marshal", "id.marshal"}
    Archive.open(path).add(ARTICLES[3:])  # a new segment; the old one's file stays valid
    with Archive.open(path) as second:
        after = {c.value: c.count for c in second.search("", facets=("author",)).facets["author"]}
    assert after == direct_counts(ARTICLES, "authors")
    assert {c.value: c.count for c in counts} == direct_counts(ARTICLES[:3], "authors")


def test_a_corrupt_facet_file_is_rebuilt_not_trusted(tmp_path):
    path = tmp_path / "ix"
    Archive.create(path).add(ARTICLES)
    with Archive.open(path) as archive:
        archive.search("", facets=("section",))
    for file in (path / "facets").iterdir():
        file.write_bytes(b"not marshal data")
    with Archive.open(path) as archive:
        sections = archive.search("", facets=("section",)).facets["section"]
    assert sum(c.count for c in sections) == len(ARTICLES)


def test_a_name_split_by_a_particle_is_marked_as_one(archive):
    snippet = archive.search('"Ain al-Asad"').hits[0].snippet
    assert "**Ain al-Asad**" in snippet
    assert "**Ain al-Asad**" in archive.search("ain asad").hits[0].snippet
