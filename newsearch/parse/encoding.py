"""Bytes to text without ever failing: BOM, declared charset, UTF-8, then a fallback."""
from __future__ import annotations

import codecs
import re
import unicodedata

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset="x">, <meta http-equiv="Content-Type" content="text/html; charset=x">,
# and <?xml encoding="x"?> all put the name after "charset=" or "encoding=".
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_SNIFF_BYTES = 4096
_FALLBACK = "cp1252"
# Legacy charsets tried when a document is not UTF-8 and declares nothing usable,
# in order of preference on a tie (Western European first, as before).
_GUESSES = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "koi8_r", "euc_kr", "shift_jis", "euc_jp", "gb18030", "big5",
)
_SCORE_CHARS = 20_000
# Scripts that legitimately sit side by side in one word.
_SCRIPT_FAMILY = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK", "IDEOGRAPHIC": "CJK",
                  "FULLWIDTH": "CJK", "BOPOMOFO": "CJK"}
# Dashes, quotes, brackets, currency and everyday punctuation cost nothing.
_PLAIN_SYMBOLS = {"Pd", "Pi", "Pf", "Ps", "Pe", "Sc", "Zs"}
_SCRIPTS_WITH_PUNCTUATION = {"CJK", "ARABIC", "HEBREW", "GREEK", "CYRILLIC", "THAI", "HANGUL"}


def _codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def declared_encoding(data: bytes) -> str | None:
    """The charset an HTML or XML document declares in its first few KB, if valid."""
    match = _DECLARED.search(data[:_SNIFF_BYTES])
    return _codec(match.group(1)) if match else None


def decode(data: bytes, *, declared: str | None = None, sniff_markup: bool = False) -> str:
    """Decode bytes to str; undecodable bytes are replaced, never fatal.

    Order: byte-order mark, an explicitly declared charset (e.g. from HTTP), the
    charset the markup declares (when `sniff_markup`), strict UTF-8, then cp1252
    (a superset of Latin-1's printable range) with replacement.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name, errors="replace")
    candidates = [_codec(declared)]
    if sniff_markup:
        candidates.append(declared_encoding(data))
    if any(name and _single_byte(name) for name in candidates) and _is_utf8_text(data):
        # "windows-1250" declared over UTF-8 bytes: the bytes are right, the label is stale.
        return data.decode("utf-8")
    for name in candidates:
        if name and name not in {"utf-16-le", "utf-16-be", "utf-16", "utf-32"}:
            try:
                return data.decode(name)
            except UnicodeDecodeError:
                # Pages often declare Latin-1 and ship UTF-8 (or the reverse): try the rest.
                pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for name in candidates:
        if name:
            return data.decode(name, errors="replace")
    return guess_legacy(data)


_MULTI_BYTE = ("utf", "shift", "euc", "gb", "big5", "iso2022", "cp932", "cp949", "cp950", "johab", "hz")
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _single_byte(name: str) -> bool:
    return not name.replace("-", "").replace("_", "").startswith(_MULTI_BYTE)


def _is_utf8_text(data: bytes) -> bool:
    """Bytes that hold non-ASCII characters and are valid UTF-8 throughout: text in
    a single-byte charset almost never is."""
    if not _NON_ASCII.search(data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def guess_legacy(data: bytes) -> str:
    """Decode undeclared non-UTF-8 bytes with the legacy charset whose text reads best.

    Each charset that decodes the bytes cleanly is scored by how implausible its
    text looks (letters of unrelated scripts glued together, accented Latin letters
    in runs, stray symbols and controls); the least implausible wins, cp1252 on a tie.
    """
    best, best_cost = None, float("inf")
    for name in _GUESSES:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        cost = _implausibility(text[:_SCORE_CHARS])
        if cost == 0:
            return text  # nothing odd at all: no later charset can do better
        if cost < best_cost:
            best, best_cost = text, cost
    return best if best is not None else data.decode(_FALLBACK, errors="replace")


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    word = name.split(" ", 1)[0].split("-", 1)[0]
    return _SCRIPT_FAMILY.get(word, word)


def _implausibility(text: str) -> float:
    """Average cost per non-ASCII character; 0 for text that reads as one coherent script."""
    cost = 0.0
    count = cased = upper = 0
    previous = ""  # script of the previous character when it was a non-ASCII letter
    previous_lower = previous_ascii_letter = False
    for char in text:
        if char < "\x80":
            if previous and (char.isalpha() and previous != "LATIN" or char.isdigit()):
                cost += 2  # a non-Latin letter glued to an ASCII one, or a letter to a digit ("Ł5m")
            previous_ascii_letter = char.isalpha()
            previous, previous_lower = "", False
            continue
        count += 1
        category = unicodedata.category(char)
        if category[0] in "LM":
            script = _script(char)
            if script == "HALFWIDTH":
                cost += 1  # half-width katakana: rare in real text, common in mis-decoded CJK
            if previous and previous != script:
                cost += 2
            elif previous == "LATIN" and script == "LATIN":
                cost += 1  # accented Latin letters rarely come in runs
            if previous_ascii_letter and script != "LATIN":
                cost += 2
            if char.isupper() and previous_lower:
                cost += 1  # "ГЪбдК": case flipping inside a word
            if char.lower() != char.upper():
                cased += 1
                upper += char.isupper()
            previous, previous_lower = script, char.islower()
        else:
            if category[0] == "C":
                cost += 10
            elif category not in _PLAIN_SYMBOLS and _script(char) not in _SCRIPTS_WITH_PUNCTUATION:
                cost += 1  # stray symbols: "ƒjƒ…" is Shift_JIS read as cp1252
            previous, previous_lower = "", False
        previous_ascii_letter = False
    if cased >= 200 and not upper:
        cost += 0.3 * count  # a long text in a cased script without one capital letter
    return cost / count if count else 0.0
