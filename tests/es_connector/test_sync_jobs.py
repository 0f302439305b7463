"""Sync-job endpoints through the official client: creation snapshot, state machine, listing."""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError, NotFoundError

pytestmark = pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.GeneralAvailabilityWarning")


@pytest.fixture
async def connector(es):
    await es.connector.put(
        connector_id="c1", index_name="search-wiki", service_type="confluence", language="en"
    )
    await es.connector.update_configuration(
        connector_id="c1", configuration={"host": {"label": "Host", "value": "wiki.example.com"}}
    )
    return "c1"


async def _job(es, connector_id="c1", job_type="full"):
    return (await es.connector.sync_job_post(id=connector_id, job_type=job_type)).body["id"]


async def test_new_job_is_pending_with_a_connector_snapshot(es, connector):
    job_id = await _job(es)
    job = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert job["id"] == job_id
    assert (job["status"], job["job_type"], job["trigger_method"]) == ("pending", "full", "on_demand")
    for count in (
        "indexed_document_count",
        "indexed_document_volume",
        "deleted_document_count",
        "total_document_count",
    ):
        assert job[count] == 0
    assert job["created_at"] == job["last_seen"]
    snapshot = job["connector"]
    assert (snapshot["id"], snapshot["index_name"], snapshot["service_type"]) == (
        "c1",
        "search-wiki",
        "confluence",
    )
    assert snapshot["configuration"]["host"]["value"] == "wiki.example.com"
    assert snapshot["filtering"]["rules"][0]["id"] == "DEFAULT"  # the active rules, as an object
    acl = (
        await es.connector.sync_job_get(connector_sync_job_id=await _job(es, job_type="access_control"))
    ).body
    assert acl["connector"]["index_name"] == ".search-acl-filter-search-wiki"


async def test_job_creation_errors(es, connector):
    with pytest.raises(NotFoundError) as err:
        await es.connector.sync_job_post(id="missing")
    assert err.value.body["error"]["reason"] == "Connector with id 'missing' does not exist."
    await es.connector.put(connector_id="no-index", service_type="confluence")
    with pytest.raises(BadRequestError) as err:
        await es.connector.sync_job_post(id="no-index")
    assert "with no index attached" in err.value.body["error"]["reason"]
    with pytest.raises(BadRequestError):
        await es.connector.sync_job_post(id="c1", job_type="sometimes")


async def test_claim_stats_cancel_and_error_follow_the_state_machine(es, connector):
    job_id = await _job(es)
    with pytest.raises(BadRequestError) as err:
        await es.connector.sync_job_error(connector_sync_job_id=job_id, error="x")  # pending -> error
    assert "Invalid transition attempt from [pending] to [error]" in err.value.body["error"]["reason"]
    await es.connector.sync_job_claim(
        connector_sync_job_id=job_id, worker_hostname="w1", sync_cursor={"page": 3}
    )
    job = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert (job["status"], job["worker_hostname"]) == ("in_progress", "w1")
    assert job["connector"]["sync_cursor"] == {"page": 3} and job["connector"]["id"] == "c1"
    await es.connector.sync_job_update_stats(
        connector_sync_job_id=job_id,
        indexed_document_count=5,
        indexed_document_volume=2,
        deleted_document_count=1,
        metadata={"pages": 5},
    )
    job = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert (job["indexed_document_count"], job["deleted_document_count"], job["metadata"]) == (
        5,
        1,
        {"pages": 5},
    )
    await es.connector.sync_job_cancel(connector_sync_job_id=job_id)
    job = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert job["status"] == "canceling" and "cancelation_requested_at" in job and "canceled_at" not in job
    await es.connector.sync_job_error(connector_sync_job_id=job_id, error="worker died")
    job = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert (job["status"], job["error"]) == ("error", "worker died")
    with pytest.raises(BadRequestError):
        await es.connector.sync_job_cancel(connector_sync_job_id=job_id)  # error is final


async def test_cancel_pending_job_is_immediate(es, connector):
    job_id = await _job(es)
    await es.connector.sync_job_cancel(connector_sync_job_id=job_id)
    job = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert job["status"] == "canceled"
    assert job["canceled_at"] == job["completed_at"] == job["cancelation_requested_at"]


async def test_check_in_moves_last_seen_forward(es, connector):
    job_id = await _job(es)
    before = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body["last_seen"]
    await es.connector.sync_job_check_in(connector_sync_job_id=job_id)
    after = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body["last_seen"]
    assert after > before


async def test_list_newest_first_with_filters(es, connector):
    await es.connector.put(connector_id="c2", index_name="search-other", service_type="confluence")
    first = await _job(es)
    second = await _job(es, job_type="incremental")
    other = await _job(es, connector_id="c2")
    await es.connector.sync_job_cancel(connector_sync_job_id=first)
    listed = (await es.connector.sync_job_list()).body
    assert listed["count"] == 3 and [r["id"] for r in listed["results"]] == [other, second, first]
    assert [r["id"] for r in (await es.connector.sync_job_list(connector_id="c1")).body["results"]] == [
        second,
        first,
    ]
    assert [
        r["id"]
        for r in (await es.connector.sync_job_list(status="pending", connector_id="c1")).body["results"]
    ] == [second]
    assert (await es.connector.sync_job_list(job_type=["incremental"])).body["count"] == 1
    assert [r["id"] for r in (await es.connector.sync_job_list(from_=1, size=1)).body["results"]] == [second]
    with pytest.raises(BadRequestError):
        await es.connector.sync_job_list(status="sleeping")


async def test_delete_job_and_delete_connector_with_jobs(es, connector):
    job_id = await _job(es)
    assert (await es.connector.sync_job_delete(connector_sync_job_id=job_id)).body == {"acknowledged": True}
    with pytest.raises(NotFoundError) as err:
        await es.connector.sync_job_get(connector_sync_job_id=job_id)
    assert err.value.body["error"]["reason"] == f"connector sync job [{job_id}] not found"
    await _job(es)
    await _job(es)
    await es.connector.delete(connector_id="c1", delete_sync_jobs=True)
    assert (await es.connector.sync_job_list(connector_id="c1")).body["count"] == 0


async def test_secrets_roundtrip(es):
    headers = {"content-type": "application/json", "accept": "application/json"}
    created = await es.perform_request(
        "POST", "/_connector/_secret", headers=headers, body={"value": "s3cret"}
    )
    secret_id = created.body["id"]
    got = await es.perform_request("GET", f"/_connector/_secret/{secret_id}", headers=headers)
    assert got.body == {"id": secret_id, "value": "s3cret"}
    deleted = await es.perform_request("DELETE", f"/_connector/_secret/{secret_id}", headers=headers)
    assert deleted.body == {"deleted": True}
    with pytest.raises(NotFoundError):
        await es.perform_request("GET", f"/_connector/_secret/{secret_id}", headers=headers)
    with pytest.raises(BadRequestError):
        await es.perform_request("POST", "/_connector/_secret", headers=headers, body={"value": None})


async def test_job_creation_after_another_service_created_the_jobs_index(es, connector):
    """Elastic's connector service creates the backing index with ``PUT``; a job is created all the
    same (the stand-in used to answer 500 AssertionError here)."""
    await es.indices.create(index=".elastic-connectors-sync-jobs-v1")
    job_id = await _job(es)
    job = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert (job["status"], job["connector"]["id"]) == ("pending", connector)
