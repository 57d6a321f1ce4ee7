"""Readers for the structured data publishers embed: JSON-LD, <meta> tags, microdata.

Each reader returns plain values (strings, lists of strings) or nothing; choosing
between them is the cascade's job in html.py. Malformed data is skipped, never fatal.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from lxml import etree

from newsearch.parse import rules

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_SPACE = re.compile(r"\s+")
# "<![CDATA[" or "//<![CDATA[" wrapped around a script's JSON.
_CDATA = re.compile(r"^(?://\s*)?<!\[CDATA\[")


def clean(text: Any) -> str:
    """Whitespace collapsed and trimmed; non-strings become ""."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        return ""
    return _SPACE.sub(" ", text).strip()


# ---------------------------------------------------------------- JSON-LD

def _load_json(text: str) -> Any:
    text = text.strip()
    if text.startswith("<!--"):
        text = text[4:].rsplit("-->", 1)[0]
    cdata = _CDATA.match(text)
    if cdata:
        text = text[cdata.end():].rsplit("]]>", 1)[0].rstrip("/ \t\r\n")
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text))):
        try:
            # strict=False: raw line breaks inside strings are common in hand-made JSON-LD.
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _flatten(value: Any, out: list[dict], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            _flatten(item, out, depth + 1)
    elif isinstance(value, dict):
        out.append(value)
        if "@graph" in value:
            _flatten(value["@graph"], out, depth + 1)
        for key in ("mainEntity", "mainEntityOfPage", "itemListElement"):
            inner = value.get(key)
            if isinstance(inner, (dict, list)):
                _flatten(inner, out, depth + 1)


def types_of(obj: dict) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower().rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def json_ld_objects(tree: etree._Element) -> list[dict]:
    """Every JSON-LD object on the page, @graph members and lists flattened."""
    objects: list[dict] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        data = _load_json(script.text or "")
        if data is not None:
            _flatten(data, objects)
    return objects


def article_object(objects: list[dict]) -> dict | None:
    """The object describing the story: an article type first, a page type second."""
    pages = None
    for obj in objects:
        kinds = types_of(obj)
        if kinds & rules.ARTICLE_TYPES and not kinds <= rules.PAGE_TYPES and not kinds & {"product", "event"}:
            if obj.get("headline") or obj.get("datePublished") or obj.get("articleBody") or obj.get("author"):
                return obj
        if kinds & rules.PAGE_TYPES and pages is None:
            pages = obj
    return pages


def names_of(value: Any, *, persons_only: bool = False, objects: list[dict] | None = None) -> list[str]:
    """Names from a JSON-LD author/creator: a string, an object or a list of either.

    An object that is only a reference ({"@id": ...}) is looked up among `objects`.
    """
    names: list[str] = []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict) and "name" not in item and item.get("@id") and objects:
            item = next((o for o in objects if o.get("@id") == item["@id"] and "name" in o), item)
        if isinstance(item, str):
            names.append(clean(item))
        elif isinstance(item, dict):
            if persons_only and types_of(item) and not types_of(item) & rules.PERSON_TYPES:
                continue
            name = item.get("name")
            if isinstance(name, list):
                names.extend(clean(n) for n in name)
            elif isinstance(name, dict):
                names.append(clean(name.get("@value") or name.get("name")))
            else:
                names.append(clean(name))
                if not clean(name) and (item.get("givenName") or item.get("familyName")):
                    names.append(clean(f"{clean(item.get('givenName'))} {clean(item.get('familyName'))}"))
    return [n for n in names if n]


def strings_of(value: Any) -> list[str]:
    """A JSON-LD value that may be a string, a list, or an object with a name."""
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(strings_of(item))
        return out
    if isinstance(value, dict):
        return strings_of(value.get("name") or value.get("@value"))
    text = clean(value)
    return [text] if text else []


# ---------------------------------------------------------------- <meta>

