"""ConfluenceDataSource against the mock Confluence (Cloud and Data Center), every auth mode."""

from __future__ import annotations

import collections

import aiohttp
import pytest

from connectors.configuration import DataSourceConfiguration
from connectors.errors import SourceUnreachable, SyncError
from connectors.filtering import Filter, validate_filtering
from connectors.sources.confluence.client import Backoff
from connectors.sources.confluence.datasource import ConfluenceDataSource
from fixtures.confluence.expected import expected_counts


def source_for(mock, mode: str, **values) -> ConfluenceDataSource:
    if mode == "cloud":
        base = {
            "data_source": "confluence_cloud",
            "account_email": "admin@example.com",
            "api_token": "changeme",
        }
    elif mode == "dc-pat":
        base = {
            "data_source": "confluence_data_center",
            "data_center_auth_method": "personal_access_token",
            "data_center_token": "changeme-pat",
        }
    elif mode == "dc-basic":
        base = {
            "data_source": "confluence_data_center",
            "data_center_auth_method": "basic",
            "data_center_username": "admin",
            "data_center_password": "changeme",
        }
    else:
        base = {"data_source": "confluence_server", "username": "admin", "password": "changeme"}
    base["confluence_url"] = mock.url
    base |= values
    config = DataSourceConfiguration({k: {"value": v} for k, v in base.items()})
    return ConfluenceDataSource(config, client_options={"backoff": Backoff(0.01, 0.05)})


async def admin_get(mock, path: str):
    async with aiohttp.ClientSession() as session, session.get(mock.url + path) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def sync(source, filtering=None, *, close=True):
    docs = {}
    lazies = {}
    try:
        async for doc, lazy in source.get_docs(filtering):
            assert doc["_id"] not in docs
            if lazy is not None and doc["type"] != "attachment":
                doc = {**doc, **await lazy(doit=True)}  # the lazy body conversion, as the sink runs it
            elif lazy is not None:
                lazies[doc["_id"]] = lazy
            docs[doc["_id"]] = doc
    finally:
        if close:
            await source.close()
    return docs, lazies


def counts(docs) -> dict:
    return dict(collections.Counter(d["type"] for d in docs.values()))


def expected_in(mock, space_key: str, user: str = "admin") -> dict:
    """What ``user`` can see in one space, per type (the kinds with none left out)."""
    site = mock.site
    every = expected_counts(site, site.user_by_username(user), space_keys=[space_key])
    return {kind: n for kind, n in every.items() if n and kind != "total"}


@pytest.mark.parametrize("flavor,mode", [("cloud", "cloud"), ("datacenter", "dc-pat")])
async def test_full_sync_matches_expected_counts(confluence_factory, flavor, mode):
    mock = await confluence_factory(flavor=flavor)
    expected = (await admin_get(mock, "/__admin/expected"))["counts"]
    source = source_for(mock, mode)
    await source.validate_config()
    docs, lazies = await sync(source)
    got = counts(docs)
    for kind in ("space", "page", "blogpost", "comment", "attachment", "folder"):
        assert got.get(kind, 0) == expected[kind], (kind, got, expected)
    # bodies: every page/blog post/comment body carries its unique search token
    from fixtures.confluence.bodies import search_token

    for doc in docs.values():
        if doc["type"] in ("page", "blogpost", "comment"):
            assert search_token(doc["id"]) in doc["body"], doc["_id"]
            assert "<" not in doc["body"].replace("<tag>", "").replace("< 10", "")
    # cost: bodies come with the listing, so pages and blog posts cost far less than a request each
    stats = await admin_get(mock, "/__admin/stats")
    assert stats["total"] < (got["page"] + got["blogpost"]) / 5, stats


