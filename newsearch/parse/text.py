"""Plain-text articles: header blocks, headline-then-body files and saved web copies.

A text file has no markup, so its parts are told apart by position and shape:
the first lines form a header zone (headline, standfirst, photo credit, byline,
date line, or "Key: value" fields), then the body, then often a tail of page
furniture (related-article teasers, newsletter prompts, copyright) that would
make every archive query match every page if it stayed in the body. Every rule
is structural; the patterns and thresholds are the constants at the top, so
tuning them is a data change.
"""
from __future__ import annotations

from collections.abc import Iterable

import re
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import ParseError
from ..models import Article
from .authors import DATE_TEXT, agency_name, split_byline, strip_byline_prefix
from .dates import DEFAULT_EARLIEST, latest_plausible, parse_date

# "Key: value" header lines as archive exports write them -> Article field.
HEADER_FIELDS: dict[str, str] = {
    "title": "title", "headline": "title", "subject": "title",
    "by": "byline", "byline": "byline", "author": "byline", "authors": "byline", "writer": "byline",
    "date": "date", "published": "date", "publication date": "date", "pubdate": "date",
    "posted": "date", "dateline date": "date", "updated": "updated", "last updated": "updated",
    "section": "section", "category": "section", "categories": "section", "desk": "section",
    "source": "source", "publisher": "source", "publication": "source",
    "url": "url", "link": "url", "canonical url": "url",
    "tags": "tags", "keywords": "tags", "topics": "tags",
    "summary": "summary", "description": "summary", "standfirst": "summary", "abstract": "summary",
    "language": "language", "lang": "language",
}
_FIELD = re.compile(
    r"^(" + "|".join(sorted((re.escape(k) for k in HEADER_FIELDS), key=len, reverse=True)) + r")\s*:\s*(.*)$",
    re.I,
)
_BODY_LABEL = re.compile(r"^(?:body|text|content|article|story|full text)\s*:\s*", re.I)
_EXPLICIT_BYLINE = re.compile(
    r"^(?:by|written by|words by|story by|reporting by|reported by|text by)\b(?!:)\s*\S", re.I
)
# Picture credits: "Name/AFP via Getty Images", "Photo by ...", "(Photo: ...)", "Name / Reuters".
_CREDIT = re.compile(
    r"^\(?\s*(?:photo(?:graph)?s?|pictures?|images?|illustration|credit|photo credit|file photo|"
    r"video|courtesy)\b\s*(?:by\b|:|credit\b|courtesy\b|of\b|illustration\b)|"
    r"\b(?:getty\s+images|shutterstock|alamy|istock(?:photo)?|ap\s+photo|afp\s+photo|epa-efe|"
    r"anadolu\s+agency|sipa|pool\s+photo|file\s+photo)\b|"
    r"\bvia\s+(?:getty|reuters|ap|afp)\b|^\(?(?:reuters|afp|ap|epa|xinhua|anadolu|getty\s+images)\s?/|"
    r"^[^/|]{2,60}?\s?/\s?(?:reuters|ap|afp|epa|getty|xinhua|anadolu|sipa|pool|dpa|bloomberg|"
    r"zuma|rex|alamy|shutterstock|handout|the\s+associated\s+press)\b",
    re.I,
)
_SKIP = re.compile(
    r"^(?:\d+\s*(?:-\s*)?min(?:ute)?s?\s+read|share(?: this(?: article| story)?)?|comments?|"
    r"listen(?: to this article)?|advertisement|print|email|save|follow)\W*$",
    re.I,
)
_DATE_PREFIX = re.compile(
    r"^(?:published|posted|updated|last\s+updated|first\s+published|modified|on|date)\b[\s:]*", re.I
)
_UPDATED_PREFIX = re.compile(r"^(?:updated|last\s+updated|modified)\b", re.I)
# A real calendar date (not a bare year): month names, ISO, or numeric day/month/year.
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_FULL_DATE = re.compile(
    rf"\b{_MON}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MON}|\b{_MON}\s+\d{{4}}\b|"
    r"\b\d{4}-\d{1,2}-\d{1,2}(?!\d)|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b",
    re.I,
)
# Zone abbreviations dateutil does not know; "ET"/"PT" (summer or winter?) are dropped.
_ZONE_OFFSETS = {
    "EDT": "-0400", "EST": "-0500", "CDT": "-0500", "CST": "-0600", "MDT": "-0600", "MST": "-0700",
    "PDT": "-0700", "PST": "-0800", "BST": "+0100", "CET": "+0100", "CEST": "+0200", "EET": "+0200",
    "EEST": "+0300", "AST": "+0300", "MSK": "+0300", "JST": "+0900", "AEST": "+1000", "AEDT": "+1100",
}
_ZONE_NAME = re.compile(r"\s+\b(" + "|".join(_ZONE_OFFSETS) + r"|ET|PT|CT)\b")
# Without a year a date line would be guessed into the wrong year: not trusted.
_YEAR = re.compile(r"\b\d{4}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")
# Credits inside a byline for people who did not write the piece.
_NOT_AUTHOR_CREDIT = re.compile(r"^(?:editing|edited|photos?|graphics?|illustrations?)\b.*\bby\b", re.I)
# Reuters-style closing credit: "Reporting by Jane Doe; Editing by Bob Smith".
_CLOSING_CREDIT = re.compile(
    r"^\(?\s*(?:additional\s+)?(?:reporting|writing|written|compiled|reported)\s+by\b", re.I
)
_CLOSING_CREDIT_MAX_WORDS = 30
# A wire sign-off after the last sentence: "... the company said. Reuter".
_SIGN_OFF = re.compile(r"[.!?\"”]\s+\(?([A-Z][A-Za-z]{1,7})\)?\s*$")
# Wire datelines: "BAGHDAD (Reuters) -", "WASHINGTON, July 6 (AP) —", "(Reuters) -".
_DATELINE = re.compile(r"^(?:[A-Z][A-Za-z.'’ -]{1,40}(?:,[^()\n]{1,40})?\s*)?\(([^()]{2,40})\)\s*[-–—:]")
_COPYRIGHT = re.compile(r"^(?:©|\(c\)\s|copyright\b)|all rights reserved\W*$", re.I)
# "© 2021 Al-Monitor, LLC. All rights reserved." names the publisher: "Al-Monitor".
_COPYRIGHT_HOLDER = re.compile(
    r"^(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*,?\s*)?"
    r"(?P<holder>[^.,|]{2,60}?)"
    r"(?:,?\s*(?:LLC|L\.L\.C\.|Inc|Ltd|Limited|Corp|Corporation|GmbH|plc|PLC|S\.A|AG|Co)\b\.?)?"
    r"\s*(?:[.,|]\s*all rights reserved\W*)?$",
    re.I,
)
_PROMPT = re.compile(
    r"^(?:subscribe|sign (?:me )?up|sign in|log in|register|newsletters?\b|get (?:our|the)\b.*\bnewsletter|"
    r"join (?:us|our)|follow us|share (?:this|on)|read (?:more|next|also)|see also|related(?: articles| stories| "
    r"coverage| content| news)?\W*$|more (?:from|on|stories)|recommended|you (?:may|might) also (?:like|enjoy)|"
    r"most (?:popular|read|viewed)|advertisement|click here|download (?:our|the) app|top stories|trending)\b",
    re.I,
)
_SIGN_UP = re.compile(r"^(?:subscribe|sign (?:me )?up|newsletters?\b|get (?:our|the)\b.*\bnewsletter)", re.I)
_FURNITURE = frozenset({"copyright", "prompt", "teaser", "credit"})
_CREDIT_MAX_WORDS = 15
_CREDIT_END = re.compile(
    r"(?:images|photo|photos|reuters|afp|ap|epa|getty|shutterstock|alamy|handout|pool|splash|instagram|twitter)"
    r"\W*$",
    re.I,
)
_PROMPT_MAX_WORDS = 10
_TEASER_PART_MAX_WORDS = 6
_HEADLINE_MAX_WORDS = 25
_ZONE_LIMIT = 12  # header lines looked at before the body must have begun
_SUMMARY_MAX_WORDS = 80
_IMPLICIT_BYLINE_MAX_WORDS = 6
_EXPLICIT_BYLINE_MAX_WORDS = 16
_TAIL_NOTE_MAX_WORDS = 30  # a sentence under a newsletter prompt ("Get the best stories...")
_LONG_TITLE_CHARS = 250
_HARD_WRAP_MAX_CHARS = 100
_CLOCK_WORDS = frozenset({"at", "on", "am", "pm", "gmt", "utc", "et", "bst", "edt", "est"})
_HARD_WRAP_MIN_FILL = 0.6  # wrapped lines (but the last) fill most of the width
_BULLET = re.compile(r"^(?:[-*•–—]|\d{1,2}[.)])\s")
# Runs of spaces within a line (tabs, no-break, thin and zero-width spaces) that
# `SPACES.sub(" ", line)` makes one plain space. A lone plain space is not matched: it
# would be replaced by itself, and most of a line's spaces are such (half the cost).
_INLINE_SPACE = "\t\u00a0\u2009\u202f\u200b\ufeff"
SPACES = re.compile(rf"(?: [ {_INLINE_SPACE}]|[{_INLINE_SPACE}])[ {_INLINE_SPACE}]*")


