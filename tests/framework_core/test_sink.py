import asyncio
import logging
import re

import pytest
from elasticsearch import ConnectionError as EsConnectionError

from connectors.errors import ElasticsearchUnavailable, ErrorBudgetExceeded, SyncCanceled, SyncError
from connectors.es.sink import ContentSink, SyncStats
from connectors.source import OP_UPSERT
from connectors.utils import json_bytes
from tests.framework_core.fake_es import FakeEs, api_error

FAST = {"retry_interval": 0, "outage_retry_interval": 0, "flush_interval": 0.01}


def doc(i, ts="2024-01-01T00:00:00Z", **extra):
    return {"_id": f"d{i}", "_timestamp": ts, "title": f"doc {i}", **extra}


async def wait_until(predicate, limit=60.0):
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.001)


class Download:
    """A lazy download that records its calls."""

    def __init__(self, body="text", fail=False):
        self.calls = []
        self.body = body
        self.fail = fail

    def __call__(self, doc_id):
        async def download(doit=False, timestamp=None):
            self.calls.append((doc_id, doit, timestamp))
            if self.fail:
                raise OSError("attachment gone")
            return {"_id": doc_id, "body": self.body}

        return download


async def test_full_sync_indexes_and_counts():
    es = FakeEs(index_exists=False)
    sink = ContentSink(es, "search-x", chunk_size=3, **FAST)
    await sink.start(full=True)
    for i in range(7):
        await sink.put(doc(i))
    stats = await sink.finish(delete_stale=True)
    assert isinstance(stats, SyncStats)
    assert stats.indexed_document_count == 7 and stats.docs_seen == 7
    assert stats.errors == 0 and stats.skipped == 0 and stats.deleted_document_count == 0
    assert sorted(es.docs) == [f"d{i}" for i in range(7)]
    assert es.docs["d1"] == {"_timestamp": "2024-01-01T00:00:00Z", "title": "doc 1", "id": "d1"}
    assert [r["lines"] for r in es.bulk_requests] == [6, 6, 2]  # chunks of 3 documents


async def test_volume_is_bytes_of_accepted_sources():
    es = FakeEs()
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=False)
    await sink.put({"_id": "a", "_timestamp": "t", "body": "x" * 1000})
    stats = await sink.finish()
    assert stats.indexed_document_volume == len(json_bytes(es.docs["a"]))  # the source line, not the action


async def test_skip_unchanged_documents_and_their_downloads():
    existing = {f"d{i}": {"_timestamp": "2024-01-01T00:00:00Z"} for i in range(5)}
    es = FakeEs(existing)
    download = Download()
    sink = ContentSink(es, "idx", page_size=2, **FAST)  # several pages of search_after
    await sink.start(full=True)
    assert es.search_pages == 3 and es.pits_open == 0
    assert sink.stats.existing_document_count == 5
    await sink.put(doc(0), download("d0"))  # unchanged
    await sink.put(doc(1, ts="2024-02-01T00:00:00Z"), download("d1"))  # changed
    await sink.put(doc(9), download("d9"))  # new
    stats = await sink.finish(delete_stale=False)
    assert stats.skipped == 1 and stats.indexed_document_count == 2
    assert sorted(call[0] for call in download.calls) == ["d1", "d9"]
    assert all(call[1] is True for call in download.calls)
    assert ("d1", True, "2024-02-01T00:00:00Z") in download.calls
    assert es.docs["d9"]["body"] == "text"


async def test_delete_stale_deletes_unseen_ids():
    es = FakeEs({f"d{i}": {"_timestamp": "t"} for i in range(4)})
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=True)
    await sink.put(doc(0, ts="t"))
    await sink.put(doc(2, ts="t2"))
    stats = await sink.finish(delete_stale=True)
    assert sorted(es.docs) == ["d0", "d2"]
    assert stats.deleted_document_count == 2 and stats.skipped == 1 and stats.indexed_document_count == 1


async def test_no_delete_when_listing_failed():
    es = FakeEs({f"d{i}": {"_timestamp": "t"} for i in range(4)})
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=True)
    await sink.put(doc(0, ts="new"))
    stats = await sink.finish(delete_stale=False)
    assert sorted(es.docs) == ["d0", "d1", "d2", "d3"]
    assert stats.deleted_document_count == 0


