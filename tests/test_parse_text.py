"""Plain-text parsing: one inline case per layout rule, then the seed and the BBC corpus."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsearch.errors import ParseError
from newsearch.models import Article
from newsearch.parse.encoding import decode
from newsearch.parse.text import parse_text

SEED_TITLE = "US Embassy, Ain al-Asad base targeted in Iraq as militias up tension"


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# --- the seed layout, written inline -------------------------------------------------

WEB_COPY = """Floods close river port as rains continue
Heavy rain kept the northern river port shut for a third day, officials said.
Jane Roe/Reuters
Sam Field
March 3, 2020
The river port at Norden stayed closed on Tuesday after a third day of heavy rain.
Officials said the water would recede by the weekend if the rain stopped.
Shipping firms said they had diverted cargo to the southern terminal.
Drought hits wheat harvest in the south
Ann Lee | Farming | Feb 28, 2020
New bridge opens to traffic
Tim Cole | Transport | Feb 27, 2020
Get our daily newsletter
Sign Me Up!
Ten places to visit this spring
How the city rebuilt its harbour
© 2020 Norden Daily, Inc. All rights reserved.
"""


def test_web_copy_header_zone() -> None:
    article = parse_text(WEB_COPY)
    assert article.title == "Floods close river port as rains continue"
    assert article.summary == "Heavy rain kept the northern river port shut for a third day, officials said."
    assert article.byline == "Sam Field"
    assert article.authors == ("Sam Field",)
    assert article.date == _utc(2020, 3, 3)


def test_web_copy_body_without_teasers_prompts_or_copyright() -> None:
    body = parse_text(WEB_COPY).body
    assert body.startswith("The river port at Norden")
    assert body.endswith("diverted cargo to the southern terminal.")
    assert body.count("\n\n") == 2
    for furniture in ("Drought hits", "Ann Lee", "newsletter", "Sign Me Up", "Ten places", "©", "reserved"):
        assert furniture not in body


@pytest.mark.parametrize(
    "credit",
    [
        "Jane Roe/AFP via Getty Images",
        "Photo by Jane Roe",
        "(Photo: Jane Roe)",
        "Jane Roe / Reuters",
        "Photograph: Jane Roe/AP",
    ],
)
def test_photo_credit_is_never_the_byline(credit: str) -> None:
    text = (f"Headline here\nA standfirst that sums the story up.\n{credit}\nBy Sam Field\n"
            "March 3, 2020\nBody text.\n")
    article = parse_text(text)
    assert article.authors == ("Sam Field",)
    assert "Roe" not in article.byline
    assert article.summary == "A standfirst that sums the story up."
    assert article.body == "Body text."


def test_trailing_list_before_copyright_is_kept_as_article_text() -> None:
    text = ("Cup draw made\n\nThe draw for the next round was made on Monday:\n\n"
            "Leeds v Hull\n\nYork v Bury\n\n© 2005 Sports Desk\n")
    body = parse_text(text).body
    assert body.endswith("York v Bury")
    assert "©" not in body


def test_prompt_in_the_middle_of_the_body_is_dropped_alone() -> None:
    text = "Title\n\nFirst paragraph here.\n\nSubscribe to our newsletter\n\nSecond paragraph here.\n"
    assert parse_text(text).body == "First paragraph here.\n\nSecond paragraph here."


def test_short_closing_lines_without_furniture_are_kept() -> None:
    text = "Title\n\nThe budget included:\n\n- More for schools\n\n- Less for roads\n"
    assert parse_text(text).body.endswith("- More for schools\n\n- Less for roads")


# --- header blocks ------------------------------------------------------------------

HEADER_BLOCK = """Title: Council approves new budget
By: Maria Lopez and Tom Hart
Date: 2019-11-05T14:30:00-05:00
Section: Politics
Source: City Herald
URL: https://example.org/news/budget
Tags: budget, council; taxes

The council voted 7-2 on Tuesday to approve the budget.

