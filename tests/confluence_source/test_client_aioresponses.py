"""Client and data-source branches with aioresponses (no server at all): paging, retries with
an injected (instant) sleep, 429 + Retry-After pausing the whole client, auth headers per
mode, 401/403 messages, CQL validation errors by rule index, the size cap."""

from __future__ import annotations

import asyncio
import base64
import re

import aiohttp
import pytest
from aioresponses import aioresponses

from connectors.configuration import DataSourceConfiguration
from connectors.errors import SourceUnreachable
from connectors.extraction.extractor import TextExtractor
from connectors.extraction.worker_pool import WorkerCrashed
from connectors.sources.confluence.api import ConfluenceApi
from connectors.sources.confluence.auth import BasicAuth
from connectors.sources.confluence.client import (
    AttachmentTooLarge,
    Backoff,
    ConfluenceClient,
    ConfluenceHTTPError,
    ConfluenceUnreachable,
    RateGate,
)
from connectors.sources.confluence.datasource import ConfluenceDataSource
from connectors.sources.confluence.paging import v1_items, v2_items
from connectors.sources.confluence.rules import RemoteCqlValidator
from tests.extraction import extract_hooks

from . import site

ORIGIN = "https://acme.atlassian.net"
BASE = ORIGIN + "/wiki"
DC = "https://wiki.example.com/confluence"


