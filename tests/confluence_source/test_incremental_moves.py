"""Moves, renames, space changes and exits in an incremental sync, against the mock Confluence.

Each case keeps an "index" (a dict, read through :class:`MemoryIndexView` as the runner's view
of the content index): a full sync fills it, mutations run through ``/__admin/mutate``, an
incremental applies its operations to it, and the index must then equal what a fresh full sync
yields, document by document and field by field. Operations are applied when the run ends, so
the view the source reads during the run is the index as it was before (stricter than
Elasticsearch, whose ``stored`` is a real-time get)."""

from __future__ import annotations

import pytest

from connectors.errors import FullSyncRequired
from connectors.filtering import Filter
from connectors.index_view import MemoryIndexView
from connectors.source import OP_DELETE, OP_INDEX
from connectors.sources.confluence.datasource import ConfluenceDataSource
from tests.confluence_source.test_incremental import mutate, request_total, resolved
from tests.confluence_source.test_integration import source_for

MODES = [("cloud", "cloud"), ("datacenter", "dc-pat")]


@pytest.fixture(autouse=True)
def incremental_on(monkeypatch):
    monkeypatch.setattr(ConfluenceDataSource, "incremental_sync_enabled", True)


async def full(mock, mode, filtering=None, **values):
    source = source_for(mock, mode, **values)
    docs = {}
    try:
        async for doc, lazy in source.get_docs(filtering):
            assert doc["_id"] not in docs, f"{doc['_id']} yielded twice"
            docs[doc["_id"]] = await resolved(doc, lazy)
        return docs, source.sync_cursor()
    finally:
        await source.close()


class Site:
    """One connector's index and cursor over the mock, synced in rounds."""

    def __init__(self, mock, mode, filtering=None, **values):
        self.mock, self.mode, self.filtering, self.values = mock, mode, filtering, values
        self.index: dict[str, dict] = {}
        self.cursor = None
        self.ops: dict[str, str] = {}

    async def full(self):
        self.index, self.cursor = await full(self.mock, self.mode, self.filtering, **self.values)
        return dict(self.index)  # a copy: the index changes with every incremental

    async def incremental(self, view=True):
        source = source_for(self.mock, self.mode, **self.values)
        source.set_index_view(MemoryIndexView(self.index) if view else None)
        ops: dict[str, tuple[str, dict]] = {}
        try:
            async for doc, lazy, op in source.get_docs_incrementally(self.cursor, self.filtering):
                assert doc["_id"] not in ops, f"{doc['_id']} yielded twice"
                ops[doc["_id"]] = (op, await resolved(doc, lazy) if op == OP_INDEX else doc)
            self.cursor = source.sync_cursor()
        finally:
            await source.close()
        for doc_id, (op, doc) in ops.items():
            if op == OP_DELETE:
                self.index.pop(doc_id, None)
            else:
                self.index[doc_id] = doc
        self.ops = {doc_id: op for doc_id, (op, _) in ops.items()}
        return self.ops

    async def equals_a_fresh_full_sync(self):
        fresh, _ = await full(self.mock, self.mode, self.filtering, **self.values)
        missing = sorted(set(fresh) - set(self.index))
        extra = sorted(set(self.index) - set(fresh))
        assert not missing and not extra, f"missing {missing[:10]}, extra {extra[:10]}"
        differing = [doc_id for doc_id in fresh if fresh[doc_id] != self.index[doc_id]]
        assert not differing, {d: _diff(self.index[d], fresh[d]) for d in differing[:5]}
        return fresh


def _diff(mine: dict, theirs: dict) -> dict:
    return {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}


def subtree_root(docs, space_key=None, min_below=2, depth=1):
    """A page at least ``depth`` levels under its space home with at least ``min_below`` pages
    under it and a comment or attachment on one of them."""
    pages = [
        d for d in docs.values() if d["type"] == "page" and (space_key is None or d["space_key"] == space_key)
    ]
    for page in sorted(pages, key=lambda d: int(d["id"])):
        if len(page["ancestors"]) < depth:
            continue
        below = [p for p in pages if page["id"] in {a["id"] for a in p["ancestors"]}]
        under = {page["id"], *(p["id"] for p in below)}
        children = [
            d
            for d in docs.values()
            if d["type"] in ("comment", "attachment") and d.get("container_id") in under
        ]
        deep_children = [c for c in children if c["container_id"] != page["id"]]
        if len(below) >= min_below and deep_children:
            return page, below, children
    raise AssertionError("no page with a sub-tree and children in the mock site")


