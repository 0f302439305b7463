"""Scheduling, execution and cleanup services against the fake ES."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from connectors import worker_liveness
from connectors.protocol import JobStatus, JobType, TriggerMethod
from connectors.services.cleanup import JobCleanupService
from connectors.services.execution import JobExecutionService
from connectors.services.job_pool import JobPool
from connectors.services.scheduling import SchedulingService
from connectors.utils import iso_utc
from tests.framework import fake_source
from tests.framework.fake_source import make_docs
from tests.framework.support import (
    CONNECTORS,
    EXCLUDE_X_RULES,
    JOBS,
    content_executor,
    context,
    edit_draft,
    jobs_of,
    wait_until,
)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the liveness check reads /proc")


@pytest.fixture
def scheduler(es, settings, harness):
    return SchedulingService(context(es, settings, harness), asyncio.Event())


# -- scheduling ---------------------------------------------------------------------------
async def test_new_connector_gets_default_configuration_and_features(scheduler, harness, es):
    await harness.connectors.create("c1", index_name="search-x", service_type="fake")
    await scheduler.tick()
    doc = es.source(CONNECTORS, "c1")
    assert doc["status"] == "needs_configuration"
    assert set(doc["configuration"]) == {"docs_file", "api_token"}
    assert doc["configuration"]["api_token"]["sensitive"] is True
    assert doc["features"]["incremental_sync"] == {"enabled": True}
    assert doc["features"]["document_level_security"] == {"enabled": True}
    assert doc["last_seen"]  # checked in
    # nothing more happens until a user configures it
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "needs_configuration"
    assert jobs_of(es) == []


async def test_user_values_survive_filling(scheduler, harness, es):
    await harness.connectors.create("c1", index_name="search-x", service_type="fake")
    es._write(CONNECTORS, "c1", {"configuration": {"docs_file": {"value": "/keep/me.json"}}}, merge=True)
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["configuration"]["docs_file"]["value"] == "/keep/me.json"


async def test_configured_connector_validated_to_connected(scheduler, harness, es):
    await harness.connector(docs=[])
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "connected"
    assert es.source(CONNECTORS, "c1")["error"] is None


async def test_invalid_configuration_sets_error_with_message(scheduler, harness, es):
    await harness.connector(docs=[])
    es.source(CONNECTORS, "c1")["configuration"]["docs_file"]["value"] = ""
    await scheduler.tick()
    doc = es.source(CONNECTORS, "c1")
    assert doc["status"] == "error"
    assert "'Documents file' cannot be empty" in doc["error"]


async def test_unreachable_source_sets_error_then_recovers(scheduler, harness, es):
    await harness.connector(docs=[])
    fake_source.MEMORY["c1"]["unreachable"] = True
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "error"
    assert "unreachable" in es.source(CONNECTORS, "c1")["error"]
    fake_source.MEMORY["c1"]["unreachable"] = False
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "connected"


async def test_edited_draft_validated_and_activated(scheduler, harness, es):
    await harness.connector(docs=[])
    edit_draft(es, EXCLUDE_X_RULES)
    await scheduler.tick()
    entry = es.source(CONNECTORS, "c1")["filtering"][0]
    assert entry["draft"]["validation"]["state"] == "valid"
    assert [r["id"] for r in entry["active"]["rules"]] == ["r1", "DEFAULT"]


async def test_invalid_draft_gets_per_rule_errors_and_is_not_activated(scheduler, harness, es):
    await harness.connector(docs=[])
    bad = {"id": "bad", "policy": "include", "field": "title", "rule": "regex", "value": "([", "order": 0}
    edit_draft(es, [bad, EXCLUDE_X_RULES[-1]])
    await scheduler.tick()
    entry = es.source(CONNECTORS, "c1")["filtering"][0]
    assert entry["draft"]["validation"]["state"] == "invalid"
    assert entry["draft"]["validation"]["errors"][0]["ids"] == ["bad"]
    assert entry["draft"]["validation"]["errors"][0]["messages"]
    assert [r["id"] for r in entry["active"]["rules"]] == ["DEFAULT"]


async def test_sync_now_creates_exactly_one_job_with_two_schedulers(es, settings, harness):
    await harness.connector(docs=[])
    first = SchedulingService(context(es, settings, harness), asyncio.Event())
    second = SchedulingService(context(es, settings, harness), asyncio.Event())
    await first.tick()  # connected
    es._write(CONNECTORS, "c1", {"sync_now": True}, merge=True)
    await asyncio.gather(first.tick(), second.tick(), first.tick())
    created = jobs_of(es, trigger_method="on_demand")
    assert len(created) == 1
    assert created[0][1]["job_type"] == "full"
    assert es.source(CONNECTORS, "c1")["sync_now"] is False


async def test_schedule_race_is_exactly_once_per_due_time(es, settings, harness):
    await harness.connector(docs=[])
    interval = "0 * * * * ?"  # every minute at second 0
    es._write(CONNECTORS, "c1", {"scheduling": {"full": {"enabled": True, "interval": interval}}}, merge=True)
    services = [SchedulingService(context(es, settings, harness), asyncio.Event()) for _ in range(3)]
    doc = await harness.connectors.get("c1")
    await asyncio.gather(*(s._schedule(doc, JobType.FULL, s.logger) for s in services))
    fresh = await harness.connectors.get("c1")
    await asyncio.gather(*(s._schedule(fresh, JobType.FULL, s.logger) for s in services))
    created = jobs_of(es, trigger_method="scheduled")
    assert len(created) == 1
    due = es.source(CONNECTORS, "c1")["last_sync_scheduled_at"]
    assert due.endswith(":00.000Z")


async def test_a_schedule_fires_by_the_injected_clock_not_the_wall_clock(es, settings, harness):
    """Hourly at minute 0, last fired at 09:00: nothing at 09:59:59, one job due 10:00 at 10:00:30."""
    await harness.connector(docs=[])
    hourly = {"enabled": True, "interval": "0 0 * * * ?"}
    es._write(
        CONNECTORS, "c1", {"scheduling": {"full": hourly}, "last_sync_scheduled_at": "2026-01-01T09:00:00.000Z"},
        merge=True,
    )  # fmt: skip
    ctx = context(es, settings, harness)
    service = SchedulingService(ctx, asyncio.Event())
    ctx.clock = lambda: datetime(2026, 1, 1, 9, 59, 59, tzinfo=UTC)
    await service._schedule(await harness.connectors.get("c1"), JobType.FULL, service.logger)
    assert jobs_of(es, trigger_method="scheduled") == []
    ctx.clock = lambda: datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC)
    await service._schedule(await harness.connectors.get("c1"), JobType.FULL, service.logger)
    assert len(jobs_of(es, trigger_method="scheduled")) == 1
    assert es.source(CONNECTORS, "c1")["last_sync_scheduled_at"] == "2026-01-01T10:00:00.000Z"


async def test_disabled_or_invalid_schedule(es, settings, harness, scheduler):
    await harness.connector(docs=[])
    await scheduler.tick()
    assert jobs_of(es) == []  # default schedules are disabled
    es._write(
        CONNECTORS, "c1", {"scheduling": {"full": {"enabled": True, "interval": "every day"}}}, merge=True
    )
    await scheduler.tick()
    doc = es.source(CONNECTORS, "c1")
    assert doc["status"] == "error"
    assert "invalid full sync schedule" in doc["error"] and "expected 6 or 7 fields" in doc["error"]
    seq = es.docs[CONNECTORS]["c1"]["_seq_no"]
    scheduler._last_check_in.clear()
    await scheduler.tick()  # still invalid: no flapping error → connected → error
    doc = es.source(CONNECTORS, "c1")
    assert doc["status"] == "error" and "invalid full sync schedule" in doc["error"]
    assert es.docs[CONNECTORS]["c1"]["_seq_no"] == seq + 1  # only the check-in wrote
    es._write(
        CONNECTORS, "c1", {"scheduling": {"full": {"enabled": True, "interval": "0 0 0 * * ?"}}}, merge=True
    )
    await scheduler.tick()
    assert es.source(CONNECTORS, "c1")["status"] == "connected"


async def test_missing_connector_is_logged_not_fatal(scheduler, es):
    await scheduler.tick()  # c1 does not exist: no exception
    assert es.docs[CONNECTORS] == {}


# -- execution ----------------------------------------------------------------------------
async def test_execution_respects_max_concurrency(es, settings, harness):
    for cid in ("c1", "c2", "c3"):
        await harness.connector(cid, docs=make_docs(200), index_name=f"search-{cid}")
        fake_source.MEMORY[cid]["delay"] = 0.005
        await harness.jobs.create(cid, JobType.FULL, TriggerMethod.ON_DEMAND)
    ctx = context(es, settings, harness, ids=("c1", "c2", "c3"))
    stop = asyncio.Event()
    service = content_executor(ctx, stop, 2)
    task = asyncio.create_task(service.run())
    peak = 0

    def all_done():
        nonlocal peak
        peak = max(peak, len(jobs_of(es, status="in_progress")))
        return len(jobs_of(es, status="completed")) == 3

    await wait_until(all_done, deadline=120, step=0.005)
    stop.set()
    await asyncio.wait_for(task, 60)
    assert peak == 2
    assert sorted(s for _, s in service.finished) == [JobStatus.COMPLETED] * 3


async def test_two_executors_never_run_the_same_job(es, settings, harness):
    await harness.connector(docs=make_docs(50))
    job_ids = [await harness.jobs.create("c1", JobType.FULL, TriggerMethod.ON_DEMAND) for _ in range(4)]
    stop = asyncio.Event()
    services = [content_executor(context(es, settings, harness), stop, 4, name=f"e{i}") for i in range(2)]
    tasks = [asyncio.create_task(s.run()) for s in services]
    await wait_until(lambda: len(jobs_of(es, status="completed")) == 4, deadline=120)
    stop.set()
    await asyncio.gather(*tasks)
    ran = [job_id for s in services for job_id, status in s.finished if status is not None]
    assert sorted(ran) == sorted(job_ids)  # each job run exactly once, by one of the two


async def test_shutdown_suspends_running_jobs(es, settings, harness):
    await harness.connector(docs=make_docs(1000))
    fake_source.MEMORY["c1"]["delay"] = 0.1  # 100 s to the end: longer than the deadline below
    job_id = await harness.jobs.create("c1", JobType.FULL, TriggerMethod.ON_DEMAND)
    stop = asyncio.Event()
    service = content_executor(context(es, settings, harness), stop)
    task = asyncio.create_task(service.run())
    await wait_until(lambda: es.source(JOBS, job_id)["status"] == "in_progress")
    stop.set()
    await asyncio.wait_for(task, 60)
    assert es.source(JOBS, job_id)["status"] == "suspended"
    # a suspended job is picked up again by the next process and completes
    fake_source.MEMORY["c1"]["delay"] = 0
    stop2 = asyncio.Event()
    again = content_executor(context(es, settings, harness), stop2)
    task2 = asyncio.create_task(again.run())
    await wait_until(lambda: es.source(JOBS, job_id)["status"] == "completed")
    stop2.set()
    await task2
    # the resumed full sync converges: what the first attempt indexed is skipped as unchanged
    assert es.source(JOBS, job_id)["total_document_count"] == 1000
    assert len(es.docs["search-test"]) == 1000


# -- cleanup ------------------------------------------------------------------------------
async def test_idle_job_marked_error_and_connector_updated(es, settings, harness):
    await harness.connector(docs=[])
    job = await harness.job()
    old = iso_utc(datetime.now(UTC) - timedelta(seconds=30))
    es._write(JOBS, job.id, {"status": "in_progress", "last_seen": old}, merge=True)
    fresh = await harness.job()
    es._write(JOBS, fresh.id, {"status": "in_progress", "last_seen": iso_utc()}, merge=True)
    cleanup = JobCleanupService(context(es, settings, harness), asyncio.Event())
    assert await cleanup.fail_idle_jobs() == 1
    src = es.source(JOBS, job.id)
    assert src["status"] == "error" and "stopped responding" in src["error"] and src["completed_at"]
    assert es.source(JOBS, fresh.id)["status"] == "in_progress"
    connector = es.source(CONNECTORS, "c1")
    assert connector["last_sync_status"] == "error" and "stopped responding" in connector["last_sync_error"]


async def test_idleness_is_judged_by_the_injected_clock(es, settings, harness):
    """A job last seen at T is idle only once the clock passes T + job_idle_threshold."""
    await harness.connector(docs=[])
    job = await harness.job()
    seen = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    es._write(JOBS, job.id, {"status": "in_progress", "last_seen": iso_utc(seen)}, merge=True)
    ctx = context(es, settings, harness)
    cleanup = JobCleanupService(ctx, asyncio.Event())
    threshold = timedelta(seconds=settings.job_idle_threshold)
    ctx.clock = lambda: seen + threshold - timedelta(seconds=1)
    assert await cleanup.fail_idle_jobs() == 0
    assert es.source(JOBS, job.id)["status"] == "in_progress"
    ctx.clock = lambda: seen + threshold + timedelta(seconds=1)
    assert await cleanup.fail_idle_jobs() == 1
    assert es.source(JOBS, job.id)["status"] == "error"


async def test_cleanup_never_fails_a_job_its_own_process_runs(es, settings, harness):
    # an Elasticsearch outage longer than the idle threshold stops the heartbeats of a job this
    # process still runs: its runner writes the final state, the cleanup here must not
    await harness.connector(docs=[])
    job = await harness.job()
    old = iso_utc(datetime.now(UTC) - timedelta(seconds=30))
    es._write(JOBS, job.id, {"status": "in_progress", "last_seen": old}, merge=True)
    ctx = context(es, settings, harness)
    ctx.running_jobs.started("c1", job.id)
    cleanup = JobCleanupService(ctx, asyncio.Event())
    assert await cleanup.fail_idle_jobs() == 0
    assert es.source(JOBS, job.id)["status"] == "in_progress"
    ctx.running_jobs.ended("c1", job.id)  # no runner here any more: an orphan like any other
    assert await cleanup.fail_idle_jobs() == 1
    assert es.source(JOBS, job.id)["status"] == "error"


async def test_cleanup_spares_a_job_that_heartbeats_after_the_search(es, settings, harness):
    await harness.connector(docs=[])
    job = await harness.job()
    old = iso_utc(datetime.now(UTC) - timedelta(seconds=30))
    es._write(JOBS, job.id, {"status": "in_progress", "last_seen": old}, merge=True)
    cleanup = JobCleanupService(context(es, settings, harness), asyncio.Event())
    real_search = harness.jobs.stale_active

    async def search_then_heartbeat(cutoff):
        found = await real_search(cutoff)
        await es.connector.sync_job_check_in(connector_sync_job_id=job.id)
        return found

    harness.jobs.stale_active = search_then_heartbeat
    assert await cleanup.fail_idle_jobs() == 0
    assert es.source(JOBS, job.id)["status"] == "in_progress"


def dead_process(host: str) -> dict:
    """The claim record of a process of this machine that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    record = worker_liveness.identify(host, proc.pid)
    proc.wait()
    return record


