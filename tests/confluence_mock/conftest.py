"""Fixtures of the mock Confluence tests: an aiohttp session and callers per identity."""

from __future__ import annotations

import aiohttp
import pytest

from tests.confluence_mock.helpers import Api


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def cloud_admin(http, confluence_cloud) -> Api:
    return Api(http, confluence_cloud, confluence_cloud.auth_headers("admin"))


@pytest.fixture
def dc_admin(http, confluence_dc) -> Api:
    return Api(http, confluence_dc, confluence_dc.auth_headers("admin"))
