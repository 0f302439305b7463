"""One content job (full or incremental) per connector at a time: a claim that finds another
content job of its connector in progress is given back and the job waits, pending."""

import asyncio
import logging

from connectors.protocol import JobStatus, JobType
from connectors.services.execution import JobExecutionService
from connectors.services.job_pool import JobPool
from tests.framework import fake_source
from tests.framework.fake_es import FakeSink
from tests.framework.fake_source import make_docs
from tests.framework.support import JOBS, context, start_long_job, wait_until


async def test_incremental_waits_while_a_full_sync_of_its_connector_runs(harness, es):
    full, full_runner, full_task = await start_long_job(harness)
    incremental = await harness.job(job_type=JobType.INCREMENTAL)
    sinks = len(FakeSink.instances)
    runner = harness.runner(incremental)
    assert await runner.run() is None
    assert runner.waiting_for == full.id
    assert len(FakeSink.instances) == sinks  # it did not start
    given_back = es.source(JOBS, incremental.id)
    assert given_back["status"] == "pending"
    assert given_back["started_at"] is None and given_back["metadata"]["worker"] is None
    # and the other way round: a full sync waits for a running incremental (same rule)
    fake_source.MEMORY["c1"]["delay"] = 0
    assert await full_task is JobStatus.COMPLETED
    status, _ = await harness.run(job_type=JobType.INCREMENTAL)  # the waiting one can run now
    assert status is JobStatus.COMPLETED


async def test_a_full_sync_waits_for_a_running_incremental(harness, es):
    await harness.connector(docs=make_docs(2))
    fake_source.MEMORY["c1"]["changes"] = [
        {"op": "index", "doc": {"_id": f"n{i}", "_timestamp": "2026-03-01T00:00:00Z"}} for i in range(500)
    ]
    fake_source.MEMORY["c1"]["delay"] = 0.1
    incremental = await harness.job(job_type=JobType.INCREMENTAL)
    inc_runner = harness.runner(incremental)
    inc_task = asyncio.create_task(inc_runner.run())
    await wait_until(lambda: inc_runner.progress.seen >= 1)
    full = await harness.job()
    runner = harness.runner(full)
    assert await runner.run() is None and runner.waiting_for == incremental.id
    assert es.source(JOBS, full.id)["status"] == "pending"
    fake_source.MEMORY["c1"]["delay"] = 0
    assert await inc_task is JobStatus.COMPLETED


async def test_claims_racing_for_one_connector_never_both_run(harness, es):
    """Both claims land before either looks: the first to look sees the other and gives its job
    back; at most one runs (and without the rule both would)."""
    await harness.connector(docs=make_docs(3))
    full, incremental = await harness.job(), await harness.job(job_type=JobType.INCREMENTAL)
    real_claim = harness.jobs.claim
    claimed = asyncio.Event()
    count = 0

    async def claim_then_wait(*args, **kwargs):
        nonlocal count
        job = await real_claim(*args, **kwargs)
        count += 1
        if count == 2:
            claimed.set()
        await claimed.wait()  # the other claim is written before this one's check
        return job

    harness.jobs.claim = claim_then_wait
    results = await asyncio.gather(harness.runner(full).run(), harness.runner(incremental).run())
    assert None in results and len(FakeSink.instances) <= 1
    waiting = [job for job, result in zip((full, incremental), results, strict=True) if result is None]
    for job in waiting:
        assert es.source(JOBS, job.id)["status"] == "pending"  # given back: it runs later
    harness.jobs.claim = real_claim
    for job in waiting:
        assert await harness.runner(await harness.jobs.require(job.id)).run() is JobStatus.COMPLETED


async def test_access_control_runs_beside_a_content_sync(harness, es):
    _, _, full_task = await start_long_job(harness)
    fake_source.MEMORY["c1"]["identities"] = [{"_id": "alice", "_timestamp": "2026-01-01T00:00:00Z"}]
    fake_source.MEMORY["c1"]["delay"] = 0
    status, _ = await harness.run(job_type=JobType.ACCESS_CONTROL)
    assert status is JobStatus.COMPLETED
    assert await full_task is JobStatus.COMPLETED


async def test_execution_service_starts_one_content_job_per_connector(harness, es, settings):
    await harness.connector(docs=make_docs(3))
    fake_source.MEMORY["c1"]["delay"] = 0.05
    full, incremental = await harness.job(), await harness.job(job_type=JobType.INCREMENTAL)
    ctx = context(es, settings, harness)
    stop = asyncio.Event()
    service = JobExecutionService(ctx, stop, [JobPool("content", (JobType.FULL, JobType.INCREMENTAL), 2)])
    await service.tick()
    assert list(service.running) == [full.id]  # the incremental waits: not even claimed
    assert es.source(JOBS, incremental.id)["status"] == "pending"
    await wait_until(lambda: es.source(JOBS, full.id)["status"] == "completed")
    await wait_until(lambda: not service.running)
    await service.tick()
    assert list(service.running) == [incremental.id]
    await wait_until(lambda: es.source(JOBS, incremental.id)["status"] == "completed")
    await service.shutdown()


async def test_one_shot_incremental_waits_for_the_running_full_sync(harness, es, monkeypatch, caplog):
    from connectors.services import oneshot
    from connectors.services.oneshot import run_one_sync
    from tests.framework.fake_es import fake_plumbing
    from tests.framework.test_service_process import CONFIG

    monkeypatch.setattr(oneshot, "POLL_SECONDS", 0.01)
    full, _, full_task = await start_long_job(harness)
    sinks = len(FakeSink.instances)
    with caplog.at_level(logging.INFO, logger="connectors.sync"):
        one_shot = asyncio.create_task(
            run_one_sync(CONFIG, es, "c1", "incremental", 120, plumbing=fake_plumbing())
        )
        await wait_until(lambda: any("incremental sync waits" in r.getMessage() for r in caplog.records))
    assert len(FakeSink.instances) == sinks  # it did not run beside the full sync
    fake_source.MEMORY["c1"]["delay"] = 0
    assert await full_task is JobStatus.COMPLETED
    job = await one_shot  # then it claimed again, and ran
    assert job.job_type is JobType.INCREMENTAL and job.status is JobStatus.COMPLETED
    assert job.source["started_at"] >= es.source(JOBS, full.id)["completed_at"]