async def test_attachment_text_extraction_per_file_type(confluence_cloud):
    only_attachments = {
        key: False for key in ("index_spaces", "index_pages", "index_blogposts", "index_folders")
    } | {"index_page_comments": False, "index_blogpost_comments": False}
    source = source_for(confluence_cloud, "cloud", **only_attachments)
    docs, lazies = await sync(source, close=False)
    assert set(counts(docs)) == {"attachment"}
    from fixtures.confluence.bodies import search_token

    by_ext = {}
    for doc_id in lazies:
        ext = docs[doc_id]["filename"].rsplit(".", 1)[-1]
        by_ext.setdefault(ext, doc_id)
    assert {"pdf", "docx", "txt"} <= set(by_ext), by_ext
    for ext, doc_id in sorted(by_ext.items()):
        result = await lazies[doc_id](doit=True)
        assert result["_id"] == doc_id
        assert search_token(docs[doc_id]["id"]) in result["body"], (ext, result)
    await source.close()


@pytest.mark.parametrize("mode", ["dc-basic", "server"])
async def test_basic_auth_modes_against_data_center(confluence_dc, mode):
    source = source_for(confluence_dc, mode, spaces="ENG")
    await source.validate_config()
    docs, _ = await sync(source)
    assert {d["space_key"] for d in docs.values()} == {"ENG"}
    assert counts(docs) == expected_in(confluence_dc, "ENG")


@pytest.mark.parametrize(
    "flavor,mode", [("cloud", "cloud"), ("datacenter", "dc-pat"), ("datacenter", "server")]
)
async def test_wrong_credentials_are_named(confluence_factory, flavor, mode):
    mock = await confluence_factory(flavor=flavor)
    wrong = {
        "cloud": {"api_token": "nope"},
        "dc-pat": {"data_center_token": "nope"},
        "server": {"password": "nope"},
    }
    source = source_for(mock, mode, **wrong[mode])
    with pytest.raises(SourceUnreachable, match="HTTP 401"):
        await source.ping()
    await source.close()


async def test_transient_faults_and_throttling_are_absorbed(confluence_cloud):
    mock = confluence_cloud
    async with aiohttp.ClientSession() as session:
        rules = [
            {"path": ".*/content/search", "count": 2, "status": 503, "retry_after": 0},
            {"path": ".*/content/search", "count": 2, "status": 429, "retry_after": 0},
            {"path": ".*/content/search", "count": 1, "fault": "reset"},
            {"path": ".*/content/search", "count": 1, "fault": "truncate"},
        ]
        async with session.post(mock.url + "/__admin/faults", json={"rules": rules}) as response:
            assert response.status == 200, await response.text()
    docs, _ = await sync(source_for(mock, "cloud", spaces="ENG", retry_count=6))
    stats = await admin_get(mock, "/__admin/stats")
    assert stats["statuses"].get("429") == 2 and stats["statuses"].get("503") == 2
    assert counts(docs) == expected_in(mock, "ENG")  # nothing lost to the faults


async def test_persistent_failure_fails_the_sync(confluence_cloud):
    mock = confluence_cloud
    async with aiohttp.ClientSession() as session:
        rule = {"path": ".*/content/search", "count": 100, "status": 500}
        async with session.post(mock.url + "/__admin/faults", json=rule) as response:
            assert response.status == 200
    with pytest.raises(SyncError, match="Could not read pages of space"):
        await sync(source_for(mock, "cloud", retry_count=2))


async def test_advanced_rules_against_the_mock(confluence_cloud):
    source = source_for(confluence_cloud, "cloud")
    bad = Filter(
        {"rules": [], "advanced_snippet": {"value": [{"query": "type = page"}, {"query": "type = = page"}]}}
    )
    result = await validate_filtering(bad, source)
    assert result["state"] == "invalid"
    assert "advanced_rules[1]" in result["errors"][0]["messages"][0]
    good = Filter(
        {"rules": [], "advanced_snippet": {"value": [{"query": 'type = blogpost and space = "ENG"'}]}}
    )
    assert (await validate_filtering(good, source))["state"] == "valid"
    docs, _ = await sync(source, good)
    kinds = counts(docs)
    assert kinds == {"space": 1, "blogpost": expected_in(confluence_cloud, "ENG")["blogpost"]}
    assert {d["space_key"] for d in docs.values()} == {"ENG"}
