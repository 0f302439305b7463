"""Skip-unchanged that sees the source's unversioned fields (sink rules 1, 2 and 5), in full syncs
(the existing-ids map) and incremental ones (batched ``_mget`` look-ups), on the unit fake."""

from __future__ import annotations

import asyncio

import pytest

from connectors.errors import ElasticsearchUnavailable, SyncError
from connectors.es.sink import ContentSink
from connectors.es.unchanged import SKIP, UPDATE, WRITE, state, verdict
from tests.framework_core.fake_es import FakeEs, api_error

FAST = {"retry_interval": 0, "outage_retry_interval": 0, "flush_interval": 0.01}
FIELDS = ("ancestors", "parent_id", "labels", "space_name")
TS = "2024-01-01T00:00:00Z"


def listed(i, ts=TS, **fields):
    base = {"ancestors": [{"id": "1", "title": "Root"}], "parent_id": "1", "labels": [], "space_name": "Eng"}
    return {"_id": f"page-{i}", "_timestamp": ts, "type": "page", "title": f"Page {i}", **base, **fields}


def stored(i, ts=TS, **fields):
    doc = listed(i, ts, **fields)
    del doc["_id"]
    return {**doc, "id": f"page-{i}", "body": f"converted body {i}"}


class Downloads:
    def __init__(self, fail=False):
        self.ids: list[str] = []
        self.fail = fail

    def of(self, doc_id):
        async def download(doit=False, timestamp=None):
            self.ids.append(doc_id)
            if self.fail:
                raise OSError("gone")
            return {"_id": doc_id, "body": f"new body of {doc_id}"}

        return download


def bulk_actions(es):
    return es.actions


@pytest.fixture
def es():
    return FakeEs({f"page-{i}": stored(i) for i in range(4)})


async def sync(es, docs, *, full=True, fields=FIELDS, downloads=None, **options):
    downloads = downloads or Downloads()
    sink = ContentSink(es, "idx", unversioned_fields=fields, **{**FAST, **options})
    await sink.start(full=full)
    for doc in docs:
        await sink.put(doc, downloads.of(doc["_id"]))
    return await sink.finish(delete_stale=full), downloads


def test_the_verdict_rules():
    doc = stored(1)
    same = state(doc, FIELDS)
    assert verdict(None, same) == WRITE  # not in the index
    assert verdict(same, same) == SKIP
    assert verdict(state(stored(1, ts="other"), FIELDS), same) == WRITE  # a new version
    assert verdict(state({**doc, "labels": ["x"]}, FIELDS), same) == UPDATE
    assert verdict(state({k: v for k, v in doc.items() if k != "_timestamp"}, FIELDS), same) == WRITE
    without_parent = state({k: v for k, v in doc.items() if k != "parent_id"}, FIELDS)
    assert verdict(same, without_parent) == WRITE  # parent_id would disappear: a full write
    assert verdict(without_parent, same) == UPDATE  # parent_id appears: an update can add it
    assert verdict(state({**doc, "parent_id": None}, FIELDS), same) == UPDATE  # null is not absent
    reordered = {**doc, "ancestors": [{"title": "Root", "id": "1"}]}  # same JSON object
    assert verdict(state(reordered, FIELDS), same) == SKIP
    assert state(doc, ()) < 1 << 56  # no unversioned fields: the timestamp fingerprint alone


