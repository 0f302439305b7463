"""An Elasticsearch that freezes or goes away during a sync (issue 11, defect 1).

The runner, the real sink and the real client run in process against the ES stand-in, through
:class:`OutageProxy` (loopback) which freezes (``kill -STOP``), cuts connections (a dying node)
or closes its port (a killed node). The test reads the stand-in directly, never through the
proxy. Settings are short (``request_timeout`` 0.5 s, backoff from 0.05 s); every wait polls a
condition with a deadline.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
import yaml
from elasticsearch import AsyncElasticsearch

from connectors.configuration import merge_configuration
from connectors.es.client import create_client
from connectors.protocol import JobStatus, JobType, TriggerMethod
from connectors.services.base import ServiceContext
from connectors.sync.runner import StopReason, SyncJobRunner
from tests.framework import fake_source
from tests.framework.e2e_support import (
    JOBS,
    ServiceProcess,
    get_source,
    ids_in,
    job_status,
    until,
    write_config,
)
from tests.framework.fake_source import FakeDataSource, make_docs, write_fixture
from tests.framework.outage_proxy import OutageProxy
from tests.framework.test_e2e import create_and_configure

DOCS = 30
PAUSE_AT = 10  # the listing waits before this document until the test has started the outage
REQUEST_TIMEOUT = 0.5
SLACK = 5.0  # seconds a loaded machine may add to a bound before the test calls it a hang


def config(es_url: str, outage_timeout: float, **elasticsearch) -> dict:
    return {
        "elasticsearch": {
            "host": es_url,
            "request_timeout": REQUEST_TIMEOUT,
            "outage_timeout": outage_timeout,
            "retry_interval": 0.05,
            "max_retries": 0,
            "bulk": {"chunk_size": 5, "max_retries": 3, "retry_interval": 0.05},
            **elasticsearch,
        },
        "service": {"heartbeat": 0.2, "progress_interval": 1},
        "connectors": [{"connector_id": "c1", "service_type": "fake"}],
        "sources": {"fake": "tests.framework.fake_source:FakeDataSource"},
    }


class Sync:
    """One full sync of ``DOCS`` documents through the proxy, paused at ``PAUSE_AT``."""

    def __init__(
        self, direct: AsyncElasticsearch, proxy: OutageProxy, outage_timeout: float, **elasticsearch
    ):
        self.direct = direct
        self.proxy = proxy
        self.config = config(proxy.url, outage_timeout, **elasticsearch)
        self.resume = asyncio.Event()
        self.client = create_client(self.config["elasticsearch"])
        self.runner: SyncJobRunner | None = None
        self.task: asyncio.Task | None = None
        self.job_id = ""

    async def start(self) -> Sync:
        await self.direct.connector.put(connector_id="c1", index_name="search-outage", service_type="fake")
        schema = merge_configuration(FakeDataSource.get_default_configuration(), {})
        schema["docs_file"]["value"] = "memory:c1"
        await self.direct.connector.update_configuration(connector_id="c1", configuration=schema)
        fake_source.MEMORY["c1"] = {"docs": make_docs(DOCS), "pause": (PAUSE_AT, self.resume)}
        ctx = ServiceContext.from_config(self.config, self.client)
        self.job_id = await ctx.jobs.create("c1", JobType.FULL, TriggerMethod.ON_DEMAND)
        self.runner = SyncJobRunner(
            await ctx.jobs.require(self.job_id),
            jobs=ctx.jobs,
            connectors=ctx.connectors,
            registry=ctx.registry,
            client=self.client,
            settings=ctx.settings,
            plumbing=ctx.plumbing,
        )
        self.task = asyncio.create_task(self.runner.run())
        await until(
            lambda: (
                self.runner.sink is not None and self.runner.sink.stats.indexed_document_count >= PAUSE_AT
            ),
            what="the first documents indexed",
        )
        return self

    async def job(self) -> dict:
        return await get_source(self.direct, JOBS, self.job_id)

    async def close(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.client.close()
        fake_source.MEMORY.pop("c1", None)


@pytest.fixture
async def proxy(es_standin):
    async with OutageProxy(es_standin.host, es_standin.port) as proxy:
        yield proxy


@pytest.fixture
async def sync_factory(es_client, proxy):
    started: list[Sync] = []

    async def start(outage_timeout: float) -> Sync:
        sync = Sync(es_client, proxy, outage_timeout)  # es_client reads the stand-in directly
        started.append(sync)
        return await sync.start()

    yield start
    for sync in started:
        await sync.close()


async def indexed(client, index: str) -> int:
    await client.indices.refresh(index=index)
    return (await client.count(index=index))["count"]


def logged(caplog, text: str) -> bool:
    return any(text in record.getMessage() for record in caplog.records)


async def test_frozen_elasticsearch_fails_the_sync_at_the_bound_and_the_error_is_written_when_it_answers(
    sync_factory, proxy, caplog
):
    bound = 4.0  # longer than the old attempt-based retries took (4 × 0.5 s + backoff)
    caplog.set_level(logging.INFO)
    sync = await sync_factory(bound)
    loop = asyncio.get_running_loop()
    proxy.freeze()  # kill -STOP: connections accepted, never answered
    frozen_at = loop.time()
    sync.resume.set()

    await until(lambda: logged(caplog, "sync failed: "), what="the sync giving up")
    gave_up_after = loop.time() - frozen_at
    # time-based: not before the bound (counted from the first failed attempt, which may have been
    # sent just before the freeze), not long after it
    assert bound - REQUEST_TIMEOUT <= gave_up_after < bound + SLACK
    await until(lambda: _final_write_warnings(caplog) == 1, what="the final write waiting for Elasticsearch")
    assert not sync.task.done()  # the runner keeps trying to write the final state
    assert (await sync.job())["status"] == "in_progress"

    proxy.thaw()  # kill -CONT
    assert await asyncio.wait_for(sync.task, 60) is JobStatus.ERROR
    job = await sync.job()
    assert job["status"] == "error"
    assert job["error"].startswith("Elasticsearch did not answer ")
    assert f"(elasticsearch.outage_timeout is {bound:g}s; last error: no answer in time)" in job["error"]
    # what the job says was indexed is what the sink counted; no request outlived the sync
    assert job["indexed_document_count"] == sync.runner.counts()["indexed_document_count"] >= PAUSE_AT
    assert not sync.runner.sink._bulks
    assert logged(caplog, "Elasticsearch answers the write of this job's final status error again")
    connector = await get_source(sync.direct, ".elastic-connectors", "c1")
    assert (connector["last_sync_status"], connector["last_sync_error"]) == ("error", job["error"])


async def test_elasticsearch_gone_for_a_while_within_the_bound_lets_the_sync_finish_with_exact_counts(
    sync_factory, proxy, caplog
):
    caplog.set_level(logging.INFO)
    sync = await sync_factory(60.0)
    proxy.reset()  # a dying node: every connection cut
    sync.resume.set()
    # more _bulk attempts fail than the old attempt-based retries allowed (1 + bulk.max_retries),
    # and the watcher's heartbeat / cancel check fail too
    await until(
        lambda: (
            sum("_bulk" in line for line in proxy.refused) >= 6
            and sum(sync.job_id in line for line in proxy.refused) >= 2
        ),
        60,
        what="6 failed _bulk requests and 2 failed job checks",
    )
    await proxy.up()

    assert await asyncio.wait_for(sync.task, 60) is JobStatus.COMPLETED
    job = await sync.job()
    assert job["error"] is None
    assert (job["indexed_document_count"], job["total_document_count"]) == (DOCS, DOCS)
    assert await ids_in(sync.direct, "search-outage") == {f"doc-{i}" for i in range(DOCS)}
    assert logged(caplog, "Elasticsearch does not answer a _bulk request to search-outage")
    assert logged(caplog, "Elasticsearch answers a _bulk request to search-outage again after")
    assert logged(caplog, "Elasticsearch does not answer the job's heartbeat and cancel check")  # not fatal


async def test_elasticsearch_gone_past_the_bound_the_runner_waits_and_writes_the_error_once_it_is_back(
    sync_factory, proxy, caplog
):
    bound = 1.5
    caplog.set_level(logging.INFO)
    sync = await sync_factory(bound)
    proxy.reset()  # every connection cut, each request line recorded
    sync.resume.set()

    await until(lambda: _final_write_warnings(caplog) == 1, what="the final write waiting for Elasticsearch")
    seen = len(proxy.refused)
    assert not sync.task.done()
    assert (await sync.job())["status"] == "in_progress"
    # the runner keeps trying (each attempt reads the job first), but logs that only once
    await until(
        lambda: sum(sync.job_id in line for line in proxy.refused[seen:]) >= 3, 60, what="3 more attempts"
    )
    assert not sync.task.done() and _final_write_warnings(caplog) == 1

    await proxy.up()
    back = asyncio.get_running_loop().time()
    assert await asyncio.wait_for(sync.task, 60) is JobStatus.ERROR
    assert asyncio.get_running_loop().time() - back < 0.5 + SLACK  # one short backoff, then the write
    job = await sync.job()
    assert job["status"] == "error" and job["error"].startswith("Elasticsearch did not answer ")
    assert f"(elasticsearch.outage_timeout is {bound:g}s; last error: ConnectionError" in job["error"]
    assert job["total_document_count"] == sync.runner.counts()["indexed_document_count"] >= PAUSE_AT


async def test_a_service_stop_while_elasticsearch_is_down_ends_the_runner_at_once_leaving_the_job_to_cleanup(
    sync_factory, proxy, caplog
):
    caplog.set_level(logging.INFO)
    sync = await sync_factory(1.0)
    await proxy.refuse()
    sync.resume.set()
    await until(lambda: _final_write_warnings(caplog) == 1, what="the final write waiting for Elasticsearch")

    sync.runner.request_stop(StopReason.SUSPENDED)  # what SIGTERM does to a running job
    assert await asyncio.wait_for(sync.task, 60) is None
    assert logged(caplog, "the job stays in progress until the orphan cleanup")
    await proxy.up()
    assert (await sync.job())["status"] == "in_progress"  # nothing written: the cleanup's to end


def _final_write_warnings(caplog) -> int:
    return sum(
        "does not answer the write of this job's final status" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.slow
async def test_sigterm_ends_the_service_while_a_job_waits_for_elasticsearch(
    es_standin, es_client, proxy, tmp_path
):
    docs_file = tmp_path / "docs.json"
    write_fixture(docs_file, make_docs(40), delay=0.05)  # a listing of about 2 s
    path = write_config(
        tmp_path / "config.yml", proxy.url, ["c1"], bulk={"chunk_size": 5, "retry_interval": 0.05}
    )
    settings = yaml.safe_load(path.read_text())
    settings["elasticsearch"].update(request_timeout=REQUEST_TIMEOUT, outage_timeout=1, retry_interval=0.05)
    path.write_text(yaml.safe_dump(settings))
    service = await ServiceProcess(path, tmp_path / "service.log").start()
    try:
        await create_and_configure(es_client, "c1", docs_file, index="search-outage")
        job_id = (
            await es_client.connector.sync_job_post(id="c1", job_type="full", trigger_method="on_demand")
        )["id"]
        await until(lambda: job_status(es_client, job_id, "in_progress"), what="job running")
        await until(lambda: indexed(es_client, "search-outage"), what="first documents indexed")
        await proxy.refuse()  # Elasticsearch killed, as far as the service can tell
        await until(
            lambda: "does not answer the write of this job's final status error" in service.text,
            what="the final write waiting",
        )
        assert await service.terminate(60) == 0  # SIGTERM ends the process although ES is down
        assert "the job stays in progress until the orphan cleanup" in service.text
        assert (await get_source(es_client, JOBS, job_id))["status"] == "in_progress"  # left to the cleanup
    finally:
        await service.ensure_stopped()
