"""Main-text extraction: find the element that holds the story, keep its paragraphs.

A readability-style scorer: text-bearing blocks give points to their ancestors
(more to the nearest), class names and link density adjust the points, the best
ancestor and its strong siblings become the article, and its blocks are written
out as paragraphs without link lists or interface text. Boilerplate containers
(by class/id) are skipped rather than deleted, so a second, laxer pass is cheap
when the first finds almost nothing.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from lxml import etree

from newsearch.parse import rules
from newsearch.parse.authors import split_byline, strip_byline_prefix

_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_SENTENCE_END = re.compile(r"[.!?…»\"”]\s*$")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TAG_WEIGHT = {"div": 5, "article": 10, "main": 5, "section": 2, "pre": 3, "td": 3, "blockquote": 3,
               "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
               "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5}
_PARAGRAPH_TAGS = frozenset({"p", "pre", "td", "blockquote", "dd"})
_NEVER_BOILERPLATE = frozenset({"html", "body", "main", "article", "a", "p", "h1", "h2", "td", "tr", "table",
                                "tbody"})
_CONTAINER_TAGS = frozenset({"div", "section", "article", "main", "span", "font", "center"})


def _attrs(element: etree._Element) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}".strip()


def _collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def strip_junk(root: etree._Element) -> None:
    """Delete elements that never hold article text (scripts, forms' widgets, hidden nodes)."""
    doomed = []
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):
            doomed.append(element)  # comments, processing instructions
        elif tag in rules.DROP_TAGS or element.get("hidden") is not None or element.get("aria-hidden") == "true" \
                or ("style" in element.attrib and _HIDDEN_STYLE.search(element.get("style") or "")):
            if tag not in ("html", "body") and (tag not in rules.DROP_TAGS or tag in ("script", "style")
                                                or not _holds_story(element)):
                doomed.append(element)
        elif tag in rules.DROP_IF_SMALL_TAGS:
            if sum(len(t.strip()) for t in element.itertext()) < rules.DROP_IF_SMALL_CHARS:
                doomed.append(element)
    for element in reversed(doomed):
        parent = element.getparent()
        if parent is None:
            continue
        tail = element.tail
        if tail and tail.strip():
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(element)


def _holds_story(element: etree._Element) -> bool:
    """Broken markup can leave the whole story inside a <nav> or an <audio>: never drop that."""
    if element.find(".//article") is not None or element.find(".//main") is not None:
        return True
    return element.tag in rules.MEDIA_TAGS and len(element.findall(".//p")) >= rules.STORY_MIN_PARAGRAPHS


def is_boilerplate(element: etree._Element) -> bool:
    """A container whose class or id says it is navigation, sharing, comments and the like."""
    if element.tag in _NEVER_BOILERPLATE or element.get("itemprop") == "articleBody":
        return False
    # Classes repeat across elements and pages, ids rarely: judge (and cache) them apart.
    verdicts = (_boilerplate_words(element.get("class") or ""), _boilerplate_words(element.get("id") or ""))
    return -1 not in verdicts and 1 in verdicts


@lru_cache(maxsize=16384)
def _boilerplate_words(attrs: str) -> int:
    """1 for a boilerplate class, -1 for an article class beside it, 0 for neither."""
    if not attrs or not rules.BOILERPLATE.search(attrs):
        return 0
    # "article-content tags" is the article; "post-tags" is not: judge each class token.
    for token in attrs.split():
        if rules.CONTENT_HINTS.search(token) and not rules.BOILERPLATE.search(token):
            if rules.POSITIVE.search(token) and not rules.NEGATIVE.search(token):
                return -1
    return 1