async def claimed_job(es, harness, worker_process: dict | None, last_seen: str | None = None):
    """An in-progress job with a fresh heartbeat, claimed by ``worker_process``."""
    job = await harness.job()
    metadata = {"worker": "somewhere:1"}
    if worker_process is not None:
        metadata["worker_process"] = worker_process
    es._write(
        JOBS,
        job.id,
        {"status": "in_progress", "last_seen": last_seen or iso_utc(), "metadata": metadata},
        merge=True,
    )
    return job.id


@linux_only
async def test_runner_claim_records_the_checkable_worker_process(es, settings, harness):
    await harness.connector(docs=make_docs(3))
    status, job = await harness.run()
    assert status is JobStatus.COMPLETED
    metadata = es.source(JOBS, job.id)["metadata"]
    assert metadata["worker"] == settings.worker  # kept as it was: host:pid
    assert metadata["worker_process"] == worker_liveness.identify(settings.hostname, settings.pid)
    assert metadata["worker_process"]["pid"] == os.getpid()


@linux_only
async def test_job_of_a_dead_worker_on_this_host_marked_error_at_once(es, settings, harness):
    """Well within the idle threshold (the heartbeat is fresh): only the dead claimer counts."""
    await harness.connector(docs=[])
    host = settings.hostname
    dead = await claimed_job(es, harness, dead_process(host))
    alive = await claimed_job(es, harness, worker_liveness.identify(host, os.getpid()))
    elsewhere = await claimed_job(es, harness, {**dead_process(host), "host": "other-host"})
    unrecorded = await claimed_job(es, harness, None)
    cleanup = JobCleanupService(context(es, settings, harness), asyncio.Event())
    await cleanup.tick()
    src = es.source(JOBS, dead)
    assert src["status"] == "error" and src["completed_at"]
    assert "is no longer running" in src["error"]
    assert f"{host}:{src['metadata']['worker_process']['pid']}" in src["error"]  # names the worker
    for job_id in (alive, elsewhere, unrecorded):
        assert es.source(JOBS, job_id)["status"] == "in_progress", job_id
    connector = es.source(CONNECTORS, "c1")
    assert connector["last_sync_status"] == "error" and "is no longer running" in connector["last_sync_error"]