async def test_incremental_sync_never_deletes_stale_and_supports_delete_and_upsert():
    es = FakeEs({"a": {"_timestamp": "t", "title": "old", "keep": 1}, "b": {"_timestamp": "t"}})
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=False)
    await sink.put({"_id": "a", "_timestamp": "t", "title": "new"}, None, op=OP_UPSERT)  # no skip
    await sink.delete("b")
    await sink.delete("never-existed")
    stats = await sink.finish(delete_stale=True)
    assert es.docs == {"a": {"_timestamp": "t", "title": "new", "keep": 1, "id": "a"}}
    assert stats.deleted_document_count == 1 and stats.errors == 0 and stats.indexed_document_count == 1


async def test_whole_request_retries_on_429_5xx_and_connection_errors():
    es = FakeEs()
    es.request_errors = [api_error(429, "too_many"), api_error(503, "unavailable"), EsConnectionError("boom")]
    sink = ContentSink(es, "idx", max_retries=3, **FAST)
    await sink.start(full=False)
    await sink.put(doc(1))
    stats = await sink.finish()
    assert stats.indexed_document_count == 1 and "d1" in es.docs and es.request_errors == []


async def test_whole_request_gives_up_at_the_outage_bound_not_after_a_number_of_attempts():
    es = FakeEs()
    es.request_errors = [api_error(503, "unavailable")] * 100_000
    sink = ContentSink(
        es, "idx", max_retries=0, **{**FAST, "outage_retry_interval": 0.001, "outage_timeout": 0.2}
    )
    await sink.start(full=False)
    await sink.put(doc(1))
    with pytest.raises(ElasticsearchUnavailable) as info:
        await sink.finish()
    assert re.fullmatch(
        r"Elasticsearch did not answer a _bulk request to idx for \d+\.\ds "
        r"\(elasticsearch.outage_timeout is 0.2s; last error: status 503\)",
        str(info.value),
    )
    assert es.docs == {} and len(es.request_errors) < 100_000 - 2  # retried more than max_retries times


async def test_non_retryable_request_error_fails_at_once():
    es = FakeEs()
    es.request_errors = [api_error(400, "illegal_argument_exception")]
    sink = ContentSink(es, "idx", max_retries=5, **FAST)
    await sink.start(full=False)
    await sink.put(doc(1))
    with pytest.raises(SyncError, match=r"refused a _bulk request to idx \(status 400: illegal_argument"):
        await sink.finish()
    assert es.request_errors == [] and es.bulk_requests == []  # one attempt


async def test_a_finish_cancelled_by_a_stopping_sync_cancels_the_requests_in_flight():
    es = FakeEs()
    es.gate = asyncio.Event()  # Elasticsearch holds every _bulk (frozen)
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=False)
    await sink.put(doc(1))
    finishing = asyncio.create_task(sink.finish())
    await wait_until(lambda: es.in_flight == 1)
    finishing.cancel()
    await asyncio.gather(finishing, return_exceptions=True)
    assert es.in_flight == 0 and sink._state == "canceled"  # no request outlives the sync
    assert not sink._bulks and sink.stats.indexed_document_count == 0


async def test_a_chunk_waiting_for_a_request_slot_is_not_sent_once_the_sink_failed():
    es = FakeEs()
    es.request_errors = [api_error(400, "illegal_argument_exception")]
    sink = ContentSink(es, "idx", chunk_size=1, max_concurrency=1, **FAST)
    await sink.start(full=False)
    await sink.put(doc(1))
    await sink.put(doc(2))  # its chunk waits for the one request slot
    with pytest.raises(SyncError, match="status 400"):
        await sink.finish()
    assert es.bulk_requests == []  # no second request (on a frozen cluster: another long wait)


async def test_items_rejected_with_429_are_retried_alone():
    es = FakeEs()
    es.item_status = lambda action, doc_id, attempt: (
        (429, {"type": "es_rejected"}) if doc_id == "d1" and attempt < 3 else None
    )
    sink = ContentSink(es, "idx", max_retries=3, **FAST)
    await sink.start(full=False)
    for i in range(3):
        await sink.put(doc(i))
    stats = await sink.finish()
    assert stats.indexed_document_count == 3 and stats.errors == 0
    assert es.attempts == {"index:d0": 1, "index:d1": 3, "index:d2": 1}
    assert [r["lines"] for r in es.bulk_requests] == [6, 2, 2]