@dataclass
class _Line:
    text: str
    blank_before: bool


@dataclass
class _Head:
    """What the header zone told us; filled line by line."""

    title: str = ""
    summary: str = ""
    byline: str = ""
    names: list[str] = field(default_factory=list)
    agency: str = ""
    date: datetime | None = None
    updated: datetime | None = None
    section: str = ""
    source: str = ""
    url: str = ""
    tags: list[str] = field(default_factory=list)
    language: str = ""
    warnings: list[str] = field(default_factory=list)


def parse_text(
    text: str,
    *,
    path: str = "",
    section: str = "",
    earliest: datetime | None = DEFAULT_EARLIEST,
    latest: datetime | None = None,
) -> Article:
    """One article from the text of a plain-text file; ParseError when it holds none."""
    try:
        return _parse(text, path=path, section=section, earliest=earliest, latest=latest or latest_plausible())
    except ParseError:
        raise
    except Exception as exc:  # the contract: callers only ever see ParseError
        raise ParseError(path, f"text parser failed: {type(exc).__name__}: {exc}") from exc


def _parse(text: str, *, path: str, section: str, earliest: datetime | None, latest: datetime | None) -> Article:
    if not isinstance(text, str):
        raise ParseError(path, "text input is not a string")
    lines = _lines(text)
    if not lines:
        raise ParseError(path, "empty text")
    head = _Head()
    start = _read_head(lines, head, earliest=earliest, latest=latest)
    body_lines = _strip_boilerplate(lines[start:])
    body = "\n\n".join(_paragraphs(body_lines))
    if not head.agency:
        head.agency = wire_agency(body)
    if not head.names and body_lines:
        closing = body_lines[-1].text
        if _CLOSING_CREDIT.match(closing) and len(closing.split()) <= _CLOSING_CREDIT_MAX_WORDS:
            _apply_byline(head, closing.strip("()"), earliest, latest)
    if not head.title and not body:
        raise ParseError(path, "no title and no body")
    if not head.source:
        head.source = copyright_holder(line.text for line in lines[start:])
    return Article(
        title=head.title,
        body=body,
        url=head.url or None,
        summary=head.summary,
        byline=head.byline,
        authors=tuple(head.names),
        section=head.section or section.strip(),
        date=head.date or head.updated,
        source=head.source,
        agency=head.agency,
        language=head.language,
        tags=tuple(head.tags),
        path=path,
        warnings=tuple(head.warnings),
    )


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    blank = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = SPACES.sub(" ", raw).strip()
        if not line:
            blank = True
            continue
        out.append(_Line(line, blank and bool(out)))
        blank = False
    return out