@linux_only
async def test_dead_worker_cleanup_spares_a_job_that_heartbeats_after_the_search(es, settings, harness):
    await harness.connector(docs=[])
    job_id = await claimed_job(
        es, harness, dead_process(settings.hostname), iso_utc(datetime.now(UTC) - timedelta(seconds=5))
    )
    cleanup = JobCleanupService(context(es, settings, harness), asyncio.Event())
    real_active = harness.jobs.active

    async def search_then_heartbeat():
        found = await real_active()
        await es.connector.sync_job_check_in(connector_sync_job_id=job_id)
        return found

    harness.jobs.active = search_then_heartbeat
    assert await cleanup.fail_jobs_of_dead_workers() == 0
    assert es.source(JOBS, job_id)["status"] == "in_progress"


async def test_jobs_of_deleted_connectors_are_ended(es, settings, harness):
    await harness.connector("c1", docs=[])
    await harness.connector("gone", docs=[], index_name="search-gone")
    pending = await harness.job("gone")
    running = await harness.job("gone")
    es._write(JOBS, running.id, {"status": "in_progress", "last_seen": iso_utc()}, merge=True)
    mine = await harness.job("c1")
    es._write(CONNECTORS, "gone", {"deleted": True}, merge=True)
    cleanup = JobCleanupService(context(es, settings, harness), asyncio.Event())
    assert await cleanup.end_jobs_of_deleted_connectors() == 2
    assert es.source(JOBS, pending.id)["status"] == "canceled"
    assert es.source(JOBS, running.id)["status"] == "error"
    assert es.source(JOBS, running.id)["error"] == "the connector of this job was deleted"
    assert es.source(JOBS, mine.id)["status"] == "pending"


