"""Which deflate the segment writers use: libdeflate when the `fast` extra is
installed, else Python's zlib.

Compressing posting blocks and stored fields is about a tenth of a build worker's
time. libdeflate (the `deflate` package) does it 1.7x faster than zlib at the same
level, in the same format and a little smaller (benchmarks/README.md, "Cheap spills,
and posting blocks deflated by libdeflate"), so any zlib reader, Whoosh's among them,
reads what it writes. Only writing changes; reading always goes through zlib.
"""
from __future__ import annotations

import sys
import zlib
from typing import Any, Callable

from whoosh import columns as whoosh_columns

try:
    import deflate as _libdeflate
except ImportError:  # the `fast` extra is not installed
    _libdeflate = None

__all__ = ["LIBDEFLATE", "deflated_under_pickle", "raw_deflate", "zlib_compress"]

LIBDEFLATE = _libdeflate is not None


def _deflate_in_steps(data: bytes, level: int, wbits: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


# zlib.compress takes a window size from Python 3.11 on.
zlib_deflate: Callable[[bytes, int, int], bytes] = (
    zlib.compress if sys.version_info >= (3, 11) else _deflate_in_steps)  # type: ignore[assignment]


def raw_deflate(data: bytes, level: int, wbits: int) -> tuple[bytes, int]:
    """`data` as a raw deflate stream, and the window (bits) it may reach back:
    `wbits` with zlib, 15 with libdeflate, which has no window setting."""
    if _libdeflate is not None:
        return _libdeflate.deflate_compress(data, level), 15
    return zlib_deflate(data, level, -wbits), wbits


def zlib_compress() -> Callable[[bytes, int], bytes]:
    """A zlib-format compress(data, level) for Whoosh's stored-fields column."""
    return _libdeflate.zlib_compress if _libdeflate is not None else zlib.compress


def deflated_under_pickle(column: Any, side: str) -> Any:
    """The deflated-bytes column inside a stored-fields column (`side` "Writer" or
    "Reader") when it is Whoosh's own pickle-then-deflate layout, else None: where
    writers swap the compressor, and merges copy stored fields without inflating."""
    if type(column) is not getattr(whoosh_columns.PickleColumn, side):
        return None
    child = column._child
    return child if type(child) is getattr(whoosh_columns.CompressedBytesColumn, side) else None
