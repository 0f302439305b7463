"""Fixtures: the official client against the full stand-in (``es_client`` from tests/plugins).

The Connector APIs are exercised exactly as the connector service, the UI and Elastic's own
clients use them: over HTTP, through ``client.connector.*``.
"""

from __future__ import annotations

import aiohttp
import pytest


@pytest.fixture
def es(es_client):
    return es_client


@pytest.fixture
async def http(es_standin):
    """A plain HTTP session bound to the stand-in (for bodies the official client refuses to send)."""
    async with aiohttp.ClientSession(base_url=es_standin.url) as session:
        yield session
