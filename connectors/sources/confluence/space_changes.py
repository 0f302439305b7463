"""Space changes in an incremental sync: renamed, archived, deleted, new and edited spaces.

A space has no version: renaming it changes ``space_name`` on every document of the space, and
archiving or deleting it removes its content from what a full sync lists, with no
``lastmodified`` anywhere. So each incremental run lists the spaces and diffs them against the
map the previous sync stored in the cursor (``spaces``: id → :func:`.cursor.space_digest`).
Rules:

1. **One listing**: the spaces a full sync covers are listed once per run — the configured ones
   (excluded ones skipped, the first ``max spaces``) or, in advanced-rules mode, every space the
   account sees: ``ceil(spaces / 250)`` requests on Cloud (v2), ``ceil(spaces / 100)`` on Data
   Center. Under a space cap this listing is also the scope of the change windows.
2. **New in scope** (not in the previous map: created, un-archived, or newly inside ``max
   spaces``): listed in full by the full path (its space document and content), as a full sync
   lists it. In rules mode a new space has nothing to re-list (rules reach content, not spaces).
3. **Renamed** (key or name changed): every document of the space is yielded again by the full
   path (the sink's partial update of unversioned fields makes that cheap on Elasticsearch; it
   costs the space's listing in Confluence requests). In rules mode the documents the index holds
   for the space (``matching("space_id")``) are read again by id (:mod:`.refresh`).
4. **Gone** (in the previous map, not listed now: deleted, archived — a full sync lists current
   spaces only, and CQL leaves archived spaces out — or pushed out of ``max spaces``): every
   document the index holds for it (``matching("space_id")``, the space document included) is
   deleted, except documents this run yielded (content moved out of it). Content moved *into* it
   just before it left is held under its old space and no window lists it: every id Confluence
   still has in the space (``space = KEY``, archived spaces included, ids only: one listing per
   gone space, once) is deleted too; a space deleted for good answers nothing, and what moved
   into it is left to the reconciliation. Without an index view nothing can be deleted here:
   the log says so, and the id reconciliation catches them.
5. **Space document** (``index_spaces``): yielded when its digest differs from the previous
   one (description, status, type, name have no version), or when nothing is known yet.
6. **Not yet known**: a cursor without a map (written before it existed) compares with the
   index instead: the stored space documents (``index_spaces``), else one indexed document per
   space (``matching("space_id")``, first hit); a space with nothing indexed is listed in full,
   one whose stored name differs is handled as renamed. Spaces gone before this run are left to
   the reconciliation. Without an index view the run only records the map (and logs it).
7. Every yielded id is marked in the run's :class:`.refresh.Refresh`; ids already yielded are
   not yielded again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from connectors.errors import SyncError
from connectors.index_view import STORED_BATCH
from connectors.source import OP_DELETE, OP_INDEX
from connectors.sources.confluence import cursor as C
from connectors.sources.confluence import documents as D
from connectors.sources.confluence.api import cql_quote
from connectors.sources.confluence.client import ConfluenceBadRequest, ConfluenceError, ConfluenceNotFound
from connectors.sources.confluence.rules import without_order_by

logger = logging.getLogger(__name__)


async def configured_spaces(source, rules_mode: bool) -> AsyncIterator[dict]:
    """The spaces a full sync covers (rule 1), in the API's order."""
    s = source.settings
    if rules_mode:
        async for space in source._guarded("the list of spaces", source.api.spaces(())):
            yield space
        return
    taken = 0
    async for space in source._guarded("the list of spaces", source.api.spaces(s.spaces)):
        if space.get("key") in s.exclude_spaces:
            continue
        if s.max_spaces is not None and taken >= s.max_spaces:
            return
        taken += 1
        yield space


def digest_of(source, space: dict) -> str:
    return C.space_digest(space, D.space_document(space, source.client.base_url))


