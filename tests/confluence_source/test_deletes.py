"""Deletes, trash, purges, restores and labels in an incremental sync, against the mock Confluence
with a :class:`MemoryIndexView` as the index: after each incremental (its operations applied to
the index), the index equals what a fresh full sync yields, document by document. The
"reconciliation-only" changes (a comment deleted, content trashed and purged between two runs,
an attachment deleted for good, labels) are exact once a reconciliation is due, and only then."""

from __future__ import annotations

import pytest

from connectors.errors import SyncError
from connectors.index_view import MemoryIndexView
from connectors.source import OP_DELETE, OP_INDEX
from connectors.sources.confluence import idset, trash
from connectors.sources.confluence.client import ConfluenceHTTPError
from tests.confluence_source.test_incremental import first, full, incremental_on, mutate, resolved
from tests.confluence_source.test_integration import source_for

__all__ = ["incremental_on"]  # the autouse fixture that switches incremental sync on

MODES = [("cloud", "cloud"), ("datacenter", "dc-pat")]
EVERY_RUN = {"reconcile_interval_minutes": 0}


class Index:
    """The index under test: a full sync's documents, then each incremental's operations."""

    def __init__(self, mock, mode, **values):
        self.mock, self.mode, self.values = mock, mode, values
        self.docs: dict[str, dict] = {}
        self.cursor = None
        self.ops: list[tuple[str, str]] = []

    async def full(self):
        self.docs, self.cursor = await full(self.mock, self.mode, **self.values)
        return self

    async def incremental(self, **values):
        source = source_for(self.mock, self.mode, **{**self.values, **values})
        source.set_index_view(MemoryIndexView(self.docs))
        ops = []
        try:
            async for doc, lazy, op in source.get_docs_incrementally(self.cursor):
                ops.append((op, doc["_id"], await resolved(doc, lazy) if op == OP_INDEX else None))
            self.cursor = source.sync_cursor()
        finally:
            await source.close()
        for op, doc_id, doc in ops:  # as the sink would write them, after the run
            if op == OP_DELETE:
                self.docs.pop(doc_id, None)
            else:
                self.docs[doc_id] = doc
        self.ops = [(op, doc_id) for op, doc_id, _ in ops]
        return self

    async def equals_a_fresh_full_sync(self):
        oracle, _ = await full(self.mock, self.mode, **self.values)
        missing = sorted(set(oracle) - set(self.docs))
        extra = sorted(set(self.docs) - set(oracle))
        differ = sorted(k for k in set(oracle) & set(self.docs) if oracle[k] != self.docs[k])
        assert (missing, extra, differ) == ([], [], []), "index differs from a fresh full sync"


def parent_with_children(docs):
    """A page with child pages and at least one comment or attachment of its own."""
    children: dict[str, int] = {}
    for doc in docs.values():
        if doc["type"] == "page" and doc.get("parent_id"):
            children[doc["parent_id"]] = children.get(doc["parent_id"], 0) + 1
    own = {d.get("container_id") for d in docs.values() if d["type"] in ("comment", "attachment")}
    for doc in docs.values():
        if doc["type"] == "page" and children.get(doc["id"]) and doc["id"] in own and doc.get("parent_id"):
            return doc
    raise AssertionError("no page with child pages, children of its own and a parent")


