"""The incremental-sync cursor of the Confluence source: its format, its scope and its windows.

A cursor is what the runner stores on the connector after a *successful* sync (full or
incremental) and hands back to the next incremental sync::

    {"format": "confluence-incremental/1",
     "scope": "<fingerprint>", "scope_parts": {"<part>": "<fingerprint>", ...},
     "account": "<accountId or userKey of the syncing account>",
     "types": {"page": {"through": "2026-01-01T10:00:00.000Z"}, "comment": {...}, ...}}

Rules:

1. **Scope**. :func:`scope_parts` fingerprints everything that decides which documents a full
   sync produces, grouped in named parts (the site and account, the spaces, the content filters,
   the content types, the limits that change a document's fields, the sync rules, the document
   format :data:`~connectors.sources.confluence.documents.DOCUMENTS_VERSION`). What only decides
   *how fast* a sync runs (concurrency, retries, extraction time limit, the secret itself, the CA)
   is left out, so changing it keeps the cursor. A cursor written under another scope is refused
   with :class:`~connectors.errors.FullSyncRequired` naming the parts that changed.
2. **Marks**. Every content type has its own clock: ``types[<type>]["through"]`` is the UTC time
   up to which that type's changes are known to be in the index. After a full sync it is the time
   the full sync *started* (an edit made during a long full sync is listed again by the next
   incremental); after an incremental it is that incremental's frozen upper bound. A cursor
   moves only when its sync succeeded (the runner stores it only then).
3. **Windows**. The next listing of a type reads ``[through - OVERLAP, started)``. The overlap
   covers CQL's minute precision, the search index's delay behind an edit, and the clock skew
   between this service and Confluence; the sink's skip-unchanged makes overlap cheap.
   :func:`window_literals` writes both bounds as CQL date literals in the *calling user's* time
   zone (Confluence reads literals in it): the lower one rounded down, the upper one up, and moved
   past a daylight-saving change so that *every* reading of an ambiguous or skipped wall time is
   on the safe side. When Confluence does not name the zone (Data Center's ``/user/current`` has
   no ``timeZone``), the offset is *measured*: :func:`probe_literal` gives a predicate monotone in
   the guessed offset on one item of known modification time, so a binary search finds the
   offset in at most 7 requests; it is kept in the cursor (``zone_offset_steps``) and checked with
   2 requests on the next run. A measured offset widens the window by
   :data:`MEASURED_ZONE_MARGIN` (a DST change since that item). With nothing to measure on, the
   window is widened by :data:`ANY_ZONE`, the widest span of UTC offsets in use.
4. **Refusal**. :func:`parse` raises ``FullSyncRequired`` with a sentence a person understands for:
   no cursor, another format, another scope, a missing type mark, or a mark that is not a time.
5. **Spaces seen**. ``spaces`` maps each space id the sync covered to :func:`space_digest` (16
   hex characters: what the space gives its content documents — key and name — and what its
   own space document holds), so the next incremental can tell a renamed, archived, deleted or
   new space (:mod:`.space_changes`). It is optional: a cursor without it (written before it
   existed) is still used, and reads as "not yet known" (``Cursor.spaces`` is ``None``).

Stages add their own entries next to ``types``: ``spaces`` (rule 5, :mod:`.space_changes`),
``trash`` (:mod:`.trash`) and ``reconciled_at`` (:mod:`.reconcile`); a cursor without one reads as
"not yet known" for that part.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import FullSyncRequired
from connectors.sources.confluence.documents import DOCUMENTS_VERSION
from connectors.sources.confluence.settings import Settings
from connectors.utils import iso_utc, parse_utc

FORMAT = "confluence-incremental/1"
#: Read again before each mark: minute precision (1), search-index delay and clock skew (the rest).
OVERLAP = dt.timedelta(minutes=10)
#: UTC offsets in use span UTC-12:00 to UTC+14:00: a literal read in an unknown zone is off by
#: at most this much, so an unknown zone widens the window by it on both sides.
ANY_ZONE = dt.timedelta(hours=14)
#: The CQL literal format with minutes (the finest CQL accepts).
LITERAL = "%Y-%m-%d %H:%M"
_MINUTE = dt.timedelta(minutes=1)

#: The names of the scope parts, as a person reads them in a "full sync needed" reason.
PART_NAMES = {
    "site": "the Confluence site, flavour or account",
    "spaces": "the spaces to sync (included, excluded, how many)",
    "filters": "the page and blog post ID filters or the date windows",
    "types": "the content types switched on",
    "limits": "the per-space cap, attachment size, body size or inline images",
    "rules": "the sync rules (basic or advanced)",
    "documents": "the connector's document format (a new connector version)",
}


def _iso(when: dt.datetime | None) -> str | None:
    return iso_utc(when) if when is not None else None


def _basic_rules(filtering: Any) -> list[dict]:
    """The basic rules that decide documents: policy, field, rule, value, order (no ids, no dates)."""
    if filtering is None:
        return []
    from connectors.filtering import Filter
    from connectors.filtering.basic_rules import DEFAULT_RULE_ID

    flt = Filter.from_filtering(filtering)
    out = [
        {k: r.get(k) for k in ("order", "policy", "field", "rule", "value")}
        for r in flt.basic_rules
        if isinstance(r, dict) and r.get("id") != DEFAULT_RULE_ID
    ]
    return sorted(out, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def scope_parts(
    settings: Settings, advanced_queries: Iterable[str] | None = None, filtering: Any = None
) -> dict:
    """Each part of the scope (see :data:`PART_NAMES`) as the values it is made of."""
    s = settings
    return {
        "site": {"flavour": s.flavour, "base_url": s.base_url.lower(), "auth": s.auth_mode, "user": s.user},
        "spaces": {"spaces": list(s.spaces), "exclude": sorted(s.exclude_spaces), "max_spaces": s.max_spaces},
        "filters": {
            "include_page_ids": list(s.include_page_ids),
            "exclude_page_ids": list(s.exclude_page_ids),
            "include_blogpost_ids": list(s.include_blogpost_ids),
            "exclude_blogpost_ids": list(s.exclude_blogpost_ids),
            "created": [_iso(s.created_after), _iso(s.created_before)],
            "modified": [_iso(s.modified_after), _iso(s.modified_before)],
        },
        "types": dict(sorted((k, bool(v)) for k, v in s.toggles.items())),
        "limits": {
            "max_docs_per_space": s.max_docs_per_space,
            "max_attachment_bytes": s.max_attachment_bytes,
            "max_body_chars": s.max_body_chars,
            "index_inline_images": s.index_inline_images,
        },
        "rules": {"advanced": list(advanced_queries or []), "basic": _basic_rules(filtering)},
        "documents": DOCUMENTS_VERSION,
    }


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ScopeFingerprint:
    whole: str
    parts: Mapping[str, str]

    @classmethod
    def of(cls, settings: Settings, advanced_queries=None, filtering=None) -> ScopeFingerprint:
        parts = {
            name: _digest(value) for name, value in scope_parts(settings, advanced_queries, filtering).items()
        }
        return cls(_digest(parts), parts)


def content_types(settings: Settings) -> tuple[str, ...]:
    """The content types a sync of ``settings`` lists, each with its own mark."""
    on = settings.on
    kinds = []
    if on("index_pages"):
        kinds.append("page")
    if on("index_blogposts"):
        kinds.append("blogpost")
    if on("index_folders") and settings.is_cloud:
        kinds.append("folder")
    if on("index_page_comments") or on("index_blogpost_comments"):
        kinds.append("comment")
    if on("index_page_attachments") or on("index_blogpost_attachments"):
        kinds.append("attachment")
    return tuple(kinds)


def space_digest(space: Mapping[str, Any], space_doc: Mapping[str, Any]) -> str:
    """16 hex characters: 8 for the key and name (what a space gives its content documents),
    8 for its space document (``space_doc``, as :func:`.documents.space_document` builds it)."""
    named = _digest([space.get("key"), space.get("name")])[:8]
    return named + _digest(space_doc)[:8]


def build(
    scope: ScopeFingerprint,
    marks: Mapping[str, dt.datetime],
    account: str | None,
    zone_steps: int | None = None,
    spaces: Mapping[str, str] | None = None,
) -> dict:
    """The cursor to store: ``marks`` is the ``through`` time per content type; ``zone_steps``
    the measured UTC offset of CQL literals in quarter hours, when it had to be measured;
    ``spaces`` the space id → :func:`space_digest` map of the spaces the sync covered."""
    raw = {
        "format": FORMAT,
        "scope": scope.whole,
        "scope_parts": dict(scope.parts),
        "account": account,
        "types": {kind: {"through": iso_utc(when)} for kind, when in marks.items()},
    }
    if zone_steps is not None:
        raw["zone_offset_steps"] = zone_steps
    if spaces is not None:
        raw["spaces"] = dict(spaces)
    return raw


def account_of(user: Mapping) -> str | None:
    """The stable id of a ``/user/current`` answer: ``accountId`` (Cloud), ``userKey`` (DC)."""
    ident = user.get("accountId") or user.get("userKey") or user.get("username")
    return str(ident) if ident else None


@dataclass(frozen=True)
class Cursor:
    """A cursor that passed :func:`parse`."""

    marks: Mapping[str, dt.datetime]
    account: str | None
    zone_steps: int | None = None
    spaces: Mapping[str, str] | None = None  # None: not yet known (rule 5)


def parse(raw: Any, scope: ScopeFingerprint, kinds: Iterable[str]) -> Cursor:
    """The cursor's marks for ``kinds``, or ``FullSyncRequired`` saying why it cannot be used."""
    if not raw:
        raise FullSyncRequired("There is no incremental cursor yet (no successful sync of this connector).")
    if not isinstance(raw, Mapping):
        raise FullSyncRequired(f"The stored cursor is not a JSON object ({type(raw).__name__}).")
    if raw.get("format") != FORMAT:
        raise FullSyncRequired(
            f"The stored cursor has format {raw.get('format')!r}; this connector reads {FORMAT!r}."
        )
    if raw.get("scope") != scope.whole:
        theirs = raw.get("scope_parts") if isinstance(raw.get("scope_parts"), Mapping) else {}
        changed = [name for name, digest in scope.parts.items() if theirs.get(name) != digest]
        what = "; ".join(PART_NAMES[name] for name in changed) or "the configuration"
        raise FullSyncRequired(f"The configuration changed since the last sync ({what}).")
    types = raw.get("types") if isinstance(raw.get("types"), Mapping) else {}
    marks = {}
    for kind in kinds:
        entry = types.get(kind)
        when = parse_utc(entry.get("through")) if isinstance(entry, Mapping) else None
        if when is None:
            raise FullSyncRequired(f"The stored cursor has no valid time for {kind}s.")
        marks[kind] = when
    account = raw.get("account")
    steps = raw.get("zone_offset_steps")
    steps = (
        steps if isinstance(steps, int) and not isinstance(steps, bool) and steps in OFFSET_STEPS else None
    )
    seen = raw.get("spaces")
    spaces = {str(k): v for k, v in seen.items() if isinstance(v, str)} if isinstance(seen, Mapping) else None
    return Cursor(marks, account if isinstance(account, str) else None, steps, spaces)


