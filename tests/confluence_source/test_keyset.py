"""Keyset paging of change listings (:mod:`connectors.sources.confluence.keyset`) against the mock:
an item edited between two pages of a listing moves to the end of the window, and no other item
of the window is lost (offset paging would skip the item at the page boundary)."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.errors import SyncError
from connectors.sources.confluence import keyset
from connectors.sources.confluence.keyset import Window, window_items
from tests.confluence_source.test_incremental import full, mutate
from tests.confluence_source.test_integration import source_for

MODES = [("cloud", "cloud"), ("datacenter", "dc-pat")]


def _edits_between_pages(mock, source, edit_id: str, after: int = 1):
    """Edit ``edit_id`` once, right after the ``after``-th content search answered."""
    client = source.api.client
    real = client.get_json
    calls = {"search": 0}

    async def get_json(path, params=None):
        payload = await real(path, params)
        if "/content/search" in str(path):
            calls["search"] += 1
            if calls["search"] == after:
                await mutate(mock, {"op": "update", "id": edit_id, "body": "<p>edited mid-listing</p>"})
        return payload

    client.get_json = get_json
    return calls


async def _pages_edited(mock, before, count: int, spread: bool) -> list[str]:
    """``count`` pages edited in the last 90 minutes, one a minute (``spread``) or all in one
    minute, oldest first; their ids."""
    pages = sorted((d for d in before.values() if d["type"] == "page"), key=lambda d: int(d["id"]))[:count]
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    ops = []
    for i, page in enumerate(pages):
        when = now - dt.timedelta(minutes=90 - i) if spread else now - dt.timedelta(minutes=30)
        ops.append({"op": "update", "id": page["id"], "body": f"<p>edit {i}</p>", "when": when.isoformat()})
    await mutate(mock, *ops)
    return [p["id"] for p in pages]


@pytest.mark.parametrize("flavor,mode", MODES)
@pytest.mark.parametrize("spread", [True, False], ids=["a-minute-each", "one-crowded-minute"])
async def test_an_edit_between_two_pages_loses_nothing(confluence_factory, flavor, mode, spread):
    mock = await confluence_factory(flavor=flavor)
    before, _ = await full(mock, mode)
    edited = await _pages_edited(mock, before, 70, spread)  # more than a page (50 with bodies)
    source = source_for(mock, mode)
    window = Window(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2), dt.datetime.now(dt.UTC), dt.UTC)
    cql = f"type = page and {window} order by lastmodified asc, created asc"
    calls = _edits_between_pages(mock, source, edited[0])
    try:
        got = [
            item["id"]
            async for item in window_items(source, cql, window, expand="body.storage,version", what="t")
        ]
    finally:
        await source.close()
    assert calls["search"] >= 2  # the edit did happen between two requests of the listing
    assert set(edited) <= set(got)
    assert len(got) == len(set(got))  # each once


async def test_plain_offset_paging_would_have_lost_one(confluence_dc):
    """The case the keyset paging exists for, shown on the old pager: the same edit between two
    pages makes a plain listing of the window (Data Center's ``start`` paging) skip an item."""
    mock = confluence_dc
    before, _ = await full(mock, "dc-pat")
    edited = await _pages_edited(mock, before, 70, True)
    source = source_for(mock, "dc-pat")
    window = Window(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2), dt.datetime.now(dt.UTC), dt.UTC)
    cql = f"type = page and {window} order by lastmodified asc, created asc"
    _edits_between_pages(mock, source, edited[0])
    try:
        got = [i["id"] async for i in source.api.search(cql, expand="body.storage,version")]
    finally:
        await source.close()
    assert not set(edited) <= set(got)


async def test_a_range_that_keeps_shifting_fails_rather_than_lose_an_item(confluence_dc, monkeypatch):
    """One crowded minute (Data Center's ``start`` paging) edited under every request: the
    listing gives up with an error instead of yielding a listing that may have skipped one."""
    mock = confluence_dc
    before, _ = await full(mock, "dc-pat")
    edited = await _pages_edited(mock, before, 70, False)
    source = source_for(mock, "dc-pat")
    monkeypatch.setattr(keyset, "MAX_PASSES", 2)
    window = Window(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2), dt.datetime.now(dt.UTC), dt.UTC)
    cql = f"type = page and {window} order by lastmodified asc, created asc"
    client = source.api.client
    real = client.get_json
    pending = list(edited[:10])

    async def get_json(path, params=None):  # every request of the crowded passes moves one item
        payload = await real(path, params)
        if "/content/search" in str(path) and pending:
            await mutate(mock, {"op": "update", "id": pending.pop(0), "body": "<p>again</p>"})
        return payload

    client.get_json = get_json
    try:
        with pytest.raises(SyncError, match="kept changing"):
            async for _ in window_items(source, cql, window, expand="body.storage,version", what="t"):
                pass
    finally:
        await source.close()
