"""The data source's listing branches with aioresponses standing in for a Data Center site:
each content toggle and each scope filter, checked both in the CQL sent and in the documents."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from aioresponses import CallbackResult, aioresponses

from connectors.configuration import DataSourceConfiguration
from connectors.sources.confluence.client import Backoff
from connectors.sources.confluence.config import TOGGLES
from connectors.sources.confluence.datasource import ConfluenceDataSource

from . import site

DC = "https://wiki.example.com/confluence"
DC_PAT = {
    "data_source": "confluence_data_center",
    "confluence_url": DC,
    "data_center_auth_method": "personal_access_token",
    "data_center_token": "pat-4",
}
ITEMS = [i for i in site.ALL if i["type"] != "folder"]  # no folders on Data Center


class DataCenterSite:
    """aioresponses callbacks serving ``site`` items the way Data Center pages them."""

    def __init__(self):
        self.cql: list[str] = []
        self.trash: list[str] = []  # the trash searches (a full sync lists the trash first)
        self.urls: list[str] = []

    @staticmethod
    def _params(url) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(str(url)).query).items()}

    @staticmethod
    def _page(found: list, params: dict) -> CallbackResult:
        start, limit = int(params.get("start", 0)), int(params.get("limit", 25))
        chunk = found[start : start + limit]
        links = {"next": "/rest/api/next"} if start + limit < len(found) else {}
        return CallbackResult(payload={"results": chunk, "start": start, "limit": limit, "_links": links})

    def __call__(self, url, **kwargs) -> CallbackResult:
        self.urls.append(str(url))
        path, params = urlsplit(str(url)).path, self._params(url)
        if path.endswith("/rest/api/space"):
            keys = params.get("spaceKey")
            return self._page([s for s in site.V1_SPACES if not keys or s["key"] == keys], params)
        if path.endswith("/rest/api/content/search") and "cqlcontext" in params:
            self.trash.append(params["cql"])  # the site has nothing in the trash
            return self._page([], params)
        if path.endswith("/rest/api/content/search"):
            self.cql.append(params["cql"])
            return self._page([i for i in ITEMS if site.matches(i, params["cql"])], params)
        m = re.search(r"/rest/api/content/(\d+)/child/(\w+)$", path)
        if m:
            cid, kind = m.groups()
            found = [i for i in ITEMS if i["type"] == kind and (i.get("container") or {}).get("id") == cid]
            return self._page(found, params)
        return CallbackResult(status=404, payload={"message": f"no route {path}"})


async def sync(**values) -> tuple[dict, DataCenterSite]:
    config = DataSourceConfiguration({k: {"value": v} for k, v in (DC_PAT | values).items()})
    ds = ConfluenceDataSource(config, client_options={"backoff": Backoff(0, 0)})
    fake = DataCenterSite()
    docs = {}
    try:
        with aioresponses() as m:
            m.get(re.compile(re.escape(DC) + r"/.*"), callback=fake, repeat=True)
            async for doc, _ in ds.get_docs():
                docs[doc["_id"]] = doc
    finally:
        await ds.close()
    return docs, fake


ALL_IDS = {
    "space-10", "space-20", "page-100", "page-101", "page-102", "page-103", "blogpost-200", "comment-300",
    "comment-301", "comment-302", "attachment-400", "attachment-401", "attachment-402", "attachment-403",
    "page-600",
}  # fmt: skip


async def test_default_sync_lists_every_type_of_every_space():
    docs, fake = await sync()
    assert set(docs) == ALL_IDS
    assert all("Bearer" not in u for u in fake.urls)  # the token travels in a header only


@pytest.mark.parametrize("toggle", sorted(set(TOGGLES) - {"index_labels", "index_folders"}))
async def test_each_toggle_removes_its_documents_and_its_queries(toggle):
    docs, fake = await sync(**{toggle: False})
    removed = ALL_IDS - set(docs)
    kind = {
        "index_spaces": {"space-10", "space-20"},
        "index_pages": {"page-100", "page-101", "page-102", "page-103", "page-600"},
        "index_blogposts": {"blogpost-200"},
        "index_page_attachments": {"attachment-400", "attachment-402", "attachment-403"},
        "index_blogpost_attachments": {"attachment-401"},
        "index_page_comments": {"comment-300", "comment-302"},
        "index_blogpost_comments": {"comment-301"},
    }[toggle]
    assert kind <= removed, f"{toggle} off left {kind - removed}"
    assert not removed - kind, f"{toggle} off also removed {removed - kind}"
    # a type nobody wants is not asked for; attachments (comments) of pages and blog posts share one
    # query per space, their container decides, so those toggles keep the query
    unasked = {"index_pages": {"page"}, "index_blogposts": {"blogpost"}}.get(toggle, set())
    queried = sorted(re.match(r"type = (\w+) and space = \"(\w+)\"", cql).groups() for cql in fake.cql)
    kinds = {"attachment", "blogpost", "comment", "page"} - unasked
    assert queried == sorted((k, space) for k in kinds for space in ("ENG", "OPS"))


async def test_labels_toggle():
    with_labels, fake = await sync()
    assert with_labels["page-100"]["labels"] == ["runbook"]
    without, fake_off = await sync(index_labels=False)
    assert not without["page-100"].get("labels")
    assert any("metadata.labels" in u for u in fake.urls) and not any(
        "metadata.labels" in u for u in fake_off.urls
    )


async def test_include_page_ids_filter_is_a_cql_subtree_clause():
    docs, fake = await sync(include_page_ids="101")
    assert any("(id in (101) or ancestor in (101))" in q for q in fake.cql)
    pages = {d for d in docs if d.startswith("page-")}
    assert pages == {"page-101", "page-103"}  # the page and its subtree


async def test_exclude_page_ids_filter():
    docs, fake = await sync(exclude_page_ids="100")
    assert any("id not in (100) and ancestor not in (100)" in q for q in fake.cql)
    assert not {"page-100", "page-101"} & set(docs) and "page-102" in docs


async def test_blogpost_id_filters():
    docs, fake = await sync(exclude_blogpost_ids="200")
    assert "blogpost-200" not in docs and any("id not in (200)" in q for q in fake.cql)


async def test_space_filters():
    docs, fake = await sync(spaces="ENG")
    assert "page-600" not in docs and "space-20" not in docs and "space-10" in docs
    assert all('space = "OPS"' not in q for q in fake.cql)
    docs, fake = await sync(exclude_spaces="ENG")
    assert "page-100" not in docs and "page-600" in docs


async def test_date_window_is_sent_as_cql_and_checked_exactly():
    docs, fake = await sync(created_after="2024-02-01")
    assert any("created >=" in q for q in fake.cql)
    assert "page-101" in docs and "page-100" not in docs  # created 2024-02-10 vs 2024-01-01
