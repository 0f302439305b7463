"""The scheduling service re-checks a source (validate_config + ping) only when it is due."""

import asyncio

import pytest

from connectors.protocol import ConnectorDoc, ConnectorStatus, JobType, TriggerMethod
from connectors.services.base import RunningJobs
from connectors.services.scheduling import SchedulingService
from connectors.services.source_check import SourceCheckTracker, configuration_hash
from connectors.sync.settings import ServiceSettings
from tests.framework import fake_source
from tests.framework.fake_source import make_docs
from tests.framework.support import (
    CONNECTORS,
    EXCLUDE_X_RULES,
    JOBS,
    content_executor,
    context,
    edit_draft,
    wait_until,
)

INTERVAL = 300.0


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def scheduler(es, settings, harness, clock):
    service = SchedulingService(context(es, settings, harness), asyncio.Event())
    service.source_checks.clock = clock
    return service


def pings(connector_id="c1") -> int:
    return fake_source.PINGS.count(f"memory:{connector_id}")


def set_docs_file(es, value: str) -> None:
    es.source(CONNECTORS, "c1")["configuration"]["docs_file"]["value"] = value


# -- the tracker alone ----------------------------------------------------------------------
def test_configuration_hash_compares_values_only():
    base = {"a": {"value": "x", "label": "A", "order": 1}, "b": {"value": 2}}
    relabelled = {"b": {"value": 2, "tooltip": "t"}, "a": {"value": "x", "label": "Other", "order": 9}}
    assert configuration_hash(base) == configuration_hash(relabelled)
    assert configuration_hash(base) != configuration_hash({**base, "b": {"value": 3}})
    assert configuration_hash(None) == configuration_hash({})


def test_retry_delay_doubles_in_idling_steps_up_to_the_interval():
    tracker = SourceCheckTracker(interval=10, idling=1)
    assert [tracker.retry_delay(n) for n in range(1, 7)] == [0, 1, 3, 7, 10, 10]
    assert tracker.retry_delay(10_000) == 10  # no overflow for a long outage


def test_running_jobs_counts_per_connector():
    running = RunningJobs()
    running.started("c1")
    running.started("c1")
    running.started(None)
    running.ended("c1")
    assert "c1" in running
    running.ended("c1")
    running.ended("c1")  # more ends than starts: harmless
    assert "c1" not in running and "c2" not in running


def test_due_reasons(clock):
    tracker = SourceCheckTracker(interval=INTERVAL, idling=1, clock=clock)
    doc = ConnectorDoc(
        "c1", {"status": "connected", "configuration": {"k": {"value": "v"}}}, seq_no=1, primary_term=1
    )
    assert tracker.due(doc) == "first check"
    tracker.checked(doc, ok=True)
    assert tracker.due(doc) is None
    clock.now += INTERVAL
    assert tracker.due(doc, job_running=True) is None
    assert tracker.due(doc) == "periodic check"
    tracker.checked(doc, ok=True)
    edited = ConnectorDoc(
        "c1", {"status": "connected", "configuration": {"k": {"value": "w"}}}, seq_no=2, primary_term=1
    )
    assert tracker.due(edited, job_running=True) == "configuration changed"
    configured = ConnectorDoc(
        "c1", {"status": "configured", "configuration": {"k": {"value": "v"}}}, seq_no=2, primary_term=1
    )
    assert tracker.due(configured, job_running=True) == "status changed"


# -- through the scheduling service -----------------------------------------------------------
async def test_healthy_connector_is_checked_once_not_every_pass(scheduler, harness, es, clock):
    await harness.connector(docs=[])
    for _ in range(5):
        await scheduler.tick()
        clock.now += 1
    assert es.source(CONNECTORS, "c1")["status"] == "connected"
    assert pings() == 1
    clock.now += INTERVAL
    await scheduler.tick()
    assert pings() == 2  # the periodic re-check


async def test_periodic_check_finds_a_source_gone_bad(scheduler, harness, es, clock):
    await harness.connector(docs=[])
    await scheduler.tick()
    fake_source.MEMORY["c1"]["unreachable"] = True
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "connected"  # not re-checked yet
    clock.now += INTERVAL
    await scheduler.tick()
    doc = es.source(CONNECTORS, "c1")
    assert doc["status"] == "error" and "unreachable" in doc["error"]


async def test_configuration_change_is_checked_on_the_next_pass(scheduler, harness, es):
    await harness.connector(docs=[])
    await scheduler.tick()
    set_docs_file(es, "")
    await scheduler.tick()
    doc = es.source(CONNECTORS, "c1")
    assert doc["status"] == "error" and "'Documents file' cannot be empty" in doc["error"]
    set_docs_file(es, "memory:c1")
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "connected"


async def test_status_change_is_picked_up_on_the_next_pass(scheduler, harness, es):
    await harness.connector(docs=[])
    await scheduler.tick()
    # a user edits the credentials in the UI: status configured, same values
    es._write(CONNECTORS, "c1", {"status": "configured"}, merge=True)
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "connected"
    assert pings() == 2


