"""Benchmark of the bulk sink (not collected by pytest).

    .venv/bin/python -m tests.framework_core.bench_sink [--docs 20000] [--body-kb 4]

Two runs through the in-process Elasticsearch stand-in: a first full sync of N documents, then
a second full sync where 90 % are unchanged (skipped) and 10 % changed, plus the peak Python
memory of each (tracemalloc), to show that memory stays bounded by the queue settings and the
existing-id map, not by the volume of content.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tracemalloc

from elasticsearch import AsyncElasticsearch

from connectors.es.mappings import ensure_content_index
from connectors.es.sink import ContentSink
from fixtures.elasticsearch import EsStandin


async def sync(client, index, n, body, changed_every=None):
    sink = ContentSink(
        client, index, chunk_size=500, queue_max_size=1024, queue_max_mem_mb=25, flush_interval=0.05
    )
    tracemalloc.reset_peak()
    start = time.perf_counter()
    await sink.start(full=True)
    for i in range(n):
        ts = "2024-01-01T00:00:00.000Z"
        if changed_every and i % changed_every == 0:
            ts = "2024-02-01T00:00:00.000Z"
        await sink.put({"_id": f"page-{i}", "_timestamp": ts, "title": f"Page {i}", "body": body}, None)
    stats = await sink.finish(delete_stale=True)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    return stats, elapsed, peak


async def main(docs: int, body_kb: int) -> None:
    body = "lorem ipsum " * (body_kb * 1024 // 12)
    tracemalloc.start()
    async with EsStandin(port=0) as standin:
        client = AsyncElasticsearch(standin.url, request_timeout=120)
        try:
            await ensure_content_index(client, "search-bench")
            for label, changed in (("first full sync", None), ("second full sync (10% changed)", 10)):
                stats, elapsed, peak = await sync(client, "search-bench", docs, body, changed)
                print(
                    f"{label}: {docs} docs in {elapsed:.1f}s = {docs / elapsed:.0f} docs/s; "
                    f"indexed {stats.indexed_document_count}, skipped {stats.skipped}, "
                    f"{stats.indexed_document_volume / 2**20:.1f} MiB sent; peak Python memory "
                    f"{peak / 2**20:.0f} MiB (includes the stand-in)"
                )
        finally:
            await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--body-kb", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.docs, args.body_kb))
