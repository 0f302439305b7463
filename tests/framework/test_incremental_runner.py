"""Incremental jobs in the runner: a declined cursor runs the job as a full sync (and says so),
the cursor moves only on success, a failed incremental deletes nothing."""

import logging

from connectors.protocol import JobStatus, JobType
from tests.framework import fake_source
from tests.framework.fake_es import FakeSink
from tests.framework.fake_source import make_docs
from tests.framework.support import CONNECTORS


def _stale_doc(es, doc_id="gone"):
    es._write("search-test", doc_id, {"_id": doc_id, "_timestamp": "2020-01-01T00:00:00Z", "title": "old"})


async def test_incremental_without_cursor_runs_as_full_sync_and_says_why(harness, es, caplog):
    await harness.connector(docs=make_docs(3))
    fake_source.MEMORY["c1"]["require_cursor"] = True
    _stale_doc(es)
    with caplog.at_level(logging.INFO, logger="connectors.sync"):
        status, job = await harness.run(job_type=JobType.INCREMENTAL)
    assert status is JobStatus.COMPLETED
    assert job.job_type is JobType.INCREMENTAL  # still the job that was asked for
    assert job.incremental_fallback == "no sync cursor yet (fixture requires one)"
    assert job.source["metadata"]["incremental_fallback"] == job.incremental_fallback
    assert job.source["metadata"]["worker"]  # the rest of metadata stays
    # the full path: listing of every document, stale document deleted
    assert sorted(es.docs["search-test"]) == ["doc-0", "doc-1", "doc-2"]
    assert job.source["deleted_document_count"] == 1
    assert FakeSink.instances[-1].finished_with is True
    assert any("runs as a full sync: no sync cursor yet" in record.getMessage() for record in caplog.records)
    assert es.source(CONNECTORS, "c1")["sync_cursor"] == {"position": 0}


async def test_fallback_full_sync_skips_unchanged_documents(harness, es):
    docs = make_docs(4)
    await harness.connector(docs=docs)
    fake_source.MEMORY["c1"]["scope"] = "spaces=A"
    await harness.run()  # full: cursor {"position": 0, "scope": "spaces=A"}
    fake_source.DOWNLOADS.clear()
    fake_source.MEMORY["c1"]["scope"] = "spaces=A,B"  # the configuration changed
    changed = [dict(d) for d in docs[:3]]
    changed[0]["_timestamp"] = "2026-02-01T00:00:00Z"
    fake_source.MEMORY["c1"]["docs"] = changed
    status, job = await harness.run(job_type=JobType.INCREMENTAL)
    assert status is JobStatus.COMPLETED
    assert "another scope" in job.incremental_fallback
    assert fake_source.DOWNLOADS == ["doc-0"]  # unchanged documents are not downloaded again
    assert FakeSink.instances[-1].stats["skipped"] == 2
    assert sorted(es.docs["search-test"]) == ["doc-0", "doc-1", "doc-2"]
    assert es.source(CONNECTORS, "c1")["sync_cursor"] == {"position": 0, "scope": "spaces=A,B"}


async def test_incremental_that_uses_its_cursor_records_no_fallback(harness, es):
    await harness.connector(docs=make_docs(2))
    fake_source.MEMORY["c1"]["require_cursor"] = True
    await harness.run()
    fake_source.MEMORY["c1"]["changes"] = [{"op": "delete", "doc": {"_id": "doc-0"}}]
    status, job = await harness.run(job_type=JobType.INCREMENTAL)
    assert status is JobStatus.COMPLETED
    assert job.incremental_fallback is None
    assert FakeSink.instances[-1].finished_with is False
    assert sorted(es.docs["search-test"]) == ["doc-1"]


async def test_failed_incremental_keeps_the_old_cursor_and_deletes_nothing(harness, es):
    await harness.connector(docs=make_docs(3))
    await harness.run()
    assert es.source(CONNECTORS, "c1")["sync_cursor"] == {"position": 0}
    fake_source.MEMORY["c1"]["changes"] = [
        {"op": "index", "doc": {"_id": "new", "_timestamp": "2026-03-01T00:00:00Z", "body": "b"}},
        {"op": "index", "doc": {"_id": "new2", "_timestamp": "2026-03-01T00:00:00Z", "body": "b"}},
    ]
    fake_source.MEMORY["c1"]["fail_after"] = 1  # the change listing fails after its retries
    status, job = await harness.run(job_type=JobType.INCREMENTAL)
    assert status is JobStatus.ERROR and "listing failed" in job.error
    assert es.source(CONNECTORS, "c1")["sync_cursor"] == {"position": 0}
    assert FakeSink.instances[-1].finished_with is False
    assert sorted(es.docs["search-test"]) == ["doc-0", "doc-1", "doc-2", "new"]


async def test_failed_fallback_full_sync_keeps_the_old_cursor(harness, es):
    await harness.connector(docs=make_docs(3))
    fake_source.MEMORY["c1"]["scope"] = "old"
    await harness.run()
    fake_source.MEMORY["c1"].update(scope="new", fail_after=1)
    status, job = await harness.run(job_type=JobType.INCREMENTAL)
    assert status is JobStatus.ERROR
    assert job.incremental_fallback  # it ran as a full sync ...
    assert es.source(CONNECTORS, "c1")["sync_cursor"] == {"position": 0, "scope": "old"}  # ... and failed
    assert FakeSink.instances[-1].finished_with is False
    assert len(es.docs["search-test"]) == 3


async def test_every_content_sync_lists_with_a_view_of_its_index_and_access_control_without(
    harness, es, monkeypatch
):
    """Runner rule 4: full, incremental and the full fallback get the view before listing, the
    sink gets the source's unversioned fields; an access-control sync gets neither."""
    from tests.framework.fake_source import FakeDataSource

    monkeypatch.setattr(FakeDataSource, "unversioned_fields", ("labels", "ancestors"))
    await harness.connector(docs=make_docs(2))
    fake_source.MEMORY["c1"].update(require_cursor=True, identities=[{"_id": "alice", "identity": {}}])
    await harness.run()  # full
    await harness.run(job_type=JobType.INCREMENTAL)  # with its cursor
    es.docs[CONNECTORS]["c1"]["_source"]["sync_cursor"] = None
    await harness.run(job_type=JobType.INCREMENTAL)  # no cursor: the full fallback
    await harness.run(job_type=JobType.ACCESS_CONTROL)
    kinds = [kind for kind, _ in fake_source.LISTINGS]
    assert kinds == ["full", "incremental", "incremental", "full", "access_control"]
    views = [view for _, view in fake_source.LISTINGS]
    assert all(view is not None and view.index_name == "search-test" for view in views[:4])
    assert views[4] is None
    assert sorted(await views[0].stored(["doc-0", "doc-1"], ["title"])) == [
        "doc-0",
        "doc-1",
    ]  # it reads the index
    fields = [sink.options.get("unversioned_fields") for sink in FakeSink.instances]
    assert fields == [("labels", "ancestors")] * 3 + [None]  # content sinks only (the fallback's one sink)
