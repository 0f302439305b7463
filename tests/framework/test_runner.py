"""The job runner against the fake ES (fast, deterministic races)."""

import asyncio

import pytest

from connectors.protocol import JobStatus, JobType
from tests.framework import fake_source
from tests.framework.fake_es import FakeSink
from tests.framework.fake_source import make_docs
from tests.framework.support import CONNECTORS, JOBS, start_long_job, wait_until


async def test_full_sync_completes_with_counts_and_connector_fields(harness, es):
    await harness.connector(docs=make_docs(5))
    status, job = await harness.run()
    assert status is JobStatus.COMPLETED
    src = job.source
    assert src["status"] == "completed" and src["error"] is None
    assert src["indexed_document_count"] == 5
    assert src["deleted_document_count"] == 0
    assert src["total_document_count"] == 5
    assert src["worker_hostname"] == "test-host"
    assert src["started_at"] and src["completed_at"]
    assert sorted(es.docs["search-test"]) == [f"doc-{i}" for i in range(5)]
    assert es.source("search-test", "doc-3")["body"] == "body of 3"
    connector = es.source(CONNECTORS, "c1")
    assert connector["last_sync_status"] == "completed"
    assert connector["last_sync_error"] is None
    assert connector["last_indexed_document_count"] == 5
    assert connector["last_synced"]
    assert connector["status"] == "connected"
    assert connector["sync_cursor"] == {"position": 0}


async def test_second_sync_skips_unchanged_and_deletes_removed(harness, es):
    docs = make_docs(6)
    await harness.connector(docs=docs)
    await harness.run()
    fake_source.DOWNLOADS.clear()
    changed = [dict(d) for d in docs[:4]]
    changed[0]["_timestamp"] = "2026-02-01T00:00:00Z"
    changed[0]["body"] = "new body"
    fake_source.MEMORY["c1"]["docs"] = changed
    status, job = await harness.run()
    assert status is JobStatus.COMPLETED
    assert job.source["indexed_document_count"] == 1
    assert job.source["deleted_document_count"] == 2
    assert job.source["total_document_count"] == 4
    assert fake_source.DOWNLOADS == ["doc-0"]  # unchanged docs are not downloaded
    assert es.source("search-test", "doc-0")["body"] == "new body"
    assert FakeSink.instances[-1].stats["skipped"] == 3
    assert FakeSink.instances[-1].finished_with is True


async def test_listing_failure_fails_job_and_deletes_nothing(harness, es):
    await harness.connector(docs=make_docs(5))
    await harness.run()
    fake_source.MEMORY["c1"]["fail_after"] = 2
    status, job = await harness.run()
    assert status is JobStatus.ERROR
    assert "listing failed after 2 documents" in job.error
    assert FakeSink.instances[-1].finished_with is False
    assert len(es.docs["search-test"]) == 5
    connector = es.source(CONNECTORS, "c1")
    assert connector["last_sync_status"] == "error"
    assert "listing failed" in connector["last_sync_error"]
    assert connector["status"] == "error"


async def test_unreachable_source_fails_job_before_syncing(harness, es):
    await harness.connector(docs=make_docs(2))
    fake_source.MEMORY["c1"]["unreachable"] = True
    status, job = await harness.run()
    assert status is JobStatus.ERROR
    assert job.error == "the fake source is unreachable (fixture says so)"
    assert FakeSink.instances == []


async def test_unknown_service_type_is_a_readable_job_error(harness, es):
    await harness.connector(docs=[])
    es._write(CONNECTORS, "c1", {"service_type": "jira"}, merge=True)
    status, job = await harness.run()
    assert status is JobStatus.ERROR
    assert "no source configured for service type 'jira'" in job.error


async def test_lost_claim_returns_none_and_leaves_job_alone(harness, es):
    await harness.connector(docs=make_docs(2))
    job = await harness.job()
    # another process claims it between our read and our write
    es._write(JOBS, job.id, {"status": "in_progress", "worker_hostname": "other"}, merge=True)
    assert await harness.runner(job).run() is None
    assert es.source(JOBS, job.id)["worker_hostname"] == "other"
    assert "search-test" not in es.docs