@dataclass
class MetaTags:
    """<meta> values by lower-cased name/property/itemprop/http-equiv, in page order."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def first(self, names: Iterable[str]) -> str:
        for name in names:
            for value in self.values.get(name.lower(), ()):
                if value:
                    return value
        return ""

    def all(self, names: Iterable[str]) -> list[str]:
        found: list[str] = []
        for name in names:
            found.extend(v for v in self.values.get(name.lower(), ()) if v)
        return found

    def each(self, names: Iterable[str]) -> list[tuple[str, str]]:
        """(name, value) pairs in the order of `names`, for cascades that care which name matched."""
        return [(name, v) for name in names for v in self.values.get(name.lower(), ()) if v]


    def labelled(self, label: re.Pattern[str]) -> list[str]:
        """Values of twitter:dataN whose twitter:labelN matches `label` ("Written by" -> the author)."""
        found: list[str] = []
        for number in range(1, rules.META_LABEL_PAIRS + 1):
            labels = self.values.get(f"twitter:label{number}", ())
            if labels and label.match(labels[0]):
                found.extend(v for v in self.values.get(f"twitter:data{number}", ())[:1] if v)
        return found


def meta_tags(tree: etree._Element) -> MetaTags:
    tags = MetaTags()
    for meta in tree.iter("meta"):
        content = clean(meta.get("content") or meta.get("value") or "")
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            # property="dc:creator twitter:site_name" gives one value under several names.
            for key in (meta.get(attr) or "").lower().split():
                tags.values.setdefault(key, []).append(content)
    return tags


# ---------------------------------------------------------------- microdata

class Microdata:
    """Elements carrying itemprop, indexed once per page by property name."""

    def __init__(self, tree: etree._Element) -> None:
        self._by_prop: dict[str, list[etree._Element]] = {}
        for element in tree.iterfind(".//*[@itemprop]"):
            if element.tag == "meta":
                continue  # already read by meta_tags
            for prop in (element.get("itemprop") or "").lower().split():
                self._by_prop.setdefault(prop, []).append(element)
        # RDFa (property="schema:datePublished") says the same things with another attribute.
        for element in tree.iterfind(".//*[@property][@content]"):
            if element.tag == "meta":
                continue
            for prop in (element.get("property") or "").lower().split():
                self._by_prop.setdefault(prop.rsplit(":", 1)[-1], []).append(element)

    def values(self, names: Iterable[str]) -> list[str]:
        """Values of the given properties, in the order of `names` then of the page.

        The value is the machine-readable attribute (content, datetime) when present,
        else the text; for author-like items the nested `name` property wins.
        """
        found: list[str] = []
        for name in names:
            for element in self._by_prop.get(name.lower(), ()):
                value = element.get("content") or element.get("datetime")
                if value is None:
                    named = element.find(".//*[@itemprop='name']")
                    source = named if named is not None else element
                    value = source.get("content") or text_of(source)
                value = clean(value)
                if value:
                    found.append(value)
        return found


def text_of(element: etree._Element) -> str:
    try:
        return clean(" ".join(element.itertext()))
    except ValueError:
        return ""


_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})


def visible_text(element: etree._Element, *, limit: int = 1_000_000) -> str:
    """The text a reader sees (no scripts or styles), collapsed, cut near `limit` characters.

    Children are visited lazily, so a short prefix of a large element costs little.
    """
    if not isinstance(element.tag, str) or element.tag in _INVISIBLE:
        return ""
    parts: list[str] = []
    size = 0
    if element.text:
        parts.append(element.text)
        size += len(element.text.strip())
    # Each entry: the children still to visit, and the element whose tail follows them.
    stack: list[tuple[Any, etree._Element | None]] = [(iter(element), None)]
    while stack and size < limit:
        children, owner = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            if owner is not None and owner.tail:
                parts.append(owner.tail)
                size += len(owner.tail.strip())
            continue
        if not isinstance(node.tag, str) or node.tag in _INVISIBLE:
            if node.tail:
                parts.append(node.tail)
                size += len(node.tail.strip())
            continue
        if node.text:
            parts.append(node.text)
            size += len(node.text.strip())
        stack.append((iter(node), node))
    return clean(" ".join(parts))[:limit]
