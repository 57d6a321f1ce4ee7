"""Reading publication dates written by humans and machines.

A date that names its UTC offset keeps it (the publication's own clock decides its
calendar day); one without an offset is taken as UTC. Bounds are parameters with
defaults that suit an archive: nothing before 1600, nothing more than two days
after the page was fetched.
"""
from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, timezone

from dateutil import parser as _dateutil
from dateutil.parser import UnknownTimezoneWarning

# Missing parts of a date ("2021", "July 2021") default to the start of the period.
_DEFAULT = datetime(2000, 1, 1)
_DOTTED_DATE = re.compile(r"^\s*\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}")
_EPOCH_NUMBER = re.compile(r"^\d{9,13}(\.\d+)?$")
_HAS_DIGIT = re.compile(r"\d")
# A date needs a year: four digits, or a short numeric date ("26.10.13", "10/26/13").
_HAS_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)|\d{8}|\d{1,2}[./-]\d{1,2}[./-]\d{2}(?!\d)|\d{4}-\d{2}")
# "31-MAR-1987 605:12:19" (Reuters-21578): keep the calendar part when the clock is absurd.
_LEADING_DATE = re.compile(
    r"^\s*(\d{1,2}[-/ ][A-Za-z]{3,9}[-/ ]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})"
)


# Zone abbreviations dateutil does not know by itself, as offsets in seconds.
_TZINFOS = {
    "CET": 3600, "CEST": 7200, "MEZ": 3600, "MESZ": 7200, "WET": 0, "WEST": 3600, "EET": 7200,
    "EEST": 10800, "BST": 3600, "IST": 19800, "JST": 32400, "KST": 32400, "AEST": 36000, "AEDT": 39600,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000, "MST": -25200, "MDT": -21600,
    "PST": -28800, "PDT": -25200, "GMT": 0, "UTC": 0, "Z": 0,
}


# Newspapers are older than the web, and digitised archives print old dates in their
# metadata: the default floor sits well before both.
DEFAULT_EARLIEST = datetime(1600, 1, 1, tzinfo=timezone.utc)
# Articles are not published in the future: a date past the fetch day is a misreading.
FUTURE_TOLERANCE = timedelta(days=2)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def latest_plausible(fetched: datetime | None = None) -> datetime:
    """The last publication instant believable for a page fetched at `fetched` (else now)."""
    return _aware(fetched or datetime.now(timezone.utc)) + FUTURE_TOLERANCE


def implausible(value: datetime, earliest: datetime | None, latest: datetime | None) -> str | None:
    """Why `value` cannot be a publication date ("before 1600-01-01", ...), or None."""
    if value == _EPOCH or (value.date() == _EPOCH.date() and (value.hour, value.minute) == (0, 0)):
        return "the zero timestamp (1970-01-01)"  # an empty field printed as a date
    if earliest is not None and value < _aware(earliest):
        return f"before {_aware(earliest).date().isoformat()}"
    if latest is not None and value > _aware(latest):
        return f"after {_aware(latest).date().isoformat()}"
    return None


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def from_epoch(number: float) -> datetime | None:
    """Seconds (or milliseconds) since 1970 as a UTC datetime; None when absurd."""
    if number > 1e11:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def parse_date(
    value: object,
    *,
    earliest: datetime | None = None,
    latest: datetime | None = None,
    dayfirst: bool = False,
    keep_offset: bool = True,
) -> datetime | None:
    """Parse a date from a string, number or datetime; None when it can't be trusted.

    Naive values are taken as UTC; aware ones keep their UTC offset (converted to UTC
    when not `keep_offset`). Values outside [earliest, latest] and the zero timestamp
    are rejected rather than clamped.
    """
    result = read_date(value, dayfirst=dayfirst, keep_offset=keep_offset)
    if result is None or implausible(result, earliest, latest):
        return None
    return result