# --- header zone ------------------------------------------------------------------


def _read_head(lines: list[_Line], head: _Head, *, earliest: datetime | None, latest: datetime | None) -> int:
    """Fill `head` from the top lines; return the index where the body starts."""
    pending: int | None = None  # an unclassified line after the title: standfirst or body
    summary_at: int | None = None
    body_start = 0
    in_fields = False
    meta_seen = False  # a byline, date, credit or field line after the headline
    for index, line in enumerate(lines[:_ZONE_LIMIT]):
        if in_fields and line.blank_before:
            break  # "Key: value" block ends at the first blank line
        label = _BODY_LABEL.match(line.text)
        if label and in_fields:
            # "Body:" / "Text: first paragraph": the label goes, the text is the body.
            line.text = line.text[label.end():]
            return index if line.text else index + 1
        kind = _classify(lines, index, head, earliest=earliest, latest=latest)
        if kind == "field":
            in_fields = True
        if kind == "other":
            if not head.title:
                if len(line.text) > _LONG_TITLE_CHARS:
                    head.title = _first_sentence(line.text)
                    head.warnings.append("no headline line: title taken from the first sentence")
                    return index
                head.title = line.text
                body_start = index + 1
                continue
            if pending is not None or in_fields or meta_seen or _DATELINE.match(line.text):
                # A second unexplained line, text after the byline/date lines, or a
                # wire dateline: the body has begun. A standfirst sits under the headline.
                break
            pending = index
            continue
        if kind == "skip":
            if pending is None:
                body_start = index + 1
            continue  # "Advertisement", "5 min read": says nothing about the line before
        meta_seen = meta_seen or bool(head.title)
        if pending is not None:
            if not head.summary and len(lines[pending].text.split()) <= _SUMMARY_MAX_WORDS:
                head.summary, summary_at = lines[pending].text, pending
            pending = None
        body_start = index + 1
    if body_start >= len(lines) and summary_at is not None:
        # Header lines cannot be all there is: the "standfirst" was the body, and
        # what followed it was a closing credit ("Reporting by ...").
        head.summary, body_start = "", summary_at
    return body_start


