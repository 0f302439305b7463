"""Elasticsearch's YAML REST tests against the stand-in, one pytest test per YAML test.

Each test runs against its own fresh in-process stand-in. How a test counts is decided by the
checked-in lists (see ``lists.py``); gates written in the YAML itself (version, runner features,
stack/serverless) skip with the reason written there.
"""

from __future__ import annotations

import os

import pytest

from .executor import RunnerClient
from .lists import load
from .runner import Deployment, GateSkip, check_capabilities, check_static_gates, parse_version, run_test
from .yaml_suite import discover

pytestmark = pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.GeneralAvailabilityWarning")
TESTS = discover()
LISTS = load()
RECORDING = bool(os.environ.get("CONFORMANCE_RECORD"))
# The stand-in is a stack deployment; CONFORMANCE_DEPLOYMENT=serverless runs the serverless files instead.
SERVERLESS = os.environ.get("CONFORMANCE_DEPLOYMENT", "stack") == "serverless"
_deployment: dict[str, Deployment] = {}


def _standin():
    from fixtures.elasticsearch import EsStandin

    return EsStandin()


async def _deployment_of(client) -> Deployment:
    if "d" not in _deployment:
        info = await client.info()
        _deployment["d"] = Deployment(
            version=parse_version(info.body["version"]["number"]), serverless=SERVERLESS
        )
    return _deployment["d"]


@pytest.mark.parametrize("yaml_test", TESTS, ids=[t.id for t in TESTS])
async def test_yaml(yaml_test, request):
    test_id = yaml_test.id
    if test_id in LISTS.skip:
        pytest.skip(f"out of scope: {LISTS.skip[test_id]}")
    async with _standin() as server:
        async with RunnerClient(server.url, request_timeout=30, max_retries=0) as client:
            deployment = await _deployment_of(client)
            try:
                capabilities = check_static_gates(yaml_test, deployment)
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