class SpaceChanges:
    """The space stage of one incremental run (module rules): :meth:`read` before the change
    windows, :meth:`apply` after them; :attr:`seen` is the map for the new cursor."""

    def __init__(self, source, refresh, previous: Mapping[str, str] | None, *, rules=None, capped=None):
        self.source = source
        self.refresh = refresh
        self.previous = previous
        self.rules: list[str] = list(rules or [])
        self.rules_mode = bool(rules)
        self.capped = capped  # :class:`.capped.CappedSpaces` under a per-space cap
        self.spaces: list[dict] = []
        self.seen: dict[str, str] = {}

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(space["key"] for space in self.spaces if space.get("key"))

    async def read(self) -> None:
        async for space in configured_spaces(self.source, self.rules_mode):
            self.spaces.append(space)
            self.seen[str(space["id"])] = digest_of(self.source, space)

    # -- after the change windows ----------------------------------------------------------
    async def apply(self) -> AsyncIterator[tuple[dict, Any, str]]:
        view = self.source.index_view
        if self.previous is None:
            new, renamed, docs_changed = await self._unknown(view)
            gone: list[str] = []
        else:
            new, renamed, docs_changed, gone = self._diff()
        for space in new + renamed:
            async for triple in self._relist(space, renamed=space in renamed):
                yield triple
        if self.source.settings.on("index_spaces"):
            for space in docs_changed:
                async for triple in self._space_doc(space):
                    yield triple
        if gone:
            async for triple in self._delete_gone(view, gone):
                yield triple

    def _diff(self) -> tuple[list[dict], list[dict], list[dict], list[str]]:
        previous = self.previous or {}
        new, renamed, docs_changed = [], [], []
        for space in self.spaces:
            sid = str(space["id"])
            before, now = previous.get(sid), self.seen[sid]
            if before is None:
                new.append(space)
            elif before[:8] != now[:8]:
                renamed.append(space)
            elif before[8:] != now[8:]:
                docs_changed.append(space)
        gone = [sid for sid in previous if sid not in self.seen]
        return new, renamed, docs_changed, gone

    async def _unknown(self, view) -> tuple[list[dict], list[dict], list[dict]]:
        """Rule 6: no previous map; compare with what the index holds."""
        if view is None:
            logger.info(
                "Space changes are not known yet and there is no index view: this run records the spaces"
            )
            return [], [], list(self.spaces)
        new, renamed, same = [], [], []
        stored: dict[str, dict] = {}
        if self.source.settings.on("index_spaces"):
            for start in range(0, len(self.spaces), STORED_BATCH):
                ids = [f"space-{s['id']}" for s in self.spaces[start : start + STORED_BATCH]]
                stored.update(await view.stored(ids, ["space_key", "space_name"]))
        for space in self.spaces:
            held = stored.get(f"space-{space['id']}")
            if held is None:
                async for _, fields in view.matching(
                    "space_id", [str(space["id"])], ["space_key", "space_name"]
                ):
                    held = fields
                    break
            if held is None:
                new.append(space)
            elif (held.get("space_key"), held.get("space_name")) != (space.get("key"), space.get("name")):
                renamed.append(space)
            else:
                same.append(space)
        if not self.rules_mode:
            logger.info(
                "Space changes were not known yet: spaces gone before this run are left to the reconciliation"
            )
        return new, renamed, same

    async def _relist(self, space: dict, *, renamed: bool) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rules 2 and 3: the space by the full path (or, in rules mode, its indexed documents)."""
        if self.rules_mode:
            if renamed and self.source.index_view is not None:
                ids = [i async for i, _ in self.source.index_view.matching("space_id", [str(space["id"])])]
                self.refresh.add(ids)
                if self.source.settings.on("index_spaces"):
                    async for triple in self._space_doc(space):
                        yield triple
                return
            # new (or un-archived): what the rules return in it, by the full sync's rules path
            scoped = [
                f"({without_order_by(rule)}) and space = {cql_quote(space['key'])}" for rule in self.rules
            ]
            async for doc, lazy in self.source._docs_from_cql(scoped):
                if not self.refresh.was_yielded(doc["_id"]):
                    self.refresh.yielded(doc["_id"])
                    yield doc, lazy, OP_INDEX
            return
        if self.capped is not None:
            if self.source.settings.on("index_spaces"):
                async for triple in self._space_doc(space):
                    yield triple
            async for triple in self.capped.relist_space(space):
                yield triple
            return
        async for doc, lazy in self.source._space_docs(space):
            if not self.refresh.was_yielded(doc["_id"]):
                self.refresh.yielded(doc["_id"])
                yield doc, lazy, OP_INDEX

    async def _space_doc(self, space: dict) -> AsyncIterator[tuple[dict, Any, str]]:
        doc = D.space_document(space, self.source.client.base_url)
        if self.rules_mode and self.source.index_view is not None:
            # rules mode indexes the space documents of the spaces a rule reaches: only refresh held ones
            if not await self.source.index_view.stored([doc["_id"]], ["_id"]):
                return
        if not self.refresh.was_yielded(doc["_id"]):
            self.refresh.yielded(doc["_id"])
            yield doc, None, OP_INDEX

    async def _delete_gone(self, view, gone: list[str]) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rule 4."""
        if view is None:
            logger.warning(
                "%d space(s) left the scope (archived, deleted or past 'max spaces') but there is no "
                "index view to find their documents: the reconciliation will delete them",
                len(gone),
            )
            return
        keys: set[str] = set()
        for start in range(0, len(gone), STORED_BATCH):
            async for doc_id, fields in view.matching(
                "space_id", gone[start : start + STORED_BATCH], ("space_key",)
            ):
                if fields.get("space_key"):
                    keys.add(fields["space_key"])
                if not self.refresh.was_yielded(doc_id):
                    self.refresh.yielded(doc_id)
                    yield {"_id": doc_id}, None, OP_DELETE
        for key in sorted(keys):
            async for triple in self._delete_moved_in(key):
                yield triple

    async def _delete_moved_in(self, key: str) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rule 4, content moved into a space just before it left the scope: the index still
        holds it under its old space, and no window lists it (CQL leaves archived spaces out).
        Every id Confluence has in the space (archived spaces included, ids only) is deleted; a
        deleted space answers nothing (or an error, taken as nothing): the reconciliation is left."""
        stream = self.source.api.search(
            f"space = {cql_quote(key)}", expand="", include_archived=True, what=f"the content of space {key}"
        )
        try:
            async for item in stream:
                doc_id = f"{item.get('type')}-{item.get('id')}"
                if item.get("id") is not None and not self.refresh.was_yielded(doc_id):
                    self.refresh.yielded(doc_id)
                    yield {"_id": doc_id}, None, OP_DELETE
        except (ConfluenceBadRequest, ConfluenceNotFound) as exc:  # a space deleted for good
            logger.info("space %s is gone (%s): what moved into it is left to the reconciliation", key, exc)
        except ConfluenceError as exc:  # each id deleted so far is in the space: right either way
            raise SyncError(
                f"Could not read the content of space {key}: {self.source._explain(exc)}"
            ) from None
