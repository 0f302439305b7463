"""Helpers shared by the in-process framework tests (fake ES): waiting, contexts, long jobs.

Every wait polls a condition with a generous deadline: on a fast machine a test takes as long as
the work, on a loaded CI box it waits longer instead of failing.
"""

from __future__ import annotations

import asyncio

from connectors.registry import SourceRegistry
from connectors.services.base import ServiceContext
from tests.framework import fake_source
from tests.framework.fake_es import fake_plumbing
from tests.framework.fake_source import make_docs

CONNECTORS = ".elastic-connectors"
JOBS = ".elastic-connectors-sync-jobs"
FAKE_SOURCES = {"fake": "tests.framework.fake_source:FakeDataSource"}
DEADLINE = 60.0  # seconds: bounds a hang only; waits end as soon as their condition holds

EXCLUDE_X_RULES = [
    {"id": "r1", "policy": "exclude", "field": "title", "rule": "contains", "value": "x", "order": 0},
    {"id": "DEFAULT", "policy": "include", "field": "_", "rule": "regex", "value": ".*", "order": 1},
]


async def wait_until(predicate, deadline: float = DEADLINE, step: float = 0.01):
    """Poll ``predicate`` (sync or async) until truthy; fail at the deadline."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while loop.time() < end:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(step)
    raise AssertionError("condition not met before the deadline")


def context(es, settings, harness, ids=("c1",)) -> ServiceContext:
    return ServiceContext(
        client=es,
        connectors=harness.connectors,
        jobs=harness.jobs,
        registry=SourceRegistry(FAKE_SOURCES),
        settings=settings,
        configured={i: "fake" for i in ids},
        plumbing=fake_plumbing(),
    )


def jobs_of(es, **criteria) -> list[tuple[str, dict]]:
    return [
        (job_id, entry["_source"])
        for job_id, entry in es.docs.get(JOBS, {}).items()
        if all(entry["_source"].get(k) == v for k, v in criteria.items())
    ]


def edit_draft(es, rules, connector_id="c1") -> None:
    """Write draft rules as a user does in Kibana: the draft's validation becomes ``edited``."""
    filtering = es.source(CONNECTORS, connector_id)["filtering"]
    filtering[0]["draft"]["rules"] = rules
    filtering[0]["draft"]["validation"] = {"state": "edited", "errors": []}


async def start_long_job(harness, seen: int = 3):
    """A job of 1,000 documents at 0.1 s each (100 s: longer than any deadline here), running,
    once it has seen ``seen`` documents. Returns (job, runner, task)."""
    await harness.connector(docs=make_docs(1000))
    fake_source.MEMORY["c1"]["delay"] = 0.1
    job = await harness.job()
    runner = harness.runner(job)
    task = asyncio.create_task(runner.run())
    await wait_until(lambda: runner.progress.seen >= seen)
    return job, runner, task


def content_executor(ctx: ServiceContext, stop: asyncio.Event, max_concurrency: int = 1, name="content"):
    """An execution service with one pool, for full syncs."""
    from connectors.protocol import JobType
    from connectors.services.execution import JobExecutionService
    from connectors.services.job_pool import JobPool

    return JobExecutionService(ctx, stop, [JobPool(name, (JobType.FULL,), max_concurrency)])
