"""pytest fixtures for the Elasticsearch stand-in.

* ``es_standin`` — a started :class:`fixtures.elasticsearch.EsStandin` on a free loopback port
  (in memory), stopped after the test;
* ``es_client`` — an ``elasticsearch.AsyncElasticsearch`` pointed at it, closed after the test.
"""

from __future__ import annotations

import pytest
from elasticsearch import AsyncElasticsearch

from fixtures.elasticsearch import EsStandin


@pytest.fixture
async def es_standin():
    async with EsStandin(port=0) as es:
        yield es


@pytest.fixture
async def es_client(es_standin):
    client = AsyncElasticsearch(es_standin.url, request_timeout=30)
    try:
        yield client
    finally:
        await client.close()