async def test_a_hanging_source_does_not_delay_other_connectors(es, settings, harness):
    await harness.connector("slow", docs=[], index_name="search-slow")
    await harness.connector("quick", docs=[], index_name="search-quick")
    fake_source.MEMORY["slow"]["ping_delay"] = 3600
    es._write(CONNECTORS, "quick", {"sync_now": True}, merge=True)
    service = SchedulingService(context(es, settings, harness, ids=("slow", "quick")), asyncio.Event())
    tick = asyncio.create_task(service.tick())
    try:
        await wait_until(lambda: jobs_of(es, trigger_method="on_demand"))
        assert not tick.done()  # the slow connector is still being pinged
        assert [job["connector"]["id"] for _, job in jobs_of(es)] == ["quick"]
    finally:
        tick.cancel()
        await asyncio.gather(tick, return_exceptions=True)


async def test_stop_does_not_wait_for_a_hanging_pass(es, settings, harness, monkeypatch, caplog):
    import logging

    import connectors.services.base as base

    monkeypatch.setattr(base, "STOP_GRACE", 0.2)
    await harness.connector("slow", docs=[], index_name="search-slow")
    fake_source.MEMORY["slow"]["ping_delay"] = 3600
    stop = asyncio.Event()
    service = SchedulingService(context(es, settings, harness, ids=("slow",)), stop)
    task = asyncio.create_task(service.run())
    await wait_until(lambda: es.source(CONNECTORS, "slow").get("last_seen"))  # the pass is under way
    with caplog.at_level(logging.WARNING):
        stop.set()
        await asyncio.wait_for(task, 60)  # would take an hour without the grace limit
    assert "scheduling pass still busy 0.2s after stop; canceled" in caplog.text


