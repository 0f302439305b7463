"""ConfluenceClient: auth headers, retries and backoff, 429 gate, errors, concurrency, TLS, paging."""

from __future__ import annotations

import asyncio
import base64

import pytest

from connectors.sources.confluence.auth import BasicAuth, BearerAuth
from connectors.sources.confluence.client import (
    AttachmentTooLarge,
    Backoff,
    ConfluenceAuthError,
    ConfluenceBadRequest,
    ConfluenceClient,
    ConfluenceError,
    ConfluenceForbidden,
    ConfluenceHTTPError,
    ConfluenceNotFound,
    ConfluenceUnreachable,
    RateGate,
    build_ssl_context,
    error_detail,
    parse_retry_after,
)
from connectors.sources.confluence.paging import v1_items, v2_items

from .fake import RESET, FakeConfluence, Reply, error

CallbackResult = Reply


@pytest.fixture
async def fake():
    async with FakeConfluence() as server:
        yield server


async def wait_until(condition, deadline: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not condition():
        assert loop.time() < end, "condition not reached before the deadline"
        await asyncio.sleep(0.005)


class HeldTime:
    """The rate gate's clock and sleep: a sleep is recorded and ends when the test moves the clock."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._moved = asyncio.Condition()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        until = self.now + seconds
        async with self._moved:
            await self._moved.wait_for(lambda: self.now >= until)

    async def advance(self, seconds: float) -> None:
        async with self._moved:
            self.now += seconds
            self._moved.notify_all()


class FixedBackoff(Backoff):
    def delay(self, attempt: int) -> float:
        return 0.5 * 2**attempt


def make_client(fake, *, retry_count=3, concurrency=50, auth=None, timeout=60.0, backoff=None, gate=None):
    auth = auth or BasicAuth("admin@example.com", "tok", "the Cloud account email and API token")
    return ConfluenceClient(
        fake.base,
        auth,
        retry_count=retry_count,
        concurrency=concurrency,
        backoff=backoff or Backoff(0, 0),
        gate=gate,
        timeout=timeout,
    )


async def test_basic_auth_header_sent(fake):
    fake.route("/rest/api/space", lambda call: {"results": []})
    client = make_client(fake)
    await client.get_json("/rest/api/space")
    await client.close()
    expected = "Basic " + base64.b64encode(b"admin@example.com:tok").decode()
    assert fake.calls[0].headers["Authorization"] == expected


async def test_bearer_auth_header_sent(fake):
    fake.route("/rest/api/space", lambda call: {"results": []})
    client = make_client(fake, auth=BearerAuth("pat-123", "the PAT"))
    await client.get_json("/rest/api/space")
    await client.close()
    assert fake.calls[0].headers["Authorization"] == "Bearer pat-123"


def test_auth_repr_hides_secrets():
    assert "tok" not in repr(BasicAuth("u", "tok", "desc")) and "pat" not in repr(BearerAuth("pat", "d"))


async def test_retries_5xx_then_succeeds(fake):
    answers = iter([error(502, "bad gateway"), error(503), {"results": [1]}])
    fake.route("/rest/api/x", lambda call: next(answers))
    client = make_client(fake, retry_count=3)
    assert await client.get_json("/rest/api/x") == {"results": [1]}
    await client.close()
    assert len(fake.calls) == 3


async def test_retry_count_governs_attempts(fake):
    fake.route("/rest/api/x", lambda call: error(500, "boom"))
    client = make_client(fake, retry_count=2)
    with pytest.raises(ConfluenceHTTPError) as info:
        await client.get_json("/rest/api/x")
    await client.close()
    assert len(fake.calls) == 3  # 1 + 2 retries
    assert info.value.status == 500 and "boom" in str(info.value) and "after 3 attempts" in str(info.value)


async def test_zero_retries_means_one_attempt(fake):
    fake.route("/rest/api/x", lambda call: error(500))
    client = make_client(fake, retry_count=0)
    with pytest.raises(ConfluenceHTTPError):
        await client.get_json("/rest/api/x")
    await client.close()
    assert len(fake.calls) == 1


async def test_connection_reset_and_timeout_are_retried(fake):
    never = asyncio.Event()
    failures = iter(["reset", "hang"])

    async def handler(call):
        failure = next(failures, None)
        if failure == "reset":
            return RESET
        if failure == "hang":
            await never.wait()  # the client's timeout fires first
        return {"ok": True}

    fake.route("/rest/api/x", handler)
    client = make_client(fake, timeout=3)  # the hang costs this once; the good call must fit in it under load
    assert await client.get_json("/rest/api/x") == {"ok": True}
    await client.close()
    assert len(fake.calls) == 3


async def test_invalid_json_is_retried_then_reported(fake):
    answers = iter([Reply(200, body=b'{"results": [1'), {"results": [2]}])
    fake.route("/rest/api/x", lambda call: next(answers))
    client = make_client(fake)
    assert await client.get_json("/rest/api/x") == {"results": [2]}
    fake.route("/rest/api/y", lambda call: Reply(200, body=b"<html>proxy login</html>"))
    with pytest.raises(ConfluenceError, match="not valid JSON") as info:
        await client.get_json("/rest/api/y")
    assert not isinstance(info.value, ConfluenceUnreachable)
    await client.close()


async def test_reset_after_retries_is_unreachable(fake):
    def handler(call):
        return RESET

    fake.route("/rest/api/x", handler)
    client = make_client(fake, retry_count=1)
    with pytest.raises(ConfluenceUnreachable, match="connection reset"):
        await client.get_json("/rest/api/x")
    await client.close()


@pytest.mark.parametrize(
    "status,cls",
    [
        (400, ConfluenceBadRequest),
        (401, ConfluenceAuthError),
        (403, ConfluenceForbidden),
        (404, ConfluenceNotFound),
    ],
)
async def test_client_errors_are_not_retried(fake, status, cls):
    fake.route("/rest/api/x", lambda call: error(status, "Could not parse cql : foo"))
    client = make_client(fake)
    with pytest.raises(cls) as info:
        await client.get_json("/rest/api/x")
    await client.close()
    assert len(fake.calls) == 1
    assert info.value.detail == "Could not parse cql : foo"


async def test_429_retry_after_pauses_every_request(fake):
    time_ = HeldTime()
    sent: list[str] = []
    state = {"throttled": False}

    def slow(call):
        sent.append("slow")
        if not state["throttled"]:
            state["throttled"] = True
            return CallbackResult(status=429, headers={"Retry-After": "30"}, body="")
        return {"ok": 1}

    def other(call):
        sent.append("other")
        return {"ok": 2}

    fake.route("/rest/api/slow", slow)
    fake.route("/rest/api/other", other)
    client = make_client(fake, gate=RateGate(clock=time_.clock, sleep=time_.sleep))
    task = asyncio.create_task(client.get_json("/rest/api/slow"))
    await wait_until(lambda: time_.sleeps or task.done())  # the throttled request waits at the gate
    assert client.gate.closed_for == 30.0
    # A request issued while the gate is closed must wait for it, although it was never throttled.
    other_task = asyncio.create_task(client.get_json("/rest/api/other"))
    await wait_until(lambda: len(time_.sleeps) == 2 or other_task.done())
    assert time_.sleeps == [30.0, 30.0] and sent == ["slow"]
    await time_.advance(30)
    assert await other_task == {"ok": 2}
    assert await task == {"ok": 1}
    await client.close()
    assert sorted(sent) == ["other", "slow", "slow"] and time_.sleeps == [30.0, 30.0]


async def test_429_without_retry_after_backs_off_and_retries(fake):
    time_ = HeldTime()
    answers = iter([CallbackResult(status=429, body=""), {"ok": 1}])
    fake.route("/rest/api/x", lambda call: next(answers))
    gate = RateGate(clock=time_.clock, sleep=time_.sleep)
    # retry_count=0: a 429 is flow control and does not use up the retries
    client = make_client(fake, retry_count=0, backoff=FixedBackoff(), gate=gate)
    task = asyncio.create_task(client.get_json("/rest/api/x"))
    await wait_until(lambda: time_.sleeps or task.done())
    assert time_.sleeps == [0.5] and len(fake.calls) == 1  # the first backoff step, at the gate
    await time_.advance(0.5)
    assert await task == {"ok": 1}
    await client.close()
    assert len(fake.calls) == 2


async def test_concurrency_is_capped(fake):
    in_flight = 0
    peak = 0
    release = asyncio.Event()
    arrived = asyncio.Event()

    async def handler(call):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 3:
            arrived.set()
        await release.wait()
        in_flight -= 1
        return {"ok": True}

    fake.route("/rest/api/x", handler)
    client = make_client(fake, concurrency=3)
    tasks = [asyncio.create_task(client.get_json("/rest/api/x")) for _ in range(10)]
    await arrived.wait()
    for _ in range(5):
        await asyncio.sleep(0)  # give queued requests a chance to (wrongly) start
    assert in_flight == 3
    release.set()
    await asyncio.gather(*tasks)
    await client.close()
    assert peak == 3 and client.max_in_flight == 3


async def test_download_cap(fake):
    fake.route("/download/attachments/1/a.txt", lambda call: b"x" * 100)
    client = make_client(fake)
    assert await client.download("/download/attachments/1/a.txt", 1000) == b"x" * 100
    with pytest.raises(AttachmentTooLarge):
        await client.download("/download/attachments/1/a.txt", 10)
    await client.close()


async def test_refuses_other_hosts(fake):
    client = make_client(fake)
    with pytest.raises(ConfluenceError, match="another host"):
        await client.get_json("http://evil.test/rest/api/space")
    assert fake.calls == []
    await client.close()


def test_link_url_handles_both_forms(fake):
    client = make_client(fake)
    assert client.link_url("/rest/api/x?a=1") == fake.origin + "/wiki/rest/api/x?a=1"
    assert client.link_url("/wiki/rest/api/x") == fake.origin + "/wiki/rest/api/x"


def test_error_detail_shapes():
    assert error_detail({"message": "Could not parse cql : x"}) == "Could not parse cql : x"
    assert (
        error_detail({"message": "com.atlassian.confluence.api.service.exceptions.BadRequestException: bad"})
        == "bad"
    )
    assert (
        error_detail({"errors": [{"status": 404, "title": "Not Found", "detail": "gone"}]})
        == "Not Found: gone"
    )
    assert error_detail(None, "  plain\n text ") == "plain text"


def test_retry_after_parsing():
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("") is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_backoff_is_exponential_with_jitter():
    backoff = Backoff(base=1.0, cap=8.0)
    for attempt in range(6):
        for _ in range(20):
            assert 0 <= backoff.delay(attempt) <= min(8.0, 2**attempt)


async def test_rate_gate_extends():
    now = [100.0]
    gate = RateGate(clock=lambda: now[0])
    gate.close_for(5)
    gate.close_for(2)  # never shortens
    assert gate.closed_for == 5
    now[0] = 106
    await asyncio.wait_for(gate.wait(), 1)


def test_ssl_ca_must_be_pem():
    with pytest.raises(ValueError, match="PEM"):
        build_ssl_context("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")
    assert build_ssl_context(None).verify_mode.name == "CERT_REQUIRED"


# -- paging -------------------------------------------------------------------------------------
async def test_v2_cursor_paging_follows_next_and_stops(fake):
    items = [{"id": str(i)} for i in range(7)]
    fake.route("/api/v2/spaces", lambda call: fake.v2_page(items, call))
    client = make_client(fake)
    got = [i["id"] async for i in v2_items(client, "/api/v2/spaces", {"limit": 3})]
    await client.close()
    assert got == [str(i) for i in range(7)]
    assert len(fake.calls) == 3


async def test_v2_stops_on_empty_page_with_next(fake):
    fake.route(
        "/api/v2/pages", lambda call: {"results": [], "_links": {"next": "/wiki/api/v2/pages?cursor=z"}}
    )
    client = make_client(fake)
    assert [i async for i in v2_items(client, "/api/v2/pages")] == []
    await client.close()
    assert len(fake.calls) == 1


async def test_v1_cloud_follows_next_cursor(fake):
    items = [{"id": str(i)} for i in range(5)]
    fake.route("/rest/api/content/search", lambda call: fake.v1_page(items, call, cursor=True))
    client = make_client(fake)
    got = [
        i["id"]
        async for i in v1_items(client, "/rest/api/content/search", {"cql": "x"}, limit=2, follow_next=True)
    ]
    await client.close()
    assert got == ["0", "1", "2", "3", "4"]
    assert all(c.param("cql") == "x" for c in fake.calls) and "start" not in fake.calls[0].query


async def test_v1_dc_recomputes_start_from_received(fake):
    """DC silently caps limit: start must follow what actually came back, not the asked limit."""
    items = [{"id": str(i)} for i in range(9)]
    fake.route("/rest/api/content/search", lambda call: fake.v1_page(items, call, max_limit=4))
    client = make_client(fake)
    got = [
        i["id"] async for i in v1_items(client, "/rest/api/content/search", {}, limit=50, follow_next=False)
    ]
    await client.close()
    assert got == [str(i) for i in range(9)]
    assert [c.param("start") for c in fake.calls] == ["0", "4", "8"]


async def test_v1_max_items_stops_early(fake):
    items = [{"id": str(i)} for i in range(100)]
    fake.route("/rest/api/content/search", lambda call: fake.v1_page(items, call))
    client = make_client(fake)
    got = [
        i
        async for i in v1_items(
            client, "/rest/api/content/search", {}, limit=50, follow_next=False, max_items=3
        )
    ]
    await client.close()
    assert len(got) == 3 and fake.calls[0].param("limit") == "3" and len(fake.calls) == 1


async def test_listing_failure_raises_not_truncates(fake):
    items = [{"id": str(i)} for i in range(10)]

    def handler(call):
        if call.param("start") == "5":
            return error(500, "db down")
        return fake.v1_page(items, call)

    fake.route("/rest/api/content/search", handler)
    client = make_client(fake, retry_count=1)
    got = []
    with pytest.raises(ConfluenceHTTPError, match="db down"):
        async for item in v1_items(client, "/rest/api/content/search", {}, limit=5, follow_next=False):
            got.append(item)
    await client.close()
    assert len(got) == 5


async def test_v1_asks_for_the_next_page_while_the_current_one_is_consumed(fake):
    """The round trip of page n+1 overlaps with the use of page n (Cloud cursor and DC start)."""
    items = [{"id": str(i)} for i in range(6)]
    for follow_next in (True, False):
        fake.calls.clear()
        fake.route(
            "/rest/api/content/search",
            lambda call, cursor=follow_next: fake.v1_page(items, call, cursor=cursor),
        )
        client = make_client(fake)
        pages = v1_items(client, "/rest/api/content/search", {}, limit=2, follow_next=follow_next)
        assert (await anext(pages))["id"] == "0"
        await wait_until(lambda: len(fake.calls) == 2, deadline=60)  # asked before "1" was taken
        rest = [i["id"] async for i in pages]
        await client.close()
        assert rest == ["1", "2", "3", "4", "5"]
        assert len(fake.calls) == 3


async def test_v1_stopping_early_drops_the_page_asked_for(fake):
    items = [{"id": str(i)} for i in range(10)]
    fake.route("/rest/api/content/search", lambda call: fake.v1_page(items, call))
    client = make_client(fake)
    pages = v1_items(client, "/rest/api/content/search", {}, limit=5, follow_next=False)
    assert (await anext(pages))["id"] == "0"
    await pages.aclose()
    await client.close()
    assert len(fake.calls) <= 2