def _classify(lines: list[_Line], index: int, head: _Head, *, earliest: datetime | None,
              latest: datetime | None) -> str:
    """Kind of one header-zone line, recording what it says in `head`."""
    text = lines[index].text
    match = _FIELD.match(text)
    if match and match.group(2).strip():
        _apply_field(head, HEADER_FIELDS[match.group(1).lower()], match.group(2).strip(), earliest, latest)
        return "field"
    if len(text.split()) <= _CREDIT_MAX_WORDS and _is_credit(text):
        return "credit"
    if _SKIP.match(text):
        return "skip"
    if _explicit_byline(text):
        _apply_byline(head, text, earliest, latest)
        return "byline"
    when = _date_line(text, earliest, latest)
    if when is not None:
        if _UPDATED_PREFIX.match(text):
            head.updated = head.updated or when
        else:
            head.date = head.date or when
        if head.title and not head.names and _date_residue(text) and any(split_byline(text)):
            _apply_byline(head, text, earliest, latest)  # "Jane Doe | July 6, 2021"
        return "date"
    if head.title and not head.names and not head.agency and _implicit_byline(lines, index, head):
        _apply_byline(head, text, earliest, latest)
        return "byline"
    return "other"


def _apply_field(head: _Head, name: str, value: str, earliest: datetime | None, latest: datetime | None) -> None:
    if name == "title":
        head.title = value
    elif name == "byline":
        _apply_byline(head, value, earliest, latest)
    elif name in ("date", "updated"):
        when = _read_date(value, earliest, latest)
        if when is None:
            head.warnings.append(f"unreadable {name}: {value[:60]}")
        elif name == "date":
            head.date = when
        else:
            head.updated = head.updated or when
    elif name == "tags":
        head.tags = [t.strip() for t in re.split(r"[,;|]", value) if t.strip()]
    elif name in ("section", "source", "url", "summary", "language"):
        setattr(head, name, value)


def _apply_byline(head: _Head, raw: str, earliest: datetime | None, latest: datetime | None) -> None:
    names, agency = split_byline(raw)
    head.names = _merge(head.names, names)
    head.agency = head.agency or agency
    parts = [strip_byline_prefix(p) for p in re.split(r"\s*[|•·;]\s*", raw) if p.strip()]
    credit = [p for p in parts if not _NOT_AUTHOR_CREDIT.match(p) and any(split_byline(p))]
    if not credit:  # "By: Wire Services" names nobody but is still the printed credit
        credit = [p for p in parts if not _FULL_DATE.search(p) and not _NOT_AUTHOR_CREDIT.match(p)]
    head.byline = head.byline or "; ".join(credit)
    for part in parts:
        if _FULL_DATE.search(part) and _YEAR.search(part):
            when = _read_date(part, earliest, latest)
            if _UPDATED_PREFIX.match(part):
                head.updated = head.updated or when
            else:
                head.date = head.date or when


