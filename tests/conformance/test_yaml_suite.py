"""Elasticsearch's YAML REST tests against the stand-in, one pytest test per YAML test.

Every test starts from an empty stand-in: one in-process server serves the whole module and its
store is replaced by a fresh, empty one before each test (as Elasticsearch's own runner wipes the
cluster between tests), which avoids paying a server start per test.
``CONFORMANCE_FRESH_SERVER=1`` starts a brand-new server for every test instead.

How a test counts is decided by the checked-in lists (see ``lists.py``); gates written in the
YAML itself (version, runner features, stack/serverless) skip with the reason written there.
"""

from __future__ import annotations

import contextlib
import os

import pytest
import pytest_asyncio

from fixtures.elasticsearch import EsStandin, Store

from .executor import RunnerClient
from .lists import load
from .runner import Deployment, GateSkip, check_capabilities, check_static_gates, parse_version, run_test
from .yaml_suite import discover

pytestmark = [
    pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.GeneralAvailabilityWarning"),
    # YAML tests mix body and query parameters on purpose; the client warns about that style.
    pytest.mark.filterwarnings("ignore:Received '.*' via a specific parameter:DeprecationWarning"),
    pytest.mark.asyncio(loop_scope="module"),
]
TESTS = discover()
LISTS = load()
RECORDING = bool(os.environ.get("CONFORMANCE_RECORD"))
FRESH_SERVER = os.environ.get("CONFORMANCE_FRESH_SERVER") == "1"
# The stand-in is a stack deployment; CONFORMANCE_DEPLOYMENT=serverless runs the serverless files instead.
SERVERLESS = os.environ.get("CONFORMANCE_DEPLOYMENT", "stack") == "serverless"


def reset_store(store: Store) -> None:
    """Make ``store`` empty again, in place (the server's handlers keep their reference to it)."""
    reset = getattr(store, "reset", None)
    if callable(reset):
        reset()
        return
    fresh = Store()
    store.__dict__.clear()
    store.__dict__.update(fresh.__dict__)


class Server:
    """The stand-in and a client for it, shared by the module's tests."""

    def __init__(self) -> None:
        self.standin: EsStandin | None = None
        self.client: RunnerClient | None = None
        self.deployment: Deployment | None = None

    async def start(self) -> None:
        self.standin = EsStandin()
        await self.standin.start()
        self.client = RunnerClient(self.standin.url, request_timeout=30, max_retries=0)
        info = await self.client.info()
        self.deployment = Deployment(
            version=parse_version(info.body["version"]["number"]), serverless=SERVERLESS
        )

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.standin is not None:
            await self.standin.stop()
        self.standin = self.client = None

    @contextlib.asynccontextmanager
    async def for_test(self):
        if FRESH_SERVER:
            await self.stop()
            await self.start()
        else:
            reset_store(self.standin.store)
        yield self.client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    shared = Server()
    await shared.start()
    try:
        yield shared
    finally:
        await shared.stop()


@pytest.mark.parametrize("yaml_test", TESTS, ids=[t.id for t in TESTS])
async def test_yaml(yaml_test, server, request):
    test_id = yaml_test.id
    if test_id in LISTS.skip:
        pytest.skip(f"out of scope: {LISTS.skip[test_id]}")
    async with server.for_test() as client:
        try:
            capabilities = check_static_gates(yaml_test, server.deployment)
            await check_capabilities(client, capabilities)
        except GateSkip as exc:
            pytest.skip(str(exc))
        if not RECORDING and test_id not in LISTS.expected_pass:
            reason = LISTS.xfail.get(test_id)
            if reason is None:
                pytest.fail(
                    f"{test_id} is on neither tests/conformance/expected_pass.txt nor skips.yml; "
                    "run `.venv/bin/python -m tests.conformance.refresh_lists` or list it by hand"
                )
            request.applymarker(pytest.mark.xfail(reason=reason, strict=False))
        await run_test(client, yaml_test)