# -- time zones and CQL literals -------------------------------------------------------------------
def zone_of(name: Any) -> zoneinfo.ZoneInfo | None:
    """The IANA zone Confluence names (``timeZone`` of the current user), ``None`` if unknown."""
    if not isinstance(name, str) or not name.strip():
        return None
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _readings(wall: dt.datetime, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Both UTC instants a naive wall time can stand for in ``zone`` (equal unless a DST change)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    return min(first, second), max(first, second)


def lower_literal(when: dt.datetime, zone: dt.tzinfo | None) -> str:
    """A literal for ``lastmodified >= …`` that no reading puts after ``when``."""
    if zone is None:
        return (when.astimezone(dt.UTC) - ANY_ZONE).strftime(LITERAL)
    wall = when.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    while _readings(wall, zone)[1] > when:  # only around a DST change
        wall -= dt.timedelta(minutes=30)
    return wall.strftime(LITERAL)


def upper_literal(when: dt.datetime, zone: dt.tzinfo | None) -> str:
    """A literal for ``lastmodified < …`` that no reading puts at or before ``when``."""
    if zone is None:
        return (when.astimezone(dt.UTC) + ANY_ZONE + _MINUTE).strftime(LITERAL)
    wall = when.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) + _MINUTE
    while _readings(wall, zone)[0] <= when:  # only around a DST change
        wall += dt.timedelta(minutes=30)
    return wall.strftime(LITERAL)