def read_date(value: object, *, dayfirst: bool = False, keep_offset: bool = True) -> datetime | None:
    """The date a string, number or datetime writes, plausible or not; None when it writes none."""
    result: datetime | None = None
    if isinstance(value, datetime):
        result = _offset(value, keep_offset)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = from_epoch(float(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 200 or not _HAS_DIGIT.search(text):
            return None
        if not _EPOCH_NUMBER.match(text) and not _HAS_YEAR.search(text):
            return None  # "2:33 PM" would otherwise become a day in 2000
        if _EPOCH_NUMBER.match(text):
            result = from_epoch(float(text))
        else:
            # "10.12.2022" is the 10th of December wherever dots separate a date.
            result = _parse_text(text, dayfirst or bool(_DOTTED_DATE.match(text)), keep_offset)
    return result


def _offset(value: datetime, keep: bool) -> datetime:
    """UTC for naive values; aware ones in their own fixed offset (or UTC when not `keep`)."""
    if value.tzinfo is None or not keep:
        return _aware(value)
    offset = value.utcoffset()
    if offset is None or abs(offset) >= timedelta(hours=24):
        return _aware(value)
    return value.replace(tzinfo=timezone(offset)) if offset else value.astimezone(timezone.utc)


def _parse_text(text: str, dayfirst: bool, keep_offset: bool) -> datetime | None:
    with warnings.catch_warnings():
        # "10:00 XYZ": dateutil warns on stderr about zone names it does not know; the clock is kept.
        warnings.simplefilter("ignore", UnknownTimezoneWarning)
        value = _parse_text_quietly(text, dayfirst)
    return _text_value(value, keep_offset) if value is not None else None


# Plain ISO 8601 (what feeds, JSON exports and meta tags mostly write), which the
# standard library reads to the value dateutil gives, some twenty times faster.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?")


def _parse_text_quietly(text: str, dayfirst: bool) -> datetime | None:
    if _ISO.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:  # "2021-02-30": dateutil has its own say below
            pass
    for candidate in (text, _leading_date(text)):
        if not candidate:
            continue
        try:
            return _dateutil.parse(candidate, dayfirst=dayfirst, fuzzy=False, default=_DEFAULT, tzinfos=_TZINFOS)
        except (ValueError, ArithmeticError, TypeError, OverflowError):  # dateutil can raise decimal errors
            continue
    try:
        return _dateutil.parse(text, dayfirst=dayfirst, fuzzy=True, default=_DEFAULT, tzinfos=_TZINFOS)
    except (ValueError, ArithmeticError, TypeError, OverflowError):
        return None


def _text_value(value: datetime, keep_offset: bool) -> datetime:
    """The value in its own offset; converted to UTC when not `keep_offset`, except that
    a local midnight then stays on its calendar day ("2020-02-24T00:00:00+01:00" is how
    many sites write a bare date; converting it would move the article a day back)."""
    if keep_offset:
        return _offset(value, True)
    if value.tzinfo is not None and (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value.replace(tzinfo=timezone.utc)
    return _aware(value)


def _leading_date(text: str) -> str | None:
    match = _LEADING_DATE.match(text)
    return match.group(1) if match else None


def _build(year: str, month: str, day: str) -> datetime | None:
    number = int(year)
    if len(year) == 2:  # "26.10.13": two-digit years are this century's or the last's
        number += 2000 if number < 70 else 1900
    try:
        return datetime(number, int(month), int(day), tzinfo=timezone.utc)
    except ValueError:
        return None


def date_from_url(url: str, patterns: tuple[re.Pattern[str], ...], months: dict[str, int] | None = None
                  ) -> datetime | None:
    """A full year-month-day written in a URL path ("/2021/07/06/", "2021-07-06", with
    `months` also "/2021/jul/06/"), else None."""
    path = url.split("?", 1)[0]
    for pattern in patterns:
        match = pattern.search(path)
        if match:
            year, month, day = match.groups()[:3]
            if not month.isdigit():
                month = str((months or {}).get(month.lower(), 0))
            found = _build(year, month, day)
            if found:
                return found
    return None


def dates_in_text(
    text: str,
    patterns: tuple[tuple[re.Pattern[str], str], ...],
    months: dict[str, int],
    *,
    monthfirst: bool = False,
) -> list[tuple[int, datetime]]:
    """Every calendar date written in `text`, as (offset, UTC midnight), in text order.

    Each pattern comes with the order of its groups: y/m/d are numbers, M a month
    name looked up in `months`. For purely numeric "a/b/yyyy" dates, `monthfirst`
    settles the ambiguous cases (US style) unless one part cannot be a month.
    """
    found: list[tuple[int, datetime]] = []
    if not _HAS_DIGIT.search(text):
        return found
    seen: set[int] = set()
    for pattern, order in patterns:
        for match in pattern.finditer(text):
            if match.start() in seen:
                continue
            parts = dict(zip(order, match.groups()))
            if "M" in parts:
                month = months.get(parts["M"].lower().rstrip("."))
                if not month:
                    continue
                parts["m"] = str(month)
            day, month_ = parts["d"], parts["m"]
            if order == "dmy" and ("/" in match.group(0) or "-" in match.group(0)):
                first, second = int(day), int(month_)
                if (monthfirst and second <= 12 and first <= 12) or first <= 12 < second:
                    day, month_ = month_, day
            value = _build(parts["y"], month_, day)
            if value:
                seen.add(match.start())
                found.append((match.start(), value))
    found.sort(key=lambda item: item[0])
    return found
