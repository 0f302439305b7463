"""ConnectorService composition (fake ES): all services in one loop, clean stop."""

import asyncio
import os
import signal

import pytest

from connectors.errors import ConnectorError
from connectors.protocol import JobType, TriggerMethod
from connectors.services import ConnectorService
from connectors.services.oneshot import run_one_sync
from connectors.sync.settings import ServiceSettings
from tests.framework import fake_source
from tests.framework.fake_es import fake_plumbing
from tests.framework.fake_source import make_docs
from tests.framework.support import FAKE_SOURCES, wait_until

CONFIG = {
    "service": {"idling": 0.05, "heartbeat": 0.05, "job_cleanup_interval": 0.05, "progress_interval": 0.05},
    "connectors": [{"connector_id": "c1", "service_type": "fake"}],
    "sources": FAKE_SOURCES,
}


def test_settings_from_config_defaults_and_overrides():
    settings = ServiceSettings.from_config({"service": {"heartbeat": 300}})
    assert settings.job_heartbeat == 10 and settings.job_idle_threshold == 300
    settings = ServiceSettings.from_config(
        {"service": {"heartbeat": 0.5, "job_idle_threshold": 7, "max_concurrent_content_syncs": 3}}
    )
    assert settings.job_heartbeat == 0.5 and settings.job_idle_threshold == 7
    assert settings.max_concurrent_content_syncs == 3


async def test_service_runs_everything_and_stops_cleanly(es, harness):
    await harness.connectors.create("c1", index_name="search-test", service_type="fake")
    service = ConnectorService(CONFIG, client=es, plumbing=fake_plumbing())
    task = asyncio.create_task(service.run(install_signals=False))
    await wait_until(lambda: es.source(".elastic-connectors", "c1").get("status") == "needs_configuration")
    fake_source.MEMORY["c1"] = {"docs": make_docs(3)}
    await es.connector.update_error(connector_id="c1", error=None)  # pretend configured
    es._write(
        ".elastic-connectors",
        "c1",
        {"configuration": {"docs_file": {"value": "memory:c1"}}, "status": "configured"},
        merge=True,
    )
    job_id = await harness.jobs.create("c1", JobType.FULL, TriggerMethod.ON_DEMAND)
    await wait_until(lambda: es.source(".elastic-connectors-sync-jobs", job_id)["status"] == "completed")
    assert es.source(".elastic-connectors", "c1")["status"] == "connected"
    service.stop()
    await asyncio.wait_for(task, 60)
    assert not es.closed  # an injected client belongs to the caller


async def test_sigterm_stops_the_service(es, harness):
    service = ConnectorService(CONFIG, client=es, plumbing=fake_plumbing())
    task = asyncio.create_task(service.run())
    await wait_until(lambda: service.services)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 60)
    assert service.stop_event.is_set()


async def test_one_shot_sync_runs_the_job_here(es, harness):
    await harness.connector(docs=make_docs(4))
    job = await run_one_sync(CONFIG, es, "c1", "full", 120, plumbing=fake_plumbing())
    assert job.status.value == "completed"
    assert job.source["indexed_document_count"] == 4 and job.source["trigger_method"] == "on_demand"

    await harness.connectors.create("new", index_name="search-new", service_type="fake")
    with pytest.raises(ConnectorError) as info:
        await run_one_sync(CONFIG, es, "new", "full", 10, plumbing=fake_plumbing())
    assert "not configured yet" in str(info.value)