class FakeTime:
    """A clock and a sleep that advances it instantly, recording every wait."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class FixedBackoff(Backoff):
    def delay(self, attempt: int) -> float:
        return 0.5 * 2**attempt


def client(base=BASE, *, retry_count=3, auth=None, time_=None, concurrency=50) -> ConfluenceClient:
    time_ = time_ or FakeTime()
    return ConfluenceClient(
        base,
        auth or BasicAuth("ann@example.com", "tok", "the Cloud account email and API token"),
        retry_count=retry_count,
        concurrency=concurrency,
        backoff=FixedBackoff(),
        gate=RateGate(clock=time_.clock, sleep=time_.sleep),
        sleep=time_.sleep,
    )


def calls(mocked, method="GET"):
    return [(str(url), call) for (m, url), hits in mocked.requests.items() if m == method for call in hits]


def any_url(path: str):
    return re.compile(re.escape(path) + r"(\?.*)?$")


# -- paging -------------------------------------------------------------------------------------
async def test_v2_cursor_paging_follows_links_next():
    c = client()
    with aioresponses() as m:
        m.get(
            any_url(BASE + "/api/v2/spaces"),
            payload={"results": [{"id": 1}, {"id": 2}], "_links": {"next": "/wiki/api/v2/spaces?cursor=abc"}},
        )
        m.get(ORIGIN + "/wiki/api/v2/spaces?cursor=abc", payload={"results": [{"id": 3}], "_links": {}})
        items = [item["id"] async for item in v2_items(c, "/api/v2/spaces", {"limit": 2})]
        urls = [url for url, _ in calls(m)]
    await c.close()
    assert items == [1, 2, 3]
    assert urls == [BASE + "/api/v2/spaces?limit=2", ORIGIN + "/wiki/api/v2/spaces?cursor=abc"]


async def test_v2_cursor_paging_follows_the_link_header():
    c = client()
    link = '</wiki/api/v2/pages?cursor=xyz>; rel="next", <https://acme.atlassian.net/wiki>; rel="base"'
    with aioresponses() as m:
        m.get(any_url(BASE + "/api/v2/pages"), payload={"results": [{"id": 1}]}, headers={"Link": link})
        m.get(ORIGIN + "/wiki/api/v2/pages?cursor=xyz", payload={"results": [{"id": 2}]})
        items = [item["id"] async for item in v2_items(c, "/api/v2/pages")]
    await c.close()
    assert items == [1, 2]


async def test_v1_data_center_start_limit_paging_counts_what_was_received():
    c = client(DC, auth=BasicAuth("ann", "pw", "the Data Center username and password"))
    with aioresponses() as m:
        # DC caps limit silently (asked 3, got 2); start is recomputed from what arrived
        m.get(
            DC + "/rest/api/space?limit=3&start=0",
            payload={"results": [{"k": "A"}, {"k": "B"}], "_links": {"next": "x"}},
        )
        m.get(
            DC + "/rest/api/space?limit=3&start=2", payload={"results": [{"k": "C"}], "_links": {"next": "x"}}
        )
        m.get(DC + "/rest/api/space?limit=3&start=3", payload={"results": [], "_links": {}})
        keys = [i["k"] async for i in v1_items(c, "/rest/api/space", limit=3, follow_next=False)]
        urls = [url for url, _ in calls(m)]
    await c.close()
    assert keys == ["A", "B", "C"] and len(urls) == 3


async def test_v1_cloud_follows_next_links_relative_to_the_rest_base():
    c = client()
    with aioresponses() as m:
        m.get(
            BASE + "/rest/api/content/search?cql=type%3Dpage&limit=2",
            payload={"results": [{"id": "1"}], "_links": {"next": "/rest/api/content/search?cursor=n1"}},
        )
        m.get(BASE + "/rest/api/content/search?cursor=n1", payload={"results": [{"id": "2"}], "_links": {}})
        ids = [
            i["id"]
            async for i in v1_items(
                c, "/rest/api/content/search", {"cql": "type=page"}, limit=2, follow_next=True
            )
        ]
    await c.close()
    assert ids == ["1", "2"]


# -- retries ------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_retries_with_backoff_on_server_errors(status):
    t = FakeTime()
    c = client(time_=t, retry_count=3)
    with aioresponses() as m:
        m.get(BASE + "/rest/api/space", status=status, body="busy")
        m.get(BASE + "/rest/api/space", status=status, body="busy")
        m.get(BASE + "/rest/api/space", payload={"results": ["ok"]})
        result = await c.get_json("/rest/api/space")
        n = len(calls(m))
    await c.close()
    assert result == {"results": ["ok"]} and n == 3
    assert t.sleeps == [0.5, 1.0]  # exponential backoff, through the injected sleep


async def test_retries_on_connection_errors():
    t = FakeTime()
    c = client(time_=t, retry_count=2)
    with aioresponses() as m:
        m.get(BASE + "/rest/api/space", exception=aiohttp.ServerDisconnectedError())
        m.get(BASE + "/rest/api/space", exception=aiohttp.ClientOSError(104, "reset"))
        m.get(BASE + "/rest/api/space", payload={"results": []})
        assert await c.get_json("/rest/api/space") == {"results": []}
    await c.close()
    assert t.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("retry_count", [0, 1, 4])
async def test_retry_count_is_honoured_exactly(retry_count):
    t = FakeTime()
    c = client(time_=t, retry_count=retry_count)
    with aioresponses() as m:
        m.get(BASE + "/rest/api/space", status=503, body="down", repeat=True)
        with pytest.raises(ConfluenceHTTPError) as info:
            await c.get_json("/rest/api/space")
        n = len(calls(m))
    await c.close()
    assert n == retry_count + 1 and len(t.sleeps) == retry_count
    assert f"after {retry_count + 1} attempt" in str(info.value) and "HTTP 503" in str(info.value)


async def test_connection_errors_outliving_retries_are_named():
    c = client(retry_count=1)
    with aioresponses() as m:
        m.get(BASE + "/rest/api/space", exception=aiohttp.ServerDisconnectedError(), repeat=True)
        with pytest.raises(
            ConfluenceUnreachable, match=r"GET /wiki/rest/api/space: connection reset.*2 attempts"
        ):
            await c.get_json("/rest/api/space")
    await c.close()


class HeldTime(FakeTime):
    """Sleeps block until the test releases them, then the clock jumps to the latest deadline."""

    def __init__(self):
        super().__init__()
        self.release = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        deadline = self.now + seconds
        await self.release.wait()
        self.now = max(self.now, deadline)


async def wait_for(condition) -> None:
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


async def test_429_retry_after_pauses_the_whole_client():
    t = HeldTime()
    c = client(time_=t)
    with aioresponses() as m:
        m.get(BASE + "/rest/api/space", status=429, headers={"Retry-After": "7"})
        m.get(BASE + "/rest/api/space", payload={"results": []})
        m.get(BASE + "/rest/api/user/current", payload={"ok": 1})
        first = asyncio.create_task(c.get_json("/rest/api/space"))
        await wait_for(lambda: len(t.sleeps) == 1)  # the 429 closed the gate; the first waits
        second = asyncio.create_task(c.get_json("/rest/api/user/current"))
        await wait_for(lambda: len(t.sleeps) == 2)  # the second, never throttled itself, waits too
        assert t.sleeps == [7.0, 7.0] and len(calls(m)) == 1  # nothing sent during the pause
        t.release.set()
        assert await first == {"results": []} and await second == {"ok": 1}
        assert len(calls(m)) == 3
    await c.close()
    assert t.now == 1007.0  # one pause, both requests waited for the same reopening


async def test_throttling_does_not_use_up_retry_count():
    # Many requests throttled together are throttled again when the gate reopens: that is the
    # server pacing the client, and must not fail a sync whose retry_count is small.
    t = FakeTime()
    c = client(retry_count=1, time_=t)
    with aioresponses() as m:
        for _ in range(6):
            m.get(BASE + "/rest/api/space", status=429, headers={"Retry-After": "2"})
        m.get(BASE + "/rest/api/space", payload={"results": ["ok"]})
        assert await c.get_json("/rest/api/space") == {"results": ["ok"]}
        assert len(calls(m)) == 7
    await c.close()
    assert t.sleeps == [2.0] * 6 and t.now == 1012.0  # every Retry-After honoured


async def test_throttling_without_end_fails_naming_the_wait():
    t = FakeTime()
    c = client(retry_count=1, time_=t)
    with aioresponses() as m:
        m.get(BASE + "/rest/api/space", status=429, headers={"Retry-After": "300"}, repeat=True)
        with pytest.raises(ConfluenceHTTPError) as caught:
            await c.get_json("/rest/api/space")
    await c.close()
    assert "429" in str(caught.value) and "still throttled after waiting 900s" in str(caught.value)
    assert len(calls(m)) == 4  # three waits of 300 s fit the 900 s budget; the fourth does not


async def test_server_errors_stay_bounded_by_retry_count_after_throttling():
    t = FakeTime()
    c = client(retry_count=1, time_=t)
    with aioresponses() as m:
        m.get(BASE + "/rest/api/space", status=429, headers={"Retry-After": "1"})
        m.get(BASE + "/rest/api/space", status=503, repeat=True)
        with pytest.raises(ConfluenceHTTPError) as caught:
            await c.get_json("/rest/api/space")
    await c.close()
    assert "503" in str(caught.value)
    assert len(calls(m)) == 3  # the 429, then the first try and one retry (retry_count=1)


# -- auth ---------------------------------------------------------------------------------------
def basic(user, secret):
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def source(values: dict) -> ConfluenceDataSource:
    config = DataSourceConfiguration({key: {"value": value} for key, value in values.items()})
    return ConfluenceDataSource(config, client_options={"backoff": Backoff(0, 0)})


CLOUD = {
    "data_source": "confluence_cloud",
    "confluence_url": ORIGIN,
    "account_email": "ann@example.com",
    "api_token": "tok-1",
}
SERVER = {"data_source": "confluence_server", "confluence_url": DC, "username": "ann", "password": "pw-2"}
DC_BASIC = {
    "data_source": "confluence_data_center",
    "confluence_url": DC,
    "data_center_auth_method": "basic",
    "data_center_username": "bob",
    "data_center_password": "pw-3",
}
DC_PAT = {
    "data_source": "confluence_data_center",
    "confluence_url": DC,
    "data_center_auth_method": "personal_access_token",
    "data_center_token": "pat-4",
}
AUTH_CASES = [
    (CLOUD, BASE, basic("ann@example.com", "tok-1")),
    (SERVER, DC, basic("ann", "pw-2")),
    (DC_BASIC, DC, basic("bob", "pw-3")),
    (DC_PAT, DC, "Bearer pat-4"),
]


@pytest.mark.parametrize(
    ("values", "base", "header"), AUTH_CASES, ids=["cloud", "server", "dc-basic", "dc-pat"]
)
async def test_each_auth_mode_sends_its_authorization_header(values, base, header):
    ds = source(values)
    with aioresponses() as m:
        m.get(base + "/rest/api/space?limit=1", payload={"results": []})
        await ds.ping()
        ((url, call),) = calls(m)
    await ds.close()
    assert call.kwargs["headers"]["Authorization"] == header


@pytest.mark.parametrize(
    ("values", "base", "credential"),
    [
        (CLOUD, BASE, "Cloud account email and API token"),
        (SERVER, DC, "username and password"),
        (DC_PAT, DC, "personal access token"),
    ],
    ids=["cloud", "server", "dc-pat"],
)
async def test_401_names_the_credential_without_the_secret(values, base, credential):
    ds = source(values)
    with aioresponses() as m:
        m.get(base + "/rest/api/space?limit=1", status=401, body="Unauthorized")
        with pytest.raises(SourceUnreachable) as info:
            await ds.ping()
    await ds.close()
    text = str(info.value)
    assert "HTTP 401" in text and credential.lower() in text.lower()
    for secret in ("tok-1", "pw-2", "pat-4"):
        assert secret not in text


async def test_403_names_the_credential_and_confluence_message():
    ds = source(DC_PAT)
    with aioresponses() as m:
        m.get(DC + "/rest/api/space?limit=1", status=403, payload={"message": "CAPTCHA required"})
        with pytest.raises(SourceUnreachable) as info:
            await ds.ping()
    await ds.close()
    text = str(info.value)
    assert "HTTP 403" in text and "CAPTCHA required" in text and "personal access token" in text.lower()
    assert "pat-4" not in text


# -- CQL validation -----------------------------------------------------------------------------
async def test_cql_validation_error_is_surfaced_by_rule_index():
    c = client()
    api = ConfluenceApi(c, cloud=True)
    rules = [{"query": "type = page"}, {"query": "type = = nonsense"}, {"query": "space = X"}]
    with aioresponses() as m:
        m.get(any_url(BASE + "/rest/api/content/search"), payload={"results": []})
        m.get(
            any_url(BASE + "/rest/api/content/search"),
            status=400,
            payload={"statusCode": 400, "message": "Could not parse cql : type = = nonsense"},
        )
        result = await RemoteCqlValidator(api.check_cql).validate(rules)
        n = len(calls(m))
    await c.close()
    assert not result.is_valid and result.rule_index == 1 and n == 2  # stops at the first refusal
    assert "advanced_rules[1]" in result.validation_message
    assert "Could not parse cql : type = = nonsense" in result.validation_message


# -- size cap -----------------------------------------------------------------------------------
async def test_download_over_the_cap_is_refused_by_declared_length():
    c = client()
    with aioresponses() as m:
        m.get(BASE + "/download/attachments/1/big.pdf", body=b"x" * 2048)
        with pytest.raises(AttachmentTooLarge, match="1024 byte"):
            await c.download("/download/attachments/1/big.pdf", 1024)
        m.get(BASE + "/download/attachments/1/ok.txt", body=b"y" * 1024)
        assert await c.download("/download/attachments/1/ok.txt", 1024) == b"y" * 1024
    await c.close()


# -- data-source attachment branches: size cap, inline images toggle, extraction failures --------
def attachment_item(cid, name, media, size, download):
    extensions = {"mediaType": media} | ({"fileSize": size} if size is not None else {})
    return site.content(cid, "attachment", name, container=(100, "page", "Home"), extensions=extensions,
                        download=download)  # fmt: skip


async def test_attachment_declared_over_the_cap_is_indexed_without_content_and_says_why():
    ds = source(CLOUD | {"max_attachment_size_mb": 1})
    with aioresponses() as m:
        doc, lazy = await ds._child_pair(
            attachment_item(
                900, "huge.pdf", "application/pdf", 3 * 1024 * 1024, "/download/attachments/100/huge.pdf"
            )
        )
        assert calls(m) == []  # not downloaded at all
    await ds.close()
    assert lazy is None and doc["_id"] == "attachment-900" and doc["filename"] == "huge.pdf"
    assert doc["content_skipped_reason"] == "size 3145728 bytes exceeds the 1 MB attachment limit"


async def test_attachment_bigger_than_declared_stops_at_the_cap():
    ds = source(CLOUD | {"max_attachment_size_mb": 1})
    with aioresponses() as m:
        m.get(BASE + "/download/attachments/100/liar.txt", body=b"z" * (1024 * 1024 + 10))
        doc, lazy = await ds._child_pair(
            attachment_item(901, "liar.txt", "text/plain", 10, "/download/attachments/100/liar.txt")
        )
        result = await lazy(doit=True)
    await ds.close()
    assert result["body"] == "" and result["content_skipped_reason"].startswith(
        "download stopped: more than 1048576"
    )


@pytest.mark.parametrize("inline_images", [True, False])
async def test_inline_images_toggle_for_image_attachments(inline_images):
    ds = source(CLOUD | {"index_inline_images": inline_images})
    pair = await ds._child_pair(
        attachment_item(902, "d.png", "image/png", 100, "/download/attachments/100/d.png")
    )
    await ds.close()
    if inline_images:
        doc, lazy = pair
        assert lazy is None and doc["content_skipped_reason"] == "no text extractor for image/png"
    else:
        assert pair is None


async def test_a_file_that_crashes_its_extraction_worker_is_an_extraction_failure_not_a_dead_sync():
    extractor = TextExtractor(workers=1, function=extract_hooks.crash_on_marker)
    config = DataSourceConfiguration({key: {"value": value} for key, value in CLOUD.items()})
    ds = ConfluenceDataSource(config, extractor=extractor, client_options={"backoff": Backoff(0, 0)})
    try:
        with aioresponses() as m:
            m.get(BASE + "/download/attachments/100/bad.txt", body=b"x " + extract_hooks.CRASH)
            m.get(BASE + "/download/attachments/100/good.txt", body=b"fine words")
            _, bad = await ds._child_pair(
                attachment_item(903, "bad.txt", "text/plain", 30, "/download/attachments/100/bad.txt")
            )
            _, good = await ds._child_pair(
                attachment_item(904, "good.txt", "text/plain", 10, "/download/attachments/100/good.txt")
            )
            bad_result, good_result = await asyncio.gather(bad(doit=True), good(doit=True))
    finally:
        await ds.close()
        extractor.close()
    assert bad_result["body"] == "" and bad_result["content_skipped_reason"].startswith(
        f"text extraction failed: {WorkerCrashed.__name__}: the worker process died"
    )
    assert good_result["body"] == "fine words" and "content_skipped_reason" not in good_result