async def test_failing_source_is_retried_with_backoff(scheduler, harness, es, clock, settings):
    await harness.connector(docs=[])
    fake_source.MEMORY["c1"]["unreachable"] = True
    await scheduler.tick()
    await scheduler.tick()  # the first retry is on the next pass
    assert pings() == 2
    await scheduler.tick()  # then it waits one idling
    assert pings() == 2
    step = settings.idling * 1.001  # a little over one idling (no float-rounding edge)
    clock.now += step
    await scheduler.tick()
    assert pings() == 3
    clock.now += step  # now three idlings are needed
    await scheduler.tick()
    assert pings() == 3
    doc = es.source(CONNECTORS, "c1")
    assert doc["status"] == "error" and "unreachable" in doc["error"]  # the message stays
    fake_source.MEMORY["c1"]["unreachable"] = False
    clock.now += 2 * step
    await scheduler.tick()
    assert pings() == 4
    assert es.source(CONNECTORS, "c1")["status"] == "connected"


async def test_no_jobs_while_failing_even_when_not_rechecked(scheduler, harness, es):
    await harness.connector(docs=[])
    fake_source.MEMORY["c1"]["unreachable"] = True
    await scheduler.tick()
    await scheduler.tick()
    es._write(CONNECTORS, "c1", {"sync_now": True}, merge=True)
    await scheduler.tick()  # backoff: no check, and still no job for a failing connector
    assert pings() == 2
    assert es.docs.get(JOBS, {}) == {}


async def test_skipped_check_keeps_the_source_error_despite_a_bad_schedule(scheduler, harness, es):
    await harness.connector(docs=[])
    fake_source.MEMORY["c1"]["unreachable"] = True
    await scheduler.tick()
    await scheduler.tick()
    es._write(CONNECTORS, "c1", {"scheduling": {"full": {"enabled": True, "interval": "bad"}}}, merge=True)
    await scheduler.tick()
    assert "unreachable" in es.source(CONNECTORS, "c1")["error"]


async def test_edited_draft_is_validated_without_a_ping(scheduler, harness, es):
    await harness.connector(docs=[])
    await scheduler.tick()
    edit_draft(es, EXCLUDE_X_RULES)
    await scheduler.tick()
    entry = es.source(CONNECTORS, "c1")["filtering"][0]
    assert entry["draft"]["validation"]["state"] == "valid"
    assert [r["id"] for r in entry["active"]["rules"]] == ["r1", "DEFAULT"]
    assert pings() == 1


async def test_no_periodic_check_while_a_job_of_the_connector_runs(es, settings, harness, clock):
    await harness.connector(docs=make_docs(300))
    fake_source.MEMORY["c1"]["delay"] = 0.01
    ctx = context(es, settings, harness)
    stop = asyncio.Event()
    scheduler = SchedulingService(ctx, stop)
    scheduler.source_checks.clock = clock
    executor = content_executor(ctx, stop)
    await scheduler.tick()
    assert pings() == 1
    job_id = await harness.jobs.create("c1", JobType.FULL, TriggerMethod.ON_DEMAND)
    task = asyncio.create_task(executor.run())
    try:
        # the runner pings the source once itself: wait for that ping, not just for the start
        await wait_until(lambda: "c1" in ctx.running_jobs and pings() == 2, deadline=60)
        job_pings = pings()
        clock.now += 10 * INTERVAL
        await scheduler.tick()
        assert pings() == job_pings
        fake_source.MEMORY["c1"]["delay"] = 0
        await wait_until(lambda: es.source(JOBS, job_id)["status"] == "completed", deadline=60)
        await wait_until(lambda: "c1" not in ctx.running_jobs, deadline=60)
        await scheduler.tick()
        assert pings() == job_pings + 1  # the overdue check runs once the job is over
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


def test_source_check_interval_from_config():
    assert ServiceSettings.from_config({}).source_check_interval == 300.0
    assert (
        ServiceSettings.from_config({"service": {"source_check_interval": 42}}).source_check_interval == 42.0
    )


def test_status_enum_identity_is_what_the_tracker_compares():
    doc = ConnectorDoc("c1", {"status": "error"}, seq_no=1, primary_term=1)
    assert doc.status is ConnectorStatus.ERROR


async def test_a_quiet_pass_reads_the_connector_once_and_writes_nothing(es, settings, harness, clock):
    import dataclasses

    quiet = dataclasses.replace(settings, heartbeat=3600.0)  # no check-in due within the test
    scheduler = SchedulingService(context(es, quiet, harness), asyncio.Event())
    scheduler.source_checks.clock = clock
    await harness.connector(docs=[])
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "connected"
    reads = []
    real_get = es.get

    async def counting_get(index, id):  # noqa: A002
        reads.append((index, id))
        return await real_get(index, id)

    es.get = counting_get
    seq_no = es.docs[CONNECTORS]["c1"]["_seq_no"]
    for _ in range(3):
        await scheduler.tick()
    assert reads == [(CONNECTORS, "c1")] * 3
    assert es.docs[CONNECTORS]["c1"]["_seq_no"] == seq_no
    assert pings() == 1
