import pytest

from newsearch import QuerySyntaxError, parse_period
from newsearch.periods import date_bounds

from helpers import utc


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("2021", utc(2021, 1, 1), utc(2022, 1, 1)),
        ("2021-07", utc(2021, 7, 1), utc(2021, 8, 1)),
        ("July 2021", utc(2021, 7, 1), utc(2021, 8, 1)),
        ("Jul 2021", utc(2021, 7, 1), utc(2021, 8, 1)),
        ("6 July 2021", utc(2021, 7, 6), utc(2021, 7, 7)),
        ("July 6, 2021", utc(2021, 7, 6), utc(2021, 7, 7)),
        ("2021-07-06", utc(2021, 7, 6), utc(2021, 7, 7)),
        ("2021-12", utc(2021, 12, 1), utc(2022, 1, 1)),
    ],
)
def test_a_written_date_names_its_whole_period(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["July", "soon", "", "2021-13-45", "x" * 100])
def test_unreadable_dates_raise_query_syntax_error(text):
    with pytest.raises(QuerySyntaxError):
        parse_period(text)


def test_inclusive_bounds_cover_the_until_period():
    start, end = date_bounds("2021-07", "2021-07")
    assert start == utc(2021, 7, 1) and end == utc(2021, 8, 1)
    assert date_bounds(None, None) == (None, None)
    with pytest.raises(QuerySyntaxError):
        date_bounds("2022", "2021")