def home_of(docs, space_key):
    return next(
        d
        for d in docs.values()
        if d["type"] == "page" and d["space_key"] == space_key and not d.get("parent_id")
    )


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_a_page_moved_within_its_space_refreshes_its_subtree(confluence_factory, flavor, mode):
    mock = await confluence_factory(flavor=flavor)
    site = Site(mock, mode)
    docs = await site.full()
    page, below, _ = subtree_root(docs, "ENG", depth=2)
    await mutate(mock, {"op": "move", "id": page["id"], "parent_id": home_of(docs, "ENG")["id"]})
    ops = await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert all(ops.get(p["_id"]) == OP_INDEX for p in below)  # the descendants were read again
    assert all(fresh[p["_id"]]["ancestors"] != docs[p["_id"]]["ancestors"] for p in below)


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_a_page_moved_across_spaces_takes_its_subtree_and_children(confluence_factory, flavor, mode):
    mock = await confluence_factory(flavor=flavor)
    site = Site(mock, mode)
    docs = await site.full()
    page, below, children = subtree_root(docs, "ENG")
    await mutate(mock, {"op": "move", "id": page["id"], "space_key": "OPS"})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert {fresh[d["_id"]]["space_key"] for d in [page, *below, *children]} == {"OPS"}


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_a_renamed_page_refreshes_descendants_comments_and_attachments(
    confluence_factory, flavor, mode
):
    mock = await confluence_factory(flavor=flavor)
    site = Site(mock, mode)
    docs = await site.full()
    page, below, children = subtree_root(docs, "ENG")
    await mutate(mock, {"op": "update", "id": page["id"], "title": "A brand new title"})
    ops = await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    own = [c for c in children if c["container_id"] == page["id"]]
    assert all(fresh[c["_id"]]["container_title"] == "A brand new title" for c in own)
    assert all(ops.get(p["_id"]) == OP_INDEX for p in below)


async def test_a_plain_edit_costs_no_extra_request_and_a_view_less_run_is_refused(confluence_cloud):
    mock = confluence_cloud
    site = Site(mock, "cloud")
    docs = await site.full()
    await site.incremental()
    start = await request_total(mock)
    await site.incremental()
    idle = await request_total(mock) - start
    page, _, _ = subtree_root(docs, "ENG")
    await mutate(mock, {"op": "update", "id": page["id"], "body": "<p>only the body</p>"})
    start = await request_total(mock)
    ops = await site.incremental()
    assert ops == {page["_id"]: OP_INDEX}
    assert await request_total(mock) - start == idle  # the same listings, nothing more
    await site.equals_a_fresh_full_sync()
    with pytest.raises(FullSyncRequired, match="needs a view of the content index"):
        await site.incremental(view=False)  # the sub-tree, trash and reconciliation stages need it


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_space_rename_archive_delete_and_new(confluence_factory, flavor, mode):
    mock = await confluence_factory(flavor=flavor)
    site = Site(mock, mode)
    docs = await site.full()
    await mutate(mock, {"op": "rename_space", "space_key": "HR", "name": "People"})
    ops = await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert {d["space_name"] for d in fresh.values() if d["space_key"] == "HR"} == {"People"}
    assert sum(1 for d in docs.values() if d["space_key"] == "HR") == sum(
        1 for o in ops if o in fresh and fresh[o]["space_key"] == "HR"
    )
    await mutate(mock, {"op": "set_space_status", "space_key": "OPS", "status": "archived"})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert not any(d["space_key"] == "OPS" for d in fresh.values())
    await mutate(mock, {"op": "delete_space", "space_key": "PUB"})
    ops = await site.incremental()
    await site.equals_a_fresh_full_sync()
    assert {op for op in ops.values()} == {OP_DELETE}
    await mutate(mock, {"op": "set_space_status", "space_key": "OPS", "status": "current"})
    await mutate(mock, {"op": "create_space", "key": "NEWS", "name": "News"})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert any(d["space_key"] == "OPS" for d in fresh.values()) and any(
        d["space_key"] == "NEWS" for d in fresh.values()
    )


async def test_a_cursor_without_the_space_map_compares_with_the_index(confluence_cloud):
    mock = confluence_cloud
    site = Site(mock, "cloud", index_spaces=False)
    await site.full()
    site.cursor = {k: v for k, v in site.cursor.items() if k != "spaces"}  # an older cursor
    await mutate(mock, {"op": "rename_space", "space_key": "HR", "name": "People"})
    await site.incremental()
    await site.equals_a_fresh_full_sync()
    assert "spaces" in site.cursor