async def test_cancellation_stops_the_work(harness, es):
    job, runner, task = await start_long_job(harness, seen=5)
    await harness.jobs.request_cancel(job.id)
    assert es.source(JOBS, job.id)["status"] == "canceling"
    status = await asyncio.wait_for(task, timeout=60)
    assert status is JobStatus.CANCELED
    src = es.source(JOBS, job.id)
    assert src["status"] == "canceled" and src["canceled_at"] and src["completed_at"]
    assert runner.progress.seen < 1000
    assert FakeSink.instances[-1].canceled
    assert es.source(CONNECTORS, "c1")["last_sync_status"] == "canceled"


async def test_suspend_on_shutdown(harness, es):
    from connectors.sync.runner import StopReason

    job, runner, task = await start_long_job(harness)
    runner.request_stop(StopReason.SUSPENDED)
    assert await asyncio.wait_for(task, timeout=60) is JobStatus.SUSPENDED
    assert runner.progress.seen < 1000
    assert es.source(JOBS, job.id)["status"] == "suspended"
    assert es.source(CONNECTORS, "c1")["last_sync_status"] == "suspended"


async def test_heartbeat_writes_live_counts(harness, es):
    await harness.connector(docs=make_docs(400))
    fake_source.MEMORY["c1"]["delay"] = 0.01
    job = await harness.job()
    runner = harness.runner(job)
    task = asyncio.create_task(runner.run())
    await wait_until(lambda: es.source(JOBS, job.id).get("indexed_document_count", 0) > 0)
    mid = es.source(JOBS, job.id)
    assert mid["status"] == "in_progress"
    assert 0 < mid["indexed_document_count"] < 400
    fake_source.MEMORY["c1"]["delay"] = 0  # seen mid-way: the rest need not take 4 s
    assert await asyncio.wait_for(task, timeout=60) is JobStatus.COMPLETED


async def test_job_finished_elsewhere_stops_the_runner(harness, es):
    job, runner, task = await start_long_job(harness)
    es._write(JOBS, job.id, {"status": "error", "error": "orphaned"}, merge=True)
    await asyncio.wait_for(task, timeout=60)
    assert es.source(JOBS, job.id)["error"] == "orphaned"  # not overwritten
    assert runner.progress.seen < 1000


async def test_basic_rules_filter_documents(harness, es):
    await harness.connector(docs=make_docs(10))
    rules = [
        {"id": "r1", "policy": "exclude", "field": "n", "rule": ">", "value": "6", "order": 0},
        {"id": "DEFAULT", "policy": "include", "field": "_", "rule": "regex", "value": ".*", "order": 1},
    ]
    filtering = es.source(CONNECTORS, "c1")["filtering"]
    filtering[0]["active"]["rules"] = rules
    status, job = await harness.run()
    assert status is JobStatus.COMPLETED
    assert sorted(es.docs["search-test"]) == [f"doc-{i}" for i in range(7)]
    assert job.source["indexed_document_count"] == 7


async def test_incremental_sync_applies_operations_and_stores_cursor(harness, es):
    await harness.connector(docs=make_docs(3))
    await harness.run()
    fake_source.MEMORY["c1"]["changes"] = [
        {"op": "index", "doc": {"_id": "new", "_timestamp": "2026-03-01T00:00:00Z", "body": "b"}},
        {"op": "delete", "doc": {"_id": "doc-1"}},
    ]
    status, job = await harness.run(job_type=JobType.INCREMENTAL)
    assert status is JobStatus.COMPLETED
    assert sorted(es.docs["search-test"]) == ["doc-0", "doc-2", "new"]
    assert job.source["indexed_document_count"] == 1 and job.source["deleted_document_count"] == 1
    assert es.source(CONNECTORS, "c1")["sync_cursor"] == {"position": 2}
    assert FakeSink.instances[-1].finished_with is False  # never deletes stale on incremental


async def test_access_control_sync_goes_to_acl_index(harness, es):
    await harness.connector(docs=make_docs(1))
    fake_source.MEMORY["c1"]["identities"] = [
        {"_id": "alice", "_timestamp": "2026-01-01T00:00:00Z", "identity": {"username": "alice"}}
    ]
    status, job = await harness.run(job_type=JobType.ACCESS_CONTROL)
    assert status is JobStatus.COMPLETED
    assert job.index_name == ".search-acl-filter-search-test"
    assert list(es.docs[".search-acl-filter-search-test"]) == ["alice"]
    connector = es.source(CONNECTORS, "c1")
    assert connector["last_access_control_sync_status"] == "completed"
    assert "sync_cursor" not in connector