def _explicit_byline(text: str) -> bool:
    """ "By Jane Doe | July 6, 2021" but not "By early 2005 the net could..." (a sentence)."""
    if not _EXPLICIT_BYLINE.match(text) or len(text.split()) > _EXPLICIT_BYLINE_MAX_WORDS:
        return False
    if _ends_sentence(text):
        return False
    return any(split_byline(text))


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[!?:;]$", text) or (
        text.endswith(".") and not re.search(r"\b(?:Jr|Sr|[A-Z])\.$", text)))


def _implicit_byline(lines: list[_Line], index: int, head: _Head) -> bool:
    """A bare name line ("Al-Monitor Staff") is a byline only beside other header lines."""
    text = lines[index].text
    words = text.split()
    if len(words) > _IMPLICIT_BYLINE_MAX_WORDS or _ends_sentence(text):
        return False
    if index + 1 < len(lines) and _is_date_text(lines[index + 1].text):
        return True  # the slot above the date line holds the credit, whatever it names
    if not all(w[0].isupper() or w.lower() in {"and", "&", "de", "van", "von", "al", "bin", "la", "le", "da"}
               for w in words if w[0].isalpha()):
        return False
    if not any(split_byline(text)):
        return False
    neighbours = [lines[i] for i in (index - 1, index + 1) if 0 <= i < len(lines)]
    compact = not lines[index].blank_before and (index + 1 >= len(lines) or not lines[index + 1].blank_before)
    return compact or any(_is_header_line(n.text) for n in neighbours)


def _is_header_line(text: str) -> bool:
    return bool(_FIELD.match(text) or _is_credit(text) or _EXPLICIT_BYLINE.match(text)
                or _is_date_text(text))


def _is_date_text(text: str) -> bool:
    return bool(len(text.split()) <= 12 and _FULL_DATE.search(text) and _YEAR.search(text)
                and _date_residue(text) <= 2)


def _date_line(text: str, earliest: datetime | None, latest: datetime | None) -> datetime | None:
    """The date a short line states, when the line is nothing but a date."""
    return _read_date(text, earliest, latest) if _is_date_text(text) else None


def _read_date(text: str, earliest: datetime | None, latest: datetime | None) -> datetime | None:
    """A printed date, after the spellings dateutil misreads: "10.30 BST", "6th", "by admin"."""
    text = _DATE_PREFIX.sub("", text)
    text = re.sub(r"\s+by\s+.*$", "", text, flags=re.I)
    text = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", r"\1", text)
    text = re.sub(r"\b(\d{1,2})\.(\d{2})(?=\s*(?:[ap]\.?m\b|[A-Z]{2,4}\b|$))", r"\1:\2", text, flags=re.I)
    text = _ZONE_NAME.sub(lambda m: " " + _ZONE_OFFSETS.get(m.group(1).upper(), ""), text)
    return parse_date(text.strip(), earliest=earliest, latest=latest)


def _date_residue(text: str) -> int:
    rest = DATE_TEXT.sub(" ", _DATE_PREFIX.sub("", text))
    words = [w for w in re.split(r"[\s,|•·/-]+", rest) if re.search(r"\w", w)]
    return len([w for w in words if w.lower() not in _CLOCK_WORDS])


def _first_sentence(text: str) -> str:
    match = re.match(r"(.{20,200}?[.!?])\s", text)
    if match:
        return match.group(1)
    return text[:150].rsplit(" ", 1)[0]


def _merge(old: list[str], new: list[str]) -> list[str]:
    seen = {n.casefold() for n in old}
    return old + [n for n in new if n.casefold() not in seen]


def wire_agency(body: str) -> str:
    """The agency a dateline opening the body ("BAGHDAD (Reuters) -") or a closing sign-off
    ("... said. REUTER") names, or ""."""
    match = _DATELINE.match(body) or _SIGN_OFF.search(body[-200:])
    return agency_name(match.group(1)) if match else ""


# --- body and trailing furniture -----------------------------------------------------


def _kind(text: str) -> str:
    # Word counts first: most paragraphs are long, and then no pattern needs reading.
    words = len(text.split())
    if words <= 25 and _COPYRIGHT.search(text):
        return "copyright"
    if words <= _CREDIT_MAX_WORDS and _is_credit(text):
        return "credit"
    if words <= _PROMPT_MAX_WORDS and _PROMPT.match(text):
        return "prompt"
    if "|" in text and _is_teaser_meta(text):
        return "teaser"
    return "text"