@pytest.mark.parametrize("full", [True, False], ids=["full", "incremental"])
async def test_only_unversioned_changes_are_partial_updates_without_the_download(es, full):
    moved = [{"id": "0", "title": "New parent"}, {"id": "1", "title": "Root"}]
    docs = [
        listed(0),  # unchanged
        listed(1, ancestors=moved, parent_id="0"),  # moved: same version
        listed(2, labels=["new"], space_name="Engineering"),  # labels set, space renamed
        listed(3, ts="2024-02-01T00:00:00Z"),  # a new version
        listed(9),  # new
    ]
    stats, downloads = await sync(es, docs, full=full)
    assert sorted(downloads.ids) == ["page-3", "page-9"]  # never the moved or relabelled ones
    assert (stats.skipped, stats.indexed_document_count, stats.metadata_updates) == (1, 4, 2)
    assert stats.errors == 0 and stats.deleted_document_count == 0
    assert es.docs["page-1"] == {**stored(1), "ancestors": moved, "parent_id": "0"}  # body kept
    assert es.docs["page-2"]["labels"] == ["new"] and es.docs["page-2"]["body"] == "converted body 2"
    assert es.docs["page-3"]["body"] == "new body of page-3"
    actions = dict((i, a) for a, i in bulk_actions(es))
    assert actions == {"page-1": "update", "page-2": "update", "page-3": "index", "page-9": "index"}


async def test_a_field_that_disappears_is_a_full_write_with_the_download(es):
    doc = listed(1)
    del doc["parent_id"]  # moved to the top of its space: Confluence lists no parent any more
    stats, downloads = await sync(es, [doc], full=False)
    assert downloads.ids == ["page-1"] and stats.metadata_updates == 0 and stats.indexed_document_count == 1
    assert "parent_id" not in es.docs["page-1"] and es.docs["page-1"]["body"] == "new body of page-1"


async def test_without_unversioned_fields_only_the_timestamp_counts(es):
    stats, downloads = await sync(es, [listed(1, labels=["new"])], fields=())
    assert stats.skipped == 1 and downloads.ids == [] and es.docs["page-1"]["labels"] == []


async def test_the_existing_read_and_the_look_ups_ask_only_for_the_compared_fields(es):
    await sync(es, [listed(1)], full=False)
    assert es.mget_requests == [(["page-1"], ["_timestamp", *FIELDS])]


async def test_look_ups_are_batched_and_bounded(es):
    docs = [listed(i) for i in range(4)] + [listed(i) for i in range(10, 13)]
    stats, downloads = await sync(es, docs, full=False, lookup_batch=3)
    assert [ids for ids, _ in es.mget_requests] == [
        ["page-0", "page-1", "page-2"],
        ["page-3", "page-10", "page-11"],
        ["page-12"],  # the rest at finish
    ]
    assert (
        stats.lookups == 3
        and stats.skipped == 4
        and sorted(downloads.ids) == ["page-10", "page-11", "page-12"]
    )


async def test_a_paused_stream_is_looked_up_without_waiting_for_more(es):
    sink = ContentSink(es, "idx", unversioned_fields=FIELDS, **{**FAST, "flush_interval": 0.05})
    await sink.start(full=False)
    await sink.put(listed(1, labels=["paused"]))
    deadline = asyncio.get_running_loop().time() + 60
    while es.docs["page-1"]["labels"] != ["paused"]:  # written while put() is not called again
        assert asyncio.get_running_loop().time() < deadline, "the waiting document was never looked up"
        await asyncio.sleep(0.01)
    stats = await sink.finish()
    assert stats.lookups == 1 and stats.metadata_updates == 1


async def test_a_delete_after_a_waiting_write_of_the_same_id_is_not_reordered(es):
    sink = ContentSink(es, "idx", unversioned_fields=FIELDS, lookup_batch=100, **FAST)
    await sink.start(full=False)
    downloads = Downloads()
    await sink.put(listed(7), downloads.of("page-7"))  # new: waits for its look-up
    await sink.put(listed(1, labels=["x"]), downloads.of("page-1"))  # an update, waiting too
    await sink.delete("page-7")
    await sink.delete("page-1")
    await sink.delete("never-indexed")
    stats = await sink.finish()
    assert "page-7" not in es.docs and "page-1" not in es.docs
    order = bulk_actions(es)
    assert order.index(("index", "page-7")) < order.index(("delete", "page-7"))
    assert order.index(("update", "page-1")) < order.index(("delete", "page-1"))
    assert stats.deleted_document_count == 2 and stats.errors == 0  # the unknown id: neither


