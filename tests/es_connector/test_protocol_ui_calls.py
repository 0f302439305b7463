"""The protocol stores' calls the UI makes as its signed-in user, against the stand-in.

Both the service and the UI go through these (one definition of each call, field and rule):
create, read and page connectors, write configuration values, one schedule, the filtering draft,
delete; read and page jobs, start an on-demand sync, cancel only an unfinished job.
"""

from __future__ import annotations

import pytest

from connectors.protocol import ConnectorStore, JobStatus, JobStore, JobType, TriggerMethod
from connectors.protocol.constants import DEFAULT_SCHEDULE_INTERVAL, JOBS_INDEX, UNFINISHED_JOB_STATUSES

pytestmark = pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.GeneralAvailabilityWarning")


async def _new(store: ConnectorStore, name: str = "Wiki") -> str:
    return await store.create_new(name=name, index_name=f"search-{name.lower()}", service_type="confluence")


async def test_create_read_page_and_delete_connectors(es):
    store = ConnectorStore(es)
    first = await _new(store, "Wiki")
    second = await _new(store, "Docs")
    doc = await store.read(first)
    assert (doc.id, doc.name, doc.index_name, doc.service_type) == (
        first,
        "Wiki",
        "search-wiki",
        "confluence",
    )
    assert doc.view()["id"] == first and not doc.is_native and not doc.is_configured
    page, total = await store.page(0, 1)
    assert total == 2 and len(page) == 1
    rest, _ = await store.page(1, 10)
    assert len(rest) == 1 and {d.id for d in page + rest} == {first, second}
    found, total = await store.page(0, 10, query="Docs")
    assert [d.name for d in found] == ["Docs"] and total == 1
    await store.delete(first)
    assert await store.read(first) is None
    assert await store.read("no-such-connector") is None


async def test_update_schedule_changes_one_job_type_and_keeps_the_others(es):
    store = ConnectorStore(es)
    cid = await _new(store)
    await store.update_schedule(await store.read(cid), JobType.FULL, enabled=True, interval="0 0 * * * ?")
    doc = await store.read(cid)
    assert doc.schedule(JobType.FULL) == (True, "0 0 * * * ?")
    await store.update_schedule(doc, JobType.INCREMENTAL, enabled=True, interval="0 30 * * * ?")
    doc = await store.read(cid)
    assert doc.schedule(JobType.FULL) == (True, "0 0 * * * ?")
    assert doc.schedule(JobType.INCREMENTAL) == (True, "0 30 * * * ?")
    assert doc.schedule(JobType.ACCESS_CONTROL)[1] in (DEFAULT_SCHEDULE_INTERVAL, None)


async def test_filtering_draft_is_written_as_edited(es):
    store = ConnectorStore(es)
    cid = await _new(store)
    rules = [
        {
            "id": "r1",
            "policy": "exclude",
            "field": "type",
            "rule": "equals",
            "value": "attachment",
            "order": 0,
        },
        {"id": "DEFAULT", "policy": "include", "field": "_", "rule": "regex", "value": ".*", "order": 1},
    ]
    await store.update_filtering_draft(cid, rules, {"value": {}})
    draft = (await store.read(cid)).draft_filter()
    assert [r["id"] for r in draft["rules"]] == ["r1", "DEFAULT"]
    assert draft["validation"]["state"] == "edited"


async def test_jobs_page_read_and_cancel_only_while_unfinished(es):
    connectors, jobs = ConnectorStore(es), JobStore(es)
    cid = await _new(connectors)
    await connectors.update_configuration(cid, {})  # a connector with no fields is configured by any save
    full = await jobs.create(cid, JobType.FULL, TriggerMethod.ON_DEMAND)
    acl = await jobs.create(cid, JobType.ACCESS_CONTROL, TriggerMethod.ON_DEMAND)
    await es.indices.refresh(index=JOBS_INDEX)
    content, total = await jobs.page(cid, 0, 10, [JobType.FULL, JobType.INCREMENTAL])
    assert [j.id for j in content] == [full] and total == 1
    everything, total = await jobs.page(cid, 0, 10)
    assert {j.id for j in everything} == {full, acl} and total == 2
    job = await jobs.read(full)
    assert (job.connector_id, job.status, job.can_cancel) == (cid, JobStatus.PENDING, True)
    assert await jobs.cancel(job) is True
    canceled = await jobs.read(full)
    assert canceled.status is JobStatus.CANCELED and not canceled.can_cancel
    assert await jobs.cancel(canceled) is False  # nothing sent: it already finished
    assert await jobs.read("no-such-job") is None


def test_cancelable_states_are_the_unfinished_ones():
    assert {s for s in JobStatus if s.can_cancel} == set(UNFINISHED_JOB_STATUSES)
    assert {s.value for s in UNFINISHED_JOB_STATUSES} == {"pending", "in_progress", "canceling", "suspended"}
