"""The id reconciliation: what the cheap per-run stages cannot see, on a longer period.

The change windows see what got a version, the trash diff (:mod:`.trash`) what entered or left
the trash. Neither sees a comment deleted (permanent in Confluence), content trashed *and*
purged between two runs, an attachment deleted for good, a restore of an id beyond the trash
bound, labels set, added or removed (no version), or a page moved without a version (the
mock's ``new_version: false``; whether Confluence versions a move is unverified). Every
``reconcile_interval_minutes`` (0: every incremental) the reconciliation compares the whole
scope's ids, and what the same listing says of their labels and place, with the index's.
Rules:

1. **When**: the cursor keeps ``reconciled_at``, the start of the last run that reconciled; a
   full sync is a reconciliation (its start). Due when the interval has passed since, or when
   the cursor has no time (a full sync that could not list the trash leaves none).
2. **The scope, exactly the full sync's**: with the configured spaces (``space in``/``space not
   in``, the first N under a space cap), ID filters, date windows (CQL clauses, then the exact
   check on the listed times), toggles, container checks and attachment rules of the full sync
   (:meth:`~.datasource.ConfluenceDataSource._child_in_scope`, ``_child_pair``). Archived
   spaces and archived or trashed content are left out as in a full sync (search leaves them
   out). Ids only: one search per content type over the whole scope, nothing expanded beyond
   what those checks and rules 5 and 6 need (``space`` always, ``ancestors`` for pages and
   folders, ``container`` for comments and attachments, ``version,history`` under a date
   window, ``metadata.labels`` where labels are indexed), at the largest page size for that
   expansion (:func:`.api.limit_for`: 200). Under a per-space cap or in advanced-rules mode
   the full sync's choice cannot be made from ids alone, so its own listing runs (the first N per space; each rule and the children
   of every page and blog post a rule matches), bodies converted never, nothing downloaded.
3. **Bounded memory**: the ids of each type go into an ``array('q')`` (8 bytes each), sorted;
   the index's ids are streamed against it (``index_view.ids``) with one byte a listed id to
   mark those the index holds.
4. **Differences are read again, by id**: an index id Confluence did not list, and a listed id
   the index lacks, go to the run's :class:`~.refresh.Refresh`. :func:`~.refresh.relist` reads
   them by id at the end of the run: not found → ``OP_DELETE``; found → indexed. So nothing is
   deleted on the strength of a listing that an item slipped through (paging under deletes),
   and a restore the trash diff could not see comes back. Under a per-space cap or advanced
   rules, reading by id cannot tell "beyond the cap" or "no longer matched" from "still there",
   so an index id the full sync's listing lacks is deleted at once. The documents that carry a
   vanished page, blog post or folder in their ``ancestors`` are read again too (its children
   moved up when it was trashed, and it was purged before the next run).
5. **Labels**: where labels are indexed, the listed labels of each page, blog post and
   attachment are compared with the stored ones (``index_view.stored``, 500 a call); a
   document whose labels differ is read again.
6. **Places** (a move without a version): in the same ``stored`` calls, the listed space of
   every document and the listed ancestor ids of each page and folder are compared with the
   stored ``space_id`` and ``ancestors`` (:func:`.hierarchy.place_change`); a document in
   another place is read again, and for a page, blog post or folder so is its sub-tree in the
   index (:meth:`.hierarchy.Hierarchy.index_side`: the comments below it, whose ancestors run
   through it; across spaces also its descendants' attachments). Its descendants in Confluence
   need no query: each is listed here and compared itself. Under a per-space cap or advanced
   rules the full sync's documents give the same fields.
7. **Failure**: every listing completes before the index is read for the id comparison and
   before anything of the refresh is read or deleted; a listing that fails raises ``SyncError``
   and the cursor does not move.

Cost of a due run (plain mode): ``sum over types of ceil(items / 200)`` requests (rule 6 expands
``space`` for every type, so each listing pages at 200 on Data Center and Cloud; beside the
labels and containers that already needed an expansion, this adds requests only to a listing
that was bare before: folders always, pages and blog posts with labels off and no date window,
at 1,000 a page on Data Center and 250 on Cloud) plus ``ceil(differences / 50)`` to read the
differences again; the index: the ids streamed once and ``ceil(items / 500)`` ``stored``
calls.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from array import array
from collections.abc import AsyncIterator, Mapping
from typing import Any

from connectors.errors import SyncError
from connectors.index_view import STORED_BATCH
from connectors.source import OP_DELETE
from connectors.sources.confluence import idset
from connectors.sources.confluence.cursor import content_types
from connectors.sources.confluence.documents import labels_of
from connectors.sources.confluence.hierarchy import ENTERED, MOVED, place_change
from connectors.sources.confluence.refresh import split_id
from connectors.sources.confluence.scope import KIND_TOGGLES, Scope
from connectors.sources.confluence.trash import list_trash
from connectors.utils import iso_utc, parse_utc

logger = logging.getLogger(__name__)

RECONCILED_AT = "reconciled_at"
_LABELLED = ("page", "blogpost", "attachment")
_HIERARCHY = ("page", "blogpost", "folder")
#: what a move changes without a version, listed with the ids (rule 6): the space of every
#: type, the ancestors of pages and folders (a blog post has none; a comment's or attachment's
#: run through its container, whose own check covers them)
_ANCESTRAL = ("page", "folder")
_PLACE_EXPAND = {"page": "ancestors,space", "folder": "ancestors,space"}


async def full_sync_marks(source, started: dt.datetime, *, whole_site: bool) -> dict:
    """What a full sync adds to its cursor, listed before its content: the trash (:mod:`.trash`)
    and ``reconciled_at`` = its start. If the trash cannot be listed the full sync goes on and
    leaves neither (the next incremental treats every trashed id as new and reconciles)."""
    try:
        trash = await list_trash(source, whole_site=whole_site)
    except SyncError as exc:
        logger.warning("%s: the next incremental sync reconciles instead", exc)
        return {}
    return {**trash.entry(), RECONCILED_AT: iso_utc(started)}


def last_reconciled(raw_cursor: Any) -> dt.datetime | None:
    value = raw_cursor.get(RECONCILED_AT) if isinstance(raw_cursor, Mapping) else None
    return parse_utc(value) if isinstance(value, str) else None


class _Compared:
    """What the listing says of each document, checked against its stored copy,
    :data:`STORED_BATCH` documents a call (rules 5 and 6): labels where indexed, the place
    (``space_id``; ``ancestors`` of pages and folders) always. A differing document is read
    again; a page, blog post or folder in another place has its index-side sub-tree read again
    (:meth:`.hierarchy.Hierarchy.index_side`: whole, as for an entered item, across spaces)."""

    def __init__(self, view, refresh, *, labels: bool):
        self.view, self.refresh, self.labels = view, refresh, labels
        self.batch: dict[str, dict] = {}
        self.moved: dict[str, set[str]] = {MOVED: set(), ENTERED: set()}

    async def add(self, kind: str, doc_id: str, place: dict, labels: list[str] | None) -> None:
        listed = {"place": place}
        if self.labels and kind in _LABELLED:
            listed["labels"] = list(labels or [])
        self.batch[doc_id] = listed
        if len(self.batch) >= STORED_BATCH:
            await self.flush()

    async def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, {}
        fields = ("labels", "ancestors", "space_id") if self.labels else ("ancestors", "space_id")
        stored = await self.view.stored(list(batch), fields)
        for doc_id, listed in batch.items():
            old = stored.get(doc_id)
            if old is None:
                continue  # not held: the id comparison reads it (rule 4)
            change = place_change(old, listed["place"])
            if change is not None and doc_id.partition("-")[0] in _HIERARCHY:
                self.moved[change].add(doc_id)
            if change is not None or (
                "labels" in listed and list(old.get("labels") or []) != listed["labels"]
            ):
                self.refresh.add([doc_id])

    async def sub_trees(self, hierarchy) -> None:
        """After the last :meth:`flush`: the index-side sub-trees of what moved."""
        await hierarchy.index_side(self.view, self.moved[MOVED], full=False)
        await hierarchy.index_side(self.view, self.moved[ENTERED], full=True)


def _place_of_item(kind: str, item: dict) -> dict:
    """The place of a listed item, as :func:`.hierarchy.place_change` compares it."""
    space_id = (item.get("space") or {}).get("id")
    place: dict = {"space_id": str(space_id) if space_id is not None else None}
    if kind in _ANCESTRAL:
        place["ancestors"] = item.get("ancestors") or []
    return place


def _place_of_doc(kind: str, doc: dict) -> dict:
    place: dict = {"space_id": doc.get("space_id")}
    if kind in _ANCESTRAL:
        place["ancestors"] = doc.get("ancestors") or []
    return place


class Reconciliation:
    """The reconciliation stage of one incremental run (module rules). ``listing`` is the run's
    :class:`~.changes.ChangeListing` (source, settings, rules, refresh, the capped spaces)."""

    def __init__(self, listing, raw_cursor: Any, started: dt.datetime):
        self.listing = listing
        self.source = listing.source
        self.settings = listing.settings
        last = last_reconciled(raw_cursor)
        minutes = self.settings.reconcile_interval_minutes
        self.due = minutes == 0 or last is None or started - last >= dt.timedelta(minutes=minutes)
        self.at = started if self.due else last
        self.listed: dict[str, array] | None = None

    def entry(self) -> dict:
        return {RECONCILED_AT: iso_utc(self.at)} if self.at is not None else {}

    async def list(self) -> None:
        """Rules 2, 3, 5 and 6 when due: the scope's ids, listed to the end before anything of the
        run is deleted (rule 6)."""
        kinds = content_types(self.settings)
        if not self.due or not kinds:
            return
        compared = _Compared(
            self.source.index_view, self.listing.refresh, labels=self.settings.on("index_labels")
        )
        listed: dict[str, array] = {kind: array("q") for kind in kinds}
        await self._list(listed, compared)
        await compared.flush()
        await compared.sub_trees(self.listing.hierarchy)
        self.listed = {kind: idset.sorted_ids(ids) for kind, ids in listed.items()}

    async def run(self) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rule 4, after :meth:`list`."""
        listed, self.listed = self.listed, None
        if listed is None:
            return
        exact = bool(self.listing.rules) or self.settings.max_docs_per_space is not None
        async for triple in self._against_the_index(listed, exact):
            yield triple

    async def _against_the_index(self, listed: dict[str, array], exact: bool) -> AsyncIterator[tuple]:
        """Rules 3 and 4: the index's ids streamed against the listed ones. ``exact``: the
        listing was the full sync's own (cap, rules), so what it lacks is deleted at once."""
        refresh = self.listing.refresh
        held = {kind: bytearray(len(ids)) for kind, ids in listed.items()}
        gone_parents: list[str] = []
        async for doc_id in self.source.index_view.ids(list(listed)):
            parts = split_id(doc_id)
            value = idset.to_int(parts[1]) if parts else None
            if parts is None or value is None or parts[0] not in listed:
                continue
            ids = listed[parts[0]]
            i = bisect.bisect_left(ids, value)
            if i < len(ids) and ids[i] == value:
                held[parts[0]][i] = 1
                continue
            if parts[0] in _HIERARCHY:
                gone_parents.append(parts[1])
            if not exact:
                refresh.add([doc_id])
            elif not refresh.was_yielded(doc_id):
                refresh.yielded(doc_id)
                yield {"_id": doc_id}, None, OP_DELETE
        for kind, ids in listed.items():
            marks = held[kind]
            refresh.add(f"{kind}-{ids[i]}" for i in range(len(ids)) if not marks[i])
        # what carried a vanished page, blog post or folder in its ancestors changed without a
        # version (children moved up when it was trashed, then it was purged): read it again
        for start in range(0, len(gone_parents), STORED_BATCH):
            batch = gone_parents[start : start + STORED_BATCH]
            refresh.add(
                [doc_id async for doc_id, _ in self.source.index_view.matching("ancestors.id", batch)]
            )

    # -- listing the scope --------------------------------------------------------------------
    async def _list(self, listed: dict[str, array], compared: _Compared) -> None:
        s = self.settings
        if self.listing.rules or s.max_docs_per_space is not None:
            await self._list_as_full_sync(listed, compared)
            return
        space_keys = await self.listing._capped_spaces()
        if space_keys == ():
            return
        scope = Scope(s)
        allowed = None
        for kind in listed:
            expand = self._expand(kind, scope)
            stream = self.source.api.search(
                scope.listing_cql(kind, space_keys), expand=expand, what=f"{kind} ids"
            )
            if kind in KIND_TOGGLES:
                async for item in self.source._guarded(f"the {kind} ids of the scope", stream):
                    if scope.in_date_window(item):
                        await self._keep(listed, compared, kind, item)
                continue
            wanted = scope.wanted_containers(kind)
            if allowed is None:
                allowed = await self.source._container_scope(None, {"page", "blogpost"}, scope, space_keys)
            async for item in self.source._guarded(f"the {kind} ids of the scope", stream):
                if not self.source._child_in_scope(item, wanted, allowed, scope):
                    continue
                if kind == "attachment" and await self.source._child_pair(item) is None:
                    continue  # an image with inline images off: never indexed
                await self._keep(listed, compared, kind, item)

    def _expand(self, kind: str, scope: Scope) -> str:
        parts = [_PLACE_EXPAND.get(kind, "space")]
        if kind in ("comment", "attachment"):
            parts.append("container")
        if scope.has_date_window():
            parts.append("version,history")
        if kind in _LABELLED and self.settings.on("index_labels"):
            parts.append("metadata.labels")
        return ",".join(parts)

    async def _keep(self, listed, compared: _Compared, kind: str, item: dict) -> None:
        value = idset.to_int(item.get("id"))
        if value is None:
            return
        listed[kind].append(value)
        await compared.add(kind, f"{kind}-{value}", _place_of_item(kind, item), labels_of(item))

    async def _list_as_full_sync(self, listed: dict[str, array], compared: _Compared) -> None:
        """Rule 2, per-space cap and advanced rules: the full sync's own listing, documents only."""
        if self.listing.rules:
            stream = self.source._docs_from_cql(self.listing.rules)
        else:
            stream = self.source._docs_from_spaces()
        async for doc, _lazy in stream:
            parts = split_id(doc.get("_id", ""))
            value = idset.to_int(parts[1]) if parts else None
            if parts is None or value is None or parts[0] not in listed:
                continue
            listed[parts[0]].append(value)
            await compared.add(parts[0], doc["_id"], _place_of_doc(parts[0], doc), doc.get("labels"))
