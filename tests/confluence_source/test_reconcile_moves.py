"""A page moved without a new version (the mock's ``{"op": "move", "new_version": false}``;
whether Confluence versions a move is unverified, fixtures/confluence/BEHAVIOURS.md), within a
space and across spaces with its sub-tree: no change window lists it, so only the id
reconciliation's place check (:mod:`connectors.sources.confluence.reconcile`, rule 6) finds it.
After an incremental that does not reconcile the index still differs from a fresh full sync —
in the place fields of exactly the moved sub-tree — and after one that does it equals a fresh
full sync field by field. Same harness as test_deletes.py (Cloud and Data Center)."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.filtering import Filter
from connectors.source import OP_INDEX
from fixtures.oracle_campaign import Campaign
from tests.confluence_source.test_deletes import EVERY_RUN, MODES, Index
from tests.confluence_source.test_incremental import full, incremental_on, mutate
from tests.confluence_source.test_incremental_moves import CAMPAIGNS, Site

__all__ = ["incremental_on"]  # the autouse fixture that switches incremental sync on

#: what a move changes without a version, per case (the rest of each document is unchanged)
WITHIN_FIELDS = {"ancestors", "parent_id"}
SPACE_FIELDS = {"space_id", "space_key", "space_name"}  # + "url" on Cloud
ACROSS_FIELDS = {"ancestors", "parent_id"} | SPACE_FIELDS


def _below(docs: dict, page_id: str) -> set[str]:
    """The page's sub-tree in ``docs``: itself, its descendants and their comments and
    attachments (an attachment's ``ancestors`` name its container only)."""
    tree = {
        doc["id"]
        for doc in docs.values()
        if doc["type"] in ("page", "folder")
        and (doc["id"] == page_id or any(a.get("id") == page_id for a in doc.get("ancestors") or []))
    }
    return {
        doc_id
        for doc_id, doc in docs.items()
        if (doc["type"] in ("page", "folder") and doc["id"] in tree) or doc.get("container_id") in tree
    }


def _within(docs: dict, page: dict) -> dict:
    below = _below(docs, page["id"])
    target = next(
        d for d in docs.values()
        if d["type"] == "page" and d["space_key"] == page["space_key"] and d["_id"] not in below
        and d["id"] != page["parent_id"]
    )  # fmt: skip
    return {"op": "move", "id": page["id"], "parent_id": target["id"], "new_version": False}


def _across(docs: dict, page: dict) -> dict:
    space = next(
        d["space_key"] for d in docs.values() if d["type"] == "page" and d["space_key"] != page["space_key"]
    )
    return {"op": "move", "id": page["id"], "space_key": space, "new_version": False}


def _blogpost_across(docs: dict) -> tuple[dict, dict]:
    post = next(
        d for d in sorted(docs.values(), key=lambda d: d["_id"])
        if d["type"] == "blogpost" and {"comment", "attachment"} <= {c["type"] for c in docs.values() if c.get("container_id") == d["id"]}
    )  # fmt: skip
    space = next(
        d["space_key"] for d in docs.values() if d["type"] == "page" and d["space_key"] != post["space_key"]
    )
    return post, {"op": "move", "id": post["id"], "space_key": space, "new_version": False}


def _moved_page(docs: dict) -> dict:
    """A page with a parent, child pages, and a comment and an attachment in its sub-tree."""
    for doc in sorted(docs.values(), key=lambda d: d["_id"]):
        if doc["type"] != "page" or not doc.get("parent_id"):
            continue
        kinds = {docs[k]["type"] for k in _below(docs, doc["id"]) if k != doc["_id"]}
        if {"page", "comment", "attachment"} <= kinds:
            return doc
    raise AssertionError("no page with child pages, a comment and an attachment below it")


@pytest.mark.parametrize("flavor,mode", MODES)
@pytest.mark.parametrize("how", ["within", "across", "blogpost-across"])
async def test_a_move_without_a_version_is_exact_once_reconciled(confluence_factory, flavor, mode, how):
    mock = await confluence_factory(flavor=flavor)
    index = await Index(mock, mode).full()
    if how == "blogpost-across":
        page, move = _blogpost_across(index.docs)
        below = {page["_id"]} | {k for k, d in index.docs.items() if d.get("container_id") == page["id"]}
    else:
        page = _moved_page(index.docs)
        below = _below(index.docs, page["id"])
        move = (_within if how == "within" else _across)(index.docs, page)
    await mutate(mock, move)

    await index.incremental()  # not due (a day after the full sync): no window lists the move
    assert not any(doc_id in below for _, doc_id in index.ops)
    fresh, _ = await full(mock, mode)
    assert set(fresh) == set(index.docs)  # the same documents, some in the wrong place
    differ = {
        doc_id: {f for f in set(fresh[doc_id]) | set(doc) if fresh[doc_id].get(f) != doc.get(f)}
        for doc_id, doc in index.docs.items()
        if fresh[doc_id] != doc
    }
    if how == "within":  # attachments name their container only: unchanged
        assert set(differ) == {k for k in below if not k.startswith("attachment-")}
        assert set().union(*differ.values()) == WITHIN_FIELDS
    else:
        assert set(differ) == below
        url = {"url"} if flavor == "cloud" else set()  # Cloud's web link names the space key
        fields = SPACE_FIELDS if how == "blogpost-across" else ACROSS_FIELDS  # a blog post has no ancestors
        assert set().union(*differ.values()) == fields | url

    await index.incremental(**EVERY_RUN)
    assert {doc_id for op, doc_id in index.ops if op == OP_INDEX} >= set(differ)
    await index.equals_a_fresh_full_sync()  # field by field


@pytest.mark.parametrize("how", ["within", "across"])
async def test_under_a_per_space_cap_the_full_syncs_documents_give_the_places(confluence_cloud, how):
    """Rule 2's other listing (the full sync's own, per-space cap): the same check on its documents."""
    index = await Index(confluence_cloud, "cloud", max_num_of_docs_from_each_space=100_000).full()
    page = _moved_page(index.docs)
    await mutate(confluence_cloud, (_within if how == "within" else _across)(index.docs, page))
    await index.incremental()
    with pytest.raises(AssertionError, match="differs"):
        await index.equals_a_fresh_full_sync()
    await index.incremental(**EVERY_RUN)
    await index.equals_a_fresh_full_sync()


@pytest.mark.parametrize(
    "flavor,mode,values,rules",
    CAMPAIGNS,
    ids=["all", "dc", "excluded", "dc-capped", "spaces", "dates", "rules"],
)
async def test_seeded_rounds_with_moves_without_a_version_every_run_reconciling(
    confluence_factory, flavor, mode, values, rules
):
    """Every scope the sub-tree stage is tested in (spaces, exclusions, caps, dates, advanced
    rules): seeded rounds with unversioned moves, each incremental reconciling, the index equal
    to a fresh full sync after every round."""
    mock = await confluence_factory(flavor=flavor)
    filtering = Filter({"rules": [], "advanced_snippet": {"value": rules}}) if rules else None
    site = Site(mock, mode, filtering, **values, **EVERY_RUN)
    await site.full()
    ops = ["move_within", "move_across", "create_page", "add_comment"]  # half the moves unversioned
    campaign = Campaign(mock.url, mock.site, seed=29, own_copy=False, ops=ops, log=lambda _: None)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            await campaign.round(session, 12)
            await site.incremental()
            await site.equals_a_fresh_full_sync()
    assert campaign.applied["move_unversioned"] >= 3, campaign.applied
