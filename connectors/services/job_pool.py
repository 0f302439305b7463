"""A bounded set of running sync jobs of some job types (content syncs, access-control syncs).

A :class:`JobPool` only holds runner tasks: it knows which job types it takes, how many may run
at once, and which are running. Deciding *which* jobs to start is the execution service's job;
claiming a job (so that of several processes exactly one runs it) is the runner's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from connectors.protocol import JobType, SyncJobDoc
from connectors.sync.runner import StopReason, SyncJobRunner

# called once per finished runner: (pool, job id, connector id, final status or None)
DoneCallback = Callable[["JobPool", str, "str | None", object], None]


class JobPool:
    def __init__(self, name: str, job_types: tuple[JobType, ...], max_concurrency: int):
        self.name = name
        self.job_types = tuple(JobType(t) for t in job_types)
        self.max_concurrency = max(1, int(max_concurrency))
        self.running: dict[str, tuple[SyncJobRunner, asyncio.Task]] = {}

    @property
    def free(self) -> int:
        return self.max_concurrency - len(self.running)

    def takes(self, job: SyncJobDoc) -> bool:
        return job.job_type in self.job_types

    def start(self, job: SyncJobDoc, runner: SyncJobRunner, on_done: DoneCallback) -> None:
        task = asyncio.create_task(runner.run(), name=f"sync-{job.id}")
        self.running[job.id] = (runner, task)
        task.add_done_callback(
            lambda t, job_id=job.id, cid=job.connector_id: on_done(self, job_id, cid, self._ended(job_id, t))
        )

    def _ended(self, job_id: str, task: asyncio.Task) -> object:
        """Forget the runner; its final status, or the exception that crashed it, or None."""
        self.running.pop(job_id, None)
        if task.cancelled():
            return None
        return task.exception() or task.result()

    async def suspend_all(self) -> None:
        """Ask every running job to stop (it ends ``suspended``) and wait for its final write."""
        tasks = []
        for runner, task in list(self.running.values()):
            runner.request_stop(StopReason.SUSPENDED)
            tasks.append(task)
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
