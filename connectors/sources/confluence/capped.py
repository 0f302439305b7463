"""Incremental sync under a per-space cap (``max_docs_per_space``): whole spaces, never items.

A full sync keeps the first N items of each space (pages, then blog posts, folders,
attachments, comments, each oldest first). Whether one changed, moved or restored item belongs
to those N cannot be judged item by item: a page created, trashed or moved out changes which
items are the first N. So every space a change touches is listed again by the full path and
diffed with the index. Rules:

1. **Affected spaces**: a space with a change in a window (:mod:`.changes`), the current and the
   stored space of every id another stage asked to read again (:mod:`.refresh`), a space a page
   moved out of (:mod:`.hierarchy`), a new or renamed space (:mod:`.space_changes`). Only spaces
   the sync covers are listed; each at most once per run.
2. **Full path**: an affected space is listed as a full sync lists it (``_space_content``: at
   most the cap's worth of items, through the same builders and checks); ids the run already
   yielded are not yielded again.
3. **Diff**: after every listing, the documents the index holds for an affected space
   (``matching("space_id")``) that the run did not yield (from any space) are deleted — they
   fell out of the first N or left the space. Space documents are never deleted here. Without
   an index view no diff is possible: the log says so (the reconciliation catches them).
4. **Ids to read again**: looked up by id within the scope (``expand=space``, 200 a request);
   one not found is out of scope or gone and is deleted.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from connectors.index_view import STORED_BATCH
from connectors.source import OP_DELETE, OP_INDEX

logger = logging.getLogger(__name__)

#: Ids per ``id in (...)`` lookup.
BATCH = 50


class CappedSpaces:
    """Affected spaces of one run under a per-space cap (module rules)."""

    def __init__(self, source, refresh, scope, space_keys: tuple[str, ...] | None = None):
        self.source = source
        self.refresh = refresh
        self.scope = scope
        self.space_keys = space_keys  # the covered spaces when listed (space cap), else the settings'
        self._listed: dict[str, dict] = {}  # space key -> space, listed this run

    def covers(self, key: str | None) -> bool:
        s = self.source.settings
        if not key or key in s.exclude_spaces:
            return False
        keys = self.space_keys if self.space_keys is not None else (s.spaces or None)
        return keys is None or key in keys

    async def relist_space(self, space: dict) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rule 2: ``space`` (``key`` and ``id``) by the full path, once per run."""
        key = space.get("key")
        if key in self._listed or not self.covers(key):
            return
        self._listed[key] = space
        async for doc, lazy in self.source._space_content(space):
            if not self.refresh.was_yielded(doc["_id"]):
                self.refresh.yielded(doc["_id"])
                yield doc, lazy, OP_INDEX

    async def relist_spaces(self, spaces: Iterable[dict]) -> AsyncIterator[tuple[dict, Any, str]]:
        for space in list(spaces):
            async for triple in self.relist_space(space):
                yield triple

    async def relist_pending(self) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rule 4, then rule 2 for their spaces, until nothing is pending."""
        view = self.source.index_view
        while len(self.refresh):
            spaces: dict[str, dict] = {}
            gone: list[str] = []
            for kind, raw_ids in self.refresh.take().items():
                for start in range(0, len(raw_ids), BATCH):
                    batch = raw_ids[start : start + BATCH]
                    found = set()
                    cql = self.scope.ids_cql(kind, batch, self.space_keys)
                    stream = self.source.api.search(cql, expand="space", what=f"{kind}s to read again")
                    async for item in self.source._guarded(f"{kind}s to read again", stream):
                        found.add(str(item.get("id")))
                        space = item.get("space") or {}
                        if space.get("key"):
                            spaces.setdefault(space["key"], space)
                    gone += [f"{kind}-{raw}" for raw in batch if raw not in found]
                    if view is not None:
                        held = await view.stored(
                            [f"{kind}-{raw}" for raw in batch], ["space_id", "space_key"]
                        )
                        for fields in held.values():
                            if fields.get("space_key") and fields.get("space_id"):
                                spaces.setdefault(
                                    fields["space_key"],
                                    {"key": fields["space_key"], "id": fields["space_id"]},
                                )
            for doc_id in gone:
                if not self.refresh.was_yielded(doc_id):
                    self.refresh.yielded(doc_id)
                    yield {"_id": doc_id}, None, OP_DELETE
            async for triple in self.relist_spaces(spaces.values()):
                yield triple

    async def diff(self) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rule 3, over every space listed this run."""
        if not self._listed:
            return
        view = self.source.index_view
        if view is None:
            logger.warning(
                "Per-space cap: no index view, so documents that fell out of a space's first %s "
                "are left to the reconciliation",
                self.source.settings.max_docs_per_space,
            )
            return
        ids = sorted({str(space.get("id")) for space in self._listed.values() if space.get("id")})
        for start in range(0, len(ids), STORED_BATCH):
            async for doc_id, fields in view.matching(
                "space_id", ids[start : start + STORED_BATCH], ["type"]
            ):
                if fields.get("type") == "space" or self.refresh.was_yielded(doc_id):
                    continue
                self.refresh.yielded(doc_id)
                yield {"_id": doc_id}, None, OP_DELETE