class _Stats:
    """Per-element text and link-text lengths over the visible (not skipped) tree."""

    def __init__(self, root: etree._Element, lax: bool) -> None:
        self.skip: set[etree._Element] = set()
        self.order = self._walk(root)
        self._measure()
        if lax:
            return
        # A boilerplate-looking class on a wrapper of most of the page ("has-sidebar",
        # "no-print") does not make the page boilerplate: only smaller parts are skipped.
        limit = self.length.get(root, 0) * rules.BOILERPLATE_MAX_SHARE
        self.skip = {e for e in self.order if is_boilerplate(e) and self.length.get(e, 0) <= limit}
        if self.skip:
            self.order = self._walk(root)
            self._measure()

    def _walk(self, root: etree._Element) -> list[etree._Element]:
        order = []
        stack = [root]
        while stack:
            element = stack.pop()
            if element in self.skip:
                continue
            order.append(element)
            stack.extend(reversed(element))
        return order

    def _measure(self) -> None:
        self.length: dict[etree._Element, int] = {}
        self.links: dict[etree._Element, int] = {}
        for element in reversed(self.order):
            total = len((element.text or "").strip())
            linked = 0
            for child in element:
                total += len((child.tail or "").strip())
                if child in self.skip:
                    continue
                total += self.length.get(child, 0)
                linked += self.links.get(child, 0)
            self.length[element] = total
            self.links[element] = total if element.tag == "a" else linked

    def link_density(self, element: etree._Element) -> float:
        length = self.length.get(element, 0)
        return self.links.get(element, 0) / length if length else 0.0


def _class_weight(element: etree._Element) -> int:
    return _weight_of(element.get("class") or "") + _weight_of(element.get("id") or "")


@lru_cache(maxsize=16384)
def _weight_of(attrs: str) -> int:
    if not attrs:
        return 0
    weight = 0
    if rules.NEGATIVE.search(attrs):
        weight -= 25
    if rules.POSITIVE.search(attrs):
        weight += 25
    return weight


def _own_text(element: etree._Element, stats: _Stats) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag not in rules.BLOCK_TAGS or child.tag == "br":
            if child not in stats.skip and child.tag != "br":
                parts.append(" ".join(child.itertext()))
        parts.append(child.tail or "")
    return _collapse(" ".join(parts))


def _is_paragraph(element: etree._Element) -> bool:
    tag = element.tag
    if tag in _PARAGRAPH_TAGS:
        return True
    if tag in _CONTAINER_TAGS:
        return not any(child.tag in rules.BLOCK_TAGS and child.tag != "br" for child in element)
    return False


