"""The runner with the framework's real sink and mappings, in process, against the ES stand-in."""

from __future__ import annotations

import os

from connectors.configuration import merge_configuration
from connectors.protocol import CONNECTORS_INDEX
from connectors.services.oneshot import run_one_sync
from connectors.utils import MIB
from tests.framework.e2e_support import get_source, ids_in
from tests.framework.fake_source import FakeDataSource, make_docs, write_fixture

CONFIG = {
    "service": {"heartbeat": 0.2, "progress_interval": 1},
    "connectors": [{"connector_id": "c1", "service_type": "fake"}],
    "sources": {"fake": "tests.framework.fake_source:FakeDataSource"},
}


async def configured_connector(client, docs_file, connector_id="c1", index="search-real"):
    await client.connector.put(connector_id=connector_id, index_name=index, service_type="fake")
    schema = merge_configuration(FakeDataSource.get_default_configuration(), {})
    schema["docs_file"]["value"] = str(docs_file)
    await client.connector.update_configuration(connector_id=connector_id, configuration=schema)


async def test_full_incremental_and_access_control_with_the_real_sink(es_client, tmp_path):
    docs_file = tmp_path / "docs.json"
    padded = [{**doc, "pad": "x" * (3 * MIB // 8)} for doc in make_docs(8)]  # 3 MiB and a few bytes
    write_fixture(docs_file, padded)
    await configured_connector(es_client, docs_file)

    job = await run_one_sync(CONFIG, es_client, "c1", "full", 60)
    assert job.status.value == "completed", job.error
    assert job.source["indexed_document_count"] == 8 and job.source["total_document_count"] == 8
    assert job.source["indexed_document_volume"] == 3  # the sink's bytes, stored on the job in MiB
    assert job.worker == f"{job.worker_hostname}:{os.getpid()}"  # stored by the stand-in as written
    hit = await get_source(es_client, "search-real", "doc-2")
    assert hit["body"] == "body of 2" and hit["title"] == "Title 2"
    connector = await get_source(es_client, CONNECTORS_INDEX, "c1")
    assert connector["sync_cursor"] == {"position": 0}

    write_fixture(
        docs_file,
        make_docs(8),
        changes=[
            {"op": "index", "doc": {"_id": "fresh", "_timestamp": "2026-07-01T00:00:00Z", "body": "new"}},
            {"op": "delete", "doc": {"_id": "doc-0"}},
        ],
        identities=[
            {"_id": "alice", "_timestamp": "2026-01-01T00:00:00Z", "identity": {"username": "alice"},
             "query": {"template": {"params": {"access_control": ["alice", "group:eng"]}}}},
        ],
    )  # fmt: skip
    job = await run_one_sync(CONFIG, es_client, "c1", "incremental", 60)
    assert job.status.value == "completed", job.error
    assert (job.source["indexed_document_count"], job.source["deleted_document_count"]) == (1, 1)
    assert await ids_in(es_client, "search-real") == {"fresh"} | {f"doc-{i}" for i in range(1, 8)}
    assert (await get_source(es_client, CONNECTORS_INDEX, "c1"))["sync_cursor"] == {"position": 2}

    job = await run_one_sync(CONFIG, es_client, "c1", "access_control", 60)
    assert job.status.value == "completed", job.error
    assert job.source["connector"]["index_name"] == ".search-acl-filter-search-real"
    acl = await get_source(es_client, ".search-acl-filter-search-real", "alice")
    assert acl["identity"] == {"username": "alice"}
    connector = await get_source(es_client, CONNECTORS_INDEX, "c1")
    assert connector["last_access_control_sync_status"] == "completed"
    assert connector["sync_cursor"] == {"position": 2}  # an access-control sync leaves the cursor alone


async def test_listing_failure_keeps_the_index_with_the_real_sink(es_client, tmp_path):
    docs_file = tmp_path / "docs.json"
    write_fixture(docs_file, make_docs(6))
    await configured_connector(es_client, docs_file)
    assert (await run_one_sync(CONFIG, es_client, "c1", "full", 60)).status.value == "completed"
    write_fixture(docs_file, make_docs(2), fail_after=1)
    job = await run_one_sync(CONFIG, es_client, "c1", "full", 60)
    assert job.status.value == "error"
    assert job.error == "listing failed after 1 documents (fixture says so)"
    assert await ids_in(es_client, "search-real") == {f"doc-{i}" for i in range(6)}  # nothing deleted
    connector = await get_source(es_client, CONNECTORS_INDEX, "c1")
    assert (connector["status"], connector["last_sync_status"]) == ("error", "error")
    assert connector["error"] == job.error