async def test_moved_out_of_and_into_an_included_tree(confluence_cloud):
    mock = confluence_cloud
    probe, _ = await full(mock, "cloud")
    page, below, children = subtree_root(probe, "ENG", depth=2)
    root = home_of(probe, "ENG")
    branch = next(
        d
        for d in probe.values()
        if d["type"] == "page"
        and d.get("parent_id") == root["id"]
        and d["id"] not in {a["id"] for a in page["ancestors"]}
    )
    site = Site(mock, "cloud", include_page_ids=f"{branch['id']},{page['ancestors'][-1]['id']}")
    docs = await site.full()
    assert page["_id"] in docs and branch["_id"] in docs and root["_id"] not in docs
    # out: under the space home, outside both included trees, with everything below it
    await mutate(mock, {"op": "move", "id": page["id"], "parent_id": root["id"]})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert page["_id"] not in fresh and not any(d["_id"] in fresh for d in below + children)
    # in: under the included branch, with everything below it
    await mutate(mock, {"op": "move", "id": page["id"], "parent_id": branch["id"]})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert all(d["_id"] in fresh for d in [page, *below])


async def test_moved_to_an_excluded_space_and_back(confluence_cloud):
    mock = confluence_cloud
    site = Site(mock, "cloud", exclude_spaces=["OPS"])
    docs = await site.full()
    page, below, children = subtree_root(docs, "ENG")
    await mutate(mock, {"op": "move", "id": page["id"], "space_key": "OPS"})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert not any(d["_id"] in fresh for d in [page, *below, *children])
    await mutate(mock, {"op": "move", "id": page["id"], "space_key": "ENG"})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert all(d["_id"] in fresh for d in [page, *below, *children])


async def test_a_page_edited_out_of_the_date_window_leaves(confluence_cloud):
    mock = confluence_cloud
    site = Site(mock, "cloud", modified_before="2025-06-01")  # the mock's content is older
    docs = await site.full()
    page, _, _ = subtree_root(docs, "ENG")
    await mutate(mock, {"op": "update", "id": page["id"], "body": "<p>edited today</p>"})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert page["_id"] not in fresh


async def test_advanced_rules_moves_in_and_out_of_a_matched_tree(confluence_cloud):
    mock = confluence_cloud
    probe, _ = await full(mock, "cloud")
    page, below, _ = subtree_root(probe, "ENG")
    parent = page["ancestors"][-1]["id"]
    rule = f"type in (page, comment, attachment) and (ancestor = {parent} or id = {parent})"
    rules = Filter({"rules": [], "advanced_snippet": {"value": [{"query": rule}]}})
    site = Site(mock, "cloud", rules)
    docs = await site.full()
    assert page["_id"] in docs
    await mutate(mock, {"op": "move", "id": page["id"], "space_key": "OPS"})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert page["_id"] not in fresh and not any(p["_id"] in fresh for p in below)
    await mutate(mock, {"op": "move", "id": page["id"], "space_key": "ENG", "parent_id": parent})
    await site.incremental()
    fresh = await site.equals_a_fresh_full_sync()
    assert page["_id"] in fresh and all(p["_id"] in fresh for p in below)


async def test_per_space_cap_follows_moves_and_renames(confluence_cloud):
    mock = confluence_cloud
    site = Site(mock, "cloud", max_num_of_docs_from_each_space=20)
    await site.full()
    everything, _ = await full(mock, "cloud")
    page, _, _ = subtree_root(everything, "ENG")
    await mutate(mock, {"op": "move", "id": page["id"], "space_key": "OPS"})
    await site.incremental()
    await site.equals_a_fresh_full_sync()
    await mutate(mock, {"op": "rename_space", "space_key": "HR", "name": "People"})
    await mutate(mock, {"op": "create_page", "space_key": "HR", "title": "Newest", "body": "<p>x</p>"})
    await site.incremental()
    await site.equals_a_fresh_full_sync()


def hidden_now(mock, index) -> list[str]:
    """Indexed content that still exists but the syncing account can no longer see: a page moved
    under a parent with read restrictions inherits them, and vanishes from every listing (no
    window, no exits listing can name it). Only the id reconciliation removes it."""
    from fixtures.confluence.permissions import can_view

    site = mock.site
    user = site.user_by_username("admin")
    out = []
    for doc_id in index:
        kind, _, raw = doc_id.partition("-")
        item = site.contents.get(raw) if kind != "space" else None
        if item is not None and not can_view(site, user, item):
            out.append(doc_id)
    return out


