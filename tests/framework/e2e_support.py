"""Helpers of the end-to-end tests: service subprocesses, config files, polling with deadlines.

Every wait is a poll on a condition with a generous deadline (:data:`WAIT`): on a fast machine a
test takes as long as the work, on a loaded one it waits longer instead of failing. Thresholds
that *cause* behaviour (the orphaned-job threshold) are kept well above a slow machine's stalls.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WAIT = 120.0  # seconds: the default deadline of every wait
CONNECTORS = ".elastic-connectors"
JOBS = ".elastic-connectors-sync-jobs"


def write_config(path: Path, es_url: str, connector_ids, bulk: dict | None = None, **service) -> Path:
    """A service config for the stand-in at ``es_url``; ``bulk`` is ``elasticsearch.bulk``."""
    config = {
        "elasticsearch": {"host": es_url, "request_timeout": 30, "max_retries": 2, "retry_interval": 0.2},
        "service": {
            "idling": 0.2,
            "heartbeat": 0.2,
            "job_cleanup_interval": 0.3,
            "job_idle_threshold": 30,  # no false orphan when a loaded machine stalls
            "progress_interval": 1,
            "log_level": "INFO",
            **service,
        },
        "connectors": [{"connector_id": cid, "service_type": "fake"} for cid in connector_ids],
        "sources": {
            "fake": "tests.framework.fake_source:FakeDataSource",
            "confluence": "tests.framework.fake_source:FakeDataSource",
        },
    }
    if bulk:
        config["elasticsearch"]["bulk"] = bulk
    path.write_text(yaml.safe_dump(config))
    return path


class ServiceProcess:
    """``python -m connectors run -c CONFIG`` as a subprocess; stderr goes to a log file."""

    def __init__(self, config: Path, log: Path):
        self.config = config
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> ServiceProcess:
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        self._log_handle = self.log.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "connectors",
            "run",
            "-c",
            str(self.config),
            cwd=str(REPO),
            env=env,
            stdout=self._log_handle,
            stderr=self._log_handle,
        )
        return self

    @property
    def text(self) -> str:
        return self.log.read_text(errors="replace")

    async def terminate(self, deadline: float = WAIT) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), deadline)
        self._log_handle.close()
        return code

    async def kill9(self) -> None:
        self.proc.kill()
        await self.proc.wait()
        self._log_handle.close()

    async def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if not self._log_handle.closed:
            self._log_handle.close()


async def until(check, deadline: float = WAIT, step: float = 0.1, what: str = "condition"):
    """Poll ``check`` (sync or async) until it returns a truthy value, or fail at the deadline."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    last = None
    while True:
        try:
            last = check()
            if asyncio.iscoroutine(last):
                last = await last
        except Exception as exc:  # not there yet (e.g. 404)
            last = exc
        else:
            if last:
                return last
        if loop.time() >= end:
            raise AssertionError(f"{what} not reached within {deadline}s (last: {last!r})")
        await asyncio.sleep(step)


async def get_source(client, index, doc_id) -> dict:
    return (await client.get(index=index, id=doc_id))["_source"]


async def job_status(client, job_id, *statuses):
    source = await get_source(client, JOBS, job_id)
    return source if source.get("status") in statuses else None


async def all_ended(client, job_ids) -> bool:
    """Every job of ``job_ids`` has ended (completed or error): a condition for :func:`until`."""
    for job_id in job_ids:
        if not await job_status(client, job_id, "completed", "error"):
            return False
    return True


async def ids_in(client, index) -> set[str]:
    await client.indices.refresh(index=index)
    resp = await client.search(index=index, size=10000, source=False, query={"match_all": {}})
    return {hit["_id"] for hit in resp["hits"]["hits"]}


async def connector_when(client, connector_id, deadline=WAIT, **expected):
    """The connector document once every ``field=value`` in ``expected`` holds (the runner writes
    the connector's last-sync fields just after the job's terminal state)."""

    async def check():
        source = await get_source(client, CONNECTORS, connector_id)
        return source if all(source.get(k) == v for k, v in expected.items()) else None

    return await until(check, deadline, what=f"connector {connector_id} with {expected}")