async def test_per_item_errors_are_counted_and_logged_with_the_id(caplog):
    es = FakeEs()
    es.item_status = lambda action, doc_id, attempt: (
        (400, {"type": "mapper_parsing_exception", "reason": "failed to parse [size]"})
        if doc_id == "d1"
        else None
    )
    sink = ContentSink(es, "idx", error_budget=5, **FAST)
    await sink.start(full=False)
    with caplog.at_level(logging.WARNING, logger="connectors.es.sink"):
        for i in range(3):
            await sink.put(doc(i))
        stats = await sink.finish()
    assert stats.errors == 1 and stats.indexed_document_count == 2
    assert (
        "document d1 not indexed: mapper_parsing_exception: failed to parse [size] (status 400)"
        in caplog.text
    )


async def test_error_budget_exceeded_fails_the_sync():
    es = FakeEs()
    es.item_status = lambda action, doc_id, attempt: (400, {"type": "bad", "reason": "no"})
    sink = ContentSink(
        es, "idx", error_budget=2, chunk_size=1, queue_max_size=1, max_concurrency=1, lookup_batch=1, **FAST
    )
    await sink.start(full=False)
    with pytest.raises(
        ErrorBudgetExceeded, match="3 documents failed in this sync of idx .* more than the error budget of 2"
    ):
        for i in range(50):
            await sink.put(doc(i))
        await sink.finish()
    assert 3 <= sink.stats.errors <= 5  # plus what was already queued when the budget ran out
    assert sink.stats.docs_seen < 10  # put() raised soon after the budget was gone


async def test_failed_download_of_a_new_document_indexes_its_metadata_and_is_retried_next_sync():
    es = FakeEs()
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=True)
    await sink.put(doc(1, size=9), Download(fail=True)("d1"))
    await sink.put(doc(2), Download()("d2"))
    stats = await sink.finish(delete_stale=True)
    assert stats.errors == 1 and stats.failed_downloads == 1 and stats.indexed_document_count == 2
    assert es.docs["d1"] == {
        "title": "doc 1",
        "size": 9,
        "id": "d1",
        "content_skipped_reason": "download failed: OSError: attachment gone",
    }  # no _timestamp: the next sync must not skip it
    assert es.docs["d2"]["body"] == "text"

    download = Download(body="now readable")
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=True)
    await sink.put(doc(1, size=9), download("d1"))
    await sink.put(doc(2), Download()("d2"))
    stats = await sink.finish(delete_stale=True)
    assert [call[0] for call in download.calls] == ["d1"] and stats.skipped == 1 and stats.errors == 0
    assert es.docs["d1"]["body"] == "now readable" and "content_skipped_reason" not in es.docs["d1"]
    assert es.docs["d1"]["_timestamp"] == "2024-01-01T00:00:00Z"


async def test_failed_download_of_an_indexed_document_keeps_the_indexed_version():
    old = {"_timestamp": "2023-01-01T00:00:00Z", "title": "doc 1", "body": "old text", "id": "d1"}
    es = FakeEs({"d1": dict(old)})
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=True)
    await sink.put(doc(1), Download(fail=True)("d1"))  # a new version whose download fails
    stats = await sink.finish(delete_stale=True)  # not deleted as stale either
    assert es.docs == {"d1": old}
    assert stats.errors == 1 and stats.failed_downloads == 1 and stats.indexed_document_count == 0


async def test_failed_download_without_the_existing_ids_creates_only_if_absent(caplog):
    old = {"_timestamp": "2023-01-01T00:00:00Z", "title": "doc 1", "body": "old text", "id": "d1"}
    es = FakeEs({"d1": dict(old)})
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=False)  # incremental: the sink does not know what the index holds
    with caplog.at_level(logging.WARNING, logger="connectors.es.sink"):
        await sink.put(doc(1), Download(fail=True)("d1"), op=OP_UPSERT)
        await sink.put(doc(2), Download(fail=True)("d2"), op=OP_UPSERT)
        stats = await sink.finish()
    assert es.docs["d1"] == old  # the create was answered 409: old version kept
    assert es.docs["d2"]["content_skipped_reason"].startswith("download failed: OSError")
    assert "_timestamp" not in es.docs["d2"]
    assert stats.errors == 2 and stats.failed_downloads == 2 and stats.indexed_document_count == 1
    assert "409" not in caplog.text and caplog.text.count("its download failed") == 2


async def test_failed_downloads_count_toward_the_error_budget():
    es = FakeEs()
    sink = ContentSink(es, "idx", error_budget=1, **FAST)
    await sink.start(full=True)
    with pytest.raises(ErrorBudgetExceeded, match="2 documents failed .* error budget of 1"):
        for i in range(2):
            await sink.put(doc(i), Download(fail=True)(f"d{i}"))
        await sink.finish()
    assert sink.stats.failed_downloads == 2


