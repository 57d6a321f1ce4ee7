"""HTML page -> Article through an ordered cascade, most reliable source first.

For each field: JSON-LD, then OpenGraph/article:* and other <meta> names, then
microdata, then the DOM (h1, bylines, <time>, breadcrumbs), then the URL and the
visible text. Every step returns nothing on a miss; the first hit wins. All
selectors, names and patterns are data in rules.py.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable
from html import unescape
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newsearch.errors import ParseError
from newsearch.models import Article
from newsearch.parse import rules
from newsearch.parse.authors import split_byline
from newsearch.parse.body import extract_body
from newsearch.parse.encoding import decode
from newsearch.parse.pages import PageSignals, text_words
from newsearch.parse.meta import (
    MetaTags, Microdata, article_object, clean, json_ld_objects, meta_tags, names_of, strings_of,
    text_of, types_of, visible_text,
)
from newsearch.parse.dates import (
    DEFAULT_EARLIEST, date_from_url, dates_in_text, implausible, latest_plausible, parse_date, read_date,
)

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_LOOKS_LIKE_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|meta|title|div|p|article|span|table|a|h[1-6]|br|"
                                r"section|main|script|link|ul|img|font|center)\b", re.I)
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1a]")
_SNIFF_CHARS = 4096


def parse_html(
    data: bytes | str,
    *,
    path: str = "",
    url: str | None = None,
    earliest: datetime | None = DEFAULT_EARLIEST,
    latest: datetime | None = None,
    fetched: datetime | None = None,
    charset: str | None = None,
) -> Article:
    """One HTML page as an Article; ParseError when it is not HTML or holds nothing to index.

    Dates before `earliest` or after `latest` (by default two days after `fetched`, the
    capture time when known, else now) are dropped with a warning. A page with metadata
    but no article text (a script-rendered page) is kept with a warning. `charset` is the
    one HTTP declared, which beats the page's own (after a byte-order mark).
    Never raises anything but ParseError, whatever the input.
    """
    return read_page(data, path=path, url=url, earliest=earliest, latest=latest, fetched=fetched,
                     charset=charset, measure_links=False)[0]


def read_page(
    data: bytes | str,
    *,
    path: str = "",
    url: str | None = None,
    earliest: datetime | None = DEFAULT_EARLIEST,
    latest: datetime | None = None,
    fetched: datetime | None = None,
    charset: str | None = None,
    measure_links: bool = True,
) -> tuple[Article, PageSignals]:
    """parse_html, with what the page says of its own kind (for pages.not_an_article);
    `measure_links=False` saves the walk over the page that measures its link text."""
    if latest is None:
        latest = latest_plausible(fetched)
    try:
        text = data if isinstance(data, str) else decode(data, declared=charset, sniff_markup=True)
    except Exception as exc:  # decode is meant never to fail; stay safe regardless
        raise ParseError(path, f"undecodable input: {exc}") from exc
    head = text[:_SNIFF_CHARS]
    if len(_BINARY.findall(head)) > 8 or not _LOOKS_LIKE_MARKUP.search(text[:65536]):
        raise ParseError(path, "not HTML")
    try:
        root = _tree(text)
        article, signals = _extract(root, path=path, url=url, earliest=earliest, latest=latest,
                                    measure_links=measure_links)
    except ParseError:
        raise
    except Exception as exc:  # lxml, recursion, anything: one bad page must not stop a run
        raise ParseError(path, f"HTML extraction failed: {type(exc).__name__}: {exc}") from exc
    if not (article.body or article.title or article.date or article.authors):
        raise ParseError(path, "no extractable text")
    return article, signals


def _tree(text: str) -> etree._Element:
    text = _XML_DECLARATION.sub("", text.replace("\x00", ""), count=1)
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True)
    root = etree.fromstring(text, parser=parser)
    if root is None:
        raise ParseError("", "empty document")
    return root


def _extract(
    root: etree._Element, *, path: str, url: str | None, earliest: datetime | None, latest: datetime | None,
    measure_links: bool = True,
) -> tuple[Article, PageSignals]:
    objects = json_ld_objects(root)
    story = article_object(objects) or {}
    links = _link_share(root) if measure_links else 0.0  # before the body is cut out of the tree
    meta = meta_tags(root)
    micro = Microdata(root)
    classed = _classed(root)
    canonical = _canonical_url(root, meta, story, url)
    site = _site_name(meta, objects, story)
    title = _title(root, meta, micro, story, site, canonical or url or "")
    byline, authors, agency = _authors(root, meta, micro, story, objects, site, canonical or url or "", classed)
    language = _language(root, meta, story)
    reader = _DateReader((earliest, latest))
    date = _date(root, meta, micro, objects, story, urls=(url or "", canonical or ""), language=language,
                 reader=reader, classed=classed)
    section = _section(root, meta, micro, story, canonical or url or "", site=site, title=title, classed=classed)
    summary = clean(strings_of(story.get("description"))[0] if strings_of(story.get("description")) else "") \
        or meta.first(rules.META_DESCRIPTION)
    tags = _tags(meta, story)
    body = extract_body(root, title=title)
    notes = [f"date {value!r} rejected as implausible ({reason})" for value, reason in reader.rejected.items()]
    if not body and (title or date or authors):
        # A script-rendered page: its text is not in the HTML, its metadata is. Keep what there is.
        notes.append("no article text in the HTML (a script-rendered page?): indexed from its metadata")
        title = title or summary or _raw_title(root)
    article = Article(
        title=title, body=body, url=canonical, summary=summary, byline=byline, authors=tuple(authors),
        section=section, date=date, source=site, agency=agency, language=language, tags=tuple(tags),
        path=path, warnings=tuple(notes), dates_rejected=len(reader.rejected),
    )
    types = frozenset().union(*(types_of(obj) for obj in objects)) if objects else frozenset()
    headline = bool(story.get("headline")) or bool(meta.first(rules.META_HEADLINE)) or root.find(".//h1") is not None
    return article, PageSignals(url=url or canonical or "", types=types, og_type=meta.first(("og:type",)),
                                headline=headline, dated=date is not None, text_words=text_words(body),
                                link_share=links)


def _link_share(root: etree._Element) -> float:
    """The share of the page's visible words that are link text (high on fronts and listings)."""
    visible = len(visible_text(root).split())
    linked = sum(len(" ".join(a.itertext()).split()) for a in root.iter("a"))
    return round(min(1.0, linked / visible), 3) if visible else 0.0


