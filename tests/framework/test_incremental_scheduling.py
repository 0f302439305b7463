"""Scheduling of incremental syncs: full, incremental and access-control crons side by side, the
incremental only for a source that declares it (features kept up to date), and no pile of
incremental jobs behind a long full sync."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from connectors.protocol import JobType
from connectors.services.scheduling import SchedulingService
from tests.framework.fake_source import FakeDataSource, make_docs
from tests.framework.support import CONNECTORS, context, jobs_of

EVERY_SECOND = "* * * * * ?"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def _schedules(es, **intervals):
    es._write(
        CONNECTORS,
        "c1",
        {"scheduling": {kind: {"enabled": True, "interval": value} for kind, value in intervals.items()}},
        merge=True,
    )


def _scheduled(es, job_type):
    return [job for job in jobs_of(es, trigger_method="scheduled") if job[1]["job_type"] == job_type]


async def test_full_and_incremental_each_on_their_own_cron(es, settings, harness, clock):
    await harness.connector(docs=make_docs(1))
    _schedules(es, full="0 0 * * * ?", incremental=EVERY_SECOND)  # hourly / every second
    clock.now = datetime(2026, 5, 1, 12, 30, 0, tzinfo=UTC)
    service = SchedulingService(replace(context(es, settings, harness), clock=clock), asyncio.Event())
    await service.tick()
    assert len(_scheduled(es, "incremental")) == 1 and _scheduled(es, "full") == []
    clock.now = datetime(2026, 5, 1, 13, 0, 0, tzinfo=UTC)  # the hour: both are due
    es.docs[".elastic-connectors-sync-jobs"].clear()  # the first incremental is gone meanwhile
    await service.tick()
    assert len(_scheduled(es, "full")) == 1 and len(_scheduled(es, "incremental")) == 1
    connector = es.source(CONNECTORS, "c1")
    assert connector["last_sync_scheduled_at"] == connector["last_incremental_sync_scheduled_at"]


async def test_an_incremental_due_while_one_waits_is_skipped(es, settings, harness, clock):
    await harness.connector(docs=make_docs(1))
    _schedules(es, incremental=EVERY_SECOND)
    service = SchedulingService(replace(context(es, settings, harness), clock=clock), asyncio.Event())
    await service.tick()
    assert len(_scheduled(es, "incremental")) == 1  # pending (e.g. behind a running full sync)
    for step in range(1, 4):
        clock.now += timedelta(seconds=1)
        await service.tick()
        due = es.source(CONNECTORS, "c1")["last_incremental_sync_scheduled_at"]
        assert due == f"2026-05-01T12:00:0{step}.000Z"  # recorded: no backlog replayed later
    assert len(_scheduled(es, "incremental")) == 1  # not four
    ((job_id, _),) = _scheduled(es, "incremental")
    es._write(".elastic-connectors-sync-jobs", job_id, {"status": "completed"}, merge=True)
    clock.now += timedelta(seconds=1)
    await service.tick()
    assert len(_scheduled(es, "incremental")) == 2  # the next one once it finished


async def test_features_follow_the_source_and_decide_the_incremental_schedule(
    es, settings, harness, clock, monkeypatch
):
    await harness.connector(docs=make_docs(1))
    # written when the source did not declare incremental sync yet
    es._write(
        CONNECTORS, "c1", {"features": {"incremental_sync": {"enabled": False}, "x_kibana": 1}}, merge=True
    )
    _schedules(es, incremental=EVERY_SECOND)
    service = SchedulingService(replace(context(es, settings, harness), clock=clock), asyncio.Event())
    await service.tick()
    features = es.source(CONNECTORS, "c1")["features"]
    assert features["incremental_sync"] == {"enabled": True} and features["x_kibana"] == 1
    assert len(_scheduled(es, "incremental")) == 1
    # and back: a source without incremental sync gets no incremental job, whatever the schedule
    monkeypatch.setattr(FakeDataSource, "incremental_sync_enabled", False)
    es.docs[".elastic-connectors-sync-jobs"].clear()
    clock.now += timedelta(seconds=1)
    await service.tick()
    assert es.source(CONNECTORS, "c1")["features"]["incremental_sync"] == {"enabled": False}
    assert _scheduled(es, "incremental") == []
    assert JobType.INCREMENTAL not in service._schedulable(await harness.connectors.get("c1"), FakeDataSource)
