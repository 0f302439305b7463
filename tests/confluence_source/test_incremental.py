"""The incremental change listing against the mock Confluence: after a full sync and mutations
through ``/__admin/mutate``, an incremental yields exactly the changed documents, each equal to
what a fresh full sync yields for it; an idle one costs a constant number of requests."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import aiohttp
import pytest

from connectors.errors import FullSyncRequired, SyncError
from connectors.filtering import Filter
from connectors.index_view import MemoryIndexView
from connectors.source import OP_DELETE, OP_INDEX
from connectors.sources.confluence import cursor as C
from connectors.sources.confluence.datasource import ConfluenceDataSource
from tests.confluence_source.test_integration import admin_get, source_for

MODES = [("cloud", "cloud"), ("datacenter", "dc-pat")]


@pytest.fixture(autouse=True)
def incremental_on(monkeypatch):
    """The class keeps it off on main until the oracle campaign passes; tests switch it on."""
    monkeypatch.setattr(ConfluenceDataSource, "incremental_sync_enabled", True)


async def post(mock, path: str, body):
    async with aiohttp.ClientSession() as session, session.post(mock.url + path, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def mutate(mock, *ops):
    return (await post(mock, "/__admin/mutate", list(ops)))["results"]


async def resolved(doc, lazy):
    """The document as the sink would index it: body conversions run; an attachment's lazy
    download is compared by what it would fetch (its link), not run."""
    if lazy is None:
        return doc
    if doc["type"] == "attachment":
        return {**doc, "_download": lazy.args[2]}
    return {**doc, **await lazy(doit=True)}


async def full(mock, mode, filtering=None, **values):
    source = source_for(mock, mode, **values)
    docs = {}
    try:
        async for doc, lazy in source.get_docs(filtering):
            docs[doc["_id"]] = await resolved(doc, lazy)
        return docs, source.sync_cursor()
    finally:
        await source.close()


async def incremental(mock, mode, cursor, filtering=None, index=None, **values):
    """The documents an incremental indexes. ``index`` (the previous syncs' documents, read
    through a :class:`MemoryIndexView`; empty when not given) is updated with every operation
    when the run ends, as the sink would leave the index."""
    index = index if index is not None else {}
    source = source_for(mock, mode, **values)
    source.set_index_view(MemoryIndexView(dict(index)))  # what the index held when the run began
    docs, deleted = {}, set()
    try:
        async for doc, lazy, op in source.get_docs_incrementally(cursor, filtering):
            assert doc["_id"] not in docs and doc["_id"] not in deleted, f"{doc['_id']} yielded twice"
            if op == OP_DELETE:
                deleted.add(doc["_id"])
            else:
                assert op == OP_INDEX
                docs[doc["_id"]] = await resolved(doc, lazy)
        for doc_id in deleted:
            index.pop(doc_id, None)
        index.update(docs)
        return docs, source.sync_cursor()
    finally:
        await source.close()


def first(docs, kind, **where):
    for doc in docs.values():
        if doc["type"] == kind and all(doc.get(k) == v for k, v in where.items()):
            return doc
    raise AssertionError(f"no {kind} with {where}")


def extractable_attachment(docs):
    for doc in docs.values():
        if doc["type"] == "attachment" and "_download" in doc and doc.get("container_type") == "page":
            return doc
    raise AssertionError("no downloadable page attachment in the site")


async def request_total(mock) -> int:
    return (await admin_get(mock, "/__admin/stats"))["total"]


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_an_incremental_yields_exactly_the_changes_as_a_full_sync_builds_them(
    confluence_factory, flavor, mode
):
    mock = await confluence_factory(flavor=flavor)
    before, cursor = await full(mock, mode)
    assert cursor["format"] == C.FORMAT and set(cursor["types"]) >= {
        "page",
        "blogpost",
        "comment",
        "attachment",
    }
    page = first(before, "page", space_key="ENG")
    attachment = extractable_attachment(before)
    results = await mutate(
        mock,
        {"op": "update", "id": page["id"], "body": "<p>an edit the incremental must see</p>"},
        {"op": "add_comment", "container_id": page["id"], "body": "<p>a new comment</p>"},
        {
            "op": "add_attachment",
            "container_id": attachment["container_id"],
            "file_name": attachment["filename"],
        },
        {"op": "create_blogpost", "space_key": "ENG", "title": "Fresh news", "body": "<p>hello</p>"},
    )
    assert results[2]["id"] == attachment["id"]  # a new version keeps the attachment's id
    index = dict(before)
    changed, new_cursor = await incremental(mock, mode, cursor, index=index)
    after, _ = await full(mock, mode)
    expected = {
        f"page-{page['id']}",
        f"comment-{results[1]['id']}",
        f"attachment-{attachment['id']}",
        f"blogpost-{results[3]['id']}",
    }
    assert set(changed) == expected
    for doc_id, doc in changed.items():
        assert doc == after[doc_id], doc_id  # field by field what a fresh full sync builds
    assert changed[f"page-{page['id']}"]["body"] != before[f"page-{page['id']}"]["body"]
    assert changed[f"attachment-{attachment['id']}"]["version"] > attachment["version"]
    # the marks moved to this run's frozen upper bound, and an immediate rerun finds only the
    # overlap's re-reads of the same changes (never anything else)
    assert new_cursor["account"] == cursor["account"] and cursor["account"]
    for kind, mark in new_cursor["types"].items():
        assert mark["through"] > cursor["types"][kind]["through"], kind
    again, _ = await incremental(mock, mode, new_cursor, index=index)
    assert set(again) <= expected
    assert index == after  # the index the two incrementals leave is the fresh full sync's


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_an_idle_incremental_costs_the_same_few_requests_however_many_spaces(
    confluence_factory, flavor, mode
):
    mock = await confluence_factory(flavor=flavor)
    index, cursor = await full(mock, mode)
    kinds = len(cursor["types"])
    changed, cursor = await incremental(mock, mode, cursor, index=index)  # DC: measures the zone once
    assert changed == {}
    # Cloud names the user's time zone (the mock's default UTC): nothing to measure; Data Center
    # names none, so the offset CQL reads literals in is measured (the mock reads them in UTC)
    named = flavor == "cloud"
    assert ("zone_offset_steps" not in cursor) if named else (cursor["zone_offset_steps"] == 0)
    start = await request_total(mock)
    changed, cursor = await incremental(mock, mode, cursor, index=index)
    idle = await request_total(mock) - start
    assert changed == {}
    # the current user, the list of spaces (one page), one listing per type and the trash (Cloud:
    # + its trashed attachments; DC: + the latest change and 2 probes confirming the measured
    # offset); no exits listing (no clause)
    assert idle == 1 + 1 + kinds + (2 if named else 1 + 3)
    await mutate(mock, *({"op": "create_space", "key": f"NEW{i}", "name": f"New {i}"} for i in range(12)))
    changed, cursor = await incremental(mock, mode, cursor, index=index)  # each new space: doc, home page
    assert sorted(d["type"] for d in changed.values()) == ["page"] * 12 + ["space"] * 12
    start = await request_total(mock)
    # the home pages are re-read while inside the overlap; the requests stay the same few
    await incremental(mock, mode, cursor, index=index)
    assert await request_total(mock) - start == idle


async def test_a_cursor_of_another_scope_or_account_asks_for_a_full_sync(confluence_cloud):
    mock = confluence_cloud
    _, cursor = await full(mock, "cloud")
    with pytest.raises(FullSyncRequired, match="spaces to sync"):
        await incremental(mock, "cloud", cursor, spaces=["ENG"])
    with pytest.raises(FullSyncRequired, match="content types"):
        await incremental(mock, "cloud", cursor, index_blogposts=False)
    rules = Filter({"rules": [], "advanced_snippet": {"value": [{"query": "type = page"}]}})
    with pytest.raises(FullSyncRequired, match="sync rules"):
        await incremental(mock, "cloud", cursor, rules)
    with pytest.raises(FullSyncRequired, match="another Confluence account"):
        await incremental(mock, "cloud", {**cursor, "account": "someone-else"})
    with pytest.raises(FullSyncRequired, match="no incremental cursor"):
        await incremental(mock, "cloud", None)


async def test_a_failing_listing_fails_the_incremental_and_keeps_no_cursor(confluence_cloud):
    mock = confluence_cloud
    _, cursor = await full(mock, "cloud")
    await post(mock, "/__admin/faults", {"path": ".*/content/search", "count": 100, "status": 500})
    source = source_for(mock, "cloud", retry_count=1)
    source.set_index_view(MemoryIndexView({}))
    with pytest.raises(SyncError, match="Could not read .*HTTP 500"):
        async for _ in source.get_docs_incrementally(cursor):
            pass
    assert source.sync_cursor() is None
    await source.close()


async def test_filters_behave_as_in_the_full_sync(confluence_cloud):
    """Space exclusion, a type toggle and a date window: the changes outside them are not
    yielded, the ones inside are, built as the full sync builds them."""
    mock = confluence_cloud
    values = {"exclude_spaces": ["ENG"], "index_blogposts": False, "modified_after": "2024-01-01"}
    before, cursor = await full(mock, "cloud", **values)
    assert not any(d.get("space_key") == "ENG" for d in before.values())
    inside = first(before, "page")
    eng = (await full(mock, "cloud"))[0]
    outside = first(eng, "page", space_key="ENG")
    results = await mutate(
        mock,
        {"op": "update", "id": inside["id"], "body": "<p>in scope</p>"},
        {"op": "update", "id": outside["id"], "body": "<p>excluded space</p>"},
        {"op": "create_blogpost", "space_key": inside["space_key"], "title": "Off", "body": "<p>x</p>"},
        {"op": "add_comment", "container_id": outside["id"], "body": "<p>excluded space</p>"},
    )
    assert results[2]["type"] == "blogpost"
    changed, _ = await incremental(mock, "cloud", cursor, index=before, **values)
    after, _ = await full(mock, "cloud", **values)
    assert set(changed) == {f"page-{inside['id']}"}
    assert changed[f"page-{inside['id']}"] == after[f"page-{inside['id']}"]


async def test_per_space_cap_relists_the_changed_space_as_the_full_sync(confluence_cloud):
    mock = confluence_cloud
    before, cursor = await full(mock, "cloud", max_num_of_docs_from_each_space=5)
    page = first(before, "page")
    await mutate(mock, {"op": "update", "id": page["id"], "body": "<p>capped</p>"})
    changed, _ = await incremental(mock, "cloud", cursor, index=before, max_num_of_docs_from_each_space=5)
    after, _ = await full(mock, "cloud", max_num_of_docs_from_each_space=5)
    in_space = {
        k: v for k, v in after.items() if v.get("space_key") == page["space_key"] and v["type"] != "space"
    }
    assert changed == in_space  # exactly the space's capped set, as the full sync has it


async def test_advanced_rules_mode_is_incremental(confluence_cloud):
    mock = confluence_cloud
    rules = Filter({"rules": [], "advanced_snippet": {"value": [{"query": 'type = page and space = "ENG"'}]}})
    before, cursor = await full(mock, "cloud", rules)
    page = first(before, "page", space_key="ENG")
    results = await mutate(
        mock,
        {"op": "update", "id": page["id"], "body": "<p>rule edit</p>"},
        {"op": "add_comment", "container_id": page["id"], "body": "<p>rule comment</p>"},
        {"op": "create_blogpost", "space_key": "ENG", "title": "Not matched", "body": "<p>x</p>"},
    )
    changed, _ = await incremental(mock, "cloud", cursor, rules, index=before)
    after, _ = await full(mock, "cloud", rules)
    space = f"space-{page['space_id']}"
    assert set(changed) == {f"page-{page['id']}", f"comment-{results[1]['id']}", space}
    for doc_id, doc in changed.items():
        assert doc == after[doc_id], doc_id


@pytest.mark.parametrize("zone_name", ["Pacific/Auckland", "America/Los_Angeles"])
async def test_windows_are_written_in_the_users_time_zone(confluence_cloud, zone_name):
    """Confluence Cloud reads CQL date literals in the calling user's time zone and names it
    (``timeZone`` of the current user); the mock does both (``set_user_time_zone``). A source that
    wrote its window in UTC would miss the edit (its upper bound lands 13 h early in Auckland, its
    lower bound 8 h late in Los Angeles)."""
    mock = confluence_cloud
    await mutate(mock, {"op": "set_user_time_zone", "user": "admin@example.com", "time_zone": zone_name})
    _, cursor = await full(mock, "cloud")
    page = (
        await mutate(mock, {"op": "create_page", "space_key": "ENG", "title": "Zoned", "body": "<p>z</p>"})
    )[0]
    changed, cursor = await incremental(mock, "cloud", cursor)
    assert set(changed) == {f"page-{page['id']}"}
    assert "zone_offset_steps" not in cursor  # named, not measured


@pytest.mark.parametrize("zone_name", ["Asia/Kathmandu", "America/St_Johns", "Pacific/Auckland"])
async def test_an_unnamed_zone_is_measured(confluence_dc, zone_name):
    """Data Center names no time zone: the offset its CQL literals are read in is measured
    (UTC+5:45, UTC-3:30 in December, UTC+13), and the windows are written in it."""
    zone = zoneinfo.ZoneInfo(zone_name)
    mock = confluence_dc
    await mutate(mock, {"op": "set_user_time_zone", "user": "admin", "time_zone": zone_name})
    _, cursor = await full(mock, "dc-pat")
    new = {"op": "create_page", "space_key": "ENG", "title": "Zoned", "body": "<p>z</p>"}
    page = (await mutate(mock, new))[0]
    changed, cursor = await incremental(mock, "dc-pat", cursor)
    assert set(changed) == {f"page-{page['id']}"}
    assert cursor["zone_offset_steps"] == zone.utcoffset(dt.datetime.now()) // dt.timedelta(minutes=15)


async def test_a_full_syncs_marks_are_the_time_its_listing_started(confluence_cloud):
    """Edits made while a long full sync runs must be listed by the next incremental: the marks
    are the start of the listing, not its end nor the newest change seen."""
    mock = confluence_cloud
    source = source_for(mock, "cloud")
    ticks = iter([dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC)])
    source._now = lambda: next(ticks)
    try:
        async for _ in source.get_docs():
            pass
        cursor = source.sync_cursor()
    finally:
        await source.close()
    assert {mark["through"] for mark in cursor["types"].values()} == {"2026-01-01T09:00:00.000Z"}


async def test_only_space_documents_on_lists_no_changes_yet(confluence_cloud):
    values = {
        k: False
        for k in (
            "index_pages",
            "index_blogposts",
            "index_folders",
            "index_page_attachments",
            "index_blogpost_attachments",
            "index_page_comments",
            "index_blogpost_comments",
        )
    }
    _, cursor = await full(confluence_cloud, "cloud", **values)
    assert cursor["types"] == {}
    changed, new_cursor = await incremental(confluence_cloud, "cloud", cursor, **values)
    assert changed == {} and new_cursor["scope"] == cursor["scope"]
