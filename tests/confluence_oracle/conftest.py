"""The oracle in process: the mock Confluence and the ES stand-in of ``tests/plugins``, jobs run by
``run_one_sync`` (the runner, the real sink, the real Confluence source), connectors A and B."""

from __future__ import annotations

import pytest

from connectors.services.oneshot import run_one_sync
from fixtures.ftest import connector_values
from fixtures.oracle import CONNECTOR_A, CONNECTOR_B, create_connectors

CONFIG = {
    "service": {"heartbeat": 0.5, "progress_interval": 30, "log_level": "WARNING"},
    "elasticsearch": {"bulk": {"retry_interval": 0}},
    "connectors": [
        {"connector_id": CONNECTOR_A, "service_type": "confluence"},
        {"connector_id": CONNECTOR_B, "service_type": "confluence"},
    ],
    "sources": {"confluence": "connectors.sources.confluence:ConfluenceDataSource"},
}


class InProcessDriver:
    """A :class:`fixtures.oracle.SyncDriver` running each job here, to its end."""

    def __init__(self, es):
        self.es = es
        self.jobs: list[dict] = []

    async def sync(self, connector_id: str, job_type: str) -> dict:
        job = await run_one_sync(CONFIG, self.es, connector_id, job_type, 300)
        self.jobs.append(job.source)
        return job.source


@pytest.fixture
def oracle_stack(confluence_factory, es_client):
    """``await oracle_stack(flavor)`` -> ``(mock, driver)`` with A and B created."""

    async def start(flavor: str):
        mock = await confluence_factory(flavor=flavor)
        await create_connectors(es_client, connector_values(mock.url, flavor))
        return mock, InProcessDriver(es_client)

    return start
