"""The trash diff: what was trashed or left the trash since the last sync, on every incremental.

Confluence has no "deleted since" feed, and trashing or restoring content adds no version, so no
``lastmodified`` window shows either. The trash itself is listable: every sync lists the trash
of the configured scope, keeps its ids in the cursor, and the next incremental compares. Rules:

1. **One listing for the scope** (:func:`list_trash`): a CQL search widened to the trash only
   (``cqlcontext={"contentStatuses":["trashed"]}``, verified on Cloud and Data Center, §6) of
   ``type in (page, blogpost[, folder][, attachment])`` with the configured spaces' clauses
   (the whole site in advanced-rules mode), nothing expanded, at the largest page size. On
   Cloud, attachments come from v2 ``/attachments?status=trashed`` (verified, §1.2) instead.
   Comments are never in the trash (deleting one is permanent: the reconciliation finds it).
   An idle incremental spends ``1`` request here on Data Center, ``2`` on Cloud (plus one per
   further page: ``ceil(trash / page size)``), however many spaces the site has.
2. **Kept in the cursor** (``"trash": {"ids": {<type>: <id set>}, "truncated": bool}``, the ids
   of :mod:`.idset`): at most :data:`MAX_TRASH_IDS` ids (the highest are kept). A full sync
   lists the trash *before* its content, so whatever leaves the trash during it is seen next.
3. **Newly trashed** (in the trash now, not in the cursor's): the ones the index holds
   (``index_view.stored``) are yielded as ``OP_DELETE``; the index documents that carry a newly
   trashed page, blog post or folder in their ``ancestors`` (``index_view.matching``) are
   deleted when it is their container (its comments and attachments: unreachable while it is
   in the trash, as a full sync skips the children of a container that is not current) and
   otherwise read again (:mod:`.refresh`: children moved up to the parent come back with their
   new ancestors, children trashed with it are not found and are deleted).
4. **Gone from the trash** (in the cursor's, not in the trash now): restored or purged. Each
   is read again by id (restored: indexed again, as a restore adds no version; purged: not
   found, deleted), and so are the comments and attachments of a restored page or blog post
   (one ``container in (…)`` search per 50 of them, ids only), which come back without a version.
5. **Beyond the bound**, or with no trash in the cursor: every trashed id not in the kept set
   counts as a candidate, and only the ones the index holds are deleted (rule 3); a restore of
   an id that was not kept is found by the next reconciliation (:mod:`.reconcile`), which reads
   again every id in scope that the index lacks.
6. **Failure**: the listing completes before anything is yielded; a failure raises
   ``SyncError`` (the cursor does not move).
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.index_view import STORED_BATCH
from connectors.source import OP_DELETE
from connectors.sources.confluence import idset
from connectors.sources.confluence.api import TRASHED_ONLY
from connectors.sources.confluence.cursor import content_types
from connectors.sources.confluence.refresh import BATCH, Refresh
from connectors.sources.confluence.scope import Scope

logger = logging.getLogger(__name__)

#: The most trash ids a cursor keeps (about 2 bytes each once encoded).
MAX_TRASH_IDS = 100_000
TRASH_KINDS = ("page", "blogpost", "folder", "attachment")
_CONTAINERS = ("page", "blogpost")
_HIERARCHY = ("page", "blogpost", "folder")


@dataclass(frozen=True)
class Trash:
    """The trash's ids by content type; ``truncated`` when ids beyond the bound were dropped."""

    ids: Mapping[str, array]
    truncated: bool = False

    def entry(self) -> dict:
        """The cursor's ``trash`` entry (rule 2)."""
        return {
            "trash": {
                "ids": {kind: idset.encode(ids) for kind, ids in self.ids.items()},
                "truncated": self.truncated,
            }
        }


def read(raw_cursor: Any) -> Trash | None:
    """The trash a cursor recorded, or ``None`` when it has none it can be read (rule 5)."""
    entry = raw_cursor.get("trash") if isinstance(raw_cursor, Mapping) else None
    if not isinstance(entry, Mapping) or not isinstance(entry.get("ids"), Mapping):
        return None
    try:
        ids = {str(kind): idset.decode(text) for kind, text in entry["ids"].items()}
    except ValueError:
        logger.info("the cursor's trash ids cannot be read: every trashed id is checked against the index")
        return None
    return Trash(ids, bool(entry.get("truncated")))


def trash_kinds(settings) -> tuple[str, ...]:
    return tuple(k for k in content_types(settings) if k in TRASH_KINDS)


def bounded(ids: dict[str, array], limit: int = MAX_TRASH_IDS) -> Trash:
    """``ids`` with at most ``limit`` ids in all, the highest kept (rule 2)."""
    total = sum(len(v) for v in ids.values())
    if total <= limit:
        return Trash(ids)
    merged = sorted((i for v in ids.values() for i in v), reverse=True)
    threshold = merged[limit - 1]
    return Trash({k: array("q", (i for i in v if i >= threshold)) for k, v in ids.items()}, True)