@pytest.mark.parametrize("flag, job_type", [("incremental_sync_enabled", JobType.INCREMENTAL)])
async def test_unsupported_job_type_is_an_error(harness, es, monkeypatch, flag, job_type):
    from tests.framework.fake_source import FakeDataSource

    monkeypatch.setattr(FakeDataSource, flag, False)
    await harness.connector(docs=make_docs(1))
    status, job = await harness.run(job_type=job_type)
    assert status is JobStatus.ERROR
    assert "does not support incremental syncs" in job.error


async def test_progress_lines_during_a_long_sync(harness, es):
    import io

    from connectors.logger import configure_logging

    buffer = io.StringIO()
    configure_logging("INFO", stream=buffer)
    try:
        await harness.connector(docs=make_docs(60))
        fake_source.MEMORY["c1"]["delay"] = 0.005
        status, job = await harness.run()
    finally:
        configure_logging("INFO")
    assert status is JobStatus.COMPLETED
    lines = [line for line in buffer.getvalue().splitlines() if "progress: seen=" in line]
    assert len(lines) >= 2  # periodic lines plus the final one
    assert f"job_id={job.id}" in lines[-1] and "connector_id=c1" in lines[-1]
    assert "seen=60 indexed=60 skipped=0 deleted=0 docs/s=" in lines[-1]


async def test_error_raised_by_stopping_still_ends_canceled(harness, es, monkeypatch):
    from connectors.errors import SyncCanceled

    await harness.connector(docs=make_docs(500))
    original_put = FakeSink.put
    puts = []
    stalled = asyncio.Event()  # never set: Elasticsearch stops answering at the 4th document

    async def put_converting_cancellation(self, doc, lazy_download=None, op="index"):
        puts.append(doc["_id"])
        try:
            if len(puts) > 3:
                await stalled.wait()  # cancellation lands here
            await original_put(self, doc, lazy_download, op)
        except asyncio.CancelledError:
            raise SyncCanceled("the sync was canceled") from None

    monkeypatch.setattr(FakeSink, "put", put_converting_cancellation)
    job = await harness.job()
    runner = harness.runner(job)
    task = asyncio.create_task(runner.run())
    await wait_until(lambda: len(puts) == 4)
    await es.connector.sync_job_cancel(connector_sync_job_id=job.id)
    assert await asyncio.wait_for(task, 60) is JobStatus.CANCELED
    assert es.source(JOBS, job.id)["error"] is None
    assert runner.progress.seen == 4 and len(puts) == 4  # nothing read after the stalled write


async def test_claim_records_the_process_identity(harness, es, caplog):
    import logging
    import os

    await harness.connector(docs=make_docs(2))
    with caplog.at_level(logging.INFO):
        status, job = await harness.run()
    assert status.value == "completed"
    assert job.worker_hostname == "test-host"  # what Kibana shows stays the bare hostname
    assert job.worker == f"test-host:{os.getpid()}"
    assert job.source["metadata"]["worker"] == job.worker
    assert any(f"as worker test-host:{os.getpid()}" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("dls", [True, False])
async def test_with_dls_on_no_document_reaches_the_index_without_a_list(harness, es, dls):
    docs = make_docs(3)
    docs[0]["_allow_access_control"] = ["group:eng"]
    docs[1]["_allow_access_control"] = []
    await harness.connector(docs=docs)
    connector = es.source(CONNECTORS, "c1")
    configuration = connector["configuration"]
    configuration["use_document_level_security"] = {"label": "DLS", "type": "bool", "value": dls}
    es._write(CONNECTORS, "c1", {"configuration": configuration}, merge=True)
    status, _ = await harness.run()
    assert status is JobStatus.COMPLETED
    lists = {i: es.source("search-test", f"doc-{i}").get("_allow_access_control") for i in range(3)}
    if dls:  # an empty or missing list would be public under Elastic's template: deny instead
        assert lists == {0: ["group:eng"], 1: ["deny:nobody"], 2: ["deny:nobody"]}
    else:
        assert lists == {0: ["group:eng"], 1: [], 2: None}
