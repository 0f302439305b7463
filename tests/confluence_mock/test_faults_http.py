"""Scripted and random faults, rate limiting and latency, over HTTP."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from fixtures.confluence.faults import RateLimiter
from tests.confluence_mock.helpers import Api


async def add_faults(http, mock, rules):
    async with http.post(mock.url + "/__admin/faults", json={"rules": rules}) as resp:
        return resp.status, await resp.json()


async def raw_get(mock, path: str, headers: dict) -> bytes:
    """One request on its own connection, read to EOF (no client retries hide a reset)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", mock.port)
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{mock.port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    try:
        return await reader.read()
    finally:
        writer.close()


async def test_scripted_status_fault_counts_down(http, confluence_cloud, cloud_admin):
    status, body = await add_faults(http, confluence_cloud,
                                    [{"path": "^/wiki/api/v2/pages$", "status": 503, "count": 2, "retry_after": 7}])  # fmt: skip
    assert status == 200 and body["pending"][0]["remaining"] == 2
    assert (await cloud_admin.get("/wiki/api/v2/spaces"))[0] == 200, "other paths are unaffected"
    for _ in range(2):
        status, body, headers = await cloud_admin.get("/wiki/api/v2/pages")
        assert status == 503 and headers["Retry-After"] == "7"
        assert body["errors"][0]["status"] == 503
    assert (await cloud_admin.get("/wiki/api/v2/pages"))[0] == 200
    status, body, _ = await Api(http, confluence_cloud).get("/__admin/faults")
    assert body == {"pending": []}


async def test_scripted_fault_in_v1_dialect_and_method_filter(http, confluence_dc, dc_admin):
    await add_faults(http, confluence_dc, [{"path": "/rest/api/space", "status": 500, "method": "POST"},
                                           {"path": "/rest/api/space", "status": 504}])  # fmt: skip
    status, body, _ = await dc_admin.get("/rest/api/space")
    assert status == 504 and body["statusCode"] == 504 and body["reason"] == "Gateway Timeout"
    async with http.delete(confluence_dc.url + "/__admin/faults") as resp:
        assert (await resp.json()) == {"pending": []}
    assert (await dc_admin.get("/rest/api/space"))[0] == 200


async def test_connection_reset_fault(http, confluence_cloud):
    await add_faults(http, confluence_cloud, [{"path": "/wiki/api/v2/spaces", "fault": "reset"}])
    headers = confluence_cloud.auth_headers()
    try:
        data = await raw_get(confluence_cloud, "/wiki/api/v2/spaces", headers)
    except ConnectionResetError:
        data = b""
    assert data == b"", "no response at all, just a dropped connection"
    ok = await raw_get(confluence_cloud, "/wiki/api/v2/spaces", headers)
    assert ok.startswith(b"HTTP/1.1 200")


async def test_truncated_body_fault(http, confluence_cloud, cloud_admin):
    await add_faults(http, confluence_cloud, [{"path": "/wiki/api/v2/pages", "fault": "truncate"}])
    with pytest.raises(aiohttp.ClientPayloadError):
        await cloud_admin.get("/wiki/api/v2/pages", {"limit": 100})
    assert (await cloud_admin.get("/wiki/api/v2/pages"))[0] == 200


async def test_bad_fault_rules_are_rejected(http, confluence_cloud):
    status, body = await add_faults(http, confluence_cloud, [{"path": "/x", "status": 700}])
    assert status == 400 and body["error"].startswith("rules[0].status")


async def _outcomes(mock, n: int) -> list:
    connector = aiohttp.TCPConnector(force_close=True)
    out = []
    async with aiohttp.ClientSession(connector=connector, headers=mock.auth_headers()) as session:
        for _ in range(n):
            try:
                async with session.get(mock.url + "/wiki/api/v2/spaces") as resp:
                    await resp.read()
                    out.append(resp.status)
            except aiohttp.ClientPayloadError:
                out.append("truncated")
            except aiohttp.ClientConnectionError:
                out.append("reset")
    return out


async def test_random_faults_are_deterministic_from_the_seed(confluence_factory):
    first = await confluence_factory(flavor="cloud", fault_rate=0.4, seed=5)
    second = await confluence_factory(flavor="cloud", fault_rate=0.4, seed=5)
    a, b = await _outcomes(first, 40), await _outcomes(second, 40)
    assert a == b
    assert 200 in a and len({x for x in a if x != 200}) >= 2
    assert set(a) <= {200, 500, 502, 503, 504, "reset", "truncated"}


async def test_rate_limit_answers_429_with_retry_after_per_user(http, confluence_factory):
    mock = await confluence_factory(flavor="cloud", rate_limit=0.01)
    limiter = mock.state.limiter
    assert (limiter.rate, limiter.burst) == (0.01, 1.0)
    # the same bucket on a frozen clock, so the advertised wait is exact however slow the machine
    mock.state.limiter = RateLimiter(limiter.rate, limiter.burst, clock=lambda: 1000.0)
    admin = Api(http, mock, mock.auth_headers("admin"))
    alice = Api(http, mock, mock.auth_headers("alice"))
    status, _, headers = await admin.get("/wiki/api/v2/spaces")
    assert status == 200 and headers["X-RateLimit-Limit"] == "1"
    status, body, headers = await admin.get("/wiki/api/v2/spaces")
    assert status == 429
    assert headers["Retry-After"] == "100"  # whole seconds until a token is back at 0.01/s
    assert headers["X-RateLimit-Remaining"] == "0"
    assert body["errors"][0]["status"] == 429
    status, body, _ = await admin.get("/wiki/rest/api/space")
    assert status == 429 and body["statusCode"] == 429
    assert (await alice.get("/wiki/api/v2/spaces"))[0] == 200, "buckets are per user"
    async with http.get(mock.url + "/__admin/stats") as resp:
        assert (await resp.json())["statuses"]["429"] == 2


async def test_latency_is_added(http, confluence_factory):
    mock = await confluence_factory(flavor="datacenter", latency_ms=60)
    api = Api(http, mock, mock.auth_headers())
    started = time.monotonic()
    assert (await api.get("/rest/api/space"))[0] == 200
    assert time.monotonic() - started >= 0.06
