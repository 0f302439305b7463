import asyncio
import datetime as dt
import random

import pytest

from connectors.utils import MemQueue, QueueClosed, backoff_delay, iso_utc, json_bytes, parse_utc


def test_backoff_grows_exponentially_with_jitter_and_cap():
    rng = random.Random(7)
    delays = [backoff_delay(n, 1.0, cap=10, jitter=0.5, rng=rng) for n in range(6)]
    for n, delay in enumerate(delays):
        top = min(10, 2**n)
        assert top * 0.5 <= delay <= top
    assert backoff_delay(3, 2.0, jitter=0) == 16
    assert backoff_delay(10, 2.0, cap=60, jitter=0) == 60
    assert backoff_delay(5, 0) == 0


def test_full_jitter_spreads_over_the_whole_delay():
    """``jitter=1`` (the Confluence client's policy) draws from (0, d]: both halves are used."""
    rng = random.Random(3)
    delays = [backoff_delay(2, 0.5, cap=30, jitter=1.0, rng=rng) for _ in range(200)]
    assert all(0 < delay <= 2.0 for delay in delays)
    assert min(delays) < 0.5 and max(delays) > 1.5


def test_the_confluence_client_backs_off_through_the_one_formula():
    from connectors.sources.confluence.client import Backoff

    backoff = Backoff(0.5, 4.0, rng=random.Random(11))
    expected = random.Random(11)
    for attempt in range(6):
        assert backoff.delay(attempt) == backoff_delay(attempt, 0.5, cap=4.0, jitter=1.0, rng=expected)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-06T07:08:09.123Z", "2024-05-06T07:08:09.123Z"),
        ("2024-05-06T09:08:09.123456+02:00", "2024-05-06T07:08:09.123Z"),
        ("2024-05-06T07:08:09", "2024-05-06T07:08:09.000Z"),  # no offset: UTC
        (1714979289123, "2024-05-06T07:08:09.123Z"),  # epoch milliseconds
        (" 2024-05-06T07:08:09Z ", "2024-05-06T07:08:09.000Z"),
    ],
)
def test_parse_utc_reads_what_the_stores_write(value, expected):
    parsed = parse_utc(value)
    assert parsed.tzinfo is dt.UTC and iso_utc(parsed) == expected


@pytest.mark.parametrize("value", [None, "", "yesterday", "2024-13-01", True])
def test_parse_utc_answers_none_for_absent_or_unreadable(value):
    assert parse_utc(value) is None


def test_iso_utc_and_json_bytes():
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    assert iso_utc(when) == "2024-05-06T07:08:09.123Z"
    assert (
        json_bytes({"a": when, "b": {1}, "c": "é"})
        == '{"a":"2024-05-06T07:08:09.123456+00:00","b":[1],"c":"é"}'.encode()
    )


async def test_memqueue_fifo_and_timeout():
    queue = MemQueue(maxsize=10, maxmem=100)
    await queue.put("a", 1)
    await queue.put("b", 2)
    assert queue.qsize() == 2 and queue.mem_size == 3
    assert await queue.get() == "a" and await queue.get() == "b"
    assert await queue.get(timeout=0.01) is None


async def test_memqueue_blocks_on_count_and_bytes():
    queue = MemQueue(maxsize=2, maxmem=10)
    await queue.put(1, 4)
    await queue.put(2, 4)
    blocked = asyncio.create_task(queue.put(3, 1))  # count bound
    await asyncio.sleep(0)
    assert not blocked.done()
    assert await queue.get() == 1
    await asyncio.wait_for(blocked, 60)
    assert queue.qsize() == 2 and queue.mem_size == 5
    by_bytes = asyncio.create_task(queue.put(4, 8))  # 5 + 8 > 10
    await asyncio.sleep(0)
    assert not by_bytes.done()
    assert await queue.get() == 2  # leaves 1 byte queued: 1 + 8 <= 10 fits
    await asyncio.wait_for(by_bytes, 60)
    assert queue.qsize() == 2 and queue.mem_size == 9


async def test_memqueue_admits_an_oversized_item_when_empty():
    queue = MemQueue(maxsize=5, maxmem=10)
    await asyncio.wait_for(queue.put("huge", 50), 60)
    assert queue.mem_size == 50


async def test_memqueue_close_drains_then_ends():
    queue = MemQueue(maxsize=5, maxmem=10)
    await queue.put("x", 1)
    await queue.close()
    assert await queue.get() == "x"
    with pytest.raises(QueueClosed):
        await queue.get()
    with pytest.raises(QueueClosed):
        await queue.put("y", 1)


async def test_memqueue_fail_wakes_blocked_producers():
    queue = MemQueue(maxsize=1, maxmem=10)
    await queue.put("x", 1)
    blocked = asyncio.create_task(queue.put("y", 1))
    await asyncio.sleep(0)
    await queue.fail(RuntimeError("consumer died"))
    with pytest.raises(RuntimeError, match="consumer died"):
        await asyncio.wait_for(blocked, 60)
    with pytest.raises(QueueClosed):
        await queue.get()


def test_memqueue_rejects_bad_bounds():
    with pytest.raises(ValueError):
        MemQueue(0, 10)


def test_quoted_and_clipped_cap_user_input_and_name_its_size():
    from connectors.utils import clipped, quoted

    assert quoted("abc") == "'abc'" and quoted(5) == "5" and clipped("abc") == "abc"
    long = quoted("x" * 2_000_000)
    assert long == "'" + "x" * 200 + "'… (2,000,000 characters)"
    assert clipped("y" * 50, 10) == "y" * 10 + "… (50 characters)"
    assert len(quoted(list(range(100_000)))) < 260


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://es:9200", None),
        ("http://[::1]:9200/prefix", None),
        ("ftp://x", "scheme"),
        ("localhost:9200", "scheme"),
        ("ht!tp://::::", "scheme"),
        ("http://[a", "parse"),
        ("http://es:99999", "parse"),
        ("http://u:pw@es", "credentials"),
        ("http://:9200", "host"),
        ("http://es\n:9200", "host"),
        ("https://es/?q#f", "query"),
    ],
)
def test_http_url_fault(url, kind):
    from connectors.utils import http_url_fault

    fault = http_url_fault(url)
    assert (fault and fault[0]) == kind
    assert "pw" not in str(fault)