def _is_credit(text: str) -> bool:
    """A picture credit standing alone, not a sentence that names a picture agency in passing."""
    match = _CREDIT.search(text)
    return bool(match) and not text.endswith(".") and (match.start() == 0 or bool(_CREDIT_END.search(text)))


def _is_teaser_meta(text: str) -> bool:
    """ "Author | Section | Date": the meta line printed under a related-article link."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 2 or not all(p for p in parts):
        return False
    if any(len(p.split()) > _TEASER_PART_MAX_WORDS for p in parts):
        return False
    return len(parts) >= 3 or any(_FULL_DATE.search(p) for p in parts)


def copyright_holder(lines: Iterable[str]) -> str:
    """The publisher named by the last copyright line ("© 2021 Example, LLC."), or ""."""
    holder = ""
    for text in lines:
        match = _COPYRIGHT_HOLDER.match(text.strip())
        if match and not re.search(r"\d", match.group("holder")):
            holder = match.group("holder").strip(" -–")
    return holder


def strip_furniture(paragraphs: list[str]) -> list[str]:
    """Paragraphs of an already extracted body without prompts, teasers and copyright tails."""
    return [line.text for line in _strip_boilerplate([_Line(p, True) for p in paragraphs])]


def _strip_boilerplate(lines: list[_Line]) -> list[_Line]:
    """Body lines without teasers, prompts, copyright and the promo tail after the article."""
    kinds = [_kind(line.text) for line in lines]
    # A teaser is a headline-sized line (even "Is X next?") followed by its pipe-separated meta line.
    for i in range(1, len(kinds)):
        if kinds[i] == "teaser" and kinds[i - 1] not in _FURNITURE and _headline_sized(lines[i - 1].text):
            kinds[i - 1] = "teaser"
    end = _tail_start(lines, kinds)
    return [line for line, kind in zip(lines[:end], kinds[:end]) if kind not in _FURNITURE]


def _tail_start(lines: list[_Line], kinds: list[str]) -> int:
    """Where the page furniture after the article begins (len(kinds) when there is none).

    The tail is the run of furniture and headline-sized lines (no closing full
    stop) at the end; it is cut from its first teaser, prompt or copyright line
    on. Short lines before that first marker are kept (they may be a list closing
    the article); a short sentence sitting under a newsletter prompt goes with it.
    """
    end = len(kinds)
    while end > 0 and (kinds[end - 1] in _FURNITURE or _headline_sized(lines[end - 1].text)):
        end -= 1
    markers = [i for i in range(end, len(kinds)) if kinds[i] in _FURNITURE]
    if not markers:
        return len(kinds)
    start = markers[0]
    while (start >= 2 and kinds[start - 1] == "text" and _SIGN_UP.match(lines[start - 2].text)
           and len(lines[start - 1].text.split()) <= _TAIL_NOTE_MAX_WORDS):
        start -= 2
    return start


def _headline_sized(text: str) -> bool:
    """Short and not closed by a full stop: a link title ("Why did X happen?"), not prose."""
    return len(text.split()) <= _HEADLINE_MAX_WORDS and not text.rstrip("\"'”’)]").endswith((".", "…"))


def _paragraphs(lines: list[_Line]) -> list[str]:
    """A line is a paragraph, unless blank lines separate blocks of hard-wrapped lines."""
    if not lines:
        return []
    blocks: list[list[str]] = []
    for i, line in enumerate(lines):
        if i == 0 or line.blank_before:
            blocks.append([])
        blocks[-1].append(line.text)
    has_blanks = any(line.blank_before for line in lines)
    out: list[str] = []
    for block in blocks:
        out.extend([" ".join(block)] if has_blanks and _hard_wrapped(block) else block)
    return out


def _hard_wrapped(block: list[str]) -> bool:
    """Lines cut at a fixed width: short, of similar length, some ending mid-sentence."""
    if len(block) < 2 or any(_BULLET.match(t) for t in block[1:]):
        return False
    widest = max(len(t) for t in block)
    inner = block[:-1]
    return (widest <= _HARD_WRAP_MAX_CHARS and all(len(t) >= widest * _HARD_WRAP_MIN_FILL for t in inner)
            and any(not t.endswith((".", "!", "?", ":", '"', "”")) for t in inner))