# -- execution: what a poll pass costs ----------------------------------------------------
def both_pools(max_content=2, max_access_control=1):
    return [
        JobPool("content", (JobType.FULL, JobType.INCREMENTAL), max_content),
        JobPool("access_control", (JobType.ACCESS_CONTROL,), max_access_control),
    ]


def job_searches(es):
    return [call for call in es.calls if call == ("search", JOBS)]


async def test_an_idle_pass_is_one_search_and_no_refresh(es, settings, harness):
    await harness.connector(docs=[])
    await harness.job()  # creates the jobs index; the job then ends, so nothing is runnable
    es._write(JOBS, next(iter(es.docs[JOBS])), {"status": "completed"}, merge=True)
    service = JobExecutionService(context(es, settings, harness), asyncio.Event(), both_pools())
    es.calls.clear()
    await service.tick()
    await service.tick()
    assert job_searches(es) == [("search", JOBS)] * 2  # one per pass, for both pools together
    assert [call for call in es.calls if call[0] == "refresh"] == []
    assert service.running == {}


async def test_one_search_starts_jobs_of_both_pools(es, settings, harness):
    await harness.connector(docs=make_docs(5))
    full = await harness.job(job_type=JobType.FULL)
    access = await harness.job(job_type=JobType.ACCESS_CONTROL)
    service = JobExecutionService(context(es, settings, harness), asyncio.Event(), both_pools())
    es.calls.clear()
    await service.tick()
    assert len(job_searches(es)) == 1
    assert sorted(service.running) == sorted([full.id, access.id])
    await wait_until(lambda: not service.running, deadline=60)
    assert sorted(job_id for job_id, _ in service.finished) == sorted([full.id, access.id])
    assert {es.source(JOBS, j.id)["status"] for j in (full, access)} == {"completed"}