def _score(root: etree._Element, stats: _Stats) -> dict[etree._Element, float]:
    scores: dict[etree._Element, float] = {}
    for element in stats.order:
        if not isinstance(element.tag, str):
            continue
        if _is_paragraph(element):
            if stats.length.get(element, 0) < rules.MIN_PARAGRAPH_CHARS:
                continue
            text = _collapse(" ".join(element.itertext()))
            owner = element.getparent()
        elif element.tag in _CONTAINER_TAGS:
            text = _own_text(element, stats)  # loose text between blocks, as in old pages
            owner = element
        else:
            continue
        if len(text) < rules.MIN_PARAGRAPH_CHARS or owner is None:
            continue
        points = 1 + text.count(",") + text.count("，") + min(len(text) // 100, 3)
        points *= 1 - min(stats.link_density(element), 1.0)
        ancestor, level = owner, 0
        while ancestor is not None and level < 5:
            if ancestor not in scores:
                scores[ancestor] = _TAG_WEIGHT.get(ancestor.tag, 0) + _class_weight(ancestor)
            scores[ancestor] += points / (1 if level == 0 else 2 if level == 1 else level * 3)
            ancestor = ancestor.getparent()
            level += 1
    for element in scores:
        # A small box with a promising class name is not the story: scale by how much text it holds.
        share = min(1.0, stats.length.get(element, 0) / rules.CANDIDATE_FULL_CHARS)
        scores[element] *= (1 - stats.link_density(element)) * share
    return scores


def _pick(root: etree._Element, stats: _Stats) -> list[etree._Element]:
    scores = _score(root, stats)
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    if not ranked:
        return [root]
    top = ranked[0]
    # Several strong candidates under one ancestor: the story is split across them.
    rivals = [c for c in ranked[1:6] if scores[c] >= scores[top] * 0.75]
    if len(rivals) >= 2:
        common = top.getparent()
        while common is not None and common.tag != "body":
            if sum(1 for r in rivals if _is_ancestor(common, r)) >= 2:
                top = common
                break
            common = common.getparent()
    # An only child carries no more than its parent.
    while top.getparent() is not None and top.getparent().tag not in ("body", "html") and \
            len([c for c in top.getparent() if c not in stats.skip and isinstance(c.tag, str)]) == 1:
        top = top.getparent()
    # The story's own <article> also holds its lead and subheadings: take it whole
    # when the text block found is most of it.
    for ancestor in top.iterancestors():
        if ancestor.tag == "article" or ancestor.get("itemprop") == "articleBody":
            if stats.length.get(top, 0) >= rules.ARTICLE_EXPAND_SHARE * stats.length.get(ancestor, 1) and \
                    stats.link_density(ancestor) <= rules.ARTICLE_EXPAND_MAX_LINKS:
                return [ancestor]
            break
    parent = top.getparent()
    if parent is None:
        return [top]
    threshold = max(10.0, scores.get(top, 0) * rules.SIBLING_SHARE)
    chosen = []
    for sibling in parent:
        if not isinstance(sibling.tag, str) or sibling in stats.skip:
            continue
        if sibling is top:
            chosen.append(sibling)
            continue
        bonus = scores.get(top, 0) * 0.2 if _attrs(sibling) and _attrs(sibling) == _attrs(top) else 0
        if scores.get(sibling, -1e9) + bonus >= threshold:
            chosen.append(sibling)
        elif sibling.tag == "p":
            length = stats.length.get(sibling, 0)
            density = stats.link_density(sibling)
            text = _collapse(" ".join(sibling.itertext()))
            if (length > 80 and density < 0.25) or (0 < length <= 80 and density == 0 and _SENTENCE_END.search(text)):
                chosen.append(sibling)
    return chosen


def _is_ancestor(ancestor: etree._Element, element: etree._Element) -> bool:
    for parent in element.iterancestors():
        if parent is ancestor:
            return True
    return False


def _keep_block(element: etree._Element, stats: _Stats) -> bool:
    if element in stats.skip:
        return False
    length = stats.length.get(element, 0)
    if not length:
        return element.tag in ("br", "hr")
    density = stats.link_density(element)
    if element.tag in ("ul", "ol", "dl", "table", "nav", "menu"):
        return density <= rules.MAX_LINK_DENSITY_LONG if length > 300 else density <= rules.MAX_LINK_DENSITY
    if density > rules.MAX_LINK_DENSITY and (length < 200 or density > rules.MAX_LINK_DENSITY_LONG):
        return False
    return True


def _paragraphs(elements: list[etree._Element], stats: _Stats) -> Iterator[tuple[str, int]]:
    """(text, kind) for each block of the chosen elements in reading order; kind is the
    heading level, -1 for a list item, 0 for other blocks."""
    buffer: list[str] = []

    def flush(heading: int = 0) -> Iterator[tuple[str, int]]:
        lines = [_collapse(line) for line in "".join(buffer).split("\n")]
        lines = [rules.TRAILING_MORE.sub("", line) if line.endswith("]") else line for line in lines]
        buffer.clear()
        # Lines broken by <br> inside one block are judged one by one, then the block as a whole.
        text = "\n".join(line for line in lines if line and (len(lines) == 1 or _is_text(line)))
        if text and _is_text(text):
            yield text, heading

    # An explicit stack of (element, phase): phase 0 opens, 1 closes (then the tail follows).
    for start in elements:
        stack: list[tuple[etree._Element, int]] = [(start, 0)]
        while stack:
            element, phase = stack.pop()
            tag = element.tag if isinstance(element.tag, str) else ""
            block = tag in rules.BLOCK_TAGS
            if phase == 1:
                if block:
                    yield from flush(int(tag[1]) if tag in rules.HEADING_TAGS else -1 if tag == "li" else 0)
                if element is not start and element.tail:
                    buffer.append(element.tail)
                continue
            if tag == "br":
                buffer.append("\n")
                if element.tail:
                    buffer.append(element.tail)
                continue
            if element is not start and (element in stats.skip or (block and not _keep_block(element, stats))):
                if element.tail:
                    buffer.append(element.tail)
                continue
            if block:
                yield from flush()
            if element.text:
                buffer.append(element.text)
            stack.append((element, 1))
            stack.extend((child, 0) for child in reversed(element))
        yield from flush()


def _is_text(text: str) -> bool:
    """Whether a block or line is article text rather than interface text, a credit or a call to action."""
    return not rules.SERVER_ERROR.match(text) and not (len(text) < 60 and (rules.BOILERPLATE_TEXT.match(text) or rules.CREDIT_LINE.search(text))) \
        and not (len(text) < rules.CALL_TO_ACTION_MAX_CHARS and rules.CALL_TO_ACTION.match(text)) \
        and not (len(text) < rules.CREDIT_END_MAX_CHARS and rules.CREDIT_END.search(text))


def _lead(chosen: list[etree._Element], stats: _Stats) -> list[etree._Element]:
    """The standfirst printed just before the story's container ("leadIn", "teaser-text")."""
    element = chosen[0]
    for _ in range(rules.LEAD_LEVELS):
        for sibling in list(element.itersiblings(preceding=True))[: rules.LEAD_SIBLINGS]:
            for candidate in sibling.iter():
                if not isinstance(candidate.tag, str) or candidate in stats.skip:
                    continue
                attrs = _attrs(candidate)
                if attrs and rules.LEAD_HINTS.search(attrs) and \
                        rules.LEAD_MIN_CHARS <= stats.length.get(candidate, 0) <= rules.LEAD_MAX_CHARS and \
                        stats.link_density(candidate) < rules.MAX_LINK_DENSITY:
                    return [candidate]
        element = element.getparent()
        if element is None or element.tag in ("body", "html"):
            break
    return []


def _tidy(blocks: list[tuple[str, int]], title: str) -> list[str]:
    """Drop the headline repeated at the top, headings left without text, date-only lines."""
    title_key = _key(title)
    kept: list[tuple[str, int]] = []
    for index, (text, heading) in enumerate(blocks):
        if heading > 0 and title_key and _key(text) == title_key:
            continue
        following = blocks[index + 1][1] if index + 1 < len(blocks) else 1
        if heading > 0 and following > 0 and following <= heading:
            continue
        line = text.replace("\n", " ")
        if len(line) <= rules.DATE_LINE_MAX_CHARS and rules.DATE_LINE.match(line):
            continue
        if heading == 0 and _is_byline(line):
            continue  # "Von: Jane Doe": the byline, which the article keeps apart from its text
        if heading == 0 and len(text) <= rules.LABEL_MAX_CHARS and len(text.split()) <= rules.LABEL_MAX_WORDS \
                and not _SENTENCE_END.search(text):
            continue  # a lone label ("PDF", "Twitter", "Wohnen") between paragraphs
        kept.append((text, heading))
    return [text for text, _ in (kept or blocks)]


def _is_byline(line: str) -> bool:
    """A short line that is only a byline label and full names ("Von: Jane Doe und Max Roe")."""
    if len(line) > rules.BYLINE_LINE_MAX_CHARS or not rules.BYLINE_LINE.match(line):
        return False
    rest = strip_byline_prefix(line)
    names = [n for n in split_byline(rest)[0] if " " in n]
    for name in names:
        rest = rest.replace(name, " ")
    return bool(names) and not _NOT_NAME_LEFT.sub("", rest)


# What may be left of a byline once its names are taken out: separators and conjunctions.
_NOT_NAME_LEFT = re.compile(r"[\W_]+|\b(?:and|und|et|y|e)\b", re.I)


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def extract_body(root: etree._Element, *, title: str = "") -> str:
    """The article text of a page as paragraphs separated by blank lines ("" when none).

    `title` is the headline already found, so that its repetition at the top of
    the text is not counted as a paragraph.
    """
    strip_junk(root)
    body = root.find(".//body")
    if body is None:
        body = root
    text = ""
    for lax in (False, True):
        stats = _Stats(body, lax)
        chosen = _pick(body, stats)
        chosen = _lead(chosen, stats) + chosen
        text = "\n\n".join(_tidy(list(_paragraphs(chosen, stats)), title))
        if len(text) >= rules.MIN_BODY_CHARS:
            break
    return text
