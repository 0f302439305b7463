"""Moves, renames and exits in an incremental sync: what a changed page does to its sub-tree.

A page moved (within or across spaces) or renamed gets a version, but its descendants do not,
though their ``ancestors`` (ids, titles) and, across spaces, their space fields change, and so
do the ``ancestors``/``container_title`` of the comments and attachments below it. A page that
leaves the scope (moved out of an included tree, into an excluded one, to a space outside the
configured ones, or edited out of a date window) is not listed by a window at all, since the
windows carry the scope's clauses. Rules:

1. **Compare before yielding**: the pages, blog posts and folders a change window lists are held
   back in groups of :data:`WATCH_BATCH` and compared with their stored copies (one
   ``IndexView.stored`` per group, ids, titles and space of the ancestors, parent, title, space):
   * **unchanged place** (a plain edit): nothing more, no extra Confluence request;
   * **renamed** (own title or an ancestor's title changed): the documents under it in the index
     are read again (index side only: the set of descendants did not change);
   * **moved** (ancestor ids or parent changed): index side, and the descendants now under it in
     Confluence (``type in (page, folder) and ancestor in (...)``, ids only, 50 items an
     ``in``, 200 results a request);
   * **entered** (space changed, or no stored copy though created before this run: moved in,
     restored): as moved, plus the comments and attachments of it and of those descendants
     (``type in (comment, attachment) and container in (...)``, 50 containers a request;
     ``container`` is the field Confluence documents for comments and attachments).
   Content created since the previous run (``created`` after the latest mark − overlap) has no
   stored copy and needs no sub-tree check: all that is under it was created after it, so the
   windows list it. Without an index view the checks are skipped (logged once).
2. **Index side**: ``matching("ancestors.id", ids)`` finds the descendants and the comments below
   them (a comment's ancestors run through its container); for an entered or exited item, also
   ``matching("container_id", <descendants>)`` for the descendants' attachments. Every id found
   is read again by :func:`.refresh.relist` — in scope it is yielded, otherwise deleted.
3. **Exits**: one listing per run of the hierarchy items changed in the widest window that are
   *not* in scope, ids only: ``<window> and ((type = page and not (<page scope clauses>)) or
   ...)`` in spaces mode, ``type in (...) and <window> and not ((<rule 1>) or ...)`` in rules
   mode; comments and attachments join it only when a date window applies (the only way they
   leave on their own). Its cost is ``ceil(changed items outside the scope / 200)`` requests a
   run, and **nothing** when the scope has no clause (the whole site, no filter). Items the
   windows listed but the exact checks dropped (date window, container state, toggles, ID
   filters) join the candidates. Candidates held by the index are read again (absent → deleted)
   and their sub-trees refreshed as for an entered item (rule 2); candidates the index does not
   hold still get the index-side check (an out-of-scope ancestor renamed or moved).
4. **Per-space cap**: the spaces a moved or exited item was stored in are recorded
   (:attr:`Hierarchy.old_spaces`) so :mod:`.capped` lists them again; so is the stored space of
   every changed item the cap's listing names (:meth:`Hierarchy.listed`), yielded or not.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from connectors.index_view import STORED_BATCH
from connectors.sources.confluence.refresh import BATCH
from connectors.utils import parse_utc

logger = logging.getLogger(__name__)

HIERARCHY = ("page", "blogpost", "folder")
CHILDREN = ("comment", "attachment")
#: Listed hierarchy items held back per ``stored`` comparison.
WATCH_BATCH = 100
PLACE_FIELDS = ("ancestors", "title", "space_id", "space_key", "parent_id")
ENTERED, MOVED = "entered", "moved"


def _chain(doc: dict, with_titles: bool) -> list:
    return [
        (str(a.get("id")), a.get("title")) if with_titles else str(a.get("id"))
        for a in doc.get("ancestors") or []
        if isinstance(a, dict)
    ]


def place_change(stored: dict, listed: dict) -> str | None:
    """How ``listed`` (a document, or the ``space_id`` and, when it has them, ``ancestors`` of a
    listed item) left the place ``stored`` records: :data:`ENTERED` (another space),
    :data:`MOVED` (other ancestor ids), ``None`` (same place). Shared with :mod:`.reconcile`."""
    if str(stored.get("space_id")) != str(listed.get("space_id")):
        return ENTERED
    if "ancestors" in listed and _chain(stored, False) != _chain(listed, False):
        return MOVED
    return None


def _batches(ids: Iterable[str], size: int) -> Iterable[list[str]]:
    items = list(dict.fromkeys(ids))
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Hierarchy:
    """The sub-tree stage of one incremental run (module rules)."""

    def __init__(self, source, refresh, *, kinds: Iterable[str], born_after: dt.datetime | None):
        self.source = source
        self.refresh = refresh
        self.kinds = tuple(kinds)
        self.born_after = born_after
        self.renamed: set[str] = set()  # doc ids: index side only
        self.moved: set[str] = set()  # + Confluence-side descendants
        self.entered: set[str] = set()  # + Confluence-side comments and attachments
        self.old_spaces: dict[str, dict] = {}  # key -> {"key", "id"} (per-space cap)
        self._candidates: dict[str, None] = {}  # exit candidates (doc ids)
        self._placed: dict[str, str] = {}  # doc id -> space key it is listed in (per-space cap)
        self._warned = False

    # -- rule 1 ----------------------------------------------------------------------------
    async def watch(self, stream: AsyncIterator[tuple[dict, Any]]) -> AsyncIterator[tuple[dict, Any]]:
        held: list[tuple[dict, Any]] = []
        async for doc, lazy in stream:
            if doc.get("type") not in HIERARCHY:
                yield doc, lazy
                continue
            held.append((doc, lazy))
            if len(held) >= WATCH_BATCH:
                await self._classify([d for d, _ in held])
                for pair in held:
                    yield pair
                held = []
        if held:
            await self._classify([d for d, _ in held])
            for pair in held:
                yield pair

    def _view(self):
        view = self.source.index_view
        if view is None and not self._warned:
            self._warned = True
            logger.info("No index view: moves, renames and exits are not checked (sub-tree checks skipped)")
        return view

    def _born(self, doc: dict) -> bool:
        created = parse_utc(doc.get("created_at"))
        return self.born_after is not None and created is not None and created >= self.born_after

    async def _classify(self, docs: list[dict]) -> None:
        view = self._view()
        if view is None:
            return
        stored = await view.stored([d["_id"] for d in docs], PLACE_FIELDS)
        for doc in docs:
            old = stored.get(doc["_id"])
            if old is None:
                if not self._born(doc):
                    self.entered.add(doc["_id"])
                continue
            change = place_change(old, doc)
            if change == ENTERED:
                self.entered.add(doc["_id"])
                self._left(old)
            elif change == MOVED or old.get("parent_id") != doc.get("parent_id"):
                self.moved.add(doc["_id"])
            elif _chain(old, True) != _chain(doc, True) or old.get("title") != doc.get("title"):
                self.renamed.add(doc["_id"])

    def _left(self, stored: dict) -> None:
        if stored.get("space_key") and stored.get("space_id"):
            self.old_spaces.setdefault(
                stored["space_key"], {"key": stored["space_key"], "id": stored["space_id"]}
            )

    def listed(self, kind: str, item: dict) -> None:
        """A changed item listed with its space (per-space cap): if the index holds it in another
        space, that space is recorded in :attr:`old_spaces` (rule 4)."""
        key = (item.get("space") or {}).get("key")
        if key:
            self._placed[f"{kind}-{item.get('id')}"] = key

    def dropped(self, kind: str, item: dict) -> None:
        """An item a window listed but the exact checks dropped: a candidate exit (rule 3)."""
        self._candidates[f"{kind}-{item.get('id')}"] = None

    # -- rules 2 and 3 ---------------------------------------------------------------------
    async def settle(self, exits_cql: str | None) -> None:
        """After the windows: the exits listing, then every sub-tree refresh (ids go to the run's
        :class:`.refresh.Refresh`)."""
        view = self._view()
        if view is None:
            return
        if exits_cql:
            stream = self.source.api.search(exits_cql, expand="space", what="changed items outside the scope")
            async for item in self.source._guarded("changed items outside the scope", stream):
                self._candidates[f"{item.get('type')}-{item.get('id')}"] = None
        exited: set[str] = set()
        for batch in _batches(self._candidates, STORED_BATCH):
            held = await view.stored(batch, ("space_id", "space_key"))
            self.refresh.add(held)
            for doc_id in batch:
                if doc_id in held:
                    self._left(held[doc_id])
                if doc_id.partition("-")[0] in HIERARCHY:
                    exited.add(doc_id)
        for batch in _batches(self._placed, STORED_BATCH):
            for doc_id, fields in (await view.stored(batch, ("space_id", "space_key"))).items():
                if fields.get("space_key") != self._placed[doc_id]:
                    self._left(fields)
        await self.index_side(view, self.renamed | self.moved, full=False)
        await self.index_side(view, self.entered | exited, full=True)
        await self._confluence_side(self.moved, full=False)
        await self._confluence_side(self.entered, full=True)

    async def index_side(self, view, doc_ids: set[str], *, full: bool) -> None:
        """Rule 2 for ``doc_ids`` (moved, renamed; ``full``: entered or exited); also used by
        :mod:`.reconcile` for the moves it finds without a version."""
        raw = [d.partition("-")[2] for d in doc_ids]
        below: list[str] = []
        for batch in _batches(raw, STORED_BATCH):
            async for doc_id, fields in view.matching("ancestors.id", batch, ["type"]):
                self.refresh.add([doc_id])
                if full and fields.get("type") in ("page", "folder"):
                    below.append(doc_id.partition("-")[2])
        for batch in _batches(below, STORED_BATCH):
            async for doc_id, _ in view.matching("container_id", batch):
                self.refresh.add([doc_id])

    async def _confluence_side(self, doc_ids: set[str], *, full: bool) -> None:
        tops = [d.partition("-")[2] for d in sorted(doc_ids) if d.partition("-")[0] in ("page", "folder")]
        containers = [
            d.partition("-")[2] for d in sorted(doc_ids) if d.partition("-")[0] in ("page", "blogpost")
        ]
        kinds = [k for k in ("page", "folder") if k in self.kinds]
        if not kinds and full:
            kinds = ["page"]  # the descendants' comments and attachments still need their pages
        for batch in _batches(tops, BATCH) if kinds else ():
            cql = f"type in ({', '.join(kinds)}) and ancestor in ({', '.join(batch)})"
            async for item in self._ids(cql, "descendants of moved pages"):
                if item.get("type") in self.kinds:
                    self.refresh.add([f"{item['type']}-{item['id']}"])
                if item.get("type") == "page":
                    containers.append(str(item["id"]))
        children = [k for k in CHILDREN if k in self.kinds]
        if not full or not children:
            return
        for batch in _batches(containers, BATCH):
            cql = f"type in ({', '.join(children)}) and container in ({', '.join(batch)})"
            async for item in self._ids(cql, "comments and attachments of moved pages"):
                self.refresh.add([f"{item['type']}-{item['id']}"])

    def _ids(self, cql: str, what: str) -> AsyncIterator[dict]:
        return self.source._guarded(what, self.source.api.search(cql, expand="space", what=what))