async def test_a_second_listing_of_a_waiting_id_is_decided_after_the_first(es):
    stats, downloads = await sync(es, [listed(1, labels=["a"]), listed(1, labels=["b"])], full=False)
    assert es.docs["page-1"]["labels"] == ["b"] and len(es.mget_requests) == 2


async def test_incremental_failed_download_keeps_a_held_document_and_creates_a_new_one(es):
    stats, _ = await sync(es, [listed(1, ts="new"), listed(8)], full=False, downloads=Downloads(fail=True))
    assert es.docs["page-1"] == stored(1)  # the index holds it: untouched
    assert es.docs["page-8"]["content_skipped_reason"].startswith("download failed")
    assert ("create", "page-8") in bulk_actions(es) and stats.errors == 2


async def test_a_partial_update_of_a_document_deleted_meanwhile_is_a_failed_document(es):
    sink = ContentSink(es, "idx", unversioned_fields=FIELDS, **FAST)
    await sink.start(full=True)
    del es.docs["page-1"]  # someone deletes it while the sync runs
    await sink.put(listed(1, labels=["x"]))
    stats = await sink.finish()
    assert stats.errors == 1 and stats.metadata_updates == 0 and "page-1" not in es.docs


async def test_a_look_up_refused_fails_the_sync_naming_the_index(es):
    es.mget_errors = [api_error(400, "illegal_argument_exception")]
    sink = ContentSink(es, "idx", unversioned_fields=FIELDS, lookup_batch=1, **FAST)
    await sink.start(full=False)
    with pytest.raises(SyncError, match="looking up listed documents in idx failed: illegal_argument"):
        await sink.put(listed(1))
    with pytest.raises(SyncError):
        await sink.finish()


async def test_a_look_up_that_gets_no_answer_fails_after_the_outage_bound(es):
    es.mget_errors = [api_error(503, "unavailable")] * 1000
    sink = ContentSink(es, "idx", unversioned_fields=FIELDS, outage_timeout=0.1, outage_retry_interval=0.01)
    await sink.start(full=False)
    await sink.put(listed(1))
    with pytest.raises(ElasticsearchUnavailable, match="look-up of 1 listed documents in idx"):
        await sink.finish()
    assert es.docs["page-1"] == stored(1)


async def test_an_upsert_after_a_waiting_write_of_the_same_id_is_not_reordered(es):
    sink = ContentSink(es, "idx", unversioned_fields=FIELDS, **FAST)
    await sink.start(full=False)
    await sink.put(listed(7), Downloads().of("page-7"))  # waits for its look-up
    await sink.put({"_id": "page-7", "_timestamp": "later", "labels": ["upserted"]}, None, "update")
    await sink.finish()
    assert es.actions == [("index", "page-7"), ("update", "page-7")]
    assert es.docs["page-7"]["labels"] == ["upserted"] and es.docs["page-7"]["body"] == "new body of page-7"


async def test_a_document_listed_again_while_its_download_runs_is_written_after_it(es):
    release = asyncio.Event()

    async def slow(doit=False, timestamp=None):
        await release.wait()
        return {"body": "first"}

    async def fast(doit=False, timestamp=None):
        return {"body": "second"}

    sink = ContentSink(es, "idx", unversioned_fields=FIELDS, lookup_batch=1, **FAST)
    await sink.start(full=False)
    await sink.put(listed(8, ts="v1"), slow)
    second = asyncio.create_task(sink.put(listed(8, ts="v2"), fast))
    for _ in range(50):
        await asyncio.sleep(0)
    assert not second.done()  # it waits for the first download, not racing it
    release.set()
    await second
    await sink.finish()
    assert es.docs["page-8"]["body"] == "second" and es.docs["page-8"]["_timestamp"] == "v2"
