"""The job execution service: runs pending jobs of the configured connectors.

Every ``service.idling`` seconds (and as soon as a running job frees a slot) it looks for
pending or suspended jobs of its job types, oldest first, and starts a runner for each while
fewer than ``max_concurrency`` run here. The runner claims the job with a conditional write, so
a job another process claimed first is simply skipped. On shutdown every running job is asked
to stop and ends ``suspended`` (picked up again by the next process) — never left in progress.
"""

from __future__ import annotations

import asyncio
import contextlib

from connectors.protocol import JobType, SyncJobDoc
from connectors.services.base import PeriodicService, ServiceContext
from connectors.sync.runner import StopReason, SyncJobRunner


class JobExecutionService(PeriodicService):
    def __init__(
        self,
        ctx: ServiceContext,
        stop: asyncio.Event,
        *,
        name: str,
        job_types: tuple[JobType, ...],
        max_concurrency: int,
    ):
        self.name = name
        super().__init__(ctx, stop)
        self.job_types = job_types
        self.max_concurrency = max(1, int(max_concurrency))
        self.running: dict[str, tuple[SyncJobRunner, asyncio.Task]] = {}
        self._slot_freed = asyncio.Event()
        self.finished: list[tuple[str, object]] = []  # (job id, final status) — for tests/observers

    async def tick(self) -> None:
        free = self.max_concurrency - len(self.running)
        if free <= 0 or not self.ctx.configured:
            return
        candidates = await self.ctx.jobs.runnable(list(self.ctx.configured), self.job_types)
        for job in candidates:
            if free <= 0 or self.stop_event.is_set():
                break
            if job.id in self.running:
                continue
            self._start(job)
            free -= 1

    def _start(self, job: SyncJobDoc) -> None:
        runner = SyncJobRunner(
            job,
            jobs=self.ctx.jobs,
            connectors=self.ctx.connectors,
            registry=self.ctx.registry,
            client=self.ctx.client,
            settings=self.ctx.settings,
            plumbing=self.ctx.plumbing,
        )
        task = asyncio.create_task(runner.run(), name=f"sync-{job.id}")
        self.running[job.id] = (runner, task)
        self.ctx.running_jobs.started(job.connector_id)
        task.add_done_callback(lambda t, job_id=job.id, cid=job.connector_id: self._done(job_id, cid, t))

    def _done(self, job_id: str, connector_id: str | None, task: asyncio.Task) -> None:
        self.running.pop(job_id, None)
        self.ctx.running_jobs.ended(connector_id)
        if task.cancelled():
            outcome = None
        elif task.exception() is not None:
            exc = task.exception()
            self.logger.bind(job_id=job_id).error(f"job runner crashed: {type(exc).__name__}: {exc}")
            outcome = None
        else:
            outcome = task.result()
        self.finished.append((job_id, outcome))
        del self.finished[:-100]
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
            if self.running:
                waiters.append(asyncio.ensure_future(self._slot_freed.wait()))
            _, pending = await asyncio.wait(
                waiters, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        await self.shutdown()

    async def shutdown(self) -> None:
        """Suspend every running job and wait for each runner to write its final state."""
        if not self.running:
            return
        self.logger.info(f"suspending {len(self.running)} running job(s)")
        tasks = []
        for runner, task in list(self.running.values()):
            runner.request_stop(StopReason.SUSPENDED)
            tasks.append(task)
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)


def execution_services(ctx: ServiceContext, stop: asyncio.Event) -> list[JobExecutionService]:
    settings = ctx.settings
    return [
        JobExecutionService(
            ctx,
            stop,
            name="content_sync",
            job_types=(JobType.FULL, JobType.INCREMENTAL),
            max_concurrency=settings.max_concurrent_content_syncs,
        ),
        JobExecutionService(
            ctx,
            stop,
            name="access_control_sync",
            job_types=(JobType.ACCESS_CONTROL,),
            max_concurrency=settings.max_concurrent_access_control_syncs,
        ),
    ]
