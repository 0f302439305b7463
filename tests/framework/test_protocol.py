"""The protocol stores: conditional writes and the job state machine (fake ES)."""

import pytest

from connectors.protocol import ConnectorDoc, JobStatus, JobType, StaleDocument, TriggerMethod
from connectors.protocol.documents import active_rules_of

JOBS = ".elastic-connectors-sync-jobs"


async def new_job(harness, es, status=None):
    await harness.connectors.create("c1", index_name="search-x", service_type="fake")
    job_id = await harness.jobs.create("c1", JobType.FULL, TriggerMethod.ON_DEMAND)
    if status:
        es._write(JOBS, job_id, {"status": status}, merge=True)
    return job_id


async def test_claim_is_conditional(harness, es):
    job_id = await new_job(harness, es)
    job = await harness.jobs.require(job_id)
    claimed = await harness.jobs.claim(job, "host-a", {"position": 3})
    src = es.source(JOBS, job_id)
    assert (src["status"], src["worker_hostname"]) == ("in_progress", "host-a")
    assert src["connector"]["sync_cursor"] == {"position": 3}
    assert src["connector"]["index_name"] == "search-x"  # the snapshot is kept
    assert claimed.seq_no == es.docs[JOBS][job_id]["_seq_no"]
    with pytest.raises(StaleDocument):
        await harness.jobs.claim(job, "host-b", None)  # stale version: loses
    assert es.source(JOBS, job_id)["worker_hostname"] == "host-a"


@pytest.mark.parametrize(
    "current, target, written",
    [
        ("in_progress", JobStatus.COMPLETED, "completed"),
        ("in_progress", JobStatus.ERROR, "error"),
        ("in_progress", JobStatus.SUSPENDED, "suspended"),
        ("canceling", JobStatus.COMPLETED, "canceled"),  # a cancel request wins over completion
        ("canceling", JobStatus.SUSPENDED, "canceled"),
        ("canceling", JobStatus.CANCELED, "canceled"),
        ("pending", JobStatus.COMPLETED, None),  # not a transition of the state machine
        ("completed", JobStatus.ERROR, None),  # final states are final
        ("error", JobStatus.COMPLETED, None),
        ("canceled", JobStatus.ERROR, None),
    ],
)
async def test_terminate_follows_the_state_machine(harness, es, current, target, written):
    job_id = await new_job(harness, es, current)
    result = await harness.jobs.terminate(job_id, target, "boom" if target is JobStatus.ERROR else None)
    src = es.source(JOBS, job_id)
    if written is None:
        assert result is None and src["status"] == current
    else:
        assert result.status.value == written and src["status"] == written
        assert ("completed_at" in src) == (written != "suspended")
        assert ("canceled_at" in src) == (written == "canceled")


async def test_terminate_retries_after_a_concurrent_write(harness, es, monkeypatch):
    job_id = await new_job(harness, es, "in_progress")
    real_get = harness.jobs.get
    calls = []

    async def get_then_heartbeat(jid):
        job = await real_get(jid)
        if not calls:  # someone writes between our read and our conditional update
            await es.connector.sync_job_check_in(connector_sync_job_id=jid)
        calls.append(jid)
        return job

    monkeypatch.setattr(harness.jobs, "get", get_then_heartbeat)
    result = await harness.jobs.terminate(job_id, JobStatus.COMPLETED, counts={"indexed_document_count": 4})
    assert result.status is JobStatus.COMPLETED and len(calls) == 2
    assert es.source(JOBS, job_id)["indexed_document_count"] == 4


async def test_heartbeat_with_counts_uses_the_stats_api(harness, es):
    job_id = await new_job(harness, es, "in_progress")
    await harness.jobs.heartbeat(job_id, {"indexed_document_count": 7, "deleted_document_count": 1})
    src = es.source(JOBS, job_id)
    assert (src["indexed_document_count"], src["deleted_document_count"], src["indexed_document_volume"]) == (
        7,
        1,
        0,
    )


