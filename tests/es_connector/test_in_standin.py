"""The Connector APIs inside the full stand-in: their documents are ordinary, searchable documents
of the ``.elastic-connectors*`` indices, and direct writes (as Elastic's framework does) interoperate."""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError, ConflictError, NotFoundError

from fixtures.elasticsearch.connector_mappings import (
    CONNECTORS_ALIAS,
    CONNECTORS_INDEX,
    SYNC_JOBS_ALIAS,
    SYNC_JOBS_INDEX,
)

pytestmark = pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.GeneralAvailabilityWarning")


async def test_connector_documents_are_searchable_in_the_alias(es_client):
    await es_client.connector.put(connector_id="c1", index_name="search-wiki", service_type="confluence")
    hits = (
        await es_client.search(index=CONNECTORS_ALIAS, query={"term": {"service_type": "confluence"}})
    ).body
    assert [h["_id"] for h in hits["hits"]["hits"]] == ["c1"]
    assert hits["hits"]["hits"][0]["_index"] == CONNECTORS_INDEX
    assert hits["hits"]["hits"][0]["_source"]["index_name"] == "search-wiki"
    got = (await es_client.get(index=CONNECTORS_ALIAS, id="c1")).body
    assert got["_source"]["status"] == "created"


async def test_system_indices_have_elasticsearchs_mappings_and_aliases(es_client):
    await es_client.connector.put(connector_id="c1", index_name="search-wiki", service_type="confluence")
    await es_client.connector.sync_job_post(id="c1")
    mappings = (await es_client.indices.get_mapping(index=SYNC_JOBS_ALIAS)).body[SYNC_JOBS_INDEX]["mappings"]
    assert mappings["dynamic"] == "false"  # Elasticsearch answers the string, as its mapping file has it
    assert mappings["properties"]["status"] == {"type": "keyword"}
    assert mappings["properties"]["connector"]["properties"]["id"] == {"type": "keyword"}
    aliases = (await es_client.indices.get_alias(index=CONNECTORS_INDEX)).body
    assert CONNECTORS_ALIAS in aliases[CONNECTORS_INDEX]["aliases"]


