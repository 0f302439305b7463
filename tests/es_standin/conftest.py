"""Helpers for the stand-in tests: a raw aiohttp session next to the official client."""

import aiohttp
import pytest


@pytest.fixture
async def http(es_standin):
    """A plain HTTP session bound to the stand-in (for malformed requests the client refuses to send)."""
    async with aiohttp.ClientSession(base_url=es_standin.url) as session:
        yield session