async def list_trash(source, *, whole_site: bool) -> Trash:
    """The trash of the configured scope (rule 1), bounded (rule 2)."""
    s = source.settings
    kinds = trash_kinds(s)
    found: dict[str, list[int]] = {kind: [] for kind in kinds}
    searched = [k for k in kinds if not (k == "attachment" and s.is_cloud)]
    if searched:
        cql = Scope(s).trash_cql(searched, whole_site=whole_site)
        stream = source.api.search(cql, expand="", what="the trash", cqlcontext=TRASHED_ONLY)
        async for item in source._guarded("the trash", stream):
            raw = idset.to_int(item.get("id"))
            if item.get("type") in found and raw is not None:
                found[item["type"]].append(raw)
    if "attachment" in kinds and s.is_cloud:
        async for item in source._guarded("the trashed attachments", source.api.trashed_attachments()):
            raw = idset.to_int(item.get("id"))
            if raw is not None:
                found["attachment"].append(raw)
    return bounded({kind: idset.sorted_ids(ids) for kind, ids in found.items()})


class TrashDiff:
    """The trash stage of one incremental run (module rules); :attr:`now` is the trash listed."""

    def __init__(self, source, refresh: Refresh, *, whole_site: bool):
        self.source = source
        self.refresh = refresh
        self.whole_site = whole_site
        self.before: Trash | None = None
        self.now: Trash | None = None

    def entry(self) -> dict:
        return self.now.entry() if self.now is not None else {}

    async def list(self, raw_cursor: Any) -> None:
        """Rule 1: list the trash (before anything of the run is deleted)."""
        self.before = read(raw_cursor)
        self.now = await list_trash(self.source, whole_site=self.whole_site)

    async def run(self) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rules 3 and 4, after :meth:`list`."""
        before = self.before
        trashed: dict[str, list[int]] = {}
        gone: dict[str, list[int]] = {}
        for kind, ids in self.now.ids.items():
            old = before.ids.get(kind, array("q")) if before is not None else array("q")
            trashed[kind] = [i for i in ids if not idset.contains(old, i)]
            gone[kind] = [i for i in old if not idset.contains(ids, i)]
        async for triple in self._trashed(trashed):
            yield triple
        for kind, ids in gone.items():
            self.refresh.add(f"{kind}-{i}" for i in ids)
        await self._children_again([i for kind in _CONTAINERS for i in gone.get(kind, ())])

    def _delete(self, doc_id: str) -> tuple[dict, Any, str] | None:
        if self.refresh.was_yielded(doc_id):
            return None
        self.refresh.yielded(doc_id)
        return {"_id": doc_id}, None, OP_DELETE

    async def _trashed(self, trashed: dict[str, list[int]]) -> AsyncIterator[tuple[dict, Any, str]]:
        """Rule 3: delete what the index holds of the new trash; its children go or are re-read."""
        view = self.source.index_view
        doc_ids = [f"{kind}-{i}" for kind, ids in trashed.items() for i in ids]
        for start in range(0, len(doc_ids), STORED_BATCH):
            held = await view.stored(doc_ids[start : start + STORED_BATCH], ("type",))
            for doc_id in doc_ids[start : start + STORED_BATCH]:
                if doc_id in held and (triple := self._delete(doc_id)) is not None:
                    yield triple
        parents = sorted({str(i) for kind in _HIERARCHY for i in trashed.get(kind, ())}, key=int)
        for start in range(0, len(parents), STORED_BATCH):
            batch = parents[start : start + STORED_BATCH]
            wanted = set(batch)
            again = []
            async for doc_id, fields in view.matching("ancestors.id", batch, ("container_id",)):
                if str(fields.get("container_id")) in wanted:
                    if (triple := self._delete(doc_id)) is not None:
                        yield triple
                else:
                    again.append(doc_id)
            self.refresh.add(again)

    async def _children_again(self, containers: list[int]) -> None:
        """Rule 4: the comments and attachments of restored pages and blog posts, read again."""
        kinds = [k for k in ("comment", "attachment") if k in content_types(self.source.settings)]
        if not kinds or not containers:
            return
        for start in range(0, len(containers), BATCH):
            ids = ", ".join(str(i) for i in containers[start : start + BATCH])
            cql = f"type in ({', '.join(kinds)}) and container in ({ids})"
            stream = self.source.api.search(cql, expand="", what="children of restored content")
            async for item in self.source._guarded("the children of restored content", stream):
                if item.get("type") in kinds:
                    self.refresh.add([f"{item['type']}-{item.get('id')}"])
