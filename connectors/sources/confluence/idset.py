"""Compact sets of Confluence content ids: sorted 64-bit integers, in memory and in a cursor.

Confluence content ids are integers (pages, blog posts, comments, attachments and folders share
one id space). The trash diff keeps the trash's ids in the cursor and the reconciliation holds
every id of the scope in memory, so both use this one representation. Rules:

1. **In memory**: an :class:`array.array` of type ``'q'``, sorted, without duplicates (8 bytes
   per id); membership by binary search (:func:`contains`).
2. **In a cursor**: :func:`encode` writes the sorted ids as deltas in LEB128 varints, deflated,
   in URL-safe base64 (an id of a dense site costs one to two bytes); :func:`decode` reads it
   back and raises ``ValueError`` for anything it did not write.
3. An id that is not a decimal integer is not a content id: :func:`to_int` gives ``None``.
"""

from __future__ import annotations

import base64
import bisect
import zlib
from array import array
from collections.abc import Iterable


def to_int(raw: object) -> int | None:
    """A content id as an int (``"123"``, ``"att123"`` → 123), ``None`` if it is not one."""
    text = str(raw)
    if text.startswith("att"):
        text = text[3:]
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value < 2**63 else None


def sorted_ids(ids: Iterable[int]) -> array:
    """``ids`` as a sorted ``array('q')`` without duplicates."""
    return array("q", sorted(set(ids)))


def contains(values: array, value: int) -> bool:
    i = bisect.bisect_left(values, value)
    return i < len(values) and values[i] == value


def encode(values: Iterable[int]) -> str:
    """The sorted ids as deflated delta varints in URL-safe base64 (rule 2)."""
    out = bytearray()
    previous = 0
    for value in sorted(set(values)):
        delta = value - previous
        previous = value
        while True:
            byte = delta & 0x7F
            delta >>= 7
            if delta:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                break
    return base64.urlsafe_b64encode(zlib.compress(bytes(out), 9)).decode("ascii")


def decode(text: str) -> array:
    """The ids :func:`encode` wrote, as a sorted ``array('q')``; ``ValueError`` otherwise."""
    if not isinstance(text, str):
        raise ValueError("an id set is a string")
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(text.encode("ascii")))
    except (ValueError, zlib.error, UnicodeEncodeError) as exc:
        raise ValueError(f"not an encoded id set: {exc}") from None
    out = array("q")
    value = delta = shift = 0
    for byte in raw:
        delta |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            if shift > 63:
                raise ValueError("not an encoded id set: varint too long")
            continue
        value += delta
        if value >= 2**63 or (out and delta == 0):
            raise ValueError("not an encoded id set: ids out of order")
        out.append(value)
        delta = shift = 0
    if shift:
        raise ValueError("not an encoded id set: truncated")
    return out