async def test_no_search_while_every_pool_is_full(es, settings, harness):
    await harness.connector(docs=make_docs(1000))
    fake_source.MEMORY["c1"]["delay"] = 0.1  # runs far longer than this test
    await harness.job(job_type=JobType.FULL)
    await harness.job(job_type=JobType.ACCESS_CONTROL)
    stop = asyncio.Event()
    service = JobExecutionService(context(es, settings, harness), stop, both_pools(1, 1))
    await service.tick()
    assert len(service.running) == 2
    es.calls.clear()
    await service.tick()
    assert job_searches(es) == []
    await service.shutdown()
    assert [status for _, status in service.finished] == [JobStatus.SUSPENDED] * 2


async def test_a_page_full_of_content_jobs_does_not_starve_access_control(es, settings, harness):
    await harness.connector(docs=make_docs(1000))
    fake_source.MEMORY["c1"]["delay"] = 0.1
    for _ in range(3):
        await harness.job(job_type=JobType.FULL)  # older than the access-control job
    access = await harness.job(job_type=JobType.ACCESS_CONTROL)
    harness.jobs.max_results = 2  # a page holds only content jobs
    service = JobExecutionService(context(es, settings, harness), asyncio.Event(), both_pools(1, 1))
    es.calls.clear()
    await service.tick()
    assert len(job_searches(es)) == 2  # the second one asks for access-control jobs only
    assert access.id in service.running and len(service.running) == 2
    await service.shutdown()


async def test_a_stale_search_hit_is_skipped_not_run_twice(es, settings, harness):
    """Without a forced refresh a search may return a job that already ran: the claim is
    conditional on the version the search saw, so the job is not run again."""
    await harness.connector(docs=make_docs(3))
    job = await harness.job()
    ctx = context(es, settings, harness)
    stale = await harness.jobs.require(job.id)  # pending, at its current version
    assert await harness.runner(stale).run() is JobStatus.COMPLETED
    seq_no = es.docs[JOBS][job.id]["_seq_no"]

    async def stale_runnable(connector_ids, job_types):
        return [stale]  # what an index not yet refreshed would still answer

    ctx.jobs.runnable = stale_runnable
    service = JobExecutionService(ctx, asyncio.Event(), both_pools())
    await service.tick()
    await wait_until(lambda: not service.running, deadline=60)
    assert service.finished == [(job.id, None)]  # claimed by someone else: skipped
    assert es.docs[JOBS][job.id]["_seq_no"] == seq_no  # nothing written
    assert es.source(JOBS, job.id)["status"] == "completed"


def test_a_process_has_one_execution_service_with_a_pool_per_kind_of_job(es, harness):
    from connectors.services.execution import execution_services
    from connectors.sync.settings import ServiceSettings

    settings = ServiceSettings.from_config(
        {"service": {"max_concurrent_content_syncs": 3, "max_concurrent_access_control_syncs": 2}}
    )
    (service,) = execution_services(context(es, settings, harness), asyncio.Event())
    pools = {pool.name: (pool.job_types, pool.max_concurrency) for pool in service.pools}
    assert pools == {
        "content_sync": ((JobType.FULL, JobType.INCREMENTAL), 3),
        "access_control_sync": ((JobType.ACCESS_CONTROL,), 2),
    }
