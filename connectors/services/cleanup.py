"""The job cleanup service: no job stays in progress when nobody runs it.

When the service starts and every ``service.job_cleanup_interval`` seconds, whichever process
notices:

* an in-progress or canceling job claimed by a process that is known dead — one of this host,
  boot and pid namespace that no longer runs (the rule and what is recorded at claim:
  :mod:`connectors.worker_liveness`) — is marked ``error`` at once, naming that process;
  conditionally, as below. A claimer that cannot be checked from here (another host or
  container, another boot, a claim recorded without it) is left to the idle threshold;
* an in-progress or canceling job whose heartbeat (``last_seen``) is older than the idle
  threshold is marked ``error`` — unless this very process runs it (its runner is alive and
  writes the final state itself, e.g. after an Elasticsearch outage longer than the threshold) — conditionally, so a job that heartbeats in the meantime is left
  alone — and its connector's last-sync fields say why;
* unfinished jobs of a connector that no longer exists (deleted, or soft-deleted) are ended:
  running ones ``error``, pending or suspended ones ``canceled``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from connectors import worker_liveness
from connectors.protocol import JobStatus, JobType, SyncJobDoc
from connectors.services.base import PeriodicService
from connectors.utils import iso_utc

IDLE_JOB_ERROR = "the sync job's worker stopped responding (no heartbeat since {last_seen}); marked as failed"
DEAD_WORKER_ERROR = "the sync job's worker {worker} is no longer running (its process is gone from this host); marked as failed"
DELETED_CONNECTOR_ERROR = "the connector of this job was deleted"


class JobCleanupService(PeriodicService):
    name = "job_cleanup"

    @property
    def interval(self) -> float:
        return self.ctx.settings.job_cleanup_interval

    async def tick(self) -> None:
        await self.fail_jobs_of_dead_workers()
        await self.fail_idle_jobs()
        await self.end_jobs_of_deleted_connectors()

    async def fail_jobs_of_dead_workers(self) -> int:
        """Mark ``error`` the active jobs whose claimer is known dead (not waiting for the idle
        threshold); each write is conditional on the job's status and on no heartbeat since read."""
        jobs = [job for job in await self.ctx.jobs.active() if job.worker_process is not None]
        if not jobs:
            return 0
        dead = await asyncio.to_thread(self._known_dead, jobs)  # reads /proc: off the event loop
        marked = 0
        for job in dead:
            message = DEAD_WORKER_ERROR.format(worker=worker_liveness.describe(job.worker_process))
            last_seen = job.last_seen
            written = await self.ctx.jobs.terminate(
                job.id,
                JobStatus.ERROR,
                message,
                expect=(JobStatus.IN_PROGRESS, JobStatus.CANCELING),
                # a heartbeat since our read (last_seen in milliseconds) means someone runs it
                seen_before=last_seen + timedelta(milliseconds=1) if last_seen is not None else None,
            )
            if written is None:
                continue
            marked += 1
            self.logger.bind(connector_id=job.connector_id, job_id=job.id).warning(
                f"marked the job of dead worker {worker_liveness.describe(job.worker_process)} as error"
            )
            await self._connector_last_sync(job.connector_id, job.job_type, message)
        return marked

    def _known_dead(self, jobs: list[SyncJobDoc]) -> list[SyncJobDoc]:
        host = self.ctx.settings.hostname
        return [job for job in jobs if worker_liveness.is_dead(job.worker_process, host)]

    async def fail_idle_jobs(self) -> int:
        cutoff = self.ctx.clock() - timedelta(seconds=self.ctx.settings.job_idle_threshold)
        marked = 0
        for job in await self.ctx.jobs.stale_active(iso_utc(cutoff)):
            if self.ctx.running_jobs.runs(job.id):
                continue  # ours: the runner ends it (its heartbeat may have failed in an outage)
            log = self.logger.bind(connector_id=job.connector_id, job_id=job.id)
            message = IDLE_JOB_ERROR.format(last_seen=job.source.get("last_seen") or "never")
            written = await self.ctx.jobs.terminate(
                job.id,
                JobStatus.ERROR,
                message,
                expect=(JobStatus.IN_PROGRESS, JobStatus.CANCELING),
                seen_before=cutoff,
            )
            if written is None:
                continue
            marked += 1
            log.warning("marked an orphaned job as error (worker stopped heartbeating)")
            await self._connector_last_sync(job.connector_id, job.job_type, message)
        return marked

    async def end_jobs_of_deleted_connectors(self) -> int:
        ended = 0
        exists: dict[str, bool] = {}
        for job in await self.ctx.jobs.unfinished():
            connector_id = job.connector_id
            if connector_id not in exists:
                exists[connector_id] = (
                    bool(connector_id) and await self.ctx.connectors.get(connector_id) is not None
                )
            if exists[connector_id]:
                continue
            if job.status in (JobStatus.PENDING, JobStatus.SUSPENDED):
                target, error = JobStatus.CANCELED, None
            else:
                target, error = JobStatus.ERROR, DELETED_CONNECTOR_ERROR
            if await self.ctx.jobs.terminate(job.id, target, error) is not None:
                ended += 1
                self.logger.bind(connector_id=connector_id, job_id=job.id).info(
                    f"job of a deleted connector marked {target.value}"
                )
        return ended

    async def _connector_last_sync(self, connector_id: str | None, job_type: JobType, message: str) -> None:
        if not connector_id or await self.ctx.connectors.get(connector_id) is None:
            return
        if job_type is JobType.ACCESS_CONTROL:
            fields = {"last_access_control_sync_status": "error", "last_access_control_sync_error": message}
        else:
            fields = {"last_sync_status": "error", "last_sync_error": message}
        try:
            await self.ctx.connectors.last_sync(connector_id, **fields)
        except Exception as exc:
            self.logger.warning(f"could not update connector {connector_id} after cleanup: {exc}")