@pytest.mark.parametrize("flavor,mode", MODES)
@pytest.mark.parametrize("values", [{}, EVERY_RUN], ids=["not-due", "reconciling"])
@pytest.mark.parametrize("with_descendants", [False, True], ids=["children-move-up", "subtree"])
async def test_trash_then_restore_then_purge(confluence_factory, flavor, mode, values, with_descendants):
    mock = await confluence_factory(flavor=flavor)
    index = await Index(mock, mode, **values).full()
    page = parent_with_children(index.docs)
    await mutate(mock, {"op": "trash", "id": page["id"], "with_descendants": with_descendants})
    await index.incremental()
    assert (OP_DELETE, f"page-{page['id']}") in index.ops
    await index.equals_a_fresh_full_sync()  # page, its comments/attachments gone; children right

    await mutate(mock, {"op": "restore", "id": page["id"]})  # no new version
    await index.incremental()
    assert f"page-{page['id']}" in index.docs
    await index.equals_a_fresh_full_sync()  # back, with its comments and attachments

    await mutate(mock, {"op": "trash", "id": page["id"]})
    await index.incremental()
    await mutate(mock, {"op": "purge", "id": page["id"]})  # gone from the trash: read again, absent
    await index.incremental()
    await index.equals_a_fresh_full_sync()
    assert f"page-{page['id']}" not in index.docs


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_a_page_trashed_between_runs_then_purged_in_a_later_one(confluence_factory, flavor, mode):
    mock = await confluence_factory(flavor=flavor)
    index = await Index(mock, mode).full()
    page = first(index.docs, "page", space_key="ENG")
    await mutate(mock, {"op": "trash", "id": page["id"]})
    await index.incremental()
    await mutate(mock, {"op": "purge", "id": page["id"]})
    await index.incremental()  # gone from the trash: read again by id, not found
    await index.equals_a_fresh_full_sync()
    assert not any(k.endswith(f"-{page['id']}") for k in index.docs)


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_attachment_trashed_is_deleted_on_every_run_and_restored(confluence_factory, flavor, mode):
    mock = await confluence_factory(flavor=flavor)
    index = await Index(mock, mode).full()
    attachment = first(index.docs, "attachment")
    await mutate(mock, {"op": "remove_attachment", "id": attachment["id"]})  # v2: to the trash
    await index.incremental()
    assert index.ops == [(OP_DELETE, attachment["_id"])]
    await index.equals_a_fresh_full_sync()
    await mutate(mock, {"op": "restore", "id": attachment["id"]})
    await index.incremental()
    assert attachment["_id"] in index.docs
    await index.equals_a_fresh_full_sync()


RECONCILIATION_ONLY = {
    "comment deleted": lambda docs: [{"op": "remove_comment", "id": first(docs, "comment")["id"]}],
    "trashed and purged between runs": lambda docs: [
        {"op": "trash", "id": first(docs, "page", space_key="ENG")["id"]},
        {"op": "purge", "id": first(docs, "page", space_key="ENG")["id"]},
    ],
    "attachment purged at once": lambda docs: [
        {"op": "remove_attachment", "id": first(docs, "attachment")["id"], "purge_now": True}
    ],
    "labels set": lambda docs: [
        {"op": "set_labels", "id": first(docs, "page", space_key="ENG")["id"], "labels": ["fresh", "new"]}
    ],
    "labels removed": lambda docs: [
        {"op": "set_labels", "id": next(d for d in docs.values() if d.get("labels"))["id"], "labels": []}
    ],
}


@pytest.mark.parametrize("flavor,mode", MODES)
@pytest.mark.parametrize("change", sorted(RECONCILIATION_ONLY))
async def test_reconciliation_only_changes_are_exact_once_it_is_due(confluence_factory, flavor, mode, change):
    mock = await confluence_factory(flavor=flavor)
    index = await Index(mock, mode).full()
    await mutate(mock, *RECONCILIATION_ONLY[change](index.docs))
    await index.incremental()  # not due (a day after the full sync)
    with pytest.raises(AssertionError, match="differs"):
        await index.equals_a_fresh_full_sync()
    reconciled_at = index.cursor["reconciled_at"]
    await index.incremental(**EVERY_RUN)
    await index.equals_a_fresh_full_sync()
    assert index.cursor["reconciled_at"] > reconciled_at