async def test_framework_style_terminal_write_with_seq_no(es_client):
    """Elastic's framework completes a job by writing the jobs index with if_seq_no/if_primary_term."""
    await es_client.connector.put(connector_id="c1", index_name="search-wiki", service_type="confluence")
    job_id = (await es_client.connector.sync_job_post(id="c1")).body["id"]
    await es_client.connector.sync_job_claim(connector_sync_job_id=job_id, worker_hostname="w1")
    current = (await es_client.get(index=SYNC_JOBS_ALIAS, id=job_id)).body
    source = {**current["_source"], "status": "completed", "completed_at": "2030-01-01T00:00:00.000Z"}
    await es_client.index(
        index=SYNC_JOBS_ALIAS,
        id=job_id,
        document=source,
        if_seq_no=current["_seq_no"],
        if_primary_term=current["_primary_term"],
        refresh=True,
    )
    with pytest.raises(ConflictError):  # a stale writer is refused
        await es_client.index(
            index=SYNC_JOBS_ALIAS,
            id=job_id,
            document=source,
            if_seq_no=current["_seq_no"],
            if_primary_term=current["_primary_term"],
        )
    job = (await es_client.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert job["status"] == "completed"
    listed = (await es_client.connector.sync_job_list(status="completed")).body
    assert [r["id"] for r in listed["results"]] == [job_id]


async def test_direct_partial_update_is_seen_by_the_api(es_client):
    await es_client.connector.put(connector_id="c1", index_name="search-wiki", service_type="confluence")
    await es_client.update(index=CONNECTORS_ALIAS, id="c1", doc={"sync_now": True}, refresh=True)
    assert (await es_client.connector.get(connector_id="c1")).body["sync_now"] is True
    await es_client.connector.check_in(connector_id="c1")
    doc = (await es_client.connector.get(connector_id="c1")).body
    assert doc["sync_now"] is True and doc["last_seen"]


@pytest.mark.parametrize(
    "created, alias",
    [(SYNC_JOBS_INDEX, SYNC_JOBS_ALIAS), (CONNECTORS_INDEX, CONNECTORS_ALIAS)],
)
async def test_backing_index_created_by_another_service_gets_its_alias_at_once(es_client, created, alias):
    """Elastic's own service creates ``.elastic-connectors-v1`` and ``.elastic-connectors-sync-jobs-v1``
    with ``PUT /<index>``; Elasticsearch applies the system-index descriptor (alias, mappings,
    hidden settings) whatever the request's body, so the Connector APIs work at once."""
    await es_client.indices.create(index=created, mappings={"properties": {"x": {"type": "text"}}})
    aliases = (await es_client.indices.get_alias(index=created)).body
    assert alias in aliases[created]["aliases"]
    mappings = (await es_client.indices.get_mapping(index=alias)).body[created]["mappings"]
    assert mappings["dynamic"] in ("false", False) and "x" not in mappings["properties"]
    settings = (await es_client.indices.get_settings(index=created)).body[created]["settings"]["index"]
    assert str(settings["hidden"]).lower() == "true"
    await es_client.connector.put(connector_id="c1", index_name="search-wiki", service_type="confluence")
    job_id = (await es_client.connector.sync_job_post(id="c1")).body["id"]
    job = (await es_client.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert job["status"] == "pending"
    assert (await es_client.get(index=alias, id=job_id if alias == SYNC_JOBS_ALIAS else "c1")).body["found"]


@pytest.mark.parametrize("created", [SYNC_JOBS_INDEX, CONNECTORS_INDEX])
async def test_backing_index_auto_created_by_a_write_gets_its_alias(es_client, created):
    await es_client.index(index=created, id="x", document={"status": "pending"}, refresh=True)
    alias = SYNC_JOBS_ALIAS if created == SYNC_JOBS_INDEX else CONNECTORS_ALIAS
    assert alias in (await es_client.indices.get_alias(index=created)).body[created]["aliases"]
    await es_client.connector.put(connector_id="c1", index_name="search-wiki", service_type="confluence")
    assert (await es_client.connector.sync_job_post(id="c1")).body["id"]


async def test_a_removed_system_alias_is_a_missing_index_not_a_server_error(es_client):
    await es_client.connector.put(connector_id="c1", index_name="search-wiki", service_type="confluence")
    await es_client.connector.sync_job_post(id="c1")
    await es_client.indices.update_aliases(
        actions=[{"remove": {"index": SYNC_JOBS_INDEX, "alias": SYNC_JOBS_ALIAS}}]
    )
    with pytest.raises(NotFoundError) as caught:
        await es_client.connector.sync_job_post(id="c1")
    assert caught.value.meta.status == 404
    assert caught.value.error == "index_not_found_exception"
    assert SYNC_JOBS_ALIAS in str(caught.value.info)


async def test_creating_the_alias_name_while_the_backing_index_exists_is_refused(es_client):
    await es_client.indices.create(index=SYNC_JOBS_INDEX)
    with pytest.raises(BadRequestError) as caught:
        await es_client.indices.create(index=SYNC_JOBS_ALIAS)
    assert caught.value.error == "resource_already_exists_exception"
    assert SYNC_JOBS_INDEX in str(caught.value.info)


async def test_creating_the_alias_name_creates_the_backing_index(es_client):
    await es_client.indices.create(index=CONNECTORS_ALIAS)
    aliases = (await es_client.indices.get_alias(index=CONNECTORS_ALIAS)).body
    assert list(aliases) == [CONNECTORS_INDEX]
    assert CONNECTORS_ALIAS in aliases[CONNECTORS_INDEX]["aliases"]
