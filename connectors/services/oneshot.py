"""``connectors sync``: create an on-demand job for one connector, run it here, wait for its end.

The job is created through ``POST _connector/_sync_job`` like Kibana's "Sync" button. This process
then claims and runs it; if a running service claims it first, this waits for that service to
finish it instead; while another content job of the connector runs, it waits and claims again. Either way the job's final document is returned.

It lives with the services because it wires a job the way they do (:class:`ServiceContext`:
stores, registry, settings, plumbing) and decides, like them, when a job runs: now.
"""

from __future__ import annotations

import asyncio

from connectors.errors import ConnectorError
from connectors.protocol import ConnectorStatus, JobType, TriggerMethod
from connectors.protocol.constants import RUNNABLE_JOB_STATUSES
from connectors.services.base import ServiceContext
from connectors.sync.runner import SyncJobRunner

POLL_SECONDS = 0.5


async def run_one_sync(
    config: dict,
    client,
    connector_id: str,
    job_type: str = "full",
    wait_seconds: float | None = None,
    plumbing=None,
):
    ctx = ServiceContext.from_config(config, client, plumbing)
    connector = await ctx.connectors.require(connector_id)
    if connector.status in (None, ConnectorStatus.CREATED, ConnectorStatus.NEEDS_CONFIGURATION):
        raise ConnectorError(
            f"connector {connector_id} is not configured yet (status {connector.source.get('status')}); "
            "run the service once to fill its configuration, then configure it"
        )
    job_id = await ctx.jobs.create(connector_id, JobType(job_type), TriggerMethod.ON_DEMAND)

    async def run_and_wait():
        while True:
            job = await ctx.jobs.require(job_id)
            if job.status is not None and job.status.is_final:
                return job
            if job.status in RUNNABLE_JOB_STATUSES:  # not run yet, or given back: it waited
                runner = SyncJobRunner(
                    job,
                    jobs=ctx.jobs,
                    connectors=ctx.connectors,
                    registry=ctx.registry,
                    client=client,
                    settings=ctx.settings,
                    plumbing=ctx.plumbing,
                )
                if await runner.run() is not None:
                    continue
            await asyncio.sleep(POLL_SECONDS)

    try:
        return await asyncio.wait_for(run_and_wait(), timeout=wait_seconds)
    except TimeoutError:
        raise ConnectorError(f"sync job {job_id} did not finish within {wait_seconds:g} seconds") from None
