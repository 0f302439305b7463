"""Fixtures: the Connector API routes on a loopback aiohttp server, and the official client.

``connector_app`` serves only the Connector API routes over a private store, so these unit tests
exercise this layer alone; the conformance suite runs the same APIs inside the full stand-in.
"""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from elasticsearch import AsyncElasticsearch

from fixtures.elasticsearch.connector_api import setup_routes


async def _info(request: web.Request) -> web.Response:
    body = {"name": "connector-api-test", "version": {"number": "9.1.0"}, "tagline": "You Know, for Search"}
    return web.json_response(body, headers={"X-Elastic-Product": "Elasticsearch"})


@pytest.fixture
async def connector_app():
    app = web.Application()
    api = setup_routes(app.router, None)
    app.router.add_get("/", _info)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield server, api
    finally:
        await server.close()


@pytest.fixture
async def es(connector_app):
    server, _ = connector_app
    client = AsyncElasticsearch(str(server.make_url("/")), max_retries=0, request_timeout=10)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def api(connector_app):
    return connector_app[1]
