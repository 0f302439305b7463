"""Measure how long a sync takes to give up on a frozen Elasticsearch, and to mark its job.

Not a test (no assertions, not collected): the figures of issue 11 defect 1 with the default
settings scaled down by ``--scale`` (every duration divided by it), so that an hour-long worst
case runs in a minute or two::

    .venv/bin/python -m tests.framework.measure_outage --scale 60 [--old-defaults] [--thaw-after 0]
    .venv/bin/python -m tests.framework.measure_outage --scale 10 --kill-for 20 [--old-defaults]

``--old-defaults`` uses the defaults before the fix (request_timeout 120, max_retries 5,
retry_on_timeout, bulk.max_retries 3, bulk.retry_interval 2), to run against the old code;
otherwise the current defaults (request_timeout 60, outage_timeout 180, retry_interval 1). The
Elasticsearch stand-in is frozen (loopback proxy, like ``kill -STOP``) once the first documents
are indexed, and thawed ``--thaw-after`` (scaled) seconds after the runner gave up. Prints
seconds from the freeze, both scaled and multiplied back to real defaults. With ``--kill-for``
the port is closed instead (a killed node) for that many (scaled) seconds, then opened again,
and the job's outcome is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from elasticsearch import AsyncElasticsearch

from fixtures.elasticsearch import EsStandin
from tests.framework.e2e_support import JOBS, get_source
from tests.framework.outage_proxy import OutageProxy
from tests.framework.test_es_outage import Sync

NEW = {"request_timeout": 60, "outage_timeout": 180, "retry_interval": 1, "max_retries": 0}
OLD = {"request_timeout": 120, "max_retries": 5, "retry_on_timeout": True, "retry_interval": 10}
OLD_BULK = {"max_retries": 3, "retry_interval": 2}


class Marks(logging.Handler):
    def __init__(self):
        super().__init__()
        self.at: dict[str, float] = {}
        self.failed = asyncio.Event()

    def emit(self, record):
        message = record.getMessage()
        for key in ("sync failed", "sync ended"):
            if message.startswith(key):
                self.at.setdefault(key, asyncio.get_running_loop().time())
        if "sync failed" in self.at or "sync ended" in self.at:
            self.failed.set()


async def measure(scale: float, old: bool, thaw_after: float) -> None:
    base = OLD if old else NEW
    es_settings = {
        k: (v / scale if isinstance(v, int | float) and not isinstance(v, bool) else v)
        for k, v in base.items()
    }
    es_settings["max_retries"] = base["max_retries"]
    bulk = {"chunk_size": 5, "max_retries": 3, "retry_interval": 2 / scale}
    marks = Marks()
    logging.getLogger("connectors").addHandler(marks)
    logging.getLogger("connectors").setLevel(logging.INFO)
    async with EsStandin(port=0) as es, OutageProxy(es.host, es.port) as proxy:
        direct = AsyncElasticsearch(es.url, request_timeout=30)
        sync = Sync(direct, proxy, es_settings.pop("outage_timeout", 0), **es_settings, bulk=bulk)
        await sync.start()
        loop = asyncio.get_running_loop()
        proxy.freeze()
        frozen_at = loop.time()
        sync.resume.set()
        await marks.failed.wait()
        gave_up = marks.at.get("sync failed", loop.time()) - frozen_at
        await asyncio.wait({sync.task}, timeout=thaw_after)  # the outage goes on this long
        proxy.thaw()
        thawed = loop.time() - frozen_at
        marked = None
        while loop.time() - frozen_at < gave_up + thaw_after + 600 / scale + 30:
            status = (await get_source(direct, JOBS, sync.job_id)).get("status")
            if status != "in_progress":
                marked = loop.time() - frozen_at
                break
            if sync.task.done():
                break
            await asyncio.sleep(0.05)
        ended = marks.at.get("sync ended", loop.time()) - frozen_at
        status = (await get_source(direct, JOBS, sync.job_id)).get("status")
        await sync.close()
        await direct.close()

    def both(seconds):
        return (
            "never" if seconds is None else f"{seconds:.1f}s scaled = {seconds * scale:.0f}s at the defaults"
        )

    print(f"{'old' if old else 'new'} defaults / {scale:g}: {es_settings} bulk={bulk}")
    print(f"  freeze -> sync gives up: {both(gave_up)}")
    print(f"  freeze -> Elasticsearch thawed: {both(thawed)}")
    print(f"  freeze -> runner's 'sync ended' line: {both(ended)}")
    print(f"  freeze -> job marked by the runner: {both(marked)} (status now {status})")


async def kill_for(scale: float, old: bool, seconds: float) -> None:
    base = OLD if old else NEW
    es_settings = {k: (v / scale if type(v) in (int, float) else v) for k, v in base.items()}
    es_settings["max_retries"] = base["max_retries"]
    bulk = {"chunk_size": 5, "max_retries": 3, "retry_interval": 2 / scale}
    async with EsStandin(port=0) as es, OutageProxy(es.host, es.port) as proxy:
        direct = AsyncElasticsearch(es.url, request_timeout=30)
        sync = Sync(direct, proxy, es_settings.pop("outage_timeout", 0), **es_settings, bulk=bulk)
        await sync.start()
        loop = asyncio.get_running_loop()
        await proxy.refuse()
        killed_at = loop.time()
        sync.resume.set()
        await asyncio.wait({sync.task}, timeout=seconds)  # the node stays down this long
        await proxy.up()
        back = loop.time() - killed_at
        await asyncio.wait({sync.task}, timeout=600 / scale + 30)
        ended = loop.time() - killed_at
        job = await get_source(direct, JOBS, sync.job_id)
        await sync.close()
        await direct.close()
    print(
        f"{'old' if old else 'new'} defaults / {scale:g}, Elasticsearch killed for {seconds * scale:g}s at the defaults"
    )
    print(f"  back after {back * scale:.0f}s; runner ended after {ended * scale:.0f}s (at the defaults)")
    print(
        f"  job: {job['status']}, indexed {job.get('indexed_document_count')}, total "
        f"{job.get('total_document_count')} of 30, error {job.get('error')!r}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=60)
    parser.add_argument("--old-defaults", action="store_true")
    parser.add_argument(
        "--thaw-after", type=float, default=0.0, help="seconds (at the defaults) after giving up"
    )
    parser.add_argument("--kill-for", type=float, help="seconds (at the defaults) the port stays closed")
    args = parser.parse_args()
    if args.kill_for is not None:
        asyncio.run(kill_for(args.scale, args.old_defaults, args.kill_for / args.scale))
    else:
        asyncio.run(measure(args.scale, args.old_defaults, args.thaw_after / args.scale))


if __name__ == "__main__":
    main()