async def test_pipeline_name_and_flags():
    es = FakeEs()
    pipeline = {
        "name": "search-default-ingestion",
        "extract_binary_content": True,
        "reduce_whitespace": True,
        "run_ml_inference": False,
    }
    sink = ContentSink(es, "idx", pipeline=pipeline, **FAST)
    await sink.start(full=False)
    await sink.put(doc(1))
    await sink.finish()
    assert es.bulk_requests[0]["pipeline"] == "search-default-ingestion"
    assert es.docs["d1"]["_extract_binary_content"] is True and es.docs["d1"]["_run_ml_inference"] is False


async def test_missing_pipeline_fails_at_start_with_a_clear_message():
    es = FakeEs()
    sink = ContentSink(es, "idx", pipeline={"name": "nope"}, **FAST)
    with pytest.raises(
        SyncError, match="the ingest pipeline 'nope' of index idx does not exist in Elasticsearch"
    ):
        await sink.start(full=True)
    assert es.bulk_requests == [] and es.pits_open == 0


async def test_back_pressure_bounds_the_queue_by_count():
    es = FakeEs()
    es.gate = asyncio.Event()
    sink = ContentSink(es, "idx", chunk_size=2, queue_max_size=3, max_concurrency=1, lookup_batch=1, **FAST)
    await sink.start(full=False)

    async def produce():
        for i in range(40):
            await sink.put(doc(i))

    producer = asyncio.create_task(produce())
    await wait_until(lambda: es.in_flight == 1 and sink._queue.qsize() == 3)
    # one request in flight (2 docs), one chunk waiting for a slot (2 docs), 3 queued: put() blocks
    for _ in range(20):
        await asyncio.sleep(0)
    assert not producer.done() and sink.stats.docs_seen <= 8
    es.gate.set()
    await asyncio.wait_for(producer, 60)
    stats = await sink.finish()
    assert stats.indexed_document_count == 40 and es.max_in_flight == 1


async def test_back_pressure_bounds_the_queue_by_bytes_and_chunks_by_bytes():
    es = FakeEs()
    es.gate = asyncio.Event()
    big = "x" * 300_000
    sink = ContentSink(
        es,
        "idx",
        chunk_size=100,
        chunk_max_mem_mb=0.7,
        queue_max_size=1000,
        queue_max_mem_mb=1,
        max_concurrency=1,
        lookup_batch=1,
        **FAST,
    )
    await sink.start(full=False)

    async def produce():
        for i in range(20):
            await sink.put(doc(i, body=big))

    producer = asyncio.create_task(produce())
    await wait_until(lambda: es.in_flight == 1 and sink._queue.qsize() >= 3)
    for _ in range(20):
        await asyncio.sleep(0)
    assert not producer.done()
    assert sink._queue.mem_size <= 1024 * 1024
    es.gate.set()
    await asyncio.wait_for(producer, 60)
    stats = await sink.finish()
    assert stats.indexed_document_count == 20
    assert all(r["bytes"] <= 0.7 * 1024 * 1024 for r in es.bulk_requests)
    assert max(r["lines"] for r in es.bulk_requests) == 4  # two 300 kB documents per request


async def test_downloads_are_bounded():
    es = FakeEs()
    release = asyncio.Event()
    running = {"now": 0, "max": 0}

    def slow(doc_id):
        async def download(doit=False, timestamp=None):
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
            await release.wait()
            running["now"] -= 1
            return {"body": doc_id}

        return download

    sink = ContentSink(es, "idx", concurrent_downloads=3, lookup_batch=1, **FAST)
    await sink.start(full=False)

    async def produce():
        for i in range(10):
            await sink.put(doc(i), slow(f"d{i}"))

    producer = asyncio.create_task(produce())
    await wait_until(lambda: running["now"] == 3)
    for _ in range(20):
        await asyncio.sleep(0)
    assert running["now"] == 3 and not producer.done()
    release.set()
    await asyncio.wait_for(producer, 60)
    stats = await sink.finish()
    assert running["max"] == 3 and stats.indexed_document_count == 10 and es.docs["d7"]["body"] == "d7"


async def test_live_stats_while_running():
    es = FakeEs()
    sink = ContentSink(es, "idx", chunk_size=1, **FAST)
    await sink.start(full=False)
    await sink.put(doc(1))
    await wait_until(lambda: sink.stats.indexed_document_count == 1)
    assert sink.stats.get("indexed_document_count") == 1 and sink.stats.to_dict()["docs_seen"] == 1
    await sink.finish()


