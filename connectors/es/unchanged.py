"""Whether a listed document differs from its indexed copy: the sink's skip-unchanged decision.

A document's *state* is one int that packs what the decision needs, computed the same way from a
listed document (as the sink would store it) and from an indexed ``_source``:

* bits 0–55: a 56-bit fingerprint of ``_timestamp`` (0: none — such a document is never skipped);
* bits 56–111: a 56-bit fingerprint of the source's *unversioned fields*
  (``BaseDataSource.unversioned_fields``: fields that change while ``_timestamp`` does not), each
  present field's name and value as canonical JSON (sorted keys, lists in order); an absent
  field and a field holding ``null`` differ, as they do in ``_source``;
* bits 112–: which of those fields are present (bit *i* for the *i*-th field).

With no unversioned fields the state is the ``_timestamp`` fingerprint alone (a 56-bit int, as
before). Rules of :func:`verdict` (listed state against indexed state):

1. no indexed copy, or no or another ``_timestamp`` → :data:`WRITE` (download, full index);
2. the same state → :data:`SKIP` (no download, no write);
3. the same ``_timestamp``, unversioned fields that differ, and a field the index holds that the
   listed document lacks → :data:`WRITE` (a partial update cannot remove a field);
4. otherwise → :data:`UPDATE`: a partial update of the listed unversioned fields
   (:func:`listed_fields`), without the download. Unversioned fields must therefore come from the
   listing, never from the lazy download.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.utils import json_bytes

SKIP = "skip"
UPDATE = "update"
WRITE = "write"

_BITS = 56
_MASK = (1 << _BITS) - 1


def fingerprint(value: Any) -> int:
    """A 56-bit hash of a ``_timestamp`` as indexed (its JSON text); 0 when there is none."""
    if value is None or value == "":
        return 0
    text = value.isoformat() if isinstance(value, dt.datetime | dt.date) else str(value)
    return _hash(text.encode())


def _hash(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=7).digest(), "little") or 1


def canonical(value: Any) -> bytes:
    """``value`` as canonical JSON: what the sink would store, keys sorted (JSON objects have no
    order), lists in order."""
    return json_bytes(value, sort_keys=True)


def state(source: Mapping[str, Any], fields: Sequence[str]) -> int:
    """The packed state (module docstring) of a stored or would-be-stored ``source``."""
    packed = fingerprint(source.get("_timestamp"))
    if not fields:
        return packed
    digest = hashlib.blake2b(digest_size=7)
    present = 0
    for bit, name in enumerate(fields):
        if name in source:
            present |= 1 << bit
            digest.update(name.encode() + b"\x00" + canonical(source[name]) + b"\x01")
    meta = int.from_bytes(digest.digest(), "little")
    return packed | (meta << _BITS) | (present << (2 * _BITS))


def verdict(indexed: int | None, listed: int) -> str:
    """:data:`SKIP`, :data:`UPDATE` or :data:`WRITE` (rules 1–4 of the module docstring)."""
    if indexed is None:
        return WRITE
    timestamp = indexed & _MASK
    if not timestamp or timestamp != listed & _MASK:
        return WRITE
    if indexed == listed:
        return SKIP
    if (indexed >> (2 * _BITS)) & ~(listed >> (2 * _BITS)):
        return WRITE  # a field would disappear
    return UPDATE


def listed_fields(source: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The body of the partial update: the listed unversioned fields present in ``source``."""
    return {name: source[name] for name in fields if name in source}
