"""What every service shares: the context (stores, registry, settings) and a periodic loop."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.logger import get_logger
from connectors.protocol import ConnectorStore, JobStore
from connectors.registry import SourceRegistry
from connectors.sync.plumbing import SyncPlumbing, default_plumbing
from connectors.sync.settings import ServiceSettings
from connectors.utils import utcnow

STOP_GRACE = 5.0  # seconds a pass in flight may take to finish once the service stops


class RunningJobs:
    """The jobs running in this process, by connector id and by job id (shared by the services).

    The scheduler asks whether a connector has a job running here; the orphan cleanup asks
    whether a job is run here — its runner is alive and writes the job's final state itself
    (through an Elasticsearch outage longer than the idle threshold too), so the cleanup of the
    same process never marks it.
    """

    def __init__(self):
        self._counts: Counter[str] = Counter()
        self._job_ids: set[str] = set()

    def started(self, connector_id: str | None, job_id: str | None = None) -> None:
        if connector_id:
            self._counts[connector_id] += 1
        if job_id:
            self._job_ids.add(job_id)

    def ended(self, connector_id: str | None, job_id: str | None = None) -> None:
        if connector_id and self._counts[connector_id] > 0:
            self._counts[connector_id] -= 1
            if not self._counts[connector_id]:
                del self._counts[connector_id]
        self._job_ids.discard(job_id)

    def __contains__(self, connector_id: object) -> bool:
        return self._counts.get(connector_id, 0) > 0

    def runs(self, job_id: str) -> bool:
        """Whether job ``job_id`` is running in this process."""
        return job_id in self._job_ids


@dataclass
class ServiceContext:
    client: object
    connectors: ConnectorStore
    jobs: JobStore
    registry: SourceRegistry
    settings: ServiceSettings
    # connector id -> service type from config.yml (``connectors:``)
    configured: dict[str, str | None] = field(default_factory=dict)
    plumbing: SyncPlumbing = field(default_factory=default_plumbing)
    running_jobs: RunningJobs = field(default_factory=RunningJobs)
    #: the wall clock (aware UTC) that decides schedules and idle jobs; tests inject a fixed one
    clock: Callable[[], dt.datetime] = utcnow

    @classmethod
    def from_config(cls, config: dict, client, plumbing: SyncPlumbing | None = None) -> ServiceContext:
        configured = {
            item["connector_id"]: item.get("service_type")
            for item in config.get("connectors") or []
            if item.get("connector_id")
        }
        return cls(
            client=client,
            connectors=ConnectorStore(client),
            jobs=JobStore(client),
            registry=SourceRegistry(config.get("sources") or {}),
            settings=ServiceSettings.from_config(config),
            configured=configured,
            plumbing=plumbing or default_plumbing(),
        )


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop`` is set; True if stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0))
    return stop.is_set()


class PeriodicService:
    """Runs ``tick()`` every ``interval`` seconds until ``stop`` is set; a failing tick is logged."""

    name = "service"

    def __init__(self, ctx: ServiceContext, stop: asyncio.Event):
        self.ctx = ctx
        self.stop_event = stop
        self.logger = get_logger(f"connectors.services.{self.name}")

    @property
    def interval(self) -> float:
        return self.ctx.settings.idling

    async def tick(self) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        self.logger.debug(f"{self.name} service started")
        while not self.stop_event.is_set():
            await self._one_pass()
            if await wait_or_stop(self.stop_event, self.interval):
                break
        await self.shutdown()
        self.logger.debug(f"{self.name} service stopped")

    async def _one_pass(self) -> None:
        """Run ``tick()``; once stopping, give it ``STOP_GRACE`` seconds, then cancel it."""
        tick = asyncio.create_task(self.tick(), name=f"{self.name}-pass")
        stopping = asyncio.create_task(self.stop_event.wait())
        try:
            await asyncio.wait({tick, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not tick.done():
                await asyncio.wait({tick}, timeout=STOP_GRACE)
            if not tick.done():
                self.logger.warning(f"{self.name} pass still busy {STOP_GRACE:g}s after stop; canceled")
                tick.cancel()
            await tick
        except asyncio.CancelledError:
            if not tick.done():  # we are being cancelled ourselves
                tick.cancel()
                await asyncio.gather(tick, return_exceptions=True)
                raise
        except Exception as exc:
            self.logger.error(f"{self.name} pass failed: {type(exc).__name__}: {exc}")
        finally:
            stopping.cancel()

    async def shutdown(self) -> None:
        """Called once after the loop ends."""
