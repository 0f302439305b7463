"""One asyncio process running every service: ``connectors run -c config.yml``.

:class:`ConnectorService` composes the scheduling service, the two job execution services
(content, access control) and the job cleanup service around one Elasticsearch client. It stops
on SIGTERM/SIGINT (or :meth:`stop`): loops end, running jobs are suspended and write their
state, then the client closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from connectors.logger import get_logger
from connectors.services.base import ServiceContext
from connectors.services.cleanup import JobCleanupService
from connectors.services.execution import execution_services
from connectors.services.scheduling import SchedulingService
from connectors.sync.plumbing import SyncPlumbing

ES_WAIT_TIMEOUT = 60.0


async def build_client(config: dict):
    """The official async client, from the ``elasticsearch`` config section."""
    from connectors.es.client import create_client

    return create_client(config.get("elasticsearch") or {})


async def wait_for_elasticsearch(client, deadline: float, stop: asyncio.Event, logger) -> bool:
    """Wait for Elasticsearch to answer; ``False`` if asked to stop first."""
    from connectors.es.client import wait_for_es

    waiting = asyncio.create_task(wait_for_es(client, deadline, logger=logger))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not waiting.done():
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        return False
    waiting.result()  # raises ElasticsearchUnavailable at the deadline
    return True


class ConnectorService:
    def __init__(self, config: dict, client=None, plumbing: SyncPlumbing | None = None):
        self.config = config
        self._client = client
        self._owns_client = client is None
        self.plumbing = plumbing
        self.stop_event: asyncio.Event | None = None
        self.ctx: ServiceContext | None = None
        self.services: list = []
        self.logger = get_logger("connectors.service")

    def stop(self) -> None:
        if self.stop_event is not None and not self.stop_event.is_set():
            self.logger.info("stopping: finishing running jobs (they end suspended)")
            self.stop_event.set()

    def _install_signals(self) -> list[int]:
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop)
                installed.append(sig)
        return installed

    async def run(self, install_signals: bool = True) -> None:
        self.stop_event = asyncio.Event()
        client = self._client or await build_client(self.config)
        installed = self._install_signals() if install_signals else []
        try:
            if self._owns_client and not await wait_for_elasticsearch(
                client, ES_WAIT_TIMEOUT, self.stop_event, self.logger
            ):
                return
            self.ctx = ServiceContext.from_config(self.config, client, self.plumbing)
            self.services = [
                SchedulingService(self.ctx, self.stop_event),
                *execution_services(self.ctx, self.stop_event),
                JobCleanupService(self.ctx, self.stop_event),
            ]
            ids = ", ".join(self.ctx.configured) or "none"
            self.logger.info(
                f"connector service started as worker {self.ctx.settings.worker} for connectors: {ids}"
            )
            tasks = [
                asyncio.create_task(service.run(), name=f"service-{service.name}")
                for service in self.services
            ]
            try:
                await asyncio.gather(*tasks)
            except asyncio.CancelledError:
                self.stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        finally:
            loop = asyncio.get_running_loop()
            for sig in installed:
                loop.remove_signal_handler(sig)
            if self._owns_client:
                await client.close()
            self.logger.info("connector service stopped")


def run_service(config: dict) -> int:
    """Blocking entry point of ``connectors run``."""
    asyncio.run(ConnectorService(config).run())
    return 0