@pytest.mark.parametrize(
    "values",
    [
        {"exclude_spaces": ["ENG"], "modified_after": "2024-01-01", "index_blogposts": False},
        {"max_num_of_docs_from_each_space": 5},
        {"max_num_of_spaces": 2, "index_labels": False},
    ],
    ids=["filters", "per-space-cap", "space-cap"],
)
async def test_the_reconciliation_scope_is_the_full_syncs(confluence_cloud, values):
    """Under filters and caps an idle reconciliation finds nothing to change, and a comment
    deleted in scope is deleted."""
    mock = confluence_cloud
    index = await Index(mock, "cloud", **values).full()
    await index.incremental(**EVERY_RUN)
    assert index.ops == []
    gone = next((d for d in index.docs.values() if d["type"] == "comment"), None)
    if gone is not None:
        await mutate(mock, {"op": "remove_comment", "id": gone["id"]})
    else:  # the cap keeps pages only: one trashed and purged (another takes its place)
        gone = first(index.docs, "page")
        await mutate(mock, {"op": "trash", "id": gone["id"]}, {"op": "purge", "id": gone["id"]})
    await index.incremental(**EVERY_RUN)
    assert (OP_DELETE, gone["_id"]) in index.ops
    await index.equals_a_fresh_full_sync()


async def test_advanced_rules_reconcile(confluence_cloud):
    from connectors.filtering import Filter

    mock = confluence_cloud
    rules = Filter({"rules": [], "advanced_snippet": {"value": [{"query": 'type = page and space = "ENG"'}]}})
    source_docs, cursor = await full(mock, "cloud", rules)
    index = Index(mock, "cloud")
    index.docs, index.cursor = source_docs, cursor
    comment = first(index.docs, "comment")
    await mutate(mock, {"op": "remove_comment", "id": comment["id"]})
    source = source_for(mock, "cloud", **EVERY_RUN)
    source.set_index_view(MemoryIndexView(index.docs))
    ops = [(op, doc["_id"]) async for doc, _, op in source.get_docs_incrementally(cursor, rules)]
    await source.close()
    assert (OP_DELETE, comment["_id"]) in ops
    assert all(op == OP_INDEX or doc_id == comment["_id"] for op, doc_id in ops)


@pytest.mark.parametrize("failing", ["trash", "reconciliation"])
async def test_a_failing_listing_deletes_nothing_and_leaves_no_cursor(confluence_cloud, failing):
    mock = confluence_cloud
    index = await Index(mock, "cloud").full()
    page = first(index.docs, "page", space_key="ENG")
    await mutate(
        mock,
        {"op": "trash", "id": page["id"]},
        {"op": "remove_comment", "id": first(index.docs, "comment")["id"]},
    )
    source = source_for(mock, "cloud", **EVERY_RUN)
    source.set_index_view(MemoryIndexView(index.docs))
    real = source.api.search

    async def search(cql, **kwargs):  # the trash search, or the reconciliation's comment ids, fail
        if (failing == "trash" and kwargs.get("cqlcontext")) or (
            failing == "reconciliation" and kwargs.get("what") == "comment ids"
        ):
            raise ConfluenceHTTPError(500, "GET", "/rest/api/content/search", "Internal Server Error")
        async for item in real(cql, **kwargs):
            yield item

    source.api.search = search
    ops = []
    with pytest.raises(SyncError, match="Could not read .*HTTP 500"):
        async for _doc, _lazy, op in source.get_docs_incrementally(index.cursor):
            ops.append(op)
    assert OP_DELETE not in ops
    assert source.sync_cursor() is None
    await source.close()


def test_trash_ids_round_trip_and_are_bounded():
    ids = [5, 3, 2**40, 7, 3]
    assert list(idset.decode(idset.encode(ids))) == [3, 5, 7, 2**40]
    with pytest.raises(ValueError):
        idset.decode("not base64 at all!")
    kept = trash.bounded({"page": idset.sorted_ids(range(10)), "attachment": idset.sorted_ids([20, 30])}, 5)
    assert kept.truncated and list(kept.ids["page"]) == [7, 8, 9] and list(kept.ids["attachment"]) == [20, 30]
    assert trash.read(kept.entry()) == kept
    assert trash.read({"trash": {"ids": {"page": "garbage"}}}) is None
    dense = idset.encode(range(1_000_000, 1_100_000))
    assert len(dense) < 2_000  # a dense site's trash ids cost next to nothing in the cursor