def window_clause(
    since: dt.datetime, until: dt.datetime, zone: dt.tzinfo | None, widen: dt.timedelta = dt.timedelta(0)
) -> str:
    """``lastmodified >= "<since - OVERLAP>" and lastmodified < "<until>"`` in ``zone``, each
    bound moved out by ``widen`` more (a measured offset that a DST change may have moved)."""
    return (
        f'lastmodified >= "{lower_literal(since - OVERLAP - widen, zone)}" '
        f'and lastmodified < "{upper_literal(until + widen, zone)}"'
    )


#: A measured UTC offset may be off by a DST change since the item it was measured on.
MEASURED_ZONE_MARGIN = dt.timedelta(hours=1)
#: The granularity of UTC offsets in use (every zone today is a multiple of 15 minutes).
OFFSET_STEP = dt.timedelta(minutes=15)
OFFSET_STEPS = range(-12 * 4, 14 * 4 + 1)  # UTC-12:00 .. UTC+14:00 in quarter hours


def probe_literal(when: dt.datetime, steps: int) -> str:
    """The wall time of ``when`` under a guessed offset of ``steps`` quarter hours, minute precision.

    ``lastmodified >= <it>`` holds for an item modified at ``when`` exactly when the guess is at
    most the offset Confluence reads literals in (both are multiples of 15 minutes), which makes
    the offset a binary search over :data:`OFFSET_STEPS`."""
    return (when.astimezone(dt.UTC) + steps * OFFSET_STEP).strftime(LITERAL)


def measured_zone(steps: int) -> dt.timezone:
    return dt.timezone(steps * OFFSET_STEP)