async def test_failed_document_count_goes_to_the_jobs_metadata_beside_the_worker(harness, es):
    job_id = await new_job(harness, es, "in_progress")
    es._write(JOBS, job_id, {"metadata": {"worker": "host:1"}}, merge=True)
    await harness.jobs.heartbeat(job_id, {"indexed_document_count": 3, "failed_document_count": 2})
    assert es.source(JOBS, job_id)["metadata"] == {"worker": "host:1", "failed_document_count": 2}
    await harness.jobs.terminate(job_id, JobStatus.COMPLETED, counts={"failed_document_count": 5})
    src = es.source(JOBS, job_id)
    assert src["status"] == "completed" and src["metadata"] == {
        "worker": "host:1",
        "failed_document_count": 5,
    }


def test_active_rules_of_every_stored_shape():
    rules = {"rules": [{"id": "DEFAULT"}], "advanced_snippet": {"value": {}}}
    assert active_rules_of([{"domain": "DEFAULT", "active": rules, "draft": {}}]) == rules
    assert active_rules_of([{"domain": "DEFAULT", **rules}]) == {"domain": "DEFAULT", **rules}
    assert active_rules_of(rules) == rules
    assert active_rules_of(None) == {} and active_rules_of([]) == {}


async def test_stores_speak_as_the_connectors_product():
    from elasticsearch import AsyncElasticsearch

    from connectors.protocol import ConnectorStore, JobStore

    client = AsyncElasticsearch("http://127.0.0.1:9")
    try:
        for store in (ConnectorStore(client), JobStore(client)):
            assert store.client._headers["X-elastic-product-origin"] == "connectors"
        assert "X-elastic-product-origin" not in client._headers  # the caller's client is untouched
    finally:
        await client.close()


async def test_connector_conditional_update_returns_the_document_as_written(harness, es):
    await harness.connectors.create("c1", index_name="search-x", service_type="fake")
    es._write(".elastic-connectors", "c1", {"configuration": {"a": {"value": 1}}}, merge=True)
    doc = await harness.connectors.get("c1")
    written = await harness.connectors.update_if_unchanged(doc, {"configuration": {"b": {"value": 2}}})
    # objects merge as Elasticsearch merges a partial update: the local view matches the stored one
    assert written.source == es.source(".elastic-connectors", "c1")
    assert written.source["configuration"] == {"a": {"value": 1}, "b": {"value": 2}}
    assert written.seq_no == es.docs[".elastic-connectors"]["c1"]["_seq_no"]
    with pytest.raises(StaleDocument, match="connector c1 changed concurrently"):
        await harness.connectors.update_if_unchanged(doc, {"sync_now": True})  # stale view loses
    assert es.docs[".elastic-connectors"]["c1"]["_seq_no"] == written.seq_no  # nothing written
    assert es.source(".elastic-connectors", "c1")["sync_now"] is False


async def test_a_vanished_job_is_reported_by_id(harness, es):
    from connectors.protocol import JobNotFound

    job_id = await new_job(harness, es)
    job = await harness.jobs.require(job_id)
    del es.docs[JOBS][job_id]
    with pytest.raises(JobNotFound, match=job_id):
        await harness.jobs.claim(job, "host-a", None)


def test_connector_rules_the_ui_and_service_share():
    """Configured, document level security and which syncs a connector supports: one definition."""
    dls = {"use_document_level_security": {"value": True}}
    features = {"document_level_security": {"enabled": True}, "incremental_sync": {"enabled": False}}
    doc = ConnectorDoc(id="c", source={"status": "connected", "features": features, "configuration": dls})
    assert doc.is_configured and doc.dls_enabled
    assert [doc.supports(t) for t in JobType] == [True, False, True]
    off = ConnectorDoc(
        id="c", source={"status": "needs_configuration", "features": features, "configuration": {}}
    )
    assert not off.is_configured and not off.dls_enabled and not off.supports(JobType.ACCESS_CONTROL)
    assert not ConnectorDoc(id="c", source={"status": "created"}).is_configured
    assert ConnectorDoc.from_api({"id": "x", "name": "N"}).view() == {"id": "x", "name": "N"}
