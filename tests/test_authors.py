"""Byline cleaning: one inline case per rule, plus the noisy author lists of a real export."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from newsearch.parse.authors import agency_name, clean_names, split_byline, strip_byline_prefix


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("Written by Jane Doe", ["Jane Doe"]),
        ("Reporting by Jane Doe in Baghdad; Editing by Bob Jones", ["Jane Doe"]),
        ("BY: Jane Doe", ["Jane Doe"]),
    ],
)
def test_introductory_words_and_editing_credits_are_dropped(raw: str, names: list[str]) -> None:
    assert split_byline(raw) == (names, "")


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Jane Doe, Staff Writer", ["Jane Doe"]),
        ("Jane Doe - Senior Correspondent", ["Jane Doe"]),
        ("Jane Doe Senior Correspondent", ["Jane Doe"]),
        ("Ben Silverman Games Editor", ["Ben Silverman"]),
        ("Written by Jane Doe, Washington Correspondent", ["Jane Doe"]),
        ("Staff Writer", []),
        ("Sports Editor", []),
    ],
)
def test_roles_are_not_names(raw: str, names: list[str]) -> None:
    assert split_byline(raw)[0] == names


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("A, B and C", ["A", "B", "C"]),
        ("Jane Doe & John Smith", ["Jane Doe", "John Smith"]),
        ("Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("Glen Owen And Brendan Carlin", ["Glen Owen", "Brendan Carlin"]),
        ("Ana Ruiz, Li Wei, and Tom Hart", ["Ana Ruiz", "Li Wei", "Tom Hart"]),
    ],
)
def test_lists_of_names_are_split(raw: str, names: list[str]) -> None:
    assert split_byline(raw)[0] == names


def test_staff_credits_stay_one_name() -> None:
    assert split_byline("Al-Monitor Staff") == (["Al-Monitor Staff"], "")
    assert split_byline("Daily Mail Reporter")[0] == ["Daily Mail Reporter"]


@pytest.mark.parametrize(
    "raw",
    [
        "By Jane Doe | July 6, 2021",
        "By Jane Doe Updated 5:30 PM EDT, July 6, 2021",
        "Jane Doe jane.doe@example.com",
        "Jane Doe @janedoe",
        "Jane Doe https://example.com/jane",
        "Jane Doe 2021-07-06T10:00:00Z",
    ],
)
def test_dates_contacts_and_links_are_dropped(raw: str) -> None:
    assert split_byline(raw) == (["Jane Doe"], "")


@pytest.mark.parametrize(
    ("raw", "names", "agency"),
    [
        ("Reuters", [], "Reuters"),
        ("By The Associated Press", [], "AP"),
        ("Agence France-Presse", [], "AFP"),
        ("Jane Doe with Reuters", ["Jane Doe"], "Reuters"),
        ("Brad Schade Reuters", ["Brad Schade"], "Reuters"),
        ("Jane Doe, AP", ["Jane Doe"], "AP"),
        ("Reuters Staff", [], "Reuters"),
        ("dpa", [], "dpa"),
        ("Xinhua", [], "Xinhua"),
        ("Michael Bloomberg", ["Michael Bloomberg"], ""),
    ],
)
def test_wire_agencies_go_to_the_agency_slot(raw: str, names: list[str], agency: str) -> None:
    assert split_byline(raw) == (names, agency)


def test_several_agencies_are_all_kept() -> None:
    assert split_byline("AFP/Reuters")[1] == "AFP, Reuters"


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("JANE DOE", ["Jane Doe"]),
        ("JOHN O'BRIEN AND MARY-KATE LEE", ["John O'Brien", "Mary-Kate Lee"]),
        ("keith grant", ["Keith Grant"]),
        ("Walter von Aachen", ["Walter von Aachen"]),
        ("Perry Bacon Jr.", ["Perry Bacon Jr."]),
        ("T. V. Raman", ["T. V. Raman"]),
    ],
)
def test_case_and_name_particles(raw: str, names: list[str]) -> None:
    assert split_byline(raw)[0] == names


def test_names_are_deduplicated_ignoring_case() -> None:
    assert split_byline("Jane Doe and JANE DOE, Jane Doe")[0] == ["Jane Doe"]


@pytest.mark.parametrize(
    "raw",
    [
        "Https",
        "Facebook.Com Parademag",
        "Getty Images",
        "Please Enter Your Name Here",
        "Anything Related To Popular Culture",
        "A Graduate Of Northwestern University",
        "At Pm Edt",
        "March",
        "Abc News",
        "Kathleen Newman-B...",
        "Follow me on Twitter",
    ],
)
def test_noise_fragments_are_not_names(raw: str) -> None:
    assert split_byline(raw)[0] == []


def test_biography_sentence_keeps_only_the_name() -> None:
    assert split_byline("Martha Ross Is A Features Writer Who Covers Everything")[0] == ["Martha Ross"]


def test_fragments_mode_drops_lone_words_beside_real_names() -> None:
    names, _ = clean_names(["Image", "Jane Doe", "Health", "Getty"], fragments=True)
    assert names == ["Jane Doe"]
    # Without real names, a single word may be a pen name and is kept.
    assert clean_names(["Realiberry"], fragments=True)[0] == ["Realiberry"]


def test_prefix_stripping_and_agency_lookup() -> None:
    assert strip_byline_prefix("  By   Jane  Doe ") == "Jane Doe"
    assert agency_name("The Associated Press") == "AP"
    assert agency_name("Jane Doe") == ""


def test_non_string_input_gives_nothing() -> None:
    assert split_byline(None) == ([], "")  # type: ignore[arg-type]
    assert split_byline("") == ([], "")


def _fakenewsnet_author_lists(shared_dir: Path) -> list[list[str]]:
    with gzip.open(shared_dir / "corpus/jsonl/fakenewsnet.jsonl.gz", "rt", encoding="utf-8") as lines:
        return [json.loads(line).get("authors") or [] for line in lines]


def test_real_exported_author_lists_lose_their_noise(shared_dir: Path) -> None:
    lists = _fakenewsnet_author_lists(shared_dir)
    cleaned = [clean_names(items, fragments=True)[0] for items in lists]
    names = [n for ns in cleaned for n in ns]
    assert len(names) > 1000
    lowered = {n.lower() for n in names}
    for noise in ("https", "image", "getty", "twitter", "march", "please enter your name here"):
        assert noise not in lowered
    # No URL-ish fragment or biography sentence survives.
    assert not [n for n in names if ".com" in n.lower() or len(n.split()) > 6]
    # Real people that the export listed are kept.
    assert {"Lisa Ryan", "Radar Staff"} <= set(names)


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Kelli Miller\n   WebMD Health News", ["Kelli Miller"]),
        ("Written by Rob Ewaschuk\n  Edited by Betsy Beyer", ["Rob Ewaschuk"]),
        ("Martin Untersinger (avec Damien Leloup et Morgane Tual)",
         ["Martin Untersinger", "Damien Leloup", "Morgane Tual"]),
        ("Amber Guetebier  Shares", ["Amber Guetebier"]),
        ("Jane Doe View all posts", ["Jane Doe"]),
        ("Will Knight", ["Will Knight"]),
        ("He Yafei", ["He Yafei"]),
    ],
)
def test_layout_leftovers_around_names(raw: str, names: list[str]) -> None:
    assert split_byline(raw)[0] == names


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Rebecca Kaplan Covers Congress", ["Rebecca Kaplan"]),
        ("Law Enforcement. He Previously Covered State", []),
        ("United States Senator Jeff Flake", ["Jeff Flake"]),
        ("Dr. Jane Doe", ["Jane Doe"]),
        ("A Small Local Newspaper", []),
    ],
)
def test_biographies_honorifics_and_outlets(raw: str, names: list[str]) -> None:
    assert split_byline(raw)[0] == names


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Veröffentlicht von Chris Jung", ["Chris Jung"]),
        ("VON MORITZ GATHMANN am 21. April 2020", ["Moritz Gathmann"]),
        ("von Ulrike 18.10.2019 16:06 Uhr", ["Ulrike"]),
        ("Sara Zinnecker Stand: 05. Februar 2020", ["Sara Zinnecker"]),
        ("Christoph Hein Chefredakteur", ["Christoph Hein"]),
        ("Interview: Julia Lauter", ["Julia Lauter"]),
        ("Par Jean Dupont, publié le 1 mars 2019 à 15:20", ["Jean Dupont"]),
        ("Isabel Caro, Rocío Latorre y José Miguel Wilson Hace 13 horas", ["Isabel Caro", "Rocío Latorre",
                                                                          "José Miguel Wilson"]),
        ("Von Christian Thiele, 07 Dezember, 2022", ["Christian Thiele"]),
        ("Zuletzt geändert am: 15.10.2021", []),
        ("Jacobo Betancur Peláez | Publicado hace 3 horas", ["Jacobo Betancur Peláez"]),
        ("Publicado por Ana Ruiz", ["Ana Ruiz"]),
    ],
)
def test_bylines_in_other_languages(raw: str, names: list[str]) -> None:
    assert split_byline(raw)[0] == names


@pytest.mark.parametrize(
    ("raw", "names", "agency"),
    [
        ("By Emily Burack 8 January 2020, 3:51 pm 11 Edit", ["Emily Burack"], ""),
        ("By John Walk - January 10, 2020 21 minutes - 4312 words", ["John Walk"], ""),
        ("by Lucas Nolan 22 Dec 2016 651", ["Lucas Nolan"], ""),
        ("Brenda Goodman, MA", ["Brenda Goodman"], ""),
        ("Richard (R.J.) Eskow", ["Richard Eskow"], ""),
        ("det/dpa", [], "dpa"),
        ("Georgia Mars", ["Georgia Mars"], ""),
    ],
)
def test_widget_counters_degrees_and_editor_initials(raw: str, names: list[str], agency: str) -> None:
    assert split_byline(raw) == (names, agency)


def test_team_credit_beside_people_is_their_affiliation() -> None:
    raw = "Posted by Ada Brook, Tom Vale and Lin Osei - Harbour Security team"
    assert split_byline(raw)[0] == ["Ada Brook", "Tom Vale", "Lin Osei"]
    assert split_byline("Harbour Security team")[0] == ["Harbour Security team"]


def test_job_title_of_modifiers_only_is_no_one() -> None:
    assert split_byline("By Ada Brook, Senior Staff Technologist")[0] == ["Ada Brook"]


@pytest.mark.parametrize("raw", ["J J", "© 2021 Example Fachverlag München", "Das Magazin für Lesben",
                                 "Bayerische Landesanstalt für Wald"])
def test_monograms_copyright_lines_and_organisations_are_not_names(raw: str) -> None:
    assert split_byline(raw)[0] == []


def test_soft_hyphens_inside_names_are_removed() -> None:
    assert split_byline("Von Mat\u00adthi\u00adas Lauerer")[0] == ["Matthias Lauerer"]


def test_lone_words_beside_a_rejected_organisation_are_its_fragments() -> None:
    raw = "Bayerische Landesanstalt für Wald und Forstwirtschaft - LWF"
    assert split_byline(raw)[0] == []
    assert split_byline("Ada Brook - LWF")[0] == ["Ada Brook", "LWF"]


def test_particle_before_a_lower_case_word_is_not_a_surname() -> None:
    assert split_byline("Blog von human")[0] == []
    assert split_byline("Ada von Brook")[0] == ["Ada von Brook"]
    assert split_byline("Mobasir hassan")[0] == ["Mobasir hassan"]


@pytest.mark.parametrize(("raw", "agency"), [("Peter Vogt/SP-X", "SP-X"), ("Ada Brook (KNA)", "KNA"),
                                             ("epd", "epd")])
def test_german_press_services_are_agencies(raw: str, agency: str) -> None:
    names, found = split_byline(raw)
    assert found == agency
    assert agency not in names


@pytest.mark.parametrize("raw", ["Deutscher Handballbund", "Redner bei Hafenstadt", "Bayerische Agentur"])
def test_german_prepositions_and_compound_organisations_are_not_names(raw: str) -> None:
    assert split_byline(raw)[0] == []