#: the campaign ops of this stage (trash, restore, purge, removals and labels belong to the trash
#: diff and the reconciliation)
CAMPAIGN_OPS = [
    "create_page",
    "create_blogpost",
    "create_folder",
    "update",
    "move_within",
    "move_across",
    "add_attachment",
    "add_comment",
    "set_space_status",
    "create_space",
    "rename_space",
]


_RULES = [{"query": 'space in ("ENG", "OPS", "SP001")'}, {"query": "type = blogpost"}]
CAMPAIGNS = [
    ("cloud", "cloud", {}, None),
    ("datacenter", "dc-pat", {}, None),
    ("cloud", "cloud", {"exclude_spaces": ["OPS"]}, None),
    ("datacenter", "dc-pat", {"max_num_of_docs_from_each_space": 15}, None),
    ("cloud", "cloud", {"spaces": ["ENG", "OPS", "SP001"], "max_num_of_spaces": 2}, None),
    ("cloud", "cloud", {"created_after": "2023-01-05"}, None),
    ("cloud", "cloud", {}, _RULES),
]


@pytest.mark.parametrize(
    "flavor,mode,values,rules",
    CAMPAIGNS,
    ids=["all", "dc", "excluded", "dc-capped", "spaces", "dates", "rules"],
)
async def test_seeded_rounds_of_moves_renames_and_space_changes(
    confluence_factory, flavor, mode, values, rules
):
    """The oracle in the small: seeded rounds of this stage's mutations, an incremental after
    each, the index equal to a fresh full sync after every round."""
    import aiohttp

    from fixtures.oracle_campaign import Campaign

    mock = await confluence_factory(flavor=flavor)
    filtering = Filter({"rules": [], "advanced_snippet": {"value": rules}}) if rules else None
    site = Site(mock, mode, filtering, **values)
    await site.full()
    campaign = Campaign(
        mock.url, mock.site, seed=13, own_copy=False, ops=CAMPAIGN_OPS, log=lambda _: None,
        unversioned_moves=0.0,  # no reconciliation here: test_reconcile_moves.py has those
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            await campaign.round(session, 12)
            await site.incremental()
            for doc_id in hidden_now(mock, site.index):  # reconciliation-only (see hidden_now)
                site.index.pop(doc_id)
            await site.equals_a_fresh_full_sync()
    assert {"move_within", "move_across", "update"} <= set(campaign.applied)


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_moved_into_a_tree_that_is_then_trashed_with_descendants_and_its_root_restored(
    confluence_factory, flavor, mode
):
    """P moved across spaces under R, R's parent Q trashed with its descendants, Q restored alone
    (restoring a page does not restore what was trashed with it): P and R stay out of the index."""
    mock = await confluence_factory(flavor=flavor)
    site = Site(mock, mode)
    docs = await site.full()
    pages = sorted((d for d in docs.values() if d["type"] == "page"), key=lambda d: int(d["id"]))
    parent_of = {d["id"]: d["ancestors"][-1]["id"] for d in pages if d["ancestors"]}
    q = next(d for d in pages if d["space_key"] == "OPS" and d["ancestors"] and d["id"] in parent_of.values())
    r = next(d for d in pages if parent_of.get(d["id"]) == q["id"])
    p = next(d for d in pages if d["space_key"] == "ENG" and d["ancestors"])
    await mutate(mock, {"op": "move", "id": p["id"], "parent_id": r["id"], "space_key": "OPS"})
    await mutate(mock, {"op": "trash", "id": q["id"], "with_descendants": True})
    await mutate(mock, {"op": "restore", "id": q["id"]})
    ops = await site.incremental()
    assert ops[p["_id"]] == ops[r["_id"]] == OP_DELETE and q["_id"] in site.index
    await site.equals_a_fresh_full_sync()


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_content_moved_into_a_space_that_is_then_archived_leaves_with_it(
    confluence_factory, flavor, mode
):
    """The moved sub-tree is held under its old space and CQL leaves archived spaces out, so no
    window lists it: the space stage deletes what Confluence has in the archived space."""
    mock = await confluence_factory(flavor=flavor)
    site = Site(mock, mode)
    docs = await site.full()
    page, _, _ = subtree_root(docs, "ENG")
    await mutate(mock, {"op": "move", "id": page["id"], "space_key": "OPS"})
    await mutate(mock, {"op": "set_space_status", "space_key": "OPS", "status": "archived"})
    ops = await site.incremental()
    assert ops[page["_id"]] == OP_DELETE
    await site.equals_a_fresh_full_sync()
