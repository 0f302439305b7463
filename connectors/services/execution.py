"""The job execution service: runs pending jobs of the configured connectors.

It owns one :class:`~connectors.services.job_pool.JobPool` per kind of job (content syncs, access
control syncs), each with its own ``max_concurrency``. Every ``service.idling`` seconds — and as
soon as a running job frees a slot — it makes **one** search for pending or suspended jobs of the
configured connectors, of the job types whose pool has a free slot, oldest first, and starts a
runner for each while its pool has room. With every pool full it does not search at all.

The search does not force a refresh of the jobs index: every write that makes a job runnable
(``POST _connector/_sync_job``, a suspend) is refreshed by whoever writes it, and Elasticsearch's
periodic refresh covers the rest within a second. A stale hit is harmless — the runner claims the
job with a conditional write, so a job another process claimed first (or that changed since the
search) is simply skipped: each job still runs at most once.

One content job (full or incremental) per connector at a time: a pending content job of a
connector whose content job runs here is not started (it waits for a later poll); across
processes the runner's claim applies the same rule (``JobStore.claim``). Access-control jobs run
beside content jobs, as in Elastic's framework.

On shutdown every running job is asked to stop and ends ``suspended`` (picked up again by the next
process) — never left in progress.
"""

from __future__ import annotations

import asyncio

from connectors.protocol import JobType, SyncJobDoc
from connectors.services.base import PeriodicService, ServiceContext
from connectors.services.job_pool import JobPool
from connectors.sync.runner import SyncJobRunner

FINISHED_KEPT = 100


class JobExecutionService(PeriodicService):
    name = "job_execution"

    def __init__(self, ctx: ServiceContext, stop: asyncio.Event, pools: list[JobPool]):
        super().__init__(ctx, stop)
        self.pools = list(pools)
        self._slot_freed = asyncio.Event()
        self.finished: list[tuple[str, object]] = []  # (job id, final status) — for tests/observers

    @property
    def running(self) -> dict[str, tuple[SyncJobRunner, asyncio.Task]]:
        return {job_id: entry for pool in self.pools for job_id, entry in pool.running.items()}

    def _pool_for(self, job: SyncJobDoc) -> JobPool | None:
        return next((pool for pool in self.pools if pool.takes(job)), None)

    async def tick(self) -> None:
        open_pools = [pool for pool in self.pools if pool.free > 0]
        if not open_pools or not self.ctx.configured:
            return
        candidates = await self._runnable(open_pools)
        self._start_all(candidates)
        # a page full of one kind of job must not starve the other pools: ask again for those
        starved = [pool for pool in open_pools if pool.free > 0 and not any(map(pool.takes, candidates))]
        if starved and len(candidates) >= self.ctx.jobs.max_results:
            self._start_all(await self._runnable(starved))

    async def _runnable(self, pools: list[JobPool]) -> list[SyncJobDoc]:
        job_types = tuple(dict.fromkeys(t for pool in pools for t in pool.job_types))
        return await self.ctx.jobs.runnable(list(self.ctx.configured), job_types)

    def _start_all(self, candidates: list[SyncJobDoc]) -> None:
        running = self.running
        busy = {runner.job.connector_id for runner, _ in running.values() if runner.job.job_type.is_content}
        for job in candidates:
            if self.stop_event.is_set():
                return
            pool = self._pool_for(job)
            if pool is None or pool.free <= 0 or job.id in running:
                continue
            if job.job_type.is_content and job.connector_id in busy:
                continue  # waits for the content job of its connector running here
            self._start(pool, job)
            running[job.id] = pool.running[job.id]
            if job.job_type.is_content:
                busy.add(job.connector_id)

    def _start(self, pool: JobPool, job: SyncJobDoc) -> None:
        runner = SyncJobRunner(
            job,
            jobs=self.ctx.jobs,
            connectors=self.ctx.connectors,
            registry=self.ctx.registry,
            client=self.ctx.client,
            settings=self.ctx.settings,
            plumbing=self.ctx.plumbing,
        )
        self.ctx.running_jobs.started(job.connector_id, job.id)
        pool.start(job, runner, self._done)

    def _done(self, pool: JobPool, job_id: str, connector_id: str | None, outcome: object) -> None:
        self.ctx.running_jobs.ended(connector_id, job_id)
        if isinstance(outcome, BaseException):
            self.logger.bind(job_id=job_id).error(
                f"{pool.name} job runner crashed: {type(outcome).__name__}: {outcome}"
            )
            outcome = None
        self.finished.append((job_id, outcome))
        del self.finished[:-FINISHED_KEPT]
        self._slot_freed.set()

    async def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.logger.error(f"{self.name} pass failed: {type(exc).__name__}: {exc}")
            self._slot_freed.clear()
            waiters = [asyncio.ensure_future(self.stop_event.wait())]
            if any(pool.running for pool in self.pools):
                waiters.append(asyncio.ensure_future(self._slot_freed.wait()))
            await asyncio.wait(waiters, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        await self.shutdown()

    async def shutdown(self) -> None:
        """Suspend every running job and wait for each runner to write its final state."""
        count = sum(len(pool.running) for pool in self.pools)
        if not count:
            return
        self.logger.info(f"suspending {count} running job(s)")
        await asyncio.gather(*(pool.suspend_all() for pool in self.pools))


def job_pools(ctx: ServiceContext) -> list[JobPool]:
    settings = ctx.settings
    return [
        JobPool("content_sync", (JobType.FULL, JobType.INCREMENTAL), settings.max_concurrent_content_syncs),
        JobPool(
            "access_control_sync", (JobType.ACCESS_CONTROL,), settings.max_concurrent_access_control_syncs
        ),
    ]


def execution_services(ctx: ServiceContext, stop: asyncio.Event) -> list[JobExecutionService]:
    """The one execution service of a process, with a content pool and an access-control pool."""
    return [JobExecutionService(ctx, stop, job_pools(ctx))]