Opponents said the plan raised taxes too quickly.
"""


def test_header_block_fields() -> None:
    article = parse_text(HEADER_BLOCK, section="ignored-folder")
    assert article.title == "Council approves new budget"
    assert article.authors == ("Maria Lopez", "Tom Hart")
    assert article.byline == "Maria Lopez and Tom Hart"
    assert article.date == _utc(2019, 11, 5, 19, 30)
    assert article.section == "Politics"
    assert article.source == "City Herald"
    assert article.url == "https://example.org/news/budget"
    assert article.id == "https://example.org/news/budget"
    assert article.tags == ("budget", "council", "taxes")
    assert article.body == ("The council voted 7-2 on Tuesday to approve the budget.\n\n"
                            "Opponents said the plan raised taxes too quickly.")
    assert article.summary == ""


def test_header_block_variants() -> None:
    text = ("Headline: Storm hits coast\nAuthor: JANE DOE, Staff Writer\nPublished: 6 July 2021\n"
            "Category: Weather\nKeywords: storm\n\nWinds reached 120 km/h.\n")
    article = parse_text(text)
    assert (article.title, article.authors, article.section, article.tags) == (
        "Storm hits coast", ("Jane Doe",), "Weather", ("storm",))
    assert article.date == _utc(2021, 7, 6)


def test_headline_then_by_and_date_lines() -> None:
    text = "Storm hits coast\nBy Jane Doe\nDate: July 6, 2021\n\nWinds reached 120 km/h.\n"
    article = parse_text(text)
    assert (article.title, article.authors, article.body) == ("Storm hits coast", ("Jane Doe",),
                                                              "Winds reached 120 km/h.")
    assert article.date == _utc(2021, 7, 6)


def test_section_argument_fills_only_a_missing_section() -> None:
    assert parse_text("Title\n\nBody.", section="sport").section == "sport"
    assert parse_text("Section: Arts\n\nBody.", section="sport").section == "Arts"


def test_unreadable_header_date_is_a_warning_not_an_error() -> None:
    article = parse_text("Title: T\nDate: sometime soon\n\nBody.")
    assert article.date is None
    assert any("date" in w for w in article.warnings)


def test_date_bounds_reject_out_of_range_dates() -> None:
    text = "Title: T\nDate: 1850-01-01\n\nBody."
    assert parse_text(text).date == _utc(1850, 1, 1)
    assert parse_text(text, earliest=datetime(1900, 1, 1)).date is None


# --- headline-then-body ---------------------------------------------------------------

def test_headline_then_body_has_no_summary_byline_or_date() -> None:
    text = ("Chelsea sign young striker\n\nChelsea have signed a striker from Lyon for £10m.\n\n"
            "By any measure it is a big fee for a teenager.\n\nThe deal runs until 2010.\n")
    article = parse_text(text, section="sport")
    assert article.title == "Chelsea sign young striker"
    assert (article.summary, article.byline, article.authors, article.date) == ("", "", (), None)
    assert article.body.split("\n\n")[1] == "By any measure it is a big fee for a teenager."
    assert article.section == "sport"


def test_hard_wrapped_paragraphs_are_joined() -> None:
    text = "Title\n\nThe first paragraph is wrapped\nacross two lines.\n\nThe second one too,\nat forty columns.\n"
    assert parse_text(text).body == ("The first paragraph is wrapped across two lines.\n\n"
                                     "The second one too, at forty columns.")


def test_fixture_venue_and_day_are_not_a_byline_or_date() -> None:
    # A venue line and a day without a year look like a byline and a date but are not.
    text = "Blackburn v Burnley\n\nEwood Park\n\nTuesday, 1 March\n\nThe cup tie kicks off at eight.\n"
    article = parse_text(text)
    assert (article.authors, article.date) == ((), None)


def test_crlf_and_spaces_are_normalised() -> None:
    article = parse_text("\ufeffTitle  with\u00a0space\r\n\r\nBody   line.\r\n")
    assert (article.title, article.body) == ("Title with space", "Body line.")


# --- wire datelines -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("opening", "agency"),
    [
        ("BAGHDAD (Reuters) - Rockets hit the base on Tuesday.", "Reuters"),
        ("WASHINGTON (AP) — The Senate voted on Monday.", "AP"),
        ("PARIS, July 6 (AFP) - Talks resumed.", "AFP"),
        ("NEW YORK (Bloomberg) -- Stocks rose.", "Bloomberg"),
        ("(Reuters) - Oil prices fell.", "Reuters"),
        ("BEIRUT, Lebanon (The Associated Press) — Text.", "AP"),
    ],
)
def test_wire_dateline_sets_agency_not_authors(opening: str, agency: str) -> None:
    article = parse_text(f"Headline\n\n{opening}\n\nMore text.\n")
    assert article.agency == agency
    assert article.authors == ()
    assert article.byline == ""
    assert article.body.startswith(opening)


def test_byline_and_dateline_together() -> None:
    article = parse_text("Headline\nBy Jane Doe\n\nBAGHDAD (Reuters) - Text.\n")
    assert (article.authors, article.agency) == (("Jane Doe",), "Reuters")


def test_agency_only_byline() -> None:
    article = parse_text("Headline\nBy The Associated Press\n\nText of the story.\n")
    assert (article.authors, article.agency) == ((), "AP")


def test_parenthesised_non_agency_is_not_a_dateline() -> None:
    assert parse_text("Headline\n\nLONDON (Updated) - Text.\n").agency == ""


# --- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   \n\n \t\n"])
def test_empty_text_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_text(text, path="a.txt")
    assert info.value.path == "a.txt"


def test_non_string_input_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_text(b"bytes")  # type: ignore[arg-type]


def test_title_only_text_is_an_article() -> None:
    article = parse_text("Just a headline\n")
    assert (article.title, article.body) == ("Just a headline", "")


def test_text_without_headline_line_takes_first_sentence() -> None:
    paragraph = "The allies met in Nassau last week to settle the missile question. " * 6
    article = parse_text(paragraph)
    assert article.title == "The allies met in Nassau last week to settle the missile question."
    assert article.body == paragraph.strip()


# --- real data ----------------------------------------------------------------------

def test_seed_article(seed_path: Path) -> None:
    text = decode(seed_path.read_bytes())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    article = parse_text(text, path=str(seed_path))
    assert article.title == SEED_TITLE
    assert article.summary == lines[1]
    assert article.byline == "Al-Monitor Staff"
    assert article.authors == ("Al-Monitor Staff",)
    assert article.date == _utc(2021, 7, 6)
    assert article.body.startswith("The US Embassy in Baghdad")
    assert "Subscribe to Our Newsletters" not in article.body
    assert "All rights reserved" not in article.body and "©" not in article.body
    assert "Getty" not in article.byline and "Getty" not in article.body
    for teaser in ("UN says Iran advances nuclear enrichment", "Al-Monitor Staff | Iran", "Sign Me Up",
                   "Najaf seminary", "Jim Jeffrey"):
        assert teaser not in article.body
    assert article.body.endswith("will be felt in Iraq.")
    assert article.path == str(seed_path)


@pytest.fixture(scope="module")
def bbc(shared_dir: Path) -> list[tuple[Path, str, Article]]:
    """Every BBC file with its decoded text and the article parsed from it."""
    out = []
    for path in sorted((shared_dir / "corpus/text/bbc").glob("*/*.txt")):
        text = decode(path.read_bytes())
        out.append((path, text, parse_text(text, path=str(path), section=path.parent.name)))
    return out


def test_every_bbc_file_parses(bbc: list[tuple[Path, str, Article]]) -> None:
    assert len(bbc) == 2225
    for path, text, article in bbc:
        raw_lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
        raw_lines = [line for line in raw_lines if line]
        assert article.title == raw_lines[0], path
        assert article.section == path.parent.name
        assert article.body, path
        # Nothing is invented and nothing long is lost: every body paragraph is file text.
        assert article.body.split("\n\n")[0] == raw_lines[1], path
        assert article.body.split("\n\n")[-1] == raw_lines[-1], path
        assert "\ufffd" not in article.title, path


def test_bbc_files_have_no_byline_date_or_summary(bbc: list[tuple[Path, str, Article]]) -> None:
    # The collection prints no bylines, dates or standfirsts, so none may be found.
    found = [path.name for path, _, a in bbc if a.authors or a.byline or a.date or a.summary or a.agency]
    assert found == []


def test_latin1_bbc_file_is_decoded(bbc: list[tuple[Path, str, Article]]) -> None:
    # Files that are not valid UTF-8 must still give readable text (the pound sign).
    latin = [(path, a) for path, _, a in bbc if not _is_utf8(path.read_bytes())]
    assert latin
    for path, article in latin:
        assert "\ufffd" not in article.body, path


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- more header-zone arrangements ----------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "Rockets hit base\nJohn Smith/AFP via Getty Images\nJane Doe\nJuly 6, 2021\nBody one.\nBody two.\n",
        "Rockets hit base\nA summary line.\nJuly 6, 2021\nJane Doe\nBody one.\nBody two.\n",
        "Rockets hit base\nA summary line.\nJane Doe | July 6, 2021\nBody one.\nBody two.\n",
        "Rockets hit base\n\nA summary line.\n\nPhoto by John Smith\n\nBy Jane Doe\n\nJuly 6, 2021\n\n"
        "Body one.\n\nBody two.\n\nOther story title\nJane Doe | Iraq | Jul 1, 2021\n\n© 2021 Paper\n",
    ],
)
def test_header_zone_in_any_order(text: str) -> None:
    article = parse_text(text)
    assert article.title == "Rockets hit base"
    assert article.authors == ("Jane Doe",)
    assert article.byline == "Jane Doe"
    assert article.date == _utc(2021, 7, 6)
    assert article.body == "Body one.\n\nBody two."
    assert article.summary in ("", "A summary line.")
    assert (article.summary == "") == ("summary" not in text)


def test_updated_date_is_only_a_fallback() -> None:
    text = "Title\nBy Jane Doe | Updated July 7, 2021\nPublished July 6, 2021\n\nBody.\n"
    assert parse_text(text).date == _utc(2021, 7, 6)
    assert parse_text("Title\nBy Jane Doe | Updated July 7, 2021\n\nBody.\n").date == _utc(2021, 7, 7)


def test_closing_wire_credit_gives_authors_and_keeps_body() -> None:
    text = "Rockets hit base\n\nBAGHDAD (Reuters) - Body text.\n\nReporting by Jane Doe; Editing by Bob Smith\n"
    article = parse_text(text)
    assert (article.authors, article.byline, article.agency, article.summary) == (
        ("Jane Doe",), "Jane Doe", "Reuters", "")
    assert article.body.startswith("BAGHDAD (Reuters) - Body text.")


# --- any text at all ------------------------------------------------------------------

_LINES = st.sampled_from([
    "", "Title", "By Jane Doe", "Jane Doe", "July 6, 2021", "Date: 2021-07-06", "Photo by X", "© 2021 X",
    "A | B | Jan 1, 2020", "Subscribe", "BAGHDAD (Reuters) - Text.", "Body sentence here.", "Title: T",
    "- item", "Section:", "(", "|", "\u00a0", "By", "Tags: ,,,",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LINES, st.text(max_size=40)), max_size=25))
def test_any_text_gives_an_article_or_a_plain_parse_error(lines: list[str]) -> None:
    try:
        article = parse_text("\n".join(lines), path="f.txt")
    except ParseError as exc:
        # Only the documented refusals, never an internal failure wrapped up.
        assert exc.reason in ("empty text", "no title and no body")
        return
    assert article.title or article.body
    assert "\n\n\n" not in article.body
    assert article.date is None or article.date.utcoffset().total_seconds() == 0


def test_sentence_under_a_newsletter_prompt_goes_with_it() -> None:
    text = ("Title\n\nThe story itself.\n\nSign up for our newsletter\n\n"
            "Get the best stories delivered to your inbox every morning.\n\n© 2020 Paper\n")
    assert parse_text(text).body == "The story itself."


def test_paragraph_after_an_advertisement_slot_is_kept() -> None:
    text = "Title\n\nFirst part.\n\nAdvertisement\n\nSecond part.\n\nMore from World\n"
    assert parse_text(text).body == "First part.\n\nSecond part."


def test_first_paragraph_after_byline_is_body_not_summary() -> None:
    text = "Title\nBy Jane Doe\nJuly 6, 2021\nFirst paragraph.\nJohn Smith/Reuters\nSecond paragraph.\n"
    article = parse_text(text)
    assert article.summary == ""
    assert article.body == "First paragraph.\n\nSecond paragraph."


def test_credit_without_a_person_is_kept_as_printed() -> None:
    article = parse_text("Title: T\nBy: Wire Services\n\nGENEVA (AP) — Text.\n")
    assert (article.byline, article.authors, article.agency) == ("Wire Services", (), "AP")


@pytest.mark.parametrize(
    ("date_line", "expected"),
    [
        ("July 6th, 2021", _utc(2021, 7, 6)),
        ("Tuesday 6 July 2021 10.30 BST", _utc(2021, 7, 6, 9, 30)),
        ("Mon 5 Jul 2021 06.00 EDT", _utc(2021, 7, 5, 10)),
        ("July 6, 2021 10:00 PM EST", _utc(2021, 7, 7, 3)),
        ("2021-07-06T10:00:00+02:00", _utc(2021, 7, 6, 8)),
        ("Posted on July 6, 2021 by admin", _utc(2021, 7, 6)),
    ],
)
def test_printed_date_lines(date_line: str, expected: datetime) -> None:
    article = parse_text(f"Headline\nBy Jane Doe\n{date_line}\n\nBody.\n")
    assert article.date == expected
    assert article.body == "Body."


def test_byline_slot_above_the_date_names_no_person() -> None:
    text = "Headline\nA standfirst.\nREUTERS/Jane Roe\nWeek in Review\nNov 19, 2021\nBody.\n"
    article = parse_text(text)
    assert (article.byline, article.authors, article.summary) == ("Week in Review", (), "A standfirst.")
    assert article.date == _utc(2021, 11, 19)
    assert article.body == "Body."


def test_question_and_exclamation_teasers_are_furniture_too() -> None:
    text = ("Title\nThe story in one long sentence that ends the article properly.\n"
            "Is the base the next target?\nAnn Lee | Iraq | Dec 1, 2021\nSubscribe to Our Newsletters\n"
            "Why the talks stalled again?\nFive things to watch this week!\n© 2021 Paper\n")
    assert parse_text(text).body == "The story in one long sentence that ends the article properly."


def test_wrapped_line_naming_a_picture_agency_is_not_a_credit() -> None:
    text = ("Title\n\nThe agency said a picture sold to Getty Images in\n"
            "2019 had been altered, and it withdrew the image.\n\nJane Roe/Getty Images\n")
    assert parse_text(text).body == ("The agency said a picture sold to Getty Images in "
                                     "2019 had been altered, and it withdrew the image.")


def test_short_one_line_paragraphs_are_not_mistaken_for_wrapping() -> None:
    text = "Title\nBy Jane Doe\n\nThe vote was close.\nThe mayor will sign on Friday.\nCritics vowed to appeal.\n"
    assert parse_text(text).body == ("The vote was close.\n\nThe mayor will sign on Friday.\n\n"
                                     "Critics vowed to appeal.")


@pytest.mark.parametrize(
    ("ending", "agency"),
    [("The company said. Reuter", "Reuters"), ("Talks resume Monday. (AFP)", "AFP"),
     ("He told the AP.", ""), ("It was the end. Smith", "")],
)
def test_wire_sign_off_names_the_agency(ending: str, agency: str) -> None:
    assert parse_text(f"Headline\n\nSome text. {ending}\n").agency == agency


@pytest.mark.parametrize(
    "text",
    ["Title: T\nDate: 2020-01-02\nBody:\nFirst part.\n\nSecond part.\n",
     "Title: T\nDate: 2020-01-02\nText: First part.\n\nSecond part.\n"],
)
def test_body_label_after_header_fields(text: str) -> None:
    article = parse_text(text)
    assert (article.title, article.body) == ("T", "First part.\n\nSecond part.")
    assert article.date == _utc(2020, 1, 2)


@pytest.mark.parametrize(
    "line,holder",
    [
        ("© 2021 Example Gazette, LLC. All rights reserved.", "Example Gazette"),
        ("Copyright 2004 Northern Daily", "Northern Daily"),
        ("(c) 1999-2004 The Harbour Times Ltd", "The Harbour Times"),
        ("All rights reserved.", ""),
        ("A sentence that mentions nothing of the kind.", ""),
    ],
)
def test_copyright_line_names_the_publisher(line, holder):
    from newsearch.parse.text import copyright_holder

    assert copyright_holder([line]) == holder


def test_seed_publisher_comes_from_its_copyright_line(seed_path):
    from newsearch.parse.encoding import decode

    article = parse_text(decode(seed_path.read_bytes()), path=str(seed_path))
    assert article.source == "Al-Monitor"


def test_runs_of_inline_spaces_become_one_plain_space():
    """SPACES leaves a lone plain space alone (for speed); replacing its matches must
    still turn every run of inline spaces into one plain space, as replacing each whole
    run would, and leave line breaks where they are."""
    import random
    import re

    from newsearch.parse.text import SPACES

    every_run = re.compile("[ \t\u00a0\u2009\u202f\u200b\ufeff]+")
    rng = random.Random(3)
    alphabet = "ab. \t\u00a0\u2009\u202f\u200b\ufeff\n"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert SPACES.sub(" ", text) == every_run.sub(" ", text), repr(text)
    assert SPACES.sub(" ", "Oil \t rose\u00a0\u00a05%  on\nMonday") == "Oil rose 5% on\nMonday"
