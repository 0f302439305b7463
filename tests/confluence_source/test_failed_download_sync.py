"""A download that fails after its retries, end to end: the runner, the real sink and the real
Confluence source against the mock Confluence and the Elasticsearch stand-in (issue 11, defect 3).

The attachment's document is indexed with its metadata and ``content_skipped_reason``, the job
counts one failed document (``metadata.failed_document_count``) and completes; with an error
budget of 0 the same failure ends the job ``error``.
"""

from __future__ import annotations

import aiohttp
import pytest

from connectors.configuration import merge_configuration
from connectors.services.oneshot import run_one_sync
from connectors.sources.confluence.datasource import ConfluenceDataSource
from tests.framework.e2e_support import get_source

INDEX = "search-confluence"
TEXT_TYPES = ("text/plain", "application/pdf")


def config(error_budget: int) -> dict:
    return {
        "service": {"heartbeat": 0.2, "progress_interval": 5},
        "elasticsearch": {"bulk": {"error_budget": error_budget, "retry_interval": 0}},
        "connectors": [{"connector_id": "conf", "service_type": "confluence"}],
        "sources": {"confluence": "connectors.sources.confluence:ConfluenceDataSource"},
    }


async def configured_connector(client, mock) -> None:
    await client.connector.put(connector_id="conf", index_name=INDEX, service_type="confluence")
    values = {
        "data_source": "confluence_cloud",
        "confluence_url": mock.url,
        "account_email": "admin@example.com",
        "api_token": "changeme",
        "retry_count": 1,
        # attachments only: a short sync
        **{key: False for key in ("index_spaces", "index_pages", "index_blogposts", "index_folders")},
        "index_page_comments": False,
        "index_blogpost_comments": False,
    }
    schema = merge_configuration(ConfluenceDataSource.get_default_configuration(), {})
    for key, value in values.items():
        schema[key]["value"] = value
    await client.connector.update_configuration(connector_id="conf", configuration=schema)


async def a_text_attachment(session, mock) -> dict:
    url = mock.url + "/wiki/rest/api/content/search"
    params = {"cql": "type=attachment", "limit": "100"}
    async with session.get(url, params=params, headers=mock.auth_headers("admin")) as response:
        assert response.status == 200, await response.text()
        results = (await response.json())["results"]
    for item in results:
        media = (item.get("extensions") or {}).get("mediaType") or ""
        size = (item.get("extensions") or {}).get("fileSize") or 0
        if media in TEXT_TYPES and item["_links"].get("download") and size < 1024 * 1024:
            return item
    raise AssertionError(f"no text attachment among {len(results)}")


async def break_download(mock, budget_of_failures: int = 50) -> dict:
    async with aiohttp.ClientSession() as session:
        item = await a_text_attachment(session, mock)
        path = item["_links"]["download"].split("?", 1)[0]
        rule = {"path": path.rsplit("/", 1)[-1], "count": budget_of_failures, "fault": "reset"}
        async with session.post(mock.url + "/__admin/faults", json=rule) as response:
            assert response.status == 200, await response.text()
    return item


@pytest.mark.parametrize("error_budget", [100, 0])
async def test_a_failed_download_is_indexed_with_its_reason_and_counted(
    confluence_cloud, es_client, error_budget
):
    item = await break_download(confluence_cloud)
    await configured_connector(es_client, confluence_cloud)

    job = await run_one_sync(config(error_budget), es_client, "conf", "full", 120)

    assert job.source["metadata"]["failed_document_count"] == 1
    assert job.worker  # metadata.worker survives the counts merged into metadata
    if error_budget == 0:
        assert job.status.value == "error"
        assert "more than the error budget of 0" in job.error and f"attachment-{item['id']}" in job.error
        return
    assert job.status.value == "completed" and job.error is None
    assert job.source["indexed_document_count"] >= 2
    doc = await get_source(es_client, INDEX, f"attachment-{item['id']}")
    assert doc["filename"] == item["title"] and doc["type"] == "attachment"
    assert doc["content_skipped_reason"].startswith(
        "download failed: SyncError: Could not download attachment"
    )
    assert "_timestamp" not in doc  # the next sync retries the download
