"""Fixtures for the UI's route tests: the Elasticsearch stand-in, the UI app and a signed-in client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from elasticsearch import AsyncElasticsearch

from connectors.sources.confluence.config import default_configuration
from connectors.ui import create_app

SECRET = "s3cr3t-Api-T0ken-never-shown"
CSRF_INPUT = re.compile(r'name="_csrf" value="([^"]+)"')
SOURCES = {"confluence": "connectors.sources.confluence:ConfluenceDataSource"}


def pytest_collection_modifyitems(items):
    # The client marks the Connector APIs as beta; these tests use them on purpose.
    for item in items:
        if "tests/ui/" in str(item.path):
            item.add_marker(
                pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.GeneralAvailabilityWarning")
            )


def _standin_class():
    try:
        from fixtures.elasticsearch import EsStandin
    except ImportError as exc:  # pragma: no cover - only while the stand-in is being built
        pytest.skip(f"the Elasticsearch stand-in is not available yet: {exc}")
    return EsStandin


@pytest.fixture
async def standin() -> AsyncIterator:
    async with _standin_class()(port=0) as es:
        yield es


@pytest.fixture
async def admin(standin) -> AsyncIterator[AsyncElasticsearch]:
    client = AsyncElasticsearch(standin.url)
    yield client
    await client.close()


class UiClient:
    """An aiohttp test client that remembers every body it received (to look for secrets)."""

    def __init__(self, client: TestClient):
        self.client = client
        self.bodies: list[str] = []
        self.csrf = ""

    async def request(self, method: str, path: str, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        response = await self.client.request(method, path, **kwargs)
        text = await response.text()
        self.bodies.append(text)
        match = CSRF_INPUT.search(text)
        if match:
            self.csrf = match.group(1)
        response.body_text = text
        return response

    async def get(self, path: str, **kwargs):
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, data=None, csrf: bool = True, **kwargs):
        data = list((data or {}).items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            data.append(("_csrf", self.csrf))
        return await self.request("POST", path, data=data, **kwargs)

    async def follow(self, response):
        """GET the Location of a redirect."""
        assert response.status in (302, 303), response.body_text[:500]  # a helper: either redirect is one GET
        return await self.get(response.headers["Location"])

    async def sign_in(self, username: str = "", password: str = "", api_key: str = ""):
        await self.get("/login")
        return await self.post("/login", {"username": username, "password": password, "api_key": api_key})


def make_ui(es_url: str, **options) -> TestClient:
    """A test client of the UI; ``options`` go to ``create_app`` (e.g. a fixed ``clock``)."""
    app = create_app({"elasticsearch": {"host": es_url}, "sources": SOURCES}, **options)
    return TestClient(TestServer(app))


@pytest.fixture
async def anonymous(standin) -> AsyncIterator[UiClient]:
    async with make_ui(standin.url) as client:
        yield UiClient(client)


@pytest.fixture
async def ui(anonymous) -> UiClient:
    response = await anonymous.sign_in()
    assert response.status == 303, response.body_text[:500]
    await anonymous.get("/connectors")
    return anonymous


def confluence_configuration(**values) -> dict:
    configuration = default_configuration()
    for key, value in values.items():
        configuration[key]["value"] = value
    return configuration


async def seed_connector(
    admin: AsyncElasticsearch,
    connector_id: str = "conf-1",
    name: str = "Team wiki",
    index_name: str = "search-wiki",
    configuration: dict | None = None,
    status: str | None = None,
) -> str:
    """A connector as a connector service leaves it after registering (schema written)."""
    await admin.connector.put(
        connector_id=connector_id, name=name, index_name=index_name, service_type="confluence"
    )
    if configuration is not None:
        await admin.connector.update_configuration(connector_id=connector_id, configuration=configuration)
    if status:
        await admin.connector.update_status(connector_id=connector_id, status=status)
    return connector_id