async def test_cancel_deletes_nothing_and_stops_puts():
    es = FakeEs({f"d{i}": {"_timestamp": "t"} for i in range(3)})
    es.gate = asyncio.Event()
    sink = ContentSink(es, "idx", chunk_size=1, **FAST)
    await sink.start(full=True)
    await sink.put(doc(7))
    await wait_until(lambda: es.in_flight == 1)
    await sink.cancel()
    assert sorted(es.docs) == ["d0", "d1", "d2"]
    with pytest.raises(SyncCanceled):
        await sink.put(doc(8))
    await sink.cancel()  # idempotent


async def test_missing_id_is_an_error_not_a_crash():
    es = FakeEs()
    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=False)
    await sink.put({"title": "no id"})
    stats = await sink.finish()
    assert stats.errors == 1 and es.docs == {}


async def test_lifecycle_misuse_is_reported():
    sink = ContentSink(FakeEs(), "idx", **FAST)
    with pytest.raises(RuntimeError, match="not running"):
        await sink.put(doc(1))
    await sink.start(full=False)
    with pytest.raises(RuntimeError, match="once"):
        await sink.start(full=False)
    await sink.finish()
    with pytest.raises(RuntimeError, match="finish"):
        await sink.finish()


async def test_datetime_timestamps_compare_as_they_were_indexed():
    import datetime as dt

    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    es = FakeEs()
    first = ContentSink(es, "idx", **FAST)
    await first.start(full=True)
    await first.put({"_id": "a", "_timestamp": when})
    await first.finish(delete_stale=True)
    assert es.docs["a"]["_timestamp"] == "2024-01-02T03:04:05+00:00"
    second = ContentSink(es, "idx", **FAST)
    await second.start(full=True)
    await second.put({"_id": "a", "_timestamp": when})
    await second.put({"_id": "b"})  # no timestamp: always indexed
    stats = await second.finish(delete_stale=True)
    assert stats.skipped == 1 and stats.indexed_document_count == 1


async def test_failure_to_read_existing_documents_is_a_sync_error():
    es = FakeEs({"a": {"_timestamp": "t"}})

    async def broken_search(**kwargs):
        raise api_error(500, "search_phase_execution_exception")

    es.search = broken_search
    sink = ContentSink(es, "idx", **FAST)
    with pytest.raises(
        SyncError, match="reading the existing documents of idx failed: search_phase_execution_exception"
    ):
        await sink.start(full=True)
    assert es.pits_open == 0  # the point in time was closed


async def test_delete_waits_for_a_pending_download_of_the_same_id():
    es = FakeEs()
    release = asyncio.Event()

    async def slow(doit=False, timestamp=None):
        await release.wait()
        return {"body": "late"}

    sink = ContentSink(es, "idx", chunk_size=1, **FAST)
    await sink.start(full=False)
    await sink.put(doc(1), slow)
    deleting = asyncio.create_task(sink.delete("d1"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not deleting.done()  # the index op must reach the queue before the delete
    release.set()
    await asyncio.wait_for(deleting, 60)
    stats = await sink.finish()
    assert es.docs == {} and stats.indexed_document_count == 1 and stats.deleted_document_count == 1


async def test_cancel_stops_pending_downloads():
    es = FakeEs()
    started = asyncio.Event()
    cancelled = []

    async def hanging(doit=False, timestamp=None):
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    sink = ContentSink(es, "idx", **FAST)
    await sink.start(full=False)
    await sink.put(doc(1), hanging)
    await asyncio.wait_for(started.wait(), 60)
    await asyncio.wait_for(sink.cancel(), 60)
    assert cancelled == [True] and es.docs == {}


def test_a_rejected_items_reason_reads_the_error_body_once_and_is_capped():
    from connectors.es.bulk import _reason

    typed = {"error": {"type": "mapper_parsing_exception", "reason": "failed to parse [size]"}, "status": 400}
    assert _reason(typed, 400) == "mapper_parsing_exception: failed to parse [size] (status 400)"
    # no reason of its own: the first root cause's, as every other Elasticsearch error is read
    rooted = {"error": {"type": "x_exception", "root_cause": [{"type": "y", "reason": "deep cause"}]}}
    assert _reason(rooted, 500) == "x_exception: deep cause (status 500)"
    assert _reason({}, 503) == "status 503"
    long = _reason({"error": {"type": "t", "reason": "r" * 5000}}, 400)
    assert len(long) < 400 and long.endswith("characters)")