def _raw_title(root: etree._Element) -> str:
    """The <title> as written, for a page whose headline could not be told from its site name."""
    element = root.find(".//title")
    return text_of(element) if element is not None else ""


# ---------------------------------------------------------------- url, site, language, tags

def _canonical_url(root: etree._Element, meta: MetaTags, story: dict, url: str | None) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return _absolute(link.get("href"), url)
    found = meta.first(rules.META_URL) or clean(story.get("url") if isinstance(story.get("url"), str) else "")
    if found:
        return _absolute(found, url)
    return url


def _absolute(href: str, base: str | None) -> str | None:
    href = href.strip()
    if href.startswith(("http://", "https://")):
        return href
    if base and base.startswith(("http://", "https://")):
        return urljoin(base, href)
    return base or None


def _site_name(meta: MetaTags, objects: list[dict], story: dict) -> str:
    found = meta.first(rules.META_SITE)
    if found:
        return found
    publisher = story.get("publisher")
    names = names_of(publisher) if publisher else []
    if names:
        return names[0]
    for obj in objects:
        if types_of(obj) & {"website", "newsmediaorganization", "organization"} and obj.get("name"):
            return clean(obj.get("name"))
    return ""


def _language(root: etree._Element, meta: MetaTags, story: dict) -> str:
    candidates = [root.get("lang"), root.get("xml:lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += strings_of(story.get("inLanguage"))
    candidates += [meta.first(rules.META_LANGUAGE)]
    for value in candidates:
        code = re.split(r"[-_]", (value or "").strip().lower())[0]
        if 2 <= len(code) <= 3 and code.isalpha():
            return code
    return ""


def _tags(meta: MetaTags, story: dict) -> list[str]:
    values = strings_of(story.get("keywords")) or meta.all(rules.META_TAGS)
    tags: list[str] = []
    seen: set[str] = set()
    for value in values:
        for part in re.split(r"[,;]", value):
            part = clean(part)
            if part and len(part) <= 60 and part.casefold() not in seen:
                seen.add(part.casefold())
                tags.append(part)
    return tags[:30]


# ---------------------------------------------------------------- title

def _h1(root: etree._Element) -> tuple[str, bool]:
    """The headline element's text, and whether it is trustworthy (alone or inside the article)."""
    texts = [_headline_text(e) for e in root.iter("h1")]
    texts = [t for t in texts if t]
    for scope in (".//article//h1", ".//main//h1", "//*[@itemprop='headline']"):
        for element in root.iterfind(scope) if not scope.startswith("//") else root.xpath(scope):
            text = _headline_text(element)
            if text and element.tag == "h1":
                return text, True
    if texts:
        return texts[0], len(texts) == 1
    return "", False


def _headline_text(element: etree._Element) -> str:
    """An <h1>'s text without the kicker line some sites print inside it."""
    kickers = [e for e in element.iter() if e is not element and isinstance(e.tag, str)
               and _hint(rules.KICKER_HINTS, f"{e.get('class') or ''} {e.get('id') or ''}")]
    if not kickers:
        return text_of(element)
    skip = {id(k) for k in kickers}
    parts = [element.text or ""]
    for child in element.iter():
        if child is element:
            continue
        if id(child) in skip or any(id(a) in skip for a in child.iterancestors()):
            if id(child) in skip:
                parts.append(child.tail or "")
            continue
        parts.append(child.text or "")
        parts.append(child.tail or "")
    return clean(" ".join(parts))


def _title(root: etree._Element, meta: MetaTags, micro: Microdata, story: dict, site: str, url: str) -> str:
    page_title = ""
    title_element = root.find(".//title")
    if title_element is not None:
        page_title = text_of(title_element)
    headline = clean(strings_of(story.get("headline"))[0]) if strings_of(story.get("headline")) else ""
    h1, trusted = _h1(root)
    if headline and trusted and page_title and _overlap(headline, page_title) < rules.TITLE_HEADLINE_MIN_OVERLAP \
            and _overlap(h1, page_title) >= rules.TITLE_H1_AGREEMENT:
        headline = ""  # a JSON-LD "headline" unlike both <title> and <h1> describes something else
    candidates = [headline, meta.first(rules.META_TITLE), *micro.values(("headline",))]
    return clean_title(candidates=[unescape(c) for c in candidates if c], h1=h1 if trusted else "",
                       page_title=page_title, site=site, url=url)


# ---------------------------------------------------------------- authors

def _byline_elements(root: etree._Element, classed: list[tuple[etree._Element, str]]) -> list[list[str]]:
    """Candidate bylines from the DOM, best first: rel=author links, then byline-like
    containers, then short lines that read "By Jane Doe"."""
    candidates: list[list[str]] = []
    linked = [a for a in root.iterfind(".//a[@rel]") if "author" in (a.get("rel") or "").lower().split()]
    if linked:
        # Several authors of one story sit side by side; links elsewhere name other stories' authors.
        parent = linked[0].getparent()
        texts_ = [t for t in (text_of(a) for a in linked if a.getparent() is parent) if t]
        candidates.append(_one_story(texts_)[: rules.BYLINE_MAX_NAMES])
    texts: list[str] = []
    for element, attrs in classed:
        if element.tag in _NOT_BYLINE_TAGS:
            continue
        if element.tag in rules.BYLINE_TAGS or (
            _hint(rules.BYLINE_HINTS, attrs) and not _hint(rules.BYLINE_EXCLUDE, attrs)
        ):
            text = text_of(element)
            if text and len(text) <= rules.BYLINE_MAX_CHARS and text not in texts:
                texts.append(text)
    for tag in rules.BYLINE_TAGS:
        for element in root.iter(tag):
            text = text_of(element)
            if text and len(text) <= rules.BYLINE_MAX_CHARS and text not in texts:
                texts.append(text)
    lines: list[str] = []
    for element in root.iter():
        text = element.text
        if not text or text.lstrip(_LEADING)[:1].lower() not in rules.BYLINE_FIRST_LETTERS or \
                len(lines) >= rules.BYLINE_MAX_NAMES or not isinstance(element.tag, str) or \
                element.tag in _NOT_BYLINE_TAGS or not rules.BYLINE_START.match(text):
            continue
        text = text_of(element)
        if rules.BYLINE_LABEL_ONLY.match(text):
            # "<b>Text:</b> Jane Doe", "<h5>Autor:</h5> Jane Doe": the name follows the label, in the
            # label's tail or, past line breaks, in the text of the element holding both.
            text = _after_label(element, text)
        elif element.tag in rules.HEADINGS:
            continue
        line = rules.BYLINE_LINE.match(text)
        rest = _trim_byline(text[line.end() - 1:]) if line else ""
        first = rules.BYLINE_CREDIT_END.split(rest, maxsplit=1)[0]
        if len(first.split()) >= 2:
            rest = first  # "Jane Doe (guest post), speaker at ...": a role may follow a full name in prose
        # One lower-case word is a user name ("Verfasst von: mitundvoneinander"); several make a sentence.
        if line and len(_trim_byline(text)) <= rules.BYLINE_LINE_MAX_CHARS and \
                (" " not in rest or not rules.NOT_A_NAME_LINE.search(" " + rest)):
            lines.append(text)
    candidates.extend([t] for t in texts[: rules.BYLINE_MAX_CANDIDATES])
    candidates.extend([t] for t in lines)
    return candidates


def _after_label(element: etree._Element, label: str) -> str:
    """A byline label element's text joined with the name printed after it, if any."""
    tail = clean(element.tail)
    if tail:
        return clean(f"{label} {tail}")
    parent = element.getparent()
    if parent is not None and parent.tag not in _NOT_BYLINE_TAGS:
        whole = text_of(parent)
        if whole.startswith(label) and len(whole) <= rules.BYLINE_MAX_CHARS:
            return whole
    return label


def _one_story(credits: list[str]) -> list[str]:
    """Author credits that each say "By ...": bylines of several stories on one page, the first is the page's."""
    if len(credits) > 1 and all(rules.BYLINE_START.match(c) for c in credits):
        return credits[:1]
    return credits


_LEADING = " \t\r\n\f\v\xa0-–—"
# Elements that hold a whole story or page: their class names describe the story, not a label.
_CONTAINER_TAGS = frozenset({"html", "body", "article", "main"})
_NOT_BYLINE_TAGS = frozenset({"html", "body", "meta", "link", "script", "style", "img", "head", "title"})


def _classed(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Elements with a class or id, with that text: the hints of bylines, dates and sections."""
    return [(e, f"{e.get('class') or ''}|{e.get('id') or ''}") for e in root.xpath("//*[@class or @id]")
            if isinstance(e.tag, str)]


def _trim_byline(raw: str) -> str:
    """Drop what pages print around a byline: labels, dates and times, reading times."""
    text = rules.BYLINE_DATES.sub(" ", clean(raw))
    text = clean(text).strip(" ,;|-–—:")
    label = rules.BYLINE_LABEL.match(text)
    if label:
        text = text[label.end():]
    cut = rules.BYLINE_TAIL.search(text)
    if cut and cut.start() > 0:
        text = text[: cut.start()]
    return text.strip(" ,;|-–—:")


def _weak_name(name: str, keys: set[str]) -> bool:
    """The site's own name, a login ("robert.stitz") or interface text: used only when nothing better."""
    if _is_site(name, keys) or rules.BYLINE_NOISE.search(name):
        return True
    return " " not in name and (bool(re.search(r"[._\d]", name)) or name.islower())


def _login_to_name(name: str) -> str:
    """ "robert.stitz" -> "Robert Stitz": a login made of a first and a last name."""
    login = rules.LOGIN_NAME.match(name)
    return f"{login.group(1).title()} {login.group(2).title()}" if login else name


def _authors(
    root: etree._Element, meta: MetaTags, micro: Microdata, story: dict, objects: list[dict], site: str, url: str,
    classed: list[tuple[etree._Element, str]],
) -> tuple[str, list[str], str]:
    """(raw byline, person names, agency) from the first source that yields a name.

    A name that is the site's or the publisher's own is kept only when no source
    names anyone else.
    """
    sources: list[list[str]] = []
    if story.get("author") or story.get("creator"):
        sources.append(names_of(story.get("author") or story.get("creator"), objects=objects))
    for name, value in meta.each(rules.META_AUTHOR):
        if value.startswith(("http://", "https://", "www.")) or name == "twitter:creator" and value.startswith("@"):
            continue
        sources.append([value])
    sources.extend([value] for value in meta.labelled(rules.META_AUTHOR_LABEL))
    props = _one_story(micro.values(rules.ITEMPROP_AUTHOR))
    if props:
        sources.append(props[: rules.BYLINE_MAX_NAMES])
    sources.extend(_byline_elements(root, classed))
    publishers = names_of(story.get("publisher"), objects=objects) + [
        p for p in meta.all(rules.META_PUBLISHER) if not p.startswith(("http://", "https://", "www."))]
    keys = _site_keys(site, url) | {_key(n) for n in publishers}
    fallback: tuple[str, list[str], str] | None = None
    for raws in sources:
        names: list[str] = []
        agencies: list[str] = []
        for raw in raws:
            people, agency = split_byline(_trim_byline(raw))
            names.extend(n for n in people if n not in names)
            if agency:
                agencies.append(agency)
        people = [n for n in names if not _weak_name(n, keys)]
        found = ("; ".join(raws), people, ", ".join(dict.fromkeys(agencies)))
        if people or agencies:
            return found
        names = [_login_to_name(n) for n in names if not rules.BYLINE_NOISE.search(n)]
        if names and fallback is None:
            fallback = ("; ".join(raws), names, "")
    if fallback is None:
        # An organisation the structured data names as author, unless it is the site itself.
        credits = [n for n in _organisation_authors(story.get("author"), objects) if not _is_site(n, keys)]
        if credits:
            fallback = ("; ".join(credits), credits, "")
    return fallback or _script_author(root) or _signature(root) or _author_box(classed) \
        or _copyright_holder(root, classed)


def _script_author(root: etree._Element) -> tuple[str, list[str], str] | None:
    """Page state that scripts carry ("authors": "Jane Doe"), when it holds a full name."""
    for script in root.iter("script"):
        match = rules.SCRIPT_AUTHOR.search(script.text or "")
        if match:
            people, _ = split_byline(match.group(1))
            people = [p for p in people if " " in p]
            if people:
                return match.group(1), people, ""
    return None


def _signature(root: etree._Element) -> tuple[str, list[str], str] | None:
    """The name that signs the text: the last paragraph, emphasised and holding nothing but a full name."""
    paragraphs = list(root.iter("p"))
    for paragraph in reversed(paragraphs[-rules.SIGNATURE_LAST_PARAGRAPHS:]):
        text = text_of(paragraph)
        if not text or len(text) > rules.SIGNATURE_MAX_CHARS:
            continue
        emphasised = [e for e in paragraph.iter(*rules.SIGNATURE_TAGS) if text_of(e) == text]
        people, agency = split_byline(text)
        if emphasised and not agency and len(people) == 1 and people[0] == text and " " in text:
            return text, people, ""
    return None


def _author_box(classed: list[tuple[etree._Element, str]]) -> tuple[str, list[str], str] | None:
    """The box about the author below a story: its heading names the author."""
    for element, attrs in classed:
        if not _hint(rules.AUTHOR_BOX_HINTS, attrs):
            continue
        for heading in element.iter(*rules.AUTHOR_BOX_NAME_TAGS):
            text = text_of(heading)
            people, agency = split_byline(text) if len(text) <= rules.SIGNATURE_MAX_CHARS else ([], "")
            if len(people) == 1 and people[0] == text and " " in text and not agency:
                return text, people, ""
            break
    return None


def _organisation_authors(value: object, objects: list[dict]) -> list[str]:
    """Names of the JSON-LD author objects typed as organisations, kept whole."""
    items = value if isinstance(value, list) else [value]
    orgs = [i for i in items if isinstance(i, dict) and types_of(i) & rules.ORGANISATION_TYPES]
    return names_of(orgs, objects=objects)


def _copyright_holder(
    root: etree._Element, classed: list[tuple[etree._Element, str]]
) -> tuple[str, list[str], str]:
    """Last resort for personal sites: the holder named in the footer's copyright line."""
    footers = [e for e, attrs in classed if _hint(rules.COPYRIGHT_HINTS, attrs)] + list(root.iter("footer"))
    # A paragraph of its own that is only a dated copyright line ("© 2019 Jane Doe") signs the text.
    footers += [p for p in root.iter("p") if rules.COPYRIGHT_PARAGRAPH.match(text_of(p))]
    for element in footers:
        text = text_of(element)
        match = rules.COPYRIGHT_LINE.search(text[: rules.COPYRIGHT_MAX_CHARS])
        if not match:
            continue
        people, _ = split_byline(match.group(1))
        if len(people) == 1 and " " in people[0]:
            return match.group(0).strip(), people, ""
    return "", [], ""


def _hint(pattern: re.Pattern[str], attrs: str) -> bool:
    """Whether "class|id" text matches a hint pattern.

    Class names repeat across elements and pages, ids rarely, so each half is
    cached on its own.
    """
    klass, _, ident = attrs.partition("|")
    return _hint_part(pattern, klass) or (bool(ident) and _hint_part(pattern, ident))


@lru_cache(maxsize=16384)
def _hint_part(pattern: re.Pattern[str], text: str) -> bool:
    return bool(text) and pattern.search(text) is not None


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


# ---------------------------------------------------------------- section

def _section(
    root: etree._Element, meta: MetaTags, micro: Microdata, story: dict, url: str, *, site: str, title: str,
    classed: list[tuple[etree._Element, str]],
) -> str:
    """The section: structured data, category links, breadcrumbs, category labels, the URL."""
    keys = _site_keys(site, url)

    def usable(values: list[str]) -> tuple[str, bool]:
        parts = [clean(p) for v in values for p in re.split(r"[,;|]", v)]
        parts = [p for p in parts if p and len(p) <= rules.SECTION_MAX_CHARS and not _is_site(p, keys)
                 and not rules.BOILERPLATE_TEXT.match(p) and _key(p) != _key(title)]
        specific = [p for p in parts if p.casefold() not in rules.GENERIC_SECTIONS]
        return (specific or parts or [""])[0], bool(specific)

    def category_links() -> list[str]:
        return [text_of(a) for a in root.iterfind(".//a[@rel]")
                if "category" in (a.get("rel") or "").lower().split()]

    # Each source is read only when the ones before it name no section. A source naming only
    # generic labels ("Uncategorized", "Blog") yields to a later, specific one.
    generic = ""
    for source in (
        lambda: strings_of(story.get("articleSection")),
        lambda: meta.all(rules.META_SECTION),
        lambda: meta.labelled(rules.META_SECTION_LABEL),
        lambda: micro.values(rules.ITEMPROP_SECTION),
        category_links,
        lambda: _breadcrumb(root, classed),
        lambda: _category_labels(classed),
        lambda: _url_sections(url),
    ):
        found, specific = usable(source())
        if specific:
            return found
        generic = generic or found
    return generic


def _category_labels(classed: list[tuple[etree._Element, str]]) -> list[str]:
    """The label of a small element whose class says "category" (not a whole post classed by it)."""
    for element, attrs in classed:
        if element.tag in _CONTAINER_TAGS:
            # WordPress classes a whole post "category-harbour-news": the slug names its category.
            slug = rules.CATEGORY_CLASS.search(attrs.partition("|")[0])
            if slug and slug.group(1).casefold() not in rules.GENERIC_SECTIONS:
                return [slug.group(1).replace("-", " ")]
            continue
        if _hint(rules.CATEGORY_HINTS, attrs):
            link = element.find(".//a")
            text = text_of(link if link is not None else element)
            if text and not re.search(r"\d{3}", text):
                return [text]
    return []


def _url_sections(url: str) -> list[str]:
    """The first folder of the URL path when it is a word ("/politics/2020/..." -> "politics")."""
    if not url.startswith(("http://", "https://")):
        return []
    folders = [p for p in urlsplit(url).path.split("/") if p][:-1]
    if folders and rules.URL_SECTION.match(folders[0]) and folders[0].casefold() not in rules.GENERIC_URL_FOLDERS:
        return [folders[0]]
    return []


def _breadcrumb(root: etree._Element, classed: list[tuple[etree._Element, str]]) -> list[str]:
    """The most specific level of a breadcrumb trail (its last link), if the page has one."""
    labelled = [(e, e.get("aria-label") or "") for e in root.xpath("//*[@aria-label]")]
    for element, attrs in classed + labelled:
        if not _hint(rules.BREADCRUMB_HINTS, attrs):
            continue
        items = [text_of(a) for a in element.iter("a")]
        items = [t for t in items if t and t.casefold() not in rules.HOME_WORDS and len(t) <= rules.SECTION_MAX_CHARS]
        if items:
            return [items[rules.BREADCRUMB_LEVEL if len(items) > abs(rules.BREADCRUMB_LEVEL) else 0]]
    return []


# ---------------------------------------------------------------- title cleaning

def clean_title(*, candidates: list[str], h1: str, page_title: str, site: str, url: str) -> str:
    """The headline: the page's own <h1> when the metadata agrees with it, else the
    structured title, else <title>, minus site names either way."""
    keys = _site_keys(site, url)
    candidates = [c for c in candidates if _key(c) not in keys and c.casefold() not in rules.GENERIC_TITLES]
    reference = next(iter(candidates), "") or page_title
    if h1 and not _is_site(h1, keys) and h1.casefold() not in rules.GENERIC_TITLES and (
        _overlap(h1, reference) >= rules.TITLE_H1_AGREEMENT or _is_site(reference, keys) or not reference
    ):
        return h1
    for candidate in candidates:
        cleaned = _strip_site(candidate, site=site, url=url, h1=h1, aggressive=False)
        if cleaned:
            return cleaned
    if page_title:
        cleaned = _strip_site(page_title, site=site, url=url, h1=h1, aggressive=True)
        if cleaned:
            return cleaned
    return h1


def _overlap(part: str, whole: str) -> float:
    """Share of the words of `part` that also occur in `whole`."""
    words = re.findall(r"\w+", part.casefold())
    pool = set(re.findall(r"\w+", whole.casefold()))
    return sum(w in pool for w in words) / len(words) if words else 0.0


def _site_keys(site: str, url: str) -> set[str]:
    keys = {_key(site)} if site else set()
    host = urlsplit(url).hostname or "" if url.startswith(("http://", "https://")) else ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    if len(labels) >= 2:
        keys.add(_key(labels[-2]))
        keys.add(_key(".".join(labels[-2:])))
    return {k for k in keys if len(k) >= 2}


def _is_site(part: str, keys: set[str]) -> bool:
    key = _key(part)
    return bool(key) and any(key == k or (len(key) >= 4 and (key in k or k in key)) for k in keys)


def _strip_site(title: str, *, site: str, url: str, h1: str, aggressive: bool) -> str:
    title = clean(title)
    if not title or (h1 and _key(h1) == _key(title)):
        return title
    spans = [m.span() for m in rules.TITLE_SEPARATORS.finditer(title)]
    if not spans:
        return title
    bounds = [0] + [e for _, e in spans]
    ends = [s for s, _ in spans] + [len(title)]
    parts = [title[b:e] for b, e in zip(bounds, ends)]
    while len(parts) > 1 and rules.DATE_LINE.match(parts[-1]):  # "Headline : 31.10.2023, 10.19 Uhr"
        parts.pop()
        bounds.pop()
        ends.pop()
        spans.pop()
        title = title[: ends[-1]]
    # The h1 repeats a run of the parts: that run is the headline.
    if h1:
        for i in range(len(parts)):
            for j in range(len(parts), i, -1):
                if _key(title[bounds[i]:ends[j - 1]]) == _key(h1):
                    return title[bounds[i]:ends[j - 1]]
    keys = _site_keys(site, url)
    first, last = 0, len(parts)
    while last - first > 1 and _is_site(parts[last - 1], keys):
        last -= 1
    while last - first > 1 and _is_site(parts[first], keys):
        first += 1
    if (first, last) != (0, len(parts)):
        return title[bounds[first]:ends[last - 1]]
    if aggressive and len(parts) >= 2:
        # "Headline | Short Site Name": a short trailing part after a long headline.
        head = title[bounds[0]:ends[-2]]
        if len(parts[-1].split()) <= 3 and len(head.split()) >= 4 and spans[-1] and \
                title[spans[-1][0]:spans[-1][1]].strip() in ("|", "-", "–", "—", "::", "·", "•", "»"):
            return head
    return title


# ---------------------------------------------------------------- date

class _DateReader:
    """Reads one page's candidate dates under its bounds, and remembers the implausible ones."""

    def __init__(self, bounds: tuple[datetime | None, datetime | None]) -> None:
        self.earliest, self.latest = bounds
        self.keep_offset = "local-day" in rules.DATE_RULES
        self.rejected: dict[str, str] = {}  # the value as written -> why it was dropped

    def parse(self, value: object) -> datetime | None:
        found = read_date(value, keep_offset=self.keep_offset)
        if found is None:
            return None
        reason = implausible(found, self.earliest, self.latest) if "plausible" in rules.DATE_RULES else None
        if reason:
            self.rejected.setdefault(clean(str(value))[:60], reason)
            return None
        return found

    def first(self, values: Iterable[object]) -> datetime | None:
        for value in values:
            found = self.parse(value)
            if found:
                return found
        return None

    def inside(self, value: datetime | None) -> bool:
        return value is not None and parse_date(value, earliest=self.earliest, latest=self.latest) is not None


def _date(
    root: etree._Element,
    meta: MetaTags,
    micro: Microdata,
    objects: list[dict],
    story: dict,
    *,
    urls: tuple[str, ...],
    language: str,
    reader: _DateReader,
    classed: list[tuple[etree._Element, str]],
) -> datetime | None:
    """The publication date: the first trustworthy source of the cascade wins.

    Each rule family named in rules.DATE_RULES can be switched off, so that the
    extraction benchmark measures what each one does on each set of pages.
    """
    bounds = (reader.earliest, reader.latest)
    family = rules.DATE_RULES.__contains__
    parsed, first = reader.parse, reader.first

    structured = [story.get("datePublished"), story.get("dateCreated")]
    structured += [o.get("datePublished") for o in objects if o is not story]
    structured = [v for v in structured if isinstance(v, (str, int, float))]
    structured += meta.all(rules.META_PUBLISHED) + micro.values(rules.ITEMPROP_PUBLISHED)
    candidates = [d for d in map(parsed, structured[: rules.PUBLISHED_CANDIDATES]) if d]
    found = candidates[0] if candidates else None
    times = _time_elements(root)
    timed = first(times)
    shown = next((d for d in map(_written_day, times) if d and _in(d, bounds)), None)
    in_url = next((d for d in (date_from_url(u, rules.URL_DATE, rules.MONTHS) for u in urls) if d and _in(d, bounds)), None)
    printed, labelled, prose = _date_in_dom(root, language, bounds, classed)
    modified = [story.get("dateModified")] + [o.get("dateModified") for o in objects if o is not story]
    modified = [v for v in modified if isinstance(v, str)] + meta.all(rules.META_MODIFIED)
    if printed and prose and family("prose-evidence") and _far_from_evidence(
            printed, [in_url, *(read_date(v) for v in modified[:4])], root, reader.latest):
        printed = None  # a date in the running text decades from everything else the page says is history
    if not family("visible-dom"):
        printed, labelled = None, ""
    if found and printed and not prose and printed.date() != found.date() and family("metadata-vote"):
        # The publication metadata disagree, and the page prints one of their days beside the
        # story: that one is the page's date ("Stand: 07.11.2023" and DC.Date of the 7th
        # against a JSON-LD draft of the 6th).
        found = next((d for d in candidates if d.date() == printed.date()), found)
    if found and labelled == "published" and printed and printed.date() != found.date() \
            and abs(printed - found) <= timedelta(days=rules.VISIBLE_DATE_MAX_DAYS):
        found = printed  # "Published: 13.10.2021" in the text is the page's own word on it
    if found and timed and printed and timed.date() == printed.date() != found.date() and not in_url \
            and abs(printed - found) <= timedelta(days=rules.VISIBLE_DATE_MAX_DAYS):
        # The <time> element and the printed date agree on a day near the metadata's: the page
        # shows its readers that day, the metadata often keeps the draft's.
        found = printed
    elif found:
        timed = None
    if timed and printed and not found:
        # A bare <time> may belong to a teaser or a comment; the date printed as the
        # page's own wins when they disagree.
        found = printed
    found = found or timed
    if not family("url-date"):
        in_url = None
    if found and in_url and found > in_url + timedelta(days=rules.URL_DATE_REPUBLISHED_DAYS):
        return in_url  # the URL keeps the day of first publication when a page is re-dated
    if found and printed and printed.date() > found.date() and family("update-stamps"):
        # A page that prints only its revision day presents that day as its date.
        revised_days = {d.date() for d in (parsed(v) for v in modified) if d}
        if printed.date() in revised_days and labelled != "updated":
            return printed
    if found:
        if not family("same-day"):
            return found
        # A timestamp a few hours from the day the page prints (or its URL or a <time> element
        # carries) is the same moment seen from another time zone: that day is the publication day.
        # The day printed beside the story is what its readers were shown; a URL keeps the day
        # the draft was filed.
        order = (printed, in_url, shown) if printed and not prose and family("printed-first") else \
            (in_url, printed, shown)
        for local in order:
            if local and rules.SAME_DAY_WINDOW_HOURS[0] * 3600 <= (found - local).total_seconds() \
                    < rules.SAME_DAY_WINDOW_HOURS[1] * 3600:
                return found if found.date() == local.date() else local
        return found
    if in_url or printed:
        return in_url or printed
    if not family("late-fallbacks"):
        return None
    # Any other <meta> whose name says "published" or "created", then a date in the description.
    for key, values in meta.values.items():
        if rules.META_DATE_KEY.search(key) and not rules.META_NOT_PUBLISHED_KEY.search(key):
            found = first(values)
            if found:
                return found
    for description in meta.all(rules.META_DESCRIPTION)[:2]:
        in_text = dates_in_text(description, rules.TEXT_DATES, rules.MONTHS, monthfirst=language == "en")
        if in_text and _in(in_text[0][1], bounds):
            return in_text[0][1]
    # Page state that scripts carry ("published_at": "2019-03-02T06:22:28+01:00").
    for script in root.iter("script"):
        for match in rules.SCRIPT_DATE.finditer(script.text or ""):
            found = parsed(match.group(1) or int(match.group(2)))
            if found:
                return found
    # Dates that scripts read from data-* attributes (<span data-published="1625628600">).
    for attribute in root.xpath("//@*[starts-with(name(), 'data-')]"):
        if rules.DATA_DATE_ATTRIBUTE.match(attribute.attrname):
            value = attribute.strip()
            found = parsed(int(value) if value.isdigit() else value)
            if found:
                return found
    # The publisher's own image folders often carry the upload day (".../2016/05/04/photo.png").
    for image in meta.all(rules.META_IMAGE):
        found = date_from_url(image, rules.URL_DATE, rules.MONTHS)
        if found and _in(found, bounds):
            return found
    return first(modified) or first(micro.values(rules.ITEMPROP_MODIFIED))


def _far_from_evidence(value: datetime, others: list[datetime | None], root: etree._Element,
                       latest: datetime | None) -> bool:
    """Whether a date read from running text lies decades from every other date the page
    gives (its URL, modification dates, copyright years): a historical date, not the page's."""
    years = {d.year for d in others if d is not None}
    years.update(_copyright_years(root))
    if not years:
        return False
    return min(abs(value.year - y) for y in years) > rules.PROSE_DATE_MAX_YEARS


def _copyright_years(root: etree._Element) -> set[int]:
    """Years in the page's copyright notices ("© 2003-2020 ...")."""
    body = root.find(".//body")
    text = visible_text(body if body is not None else root)
    years: set[int] = set()
    for match in rules.COPYRIGHT_YEARS.finditer(text):
        years.update(int(y) for y in match.groups() if y)
    return years


def _written_day(value: str) -> datetime | None:
    """The calendar day an ISO timestamp is written in ("2017-02-23T17:18-08:00" -> 23 February),
    whatever its offset: the day the page shows its readers."""
    match = _ISO_DAY.match(value)
    if not match:
        return None
    try:
        return datetime(*map(int, match.groups()), tzinfo=timezone.utc)
    except ValueError:
        return None


_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d\d)-(\d\d)")



def _in(value: datetime, bounds: tuple[datetime | None, datetime | None]) -> bool:
    return parse_date(value, earliest=bounds[0], latest=bounds[1]) is not None


def _time_elements(root: etree._Element) -> list[str]:
    """datetime attributes of <time>: ones marked as publication first, then any inside the article."""
    marked, inside, other = [], [], []
    for element in root.iter("time"):
        value = element.get("datetime") or ""
        if not value:
            continue
        attrs = f"{element.get('class') or ''} {element.get('id') or ''} {element.get('itemprop') or ''}".lower()
        if element.get("pubdate") is not None or "publish" in attrs or "created" in attrs:
            marked.append(value)
        elif "modif" in attrs or "update" in attrs:
            continue
        elif any(a.tag in ("article", "header", "main") for a in element.iterancestors()):
            inside.append(value)
        else:
            other.append(value)
    return marked + inside + other[:1]


def _date_in_dom(
    root: etree._Element, language: str, bounds, classed: list[tuple[etree._Element, str]]
) -> tuple[datetime | None, str, bool]:
    """The date the page prints: right beside the headline, else in an element whose
    class says "date", else near the top of the text.

    Dates labelled as updates are kept only as a last resort. The second value says how
    the text labels the date: "published" ("Published: ..."), "updated" ("Last updated ...") or "";
    the third whether it was found only in the running text (no label, element or headline beside it).
    """
    monthfirst = language == "en"

    def dates(text: str) -> list[tuple[int, datetime]]:
        return [(o, v) for o, v in dates_in_text(text, rules.TEXT_DATES, rules.MONTHS, monthfirst=monthfirst)
                if _in(v, bounds)]

    body = root.find(".//body")
    if body is None:
        body = root
    headline = root.find(".//h1")
    title = text_of(headline) if headline is not None else ""
    top = visible_text(body, limit=rules.HEADLINE_WINDOW) if title else ""
    at = top.find(title) if title else -1
    if at >= rules.HEADLINE_MIN_OFFSET:
        end = at + len(title)
        near = [(offset, value) for offset, value in dates(top[: end + rules.HEADLINE_DATE_DISTANCE])
                if abs(offset - at) <= rules.HEADLINE_DATE_DISTANCE]
        before = [item for item in near if item[0] < at]
        after = [item for item in near if item[0] >= at]
        if before and after and after[0][0] - end < at - before[-1][0]:
            before = []  # the dates after the headline are closer: those before belong to a teaser
        near = before or after
        if near:  # the first date printed right beside the headline (published before updated)
            return near[0][1], _update_label(top, near[0][0]), False
    page_text = visible_text(body, limit=rules.TEXT_DATE_WINDOW)
    for label in rules.PUBLISHED_LABEL.finditer(page_text):
        labelled = dates(page_text[label.end(): label.end() + rules.PUBLISHED_LABEL_CHARS])
        if labelled and labelled[0][0] == 0:
            return labelled[0][1], "published", False  # "Datum: 18.10.2021", "Published on March 2, 2020"
    fallback = None
    printed: list[tuple[etree._Element, datetime]] = []
    for element, attrs in classed:
        if element.tag in ("html", "body", "script", "style", "head") or not _hint(rules.DATE_HINTS, attrs) \
                or _hint(rules.DATE_EXCLUDE, attrs):
            continue
        text = visible_text(element, limit=rules.DATE_ELEMENT_MAX_CHARS + 1)
        if not text or len(text) > rules.DATE_ELEMENT_MAX_CHARS:
            continue
        found = dates(text)
        if not found:
            continue
        if _hint(rules.UPDATED_WORDS, attrs) or rules.UPDATED_WORDS.search(text[: found[0][0] + 1]):
            fallback = fallback or found[0][1]
            continue
        if not printed or printed[-1][0] not in element.iterancestors():
            printed.append((element, found[0][1]))
    if printed:
        # Toolbars and teasers print dates before the story; the story's own date follows its headline.
        headline = root.find(".//h1")
        if headline is not None and len(printed) > 1:
            # Keyed by the elements themselves: holding them keeps lxml's proxies (and so identity) stable.
            order = {e: i for i, e in enumerate(root.iter())}
            start = order.get(headline, 0)
            after = [value for element, value in printed if order.get(element, 0) > start]
            if after:
                return after[0], "", False
        return printed[0][1], "", False
    text = page_text
    candidates = dates(text)
    if "prose-evidence" in rules.DATE_RULES:
        # "born April 30, 1930", "† 29. August 1992": a life's dates, not the page's.
        candidates = [(offset, value) for offset, value in candidates
                      if not rules.LIFE_EVENT_WORDS.search(text[max(0, offset - rules.LIFE_EVENT_CHARS):offset])]
    for offset, value in candidates:
        before = text[max(0, offset - 40):offset]
        if rules.PUBLISHED_WORDS.search(before) and not rules.UPDATED_WORDS.search(before):
            return value, "", True
    if fallback:
        # The page's own date stamp, even a revision's, beats a date mentioned in its prose.
        return fallback, "updated", False
    stamp = _stamp_in_text(body, page_text, dates) if "page-stamps" in rules.DATE_RULES else None
    if stamp:
        return stamp, "updated", True
    if candidates:
        return candidates[0][1], _update_label(text, candidates[0][0]), True
    return None, "", False


def _stamp_in_text(body: etree._Element, page_text: str, dates) -> datetime | None:
    """The revision stamp a page prints in its text ("Stand: 09.10.2017"), searched from the
    top and in the last characters of the page, where footers carry it; else None."""
    for text in (page_text, visible_text(body)[-rules.STAMP_TAIL_CHARS:]):
        for label in rules.STAMP_LABEL.finditer(text):
            found = dates(text[label.end(): label.end() + rules.STAMP_GAP_CHARS + rules.PUBLISHED_LABEL_CHARS])
            if found and found[0][0] <= rules.STAMP_GAP_CHARS:
                return found[0][1]
    return None


def _update_label(text: str, offset: int) -> str:
    """ "updated" when the words just before the date at `offset` say it is a revision's."""
    return "updated" if rules.UPDATED_WORDS.search(text[max(0, offset - rules.PUBLISHED_LABEL_CHARS):offset]) else ""
