"""Keyset paging of a ``lastmodified`` window: a change listing that an edit cannot shift.

A window ``lastmodified >= lo and lastmodified < hi order by lastmodified asc`` paged by offset
(or by Cloud's search cursor, which also counts positions) skips an item when an earlier item
of the window is edited during the listing: the edited item moves to the end, the ones after it
move up one place, and the item at the page boundary is never on any page. :func:`window_items`
pages by *key* instead. Rules:

1. **Each request starts from a key**: the first page of ``[lo, hi)``; the next request's ``lo``
   is the last item's ``lastmodified`` rounded down to CQL's minute in the user's time zone
   (:meth:`Window.floor`, moved down by the window's zone margin), and ids already yielded by
   this listing are skipped. One request is one consistent answer, so every item modified
   before the new ``lo`` was on a page already: an edit during the listing can only move an
   item to the end (where it is read, or it belongs to the next run: its new time is after
   this run's frozen start), never make one unreadable.
2. **End**: a page shorter than the limit the server applied and without a ``next`` link.
3. **A crowded key**: when a full page does not move ``lo`` forward (more items in one minute
   than a page holds), the range ``[lo, ceiling(last))`` is paged by offset to its end, then
   listed again, until a pass finds nothing new (an edit during a pass can shift an item past
   the pager, never out of the range's later passes): at most :data:`MAX_PASSES` passes, then
   ``SyncError`` (the cursor does not move; the next run lists the window again). The listing
   goes on from the range's end.
4. **Failure**: a request that fails after its retries raises ``SyncError`` naming the listing.

Cost: ``ceil(changes / page) + 1`` requests for a window with changes (the last request
confirms the end), 1 for an idle one; a crowded minute of ``m`` items ``2 * ceil(m / page)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from connectors.errors import SyncError
from connectors.sources.confluence import cursor as C
from connectors.sources.confluence.client import ConfluenceError
from connectors.utils import parse_utc

#: Offset passes over one crowded range before the listing gives up (rule 3).
MAX_PASSES = 5


def clause(lo: str, hi: str) -> str:
    return f'lastmodified >= "{lo}" and lastmodified < "{hi}"'


@dataclass(frozen=True)
class Window:
    """``[since - OVERLAP, until)`` of one content type, literals in ``zone`` (see
    :func:`.cursor.window_clause`); ``str()`` is the CQL clause."""

    since: dt.datetime
    until: dt.datetime
    zone: dt.tzinfo | None
    widen: dt.timedelta = dt.timedelta(0)

    @property
    def lower(self) -> str:
        return C.lower_literal(self.since - C.OVERLAP - self.widen, self.zone)

    @property
    def upper(self) -> str:
        return C.upper_literal(self.until + self.widen, self.zone)

    def __str__(self) -> str:
        return clause(self.lower, self.upper)

    def floor(self, when: dt.datetime) -> str:
        """The literal no reading of which is after ``when`` (a key to restart from)."""
        return C.lower_literal(when - self.widen, self.zone)

    def ceiling(self, when: dt.datetime) -> str:
        """The literal every reading of which is after ``when`` (the end of a crowded range)."""
        return C.upper_literal(when + self.widen, self.zone)


def _modified(item: dict) -> dt.datetime | None:
    return parse_utc((item.get("version") or {}).get("when"))


async def window_items(source, cql: str, window: Window, *, expand: str, what: str) -> AsyncIterator[dict]:
    """Every item of ``cql`` (which holds ``str(window)`` once and orders by ``lastmodified
    asc``), each once, paged by key (module rules). ``source`` is the ``ConfluenceDataSource``."""
    whole = str(window)
    if cql.count(whole) != 1 or "lastmodified asc" not in cql.lower():
        raise ValueError("a keyset listing needs the window clause once and lastmodified asc order")
    lo, hi = window.lower, window.upper
    seen: set[str] = set()
    while lo < hi:
        try:
            page, more = await source.api.search_page(cql.replace(whole, clause(lo, hi)), expand=expand)
        except ConfluenceError as exc:
            raise SyncError(f"Could not read {what}: {source._explain(exc)}") from None
        for item in page:
            key = str(item.get("id"))
            if key not in seen:
                seen.add(key)
                yield item
        if not more or not page:
            return
        when = _modified(page[-1])
        following = window.floor(when) if when is not None else lo
        if following > lo:
            lo = following
            continue
        cut = min(window.ceiling(when), hi) if when is not None else hi
        if cut <= lo:
            cut = hi
        async for item in _crowded(source, cql.replace(whole, clause(lo, cut)), expand, what, seen):
            yield item
        lo = cut


async def _crowded(source, cql: str, expand: str, what: str, seen: set[str]) -> AsyncIterator[dict]:
    """Rule 3: offset passes over one range until a pass finds nothing new."""
    for attempt in range(MAX_PASSES):
        fresh = 0
        stream = source._guarded(what, source.api.search(cql, expand=expand, what=what))
        async for item in stream:
            key = str(item.get("id"))
            if key not in seen:
                seen.add(key)
                fresh += 1
                yield item
        if attempt and not fresh:
            return
    raise SyncError(
        f"Could not read {what}: the listing kept changing under the pager ({MAX_PASSES} passes "
        "over one minute of changes); the next sync lists it again."
    )
