"""Fixtures of the framework tests: a fake ES, service settings, connectors ready to sync."""

from __future__ import annotations

import pytest

from connectors.configuration import merge_configuration
from connectors.protocol import ConnectorStore, JobStore, JobType, TriggerMethod
from connectors.registry import SourceRegistry
from connectors.sync.runner import SyncJobRunner
from connectors.sync.settings import ServiceSettings
from tests.framework import fake_source
from tests.framework.fake_es import FakeES, FakeSink, fake_plumbing
from tests.framework.fake_source import FakeDataSource
from tests.framework.support import FAKE_SOURCES


@pytest.fixture
def es():
    FakeSink.instances.clear()
    fake_source.MEMORY.clear()
    fake_source.DOWNLOADS.clear()
    fake_source.PINGS.clear()
    fake_source.LISTINGS.clear()
    return FakeES()


@pytest.fixture
def settings():
    return ServiceSettings(
        idling=0.05,
        heartbeat=0.05,
        job_heartbeat=0.05,
        job_idle_threshold=0.5,
        job_cleanup_interval=0.05,
        progress_interval=0.05,
        hostname="test-host",
    )


class Harness:
    """Creates configured connectors and runs jobs against the fake ES."""

    def __init__(self, es: FakeES, settings: ServiceSettings):
        self.es = es
        self.settings = settings
        self.connectors = ConnectorStore(es)
        self.jobs = JobStore(es)
        self.registry = SourceRegistry(FAKE_SOURCES)
        self.plumbing = fake_plumbing()

    async def connector(self, connector_id="c1", docs=None, *, index_name="search-test", status="configured"):
        await self.connectors.create(connector_id, index_name=index_name, service_type="fake")
        fake_source.MEMORY[connector_id] = {"docs": list(docs or [])}
        configuration = merge_configuration(FakeDataSource.get_default_configuration(), {})
        configuration["docs_file"]["value"] = f"memory:{connector_id}"
        self.es._write(
            ".elastic-connectors",
            connector_id,
            {"configuration": configuration, "status": status},
            merge=True,
        )
        return connector_id

    async def job(self, connector_id="c1", job_type=JobType.FULL):
        job_id = await self.jobs.create(connector_id, job_type, TriggerMethod.ON_DEMAND)
        return await self.jobs.require(job_id)

    def runner(self, job):
        return SyncJobRunner(
            job,
            jobs=self.jobs,
            connectors=self.connectors,
            registry=self.registry,
            client=self.es,
            settings=self.settings,
            plumbing=self.plumbing,
        )

    async def run(self, connector_id="c1", job_type=JobType.FULL):
        job = await self.job(connector_id, job_type)
        status = await self.runner(job).run()
        return status, await self.jobs.require(job.id)


@pytest.fixture
def harness(es, settings):
    return Harness(es, settings)
