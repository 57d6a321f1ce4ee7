"""Turning a printed byline into person names plus the wire agency, if any.

Bylines arrive polluted: "By", roles, dates, e-mails, handles, photo credits,
biographies and site names. An author facet is only useful when it holds people,
so everything that is not a name is dropped here, once, for every input format;
wire agencies (Reuters, AP, AFP...) are kept apart because they are credits for
the article's origin, not people.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

# Canonical agency name -> spellings met in bylines and datelines (lower case).
WIRE_AGENCIES: dict[str, tuple[str, ...]] = {
    "Reuters": ("reuters", "reuter", "thomson reuters"),
    "AP": ("ap", "associated press", "the associated press"),
    "AFP": ("afp", "agence france-presse", "agence france presse"),
    "dpa": ("dpa", "deutsche presse-agentur"),
    "Bloomberg": ("bloomberg", "bloomberg news"),
    "UPI": ("upi", "united press international"),
    "Xinhua": ("xinhua", "xinhua news agency"),
    "PA": ("pa", "press association", "pa media"),
    "EFE": ("efe",),
    "ANSA": ("ansa",),
    "Kyodo": ("kyodo", "kyodo news"),
    "Yonhap": ("yonhap",),
    "TASS": ("tass",),
    "PTI": ("pti", "press trust of india"),
    "IANS": ("ians",),
    "APA": ("apa",),
    "KNA": ("kna", "katholische nachrichten-agentur"),
    "epd": ("epd", "evangelischer pressedienst"),
    "SP-X": ("sp-x", "spx"),
    "ANP": ("anp",),
    "Belga": ("belga",),
    "Lusa": ("lusa",),
    "Europa Press": ("europa press",),
}
_AGENCY_BY_ALIAS = {alias: name for name, aliases in WIRE_AGENCIES.items() for alias in aliases}

# Words that introduce a byline; the names follow.
_PREFIX = re.compile(
    r"^(?:(?:additional\s+)?(?:written|reporting|reported|posted|words|story|text|compiled|"
    r"published|produced|interview|research|analysis)\s+(?:and\s+\w+\s+)?by|by|"
    r"(?:veröffentlicht|eingestellt|geschrieben|verfasst|erstellt|gepostet)\s+von|von|vom|"
    r"(?:escrito|publicado)\s+por|por|(?:écrit|publié)\s+par|par|door|av|"
    r"(?:author|autor|autorin|auteur|interview|text|texte|texto|reporter)\s*:)(?=[\s:]|$)[\s:]*",
    re.I,
)
# Credits for people who did not write the piece.
_NOT_AUTHORS = re.compile(
    r"^(?:editing|edited|photos?|photographs?|photography|pictures?|images?|illustrations?|graphics?|"
    r"video|design|translated|translation|fact[- ]checked|reviewed)\b.*\bby\b",
    re.I,
)
_ROLE_HEADS = (
    "writer|editor|editors|correspondent|correspondents|reporter|reporters|contributor|columnist|"
    "producer|journalist|analyst|intern|photographer|critic|anchor|host|blogger|author|"
    "bureau chief|chief|director|manager|strategist|staffer|fellow|researcher"
)
_ROLE_MODIFIERS = (
    "senior|chief|staff|contributing|deputy|managing|executive|associate|assistant|political|"
    "foreign|sports?|features?|news|entertainment|business|science|health|technology|tech|culture|"
    "digital|special|national|international|investigative|guest|freelance|white house|legal|"
    "economics?|education|environment(?:al)?|royal|general|lead|local|regional|breaking|trending|"
    "social media|web|online|travel|food|fashion|beauty|style|lifestyle|music|film|tv|opinion|"
    "world|us|u\\.s\\.|metro|city|desk|copy|photo|video|data|editorial|weekend|night|games|gaming|"
    "politics|arts|books|markets|finance|economy|energy|climate|religion|crime|courts|transport|property|"
    "motoring|wine|gardening|family|parenting|media|the|a|an|and|&|of"
)
_ROLE_ONLY = re.compile(
    rf"^(?:(?:{_ROLE_MODIFIERS})\s+)*(?:{_ROLE_HEADS}|staff|team|desk)(?:\s+(?:{_ROLE_HEADS}))*$", re.I
)
_MODIFIERS_ONLY = re.compile(rf"^(?:(?:{_ROLE_MODIFIERS})(?:\s+|$))+$", re.I)
_TRAILING_ROLE = re.compile(
    rf"\s+(?:(?:{_ROLE_MODIFIERS})\s+)+(?:{_ROLE_HEADS})(?:\s+(?:{_ROLE_HEADS}))*$", re.I
)
# "Al-Monitor Staff", "Daily Mail Reporter": one credit for a newsroom, kept whole.
# A piece ending in one of these names a job, not a person ("Washington Correspondent").
_JOB_WORDS = frozenset(
    "writer editor correspondent contributor columnist producer journalist analyst intern "
    "photographer critic anchor blogger author director manager strategist technologist scientist "
    "economist attorney lawyer officer founder specialist consultant coordinator adviser advisor "
    "chefredakteur chefredakteurin redakteur redakteurin korrespondent korrespondentin journalistin "
    "autorin rédacteur rédactrice journaliste periodista redactor redactora corresponsal".split()
)
# Organisations posing as authors ("Abc News", "Mills College").
_ORGANISATION = re.compile(
    r"\b(?:news|media|magazine|press|network|communications|college|university|institute|school|"
    r"inc|llc|ltd|corp|corporation|company|group|foundation|association|agency|times|post|journal|"
    r"herald|tribune|gazette|daily|weekly|radio|television|tv|channel|blog|online|website|newspaper|"
    r"project|program|programme|initiative|center|centre|council|committee|gmbh|ag|e\.\s?v|"
    r"magazin|zeitung|verlag|verband|verein|stiftung|institut|akademie|universität|hochschule|anstalt|"
    r"landesanstalt|ministerium|revue|diario|périodique|agentur|agence|agencia|\w+(?:bund|verband|verein|"
    r"gesellschaft|genossenschaft|kammer))\b\.?$",
    re.I,
)
_STAFF_CREDIT = re.compile(r"\s(?:staff|reporter|team|desk|newsroom|editors|editorial\s+board)$", re.I)

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# Months in the other languages archives often hold (only read next to a day or year).
_OTHER_MONTHS = (
    "januar|februar|märz|maerz|mai|juni|juli|oktober|dezember|janvier|février|fevrier|mars|avril|juin|"
    "juillet|août|aout|septembre|octobre|novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|"
    "julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|"
    "luglio|settembre|ottobre|dicembre"
)
_ANY_MONTH = f"{_MONTHS}|{_OTHER_MONTHS}"
_WEEKDAYS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    "(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun)(?=[.,])"
)
# Dates and clock times as printed in bylines and date lines.
DATE_TEXT = re.compile(
    rf"\b(?:{_WEEKDAYS})\b,?|"
    rf"\b(?:{_ANY_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?(?:{_ANY_MONTH})\.?(?:,?\s+(?:de\s+)?\d{{4}})?\b|"
    rf"\b(?:{_ANY_MONTH})\.?\s+\d{{4}}\b|"
    r"\b\d{4}-\d{1,2}-\d{1,2}(?:[T ][\d:.+-]+Z?)?|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|"
    r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?|uhr|h)?(?:\s*(?:[A-Z]{2,4}T|GMT|UTC|ET|PT))?\b|\b\d{4}\b",
    re.I,
)
_DATE_WORDS = re.compile(rf"^(?:(?:{_MONTHS}|{_WEEKDAYS}|[ap]m|edt|est|cst|cdt|pdt|pst|gmt|utc|bst|cet|at|on|"
                         r"today|yesterday|ago|hours?|minutes?|days?|updated|published|\d+)\W*\s*)+$", re.I)
_UPDATED = re.compile(
    r"\b(?:updated|last\s+updated|published|posted|modified|first\s+published|stand|aktualisiert|"
    r"veröffentlicht|publiziert|zuletzt|geändert|mis\s+à\s+jour|publié\s+le|actualizado|hace|"
    r"publicad[oa](?!\s+por)|tiempo\s+de\s+lectura|"
    r"\d+\s+min(?:ute)?s?\s+read|reading\s+time)\b.*$",
    re.I,
)
# Words a removed date leaves dangling at the end ("Jane Doe am", "Jean Dupont à").
_DANGLING = re.compile(r"(?:(?:^|\s+)(?:am|um|on|at|le|el|il|à|den|der|de|the|-))+$", re.I)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URL = re.compile(r"(?:https?://|www\.)\S*|\b\S+\.(?:com|org|net|co\.uk|de|fr|io|info|gov|edu)\b\S*", re.I)
_HANDLE = re.compile(r"(?<!\w)@\w+")
_SEPARATORS = re.compile(
    r"\s*(?:;|\||•|·|\n|,|&|\(|\)|\s\+\s|\s(?i:and|und)\s|\s(?:et|y|e|og|en)\s|\s[-–—]\s|"
    r"\s(?:with|mit|avec|con)\s+(?=(?:the\s+)?\S+$))\s*"
)
_PAREN_INITIALS = re.compile(r"\s*\((?:[A-Z]\.\s?){1,3}\)(?=\s+\w)")
_LEADING_CONJUNCTION = re.compile(r"^(?:and|und|et|&|with|avec|mit|con)\s+", re.I)
_SPACE = re.compile(r"[\u00a0\u2009\u202f\s]+")
_SUFFIXES = re.compile(r"^(?:jr|sr|ii|iii|iv)\.?$", re.I)
_DEGREES = re.compile(r"^(?:ph\.?\s?d|m\.?d|esq|mba|msc|bsc|rn|dr|ma|ba|ms|mph|np|lcsw|dds|do)\.?$", re.I)
# Fragments that are interface text, social links or picture credits, not people.
_NOISE = re.compile(
    r"\b(?:https?|www|facebook|twitter|instagram|linkedin|youtube|tiktok|pinterest|snapchat|whatsapp|"
    r"reddit|e-?mail|follow|tweet|shares?|subscribe|newsletter|sign\s+up|getty|shutterstock|image|images|"
    r"photo|photos|picture|pictures|splash|guidelines|enter\s+your|trending|top\s+authors|view\s+all|"
    r"more\s+from|comments?|click|read\s+more|advertisement|sponsored|contact|profile|posts|"
    r"agencies|wires?|staff\s+and\s+agencies|unknown|anonymous|admin|null|none|edit|words|"
    r"alle\s+beiträge|all\s+posts|min\s+read)\b",
    re.I,
)
_TRAILING_UI = re.compile(
    r"(?:\s+\d+)?\s+(?:shares?|follow|comments?|tweet|e-?mail|twitter|facebook|instagram|linkedin|"
    r"view\s+(?:all\s+)?(?:posts|articles|stories)|more\s+articles)\b.*$",
    re.I,
)
# Function words never found inside a name: their presence marks a sentence or a title.
_FUNCTION_WORDS = frozenset(
    "of the to an for with on at is are was were who where when her his she you your our my their "
    "this that from about its has have had by in as or not what how why which into "
    "related across over für pour para per mit zum zur vom beim über unter dein deine deinen unser unsere "
    "euer eure mein meine bei aus nach seit durch gegen ohne".split()
)
_PARTICLES = frozenset("de da di del della der den van von le la du dos das al el bin ibn ben y e st st.".split())
# "Jane Doe is a features writer...", "Jane Doe covers Congress": a biography after the name.
_BIO = re.compile(
    r"^(.+?)\s+(?:(?:is|was|has been|has)\s+(?:a|an|the)\b|(?:writes|wrote|covers|covered|reports|reported|"
    r"joined|previously|worked|works|lives)\b)",
    re.I,
)
# A sentence break inside a credit ("Moscow Bureau. He Previously Worked") is prose, not a name.
_SENTENCE_BREAK = re.compile(r"[a-z]{3,}\.\s+\S")
_HONORIFIC = re.compile(
    r"^(?:(?:united\s+states|u\.s\.|us)\s+)?(?:senator|sen\.|rep\.|representative|president|governor|gov\.|"
    r"dr\.?|prof\.?|professor|mr\.?|mrs\.?|ms\.?|sir|dame)\s+(?=\S+\s+\S)",
    re.I,
)
_COPYRIGHT = re.compile(r"^\s*(?:©|\(c\)|copyright\b)", re.I)
_TRUNCATED = re.compile(r"(?:\.\.\.|…)$")
_MAX_WORDS = 6
_LONG_CREDIT_WORDS = 3
_LINK = "\x00"


def agency_name(text: str) -> str:
    """The canonical wire agency a short credit names ("The Associated Press" -> "AP"), or ""."""
    key = re.sub(r"\s+", " ", text.strip().strip(".,:;()[]").lower())
    return _AGENCY_BY_ALIAS.get(key, "")


def strip_byline_prefix(raw: str) -> str:
    """The byline as printed, minus a leading "By"/"Written by" and surrounding space."""
    text = re.sub(r"\s+", " ", raw or "").strip()
    return _PREFIX.sub("", text, count=1).strip()


def split_byline(raw: str) -> tuple[list[str], str]:
    """Person names and the wire agency ("" if none) found in one printed byline."""
    return clean_names([raw] if isinstance(raw, str) else [])


def clean_names(items: Iterable[str], *, fragments: bool = False) -> tuple[list[str], str]:
    """Names and agencies from several credits (e.g. an exported `authors` list).

    With `fragments`, the items are pieces a tool cut out of one byline: lone words
    ("Image", "Health") are then dropped whenever real multi-word names are present.
    """
    names: list[str] = []
    agencies: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        found: list[str] = []
        long_rejected = False
        for piece in _pieces(item):
            agency = _agency_of(piece)
            if agency:
                agencies.append(agency)
                continue
            piece, agency = _split_trailing_agency(piece)
            if agency:
                agencies.append(agency)
            name = _clean_piece(piece)
            if name:
                found.append(name)
            elif len(piece.split()) >= _LONG_CREDIT_WORDS:
                long_rejected = True
        if long_rejected:
            # "Landesanstalt für Wald und Forstwirtschaft - LWF": lone words beside a rejected
            # organisation or sentence are fragments of it, not people.
            found = [n for n in found if " " in n]
        names.extend(found)
    if fragments and any(" " in n for n in names):
        names = [n for n in names if " " in n or n.isupper()]
    if any(not _STAFF_CREDIT.search(n) for n in names):
        # "Jane Doe - Chrome Security team": a newsroom credit beside people is their affiliation.
        names = [n for n in names if not _STAFF_CREDIT.search(n)]
    return _dedupe(names), ", ".join(_dedupe(agencies))


def _pieces(raw: str) -> list[str]:
    # Links become a marker so a piece that was only a link can be dropped whole.
    if _COPYRIGHT.match(raw):
        return []  # "© 2021 Example Verlag": the rights holder, not the writer
    text = _PAREN_INITIALS.sub(" ", raw.replace("\u00ad", ""))  # "Richard (R.J.) Eskow"; soft hyphens
    text = _EMAIL.sub(_LINK, text)
    text = _URL.sub(_LINK, text)
    text = _HANDLE.sub(_LINK, text)
    pieces: list[str] = []
    for part in _SEPARATORS.split(text):
        part = _SPACE.sub(" ", part or "").strip()
        if not part or _NOT_AUTHORS.match(part):
            continue
        part = _LEADING_CONJUNCTION.sub("", part)  # the Oxford comma's "and"
        part = _PREFIX.sub("", part, count=1).strip()
        part = _UPDATED.sub("", part).strip()
        if pieces and _SUFFIXES.match(part):
            pieces[-1] = f"{pieces[-1]} {part}"
        elif part and not _DEGREES.match(part):
            pieces.extend(p for p in _split_slash(part) if p)
    return pieces


def _split_slash(part: str) -> list[str]:
    """ "dpa/lno", "Jane Doe/AFP": slashes join credits, unless part of a date.

    Beside an agency, a short lower-case piece is an editor's initials, not a name.
    """
    if "/" not in part or re.search(r"\d/\d", part):
        return [part]
    pieces = [p.strip() for p in part.split("/")]
    if any(agency_name(p) for p in pieces):
        pieces = [p for p in pieces if agency_name(p) or not (p.islower() and len(p) <= 3)]
    return pieces


def _agency_of(piece: str) -> str:
    text = re.sub(r"^\(|\)$", "", piece.strip())
    found = agency_name(text)
    if found:
        return found
    # "(Reuters)", "Reuters staff", "AP Photo" are credits of an agency, not names.
    match = re.match(r"^(.+?)\s+(?:staff|newsroom|desk|news\s+service|wire)$", text, re.I)
    return agency_name(match.group(1)) if match else ""


def _split_trailing_agency(piece: str) -> tuple[str, str]:
    """ "Brad Schade Reuters" -> ("Brad Schade", "Reuters"); a lone "Michael Bloomberg" stays."""
    words = piece.split()
    for size in (3, 2, 1):
        if len(words) - size >= 2:
            agency = agency_name(" ".join(words[-size:]))
            if agency:
                return " ".join(words[:-size]), agency
    return piece, ""


def _clean_piece(piece: str) -> str:
    """One credit reduced to a person's (or newsroom's) name, or "" when it names nobody."""
    had_link = _LINK in piece
    if _TRUNCATED.search(piece.strip()):
        return ""  # "Kathleen Newman-B...": a cut-off name would never match the real one
    text = _strip_dates_and_widgets(piece.replace(_LINK, " "))
    if not re.search(r"[^\W\d_]", text) or _DATE_WORDS.match(text) or _NOISE.search(text):
        return ""
    staff_credit = bool(_STAFF_CREDIT.search(text))
    text = _strip_context(text, staff_credit)
    words = text.split()
    if not words or len(words) > _MAX_WORDS or (had_link and len(words) < 2):
        return ""
    if not staff_credit and any(w.lower().strip(".,") in _FUNCTION_WORDS for w in words):
        return ""
    if len(words) > 1 and text.islower() and len(words) <= 3:
        return _restore_case(text.title())  # "keith grant": a name typed in lower case
    if sum(w[0].islower() and w.lower() not in _PARTICLES for w in words) >= 2:
        return ""
    if any(w.lower() in _PARTICLES and nxt[0].islower() and nxt.lower() not in _PARTICLES
           for w, nxt in zip(words[1:], words[2:])):
        return ""  # "Blog von human": a particle inside a name comes before a capitalised surname
    if len(words) > 1 and all(len(w.strip(".")) <= 1 for w in words):
        return ""  # "J J": initials alone are a monogram, not a name
    return _title_case_if_shouting(text)


def _strip_dates_and_widgets(text: str) -> str:
    text = DATE_TEXT.sub(" ", text)
    text = re.sub(r"(?<![\w.])\d+(?![\w.])", " ", text)  # counters left by widgets ("651", "11")
    text = re.sub(r"\s+", " ", text).strip(" \t,;:-–—|()[]\"'“”").lstrip(".")
    text = _DANGLING.sub("", text)
    if not re.search(r"(?:\b(?:Jr|Sr)|\b[A-Z])\.$", text):
        text = text.rstrip(".")
    trimmed = _TRAILING_UI.sub("", text)
    if trimmed != text and len(trimmed.split()) >= 2:
        text = trimmed  # "Jane Doe Follow on Twitter", "Jane Doe 12 Shares"
    return text


def _strip_context(text: str, staff_credit: bool) -> str:
    """The name without biography, honorific, outlet, place or job title ("" if only those)."""
    bio = _BIO.match(text)
    if bio and len(bio.group(1).split()) >= 2:
        text = bio.group(1)
    if _SENTENCE_BREAK.search(text):
        return ""
    text = _HONORIFIC.sub("", text)
    # "Jane Doe for The Times", "Jane Doe in Baghdad", a dangling "for" left by a link.
    text = re.sub(r"^(\S+\s+\S+?.*?)\s+(?:for|in|at)(?:\s+(?:the\s+)?[A-Z].*)?$", r"\1", text, flags=re.I)
    if _ROLE_ONLY.match(text):
        return ""
    if staff_credit:
        return text
    text = _TRAILING_ROLE.sub("", text).strip()
    if _ORGANISATION.search(text):
        return ""
    head, _, last = text.rpartition(" ")
    if last.lower() in _JOB_WORDS:
        # "Christoph Hein Chefredakteur" keeps the name; "Washington Correspondent" is no one.
        # "Senior Staff Technologist" leaves only role modifiers: no one either.
        return head if len(head.split()) >= 2 and not _MODIFIERS_ONLY.match(head) else ""
    return text


def _title_case_if_shouting(name: str) -> str:
    """ "JANE DOE" -> "Jane Doe"; short all-caps tokens ("LD", "BBAW") stay initials."""
    letters = [c for c in name if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters):
        return name
    if " " not in name and len(letters) <= 4:
        return name
    return _restore_case(name.title())


def _restore_case(titled: str) -> str:
    return re.sub(r"(?<=\w)'S\b", "'s", titled)


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out
