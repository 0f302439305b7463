"""pytest fixtures for the mock Confluence server (``fixtures.confluence``).

* ``confluence_cloud`` — a started :class:`ConfluenceMock` (Cloud flavour, small data, seed 1);
* ``confluence_dc`` — the same for Data Center;
* ``confluence_factory`` — ``await confluence_factory(flavor=..., rate_limit=..., ...)`` for
  other settings; every mock it starts is stopped at the end of the test.

The small site is generated in well under a second, so each test gets a fresh one (tests may
mutate it freely). Authenticate with ``mock.auth_headers("admin" | "alice" | "bob")``.
"""

from __future__ import annotations

import pytest

from fixtures.confluence import ConfluenceMock


@pytest.fixture
async def confluence_factory():
    started: list[ConfluenceMock] = []

    async def start(**kwargs) -> ConfluenceMock:
        kwargs.setdefault("data_size", "small")
        kwargs.setdefault("seed", 1)
        mock = ConfluenceMock(**kwargs)
        await mock.start()
        started.append(mock)
        return mock

    yield start
    for mock in started:
        await mock.stop()


@pytest.fixture
async def confluence_cloud(confluence_factory) -> ConfluenceMock:
    return await confluence_factory(flavor="cloud")


@pytest.fixture
async def confluence_dc(confluence_factory) -> ConfluenceMock:
    return await confluence_factory(flavor="datacenter")
