"""Dates typed by people in queries, read as whole periods.

"2021" means all of 2021, "July 2021" all of July, "2021-07-06" that whole day, so
an inclusive range `since="2021-07"`, `until="2021-07"` covers the full month.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable

from .errors import QuerySyntaxError

# Parsing twice with different defaults shows which parts the text really gave.
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2001, 2, 2, 1, 1, 1)
_YEAR_ONLY = re.compile(r"^\s*(\d{4})\s*$")
_MAX_LENGTH = 64

if TYPE_CHECKING:
    from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end) in UTC."""

    start: datetime
    end: datetime

    def contains(self, value: datetime) -> bool:
        return self.start <= value < self.end


def parse_period(text: str | date | datetime) -> Period:
    """The whole period a written date names; QuerySyntaxError when it names none."""
    if isinstance(text, datetime):
        instant = _utc(text)
        return Period(instant, instant + timedelta(microseconds=1))
    if isinstance(text, date):
        start = datetime(text.year, text.month, text.day, tzinfo=timezone.utc)
        return Period(start, start + timedelta(days=1))
    # Imported here: most searches name no date, and dateutil costs a cold query ~5 ms.
    from dateutil import parser as _dateutil
    from dateutil.parser import UnknownTimezoneWarning
    from dateutil.relativedelta import relativedelta

    value = str(text).strip()
    if not value or len(value) > _MAX_LENGTH:
        raise QuerySyntaxError(f"cannot read {text!r} as a date")
    year_only = _YEAR_ONLY.match(value)
    if year_only:
        return _period(text, lambda: datetime(int(year_only.group(1)), 1, 1), relativedelta(years=1))
    try:
        with warnings.catch_warnings():  # unknown zone names ("10:00 XYZ") are not worth a stderr warning
            warnings.simplefilter("ignore", UnknownTimezoneWarning)
            first = _dateutil.parse(value, default=_DEFAULT_A)
            second = _dateutil.parse(value, default=_DEFAULT_B)
    except (ValueError, ArithmeticError) as exc:  # OverflowError, and decimal errors from dateutil
        raise QuerySyntaxError(f"cannot read {text!r} as a date (try 2021-07-06, 2021-07 or 'July 2021')") from exc
    if first.year != second.year:
        raise QuerySyntaxError(f"{text!r} has no year; write e.g. 'July 2021' or 2021-07")
    if first.month != second.month:
        start, step = first.replace(month=1, day=1), relativedelta(years=1)
    elif first.day != second.day:
        start, step = first.replace(day=1), relativedelta(months=1)
    elif first.hour != second.hour:
        start, step = first, relativedelta(days=1)
    elif first.minute != second.minute:
        start, step = first, relativedelta(hours=1)
    elif first.second != second.second:
        start, step = first, relativedelta(minutes=1)
    else:
        start, step = first, relativedelta(seconds=1)
    return _period(text, lambda: start, step)


def _period(text: object, start: Callable[[], datetime], step: relativedelta) -> Period:
    """[start, start + step) in UTC; QuerySyntaxError past either end of the calendar."""
    try:
        begin = _utc(start())
        return Period(begin, begin + step)
    except (ValueError, OverflowError) as exc:
        raise QuerySyntaxError(f"{text!r} is outside the years 1 to 9998") from exc


def date_bounds(
    since: str | date | datetime | None, until: str | date | datetime | None
) -> tuple[datetime | None, datetime | None]:
    """[start, end) for an inclusive since/until pair: until's whole period is included."""
    start = parse_period(since).start if since not in (None, "") else None
    end = parse_period(until).end if until not in (None, "") else None
    if start is not None and end is not None and start >= end:
        raise QuerySyntaxError(f"--since {since} is after --until {until}")
    return start, end


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


BUCKETS = ("day", "week", "month", "year")


def bucket(value: datetime, by: str) -> str:
    """The label of the period of `by` holding `value` (UTC): 2021-07-06, 2021-07-05
    (the Monday starting its ISO week), 2021-07, 2021."""
    value = _utc(value)
    if by == "day":
        return value.date().isoformat()
    if by == "week":
        return (value.date() - timedelta(days=value.weekday())).isoformat()
    if by == "month":
        return f"{value.year:04d}-{value.month:02d}"
    if by == "year":
        return f"{value.year:04d}"
    raise QuerySyntaxError(f"unknown period {by!r} (choose from {', '.join(BUCKETS)})")


def bucket_range(first: str, last: str, by: str) -> list[str]:
    """Every label from `first` to `last` inclusive, so empty periods show as zero."""
    if by == "year":
        return [f"{y:04d}" for y in range(int(first), int(last) + 1)]
    if by == "month":
        (y, m), (ly, lm) = (map(int, first.split("-")), map(int, last.split("-")))
        labels = []
        while (y, m) <= (ly, lm):
            labels.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return labels
    step = timedelta(days=7 if by == "week" else 1)
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    labels = []
    while day <= end:
        labels.append(day.isoformat())
        day += step
    return labels
