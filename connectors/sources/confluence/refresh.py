"""Documents to read again: what an incremental sync learns changed without a version of its own.

A moved page's descendants, the children of a renamed page, content restored from the trash,
documents of a renamed space: Confluence changes them without a new version, so no
``lastmodified`` window lists them. The stage that finds such a consequence (moves, trash diff,
space diff) adds the affected document ids to one :class:`Refresh` of the run; at the end of the
run :func:`relist` reads them again from Confluence, through the full sync's own builders and
scope checks. Rules:

1. **Once**: an id is read again at most once per run, and not at all when the run already
   yielded it (from a change window or an earlier refresh): :meth:`Refresh.yielded` records those.
2. **By id, in scope**: ids are read in batches of :data:`BATCH` per content type with CQL
   ``type = <kind> and id in (...)`` ANDed with the configured scope's clauses (spaces, ID
   filters, date clauses), expanded as a full listing of that type is; what comes back goes
   through the same checks as in a full sync (exact date window, toggles, container status and
   ID filters for comments and attachments).
3. **Absent means gone**: an id that is not returned — trashed, purged, archived out of scope,
   moved out of an included tree or out of the configured spaces — is yielded as ``OP_DELETE``
   (the sink ignores a delete of an id the index does not hold).
4. **Failure**: a listing that fails after its retries raises ``SyncError`` (via ``_guarded``):
   nothing is deleted on the strength of an incomplete listing, because the deletes of a batch
   are yielded only after its listing completed.
5. **Modes**: in advanced-rules mode an id is in scope when a rule matches it, or (comments,
   attachments) its container (:mod:`.rules_refresh`); under a per-space cap ids are not judged
   one by one: their spaces are listed again by the full path and diffed with the index
   (:mod:`.capped`). ``space_keys`` (the spaces listed under a space cap) narrows rule 2.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from connectors.source import OP_DELETE, OP_INDEX
from connectors.sources.confluence.api import expand_for
from connectors.sources.confluence.rules_refresh import relist_batch_by_rules
from connectors.sources.confluence.scope import KIND_TOGGLES, Scope

#: Ids per ``id in (...)`` listing (well under CQL's query length limits).
BATCH = 50
_KINDS = ("page", "blogpost", "folder", "comment", "attachment")


def split_id(doc_id: str) -> tuple[str, str] | None:
    """``"page-123"`` → ``("page", "123")``; ``None`` for an id that is not a content document."""
    kind, _, raw = str(doc_id).partition("-")
    if kind not in _KINDS or not raw:
        return None
    return kind, raw


class Refresh:
    """The ids one run must read again, and the ids it has yielded (each read at most once)."""

    def __init__(self) -> None:
        self._pending: dict[str, None] = {}  # insertion-ordered set
        self._yielded: set[str] = set()

    def add(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            if doc_id not in self._yielded and split_id(doc_id) is not None:
                self._pending[doc_id] = None

    def yielded(self, doc_id: str) -> None:
        """``doc_id`` was yielded by this run (index or delete): no need to read it again."""
        self._yielded.add(doc_id)
        self._pending.pop(doc_id, None)

    def was_yielded(self, doc_id: str) -> bool:
        return doc_id in self._yielded

    def take(self) -> dict[str, list[str]]:
        """The pending ids by content type (raw Confluence ids), emptied."""
        by_kind: dict[str, list[str]] = {}
        for doc_id in self._pending:
            kind, raw = split_id(doc_id)  # type: ignore[misc]  # add() kept only content ids
            by_kind.setdefault(kind, []).append(raw)
        self._pending.clear()
        return by_kind

    def __len__(self) -> int:
        return len(self._pending)


async def relist(
    source,
    scope: Scope,
    refresh: Refresh,
    *,
    rules: list[str] | None = None,
    capped=None,
    space_keys: tuple[str, ...] | None = None,
) -> AsyncIterator[tuple[dict, Any, str]]:
    """Read every pending id of ``refresh`` again (module rules); yields ``(doc, lazy, op)``.

    Ids added while this runs (a stage reacting to a refreshed page) are read too, until none is
    left. ``source`` is the ``ConfluenceDataSource`` (its builders, scope checks and API);
    ``rules`` the advanced rules (rules mode), ``capped`` the run's :class:`.capped.CappedSpaces`
    (per-space cap)."""
    if capped is not None:
        async for triple in capped.relist_pending():
            yield triple
        return
    while len(refresh):
        for kind, raw_ids in refresh.take().items():
            for start in range(0, len(raw_ids), BATCH):
                batch = raw_ids[start : start + BATCH]
                if rules:
                    stream = relist_batch_by_rules(source, rules, kind, batch, refresh)
                else:
                    stream = _relist_batch(source, scope, kind, batch, space_keys)
                async for triple in stream:
                    refresh.yielded(triple[0]["_id"])
                    yield triple


async def _relist_batch(
    source, scope: Scope, kind: str, raw_ids: list[str], space_keys: tuple[str, ...] | None = None
) -> AsyncIterator[tuple[dict, Any, str]]:
    s = source.settings
    labels = s.on("index_labels")
    cql = scope.ids_cql(kind, raw_ids, space_keys)
    found: dict[str, dict] = {}
    stream = source.api.search(cql, expand=expand_for(kind, labels=labels), what=f"{kind}s to read again")
    async for item in source._guarded(f"{kind}s to read again", stream):
        found[str(item.get("id"))] = item
    allowed: dict[str, set | None] | None = None
    for raw in raw_ids:
        item = found.get(raw)
        pair = None
        if item is not None and kind in KIND_TOGGLES:
            if s.on(KIND_TOGGLES[kind]) and scope.in_date_window(item):
                pair = source._content_pair(item)
        elif item is not None:
            if allowed is None:
                allowed = await source._container_scope(None, {"page", "blogpost"}, scope, space_keys)
            if source._child_in_scope(item, scope.wanted_containers(kind), allowed, scope):
                pair = await source._child_pair(item)
        if pair is not None:
            yield pair[0], pair[1], OP_INDEX
        else:
            yield {"_id": f"{kind}-{raw}"}, None, OP_DELETE
