"""Bad queries give QuerySyntaxError with a message that says what to fix; odd but
valid ones just search. Never a traceback, from the API or the command line."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from newsearch import Archive, QuerySyntaxError
from newsearch.cli import main

from helpers import article, utc

ARTICLES = [
    article("Oil prices climb", "Crude oil rose as the C++ compiler team at AT&T sent e-mail.",
            section="Business", date=utc(1987, 3, 31), url="https://ex.org/oil"),
    article("Wheat harvest", "Farmers brought in the wheat harvest early this year.",
            section="World", date=utc(2021, 7, 6), url="https://ex.org/wheat"),
]


@pytest.fixture(scope="module")
def index_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "ix"
    Archive.create(path).add(ARTICLES)
    return path


@pytest.fixture(scope="module")
def archive(index_path):
    with Archive.open(index_path) as opened:
        yield opened


@pytest.mark.parametrize("query,message", [
    ('"crude oil', "unbalanced quote"),
    ("title:(oil", "unclosed bracket"),
    ("oil)", "unbalanced ')'"),
    ("[oil TO", "unclosed bracket"),
    ("oil]", "unbalanced ']'"),
    ("colour:red", "unknown field 'colour'"),
    ("url:https://ex.org/oil", "use id:"),
    ("date:[2021-13-45 TO 2022]", "cannot read '2021-13-45' as a date"),
    ("date:[soon TO 2022]", "cannot read 'soon' as a date"),
    ("date:>whenever", "cannot read 'whenever' as a date"),
    ("date:2021-02-30", "cannot read '2021-02-30' as a date"),
    ("date: oil", "cannot read the date clause"),
    ("oil " * 700, "the limit is 2,000"),
    ("AND OR NOT", "holds only AND/OR/NOT"),
    # An operator or a field with nothing to act on is pointed out, not guessed around.
    ("oil AND", "AND at the end of query 'oil AND' needs a word after it"),
    ("oil NOT", "NOT at the end"), ("(oil OR)", "OR at the end"), ("OR wheat", "OR at the start"),
    ("AND oil OR", "at the end"), ("section:", "section: in query 'section:' needs a value"),
    ("oil section: ", "section: in query"), ("(Title:)", "Title: in query"),
    # Words too common to be indexed must not match bylines or sections alone.
    ('"the of and"', "holds only words too common to be indexed"), ("the of and", "too common"),
    ("date:9999", "outside the years 1 to 9998"),
    ("date:0000", "outside the years 1 to 9998"),
    ("date:319999999999999999999999999999H", "cannot read"),
])
def test_bad_queries_say_what_is_wrong(archive, query, message):
    with pytest.raises(QuerySyntaxError) as caught:
        archive.search(query)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("options,message", [
    ({"limit": 10 ** 9}, "limit must be between 1 and 1000"),
    ({"limit": 0}, "limit must be between 1 and 1000"),
    ({"page": 10 ** 9}, "page must be at least 1"),
    ({"page": 0}, "page must be at least 1"),
    ({"limit": "5"}, "limit must be a whole number"),
    ({"since": "soon"}, "cannot read 'soon' as a date"),
    ({"since": "2022", "until": "2021"}, "is after"),
    ({"sort": "loudest"}, "unknown sort"),
    ({"facets": ("colour",)}, "unknown facet"),
])
def test_bad_options_say_what_is_wrong(archive, options, message):
    with pytest.raises(QuerySyntaxError, match=message):
        archive.search("oil", **options)


def test_a_non_string_query_is_refused_clearly(archive):
    with pytest.raises(QuerySyntaxError, match="must be a string"):
        archive.search(b"oil")  # type: ignore[arg-type]


@pytest.mark.parametrize("query,expected", [
    ("C++", 1), ("e-mail", 1), ("oil*", 1), ("wheat OR oil", 2), ("NOT oil", 1),
    ("date:[1987 TO 1988]", 1), ("date:1987-03", 1), ('"crude oil"', 1), ("\x00", 0),
    ('id:"https://ex.org/wheat"', 1), ("", 2), ("()", 0),
    ("Title:wheat", 1), ("TITLE:oil", 1), ("the oil", 1), ("byline:the OR oil", 1),
])
def test_odd_but_valid_queries_search(archive, query, expected):
    assert archive.search(query).total == expected


def test_cli_prints_one_line_errors_and_exits_1(index_path):
    result = CliRunner().invoke(main, ["query", '"crude oil', "--index", str(index_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unbalanced quote") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_cli_bounds_huge_limit_and_page(index_path):
    too_many = CliRunner().invoke(main, ["query", "oil", "--limit", "100000000", "--index", str(index_path)])
    assert too_many.exit_code == 2 and "--limit" in too_many.output
    far_page = CliRunner().invoke(main, ["query", "oil", "--page", str(10 ** 12), "--index", str(index_path)])
    assert far_page.exit_code == 1 and "page must be at least 1" in far_page.stderr


def test_long_queries_are_cut_short_in_messages(archive):
    with pytest.raises(QuerySyntaxError) as caught:
        archive.search("(" * 990 + "oil" + ")" * 990)
    assert len(str(caught.value)) < 300



def test_an_unexpected_error_is_one_line_unless_debugging(index_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(Archive, "search", broken)
    result = CliRunner().invoke(main, ["query", "oil", "--index", str(index_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unexpected ZeroDivisionError: simulated bug")
    assert result.stderr.count("\n") == 1
    debug = CliRunner(env={"NEWSEARCH_DEBUG": "1"}).invoke(main, ["query", "oil", "--index", str(index_path)])
    assert isinstance(debug.exception, ZeroDivisionError)
