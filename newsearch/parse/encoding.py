"""Bytes to text without ever failing: BOM, declared charset, UTF-8, then a fallback."""
from __future__ import annotations

import codecs
import re

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
    return data.decode(_FALLBACK, errors="replace")
