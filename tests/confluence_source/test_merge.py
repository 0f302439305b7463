"""bounded_merge: every item once, bounded concurrency and buffer, failures raised, readers cancelled."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from connectors.sources.confluence.merge import bounded_merge

DEADLINE = 60  # generous: these tests never wait on time, only on events


async def streams_of(*streams):
    for stream in streams:
        yield stream


async def numbers(prefix: str, count: int):
    for i in range(count):
        await asyncio.sleep(0)
        yield f"{prefix}{i}"


async def collect(merged):
    return [item async for item in merged]


async def test_every_item_of_every_stream_exactly_once():
    merged = bounded_merge(streams_of(*(numbers(p, 30) for p in "abcde")), concurrency=2, buffer=4)
    got = await asyncio.wait_for(collect(merged), DEADLINE)
    assert Counter(got) == Counter(f"{p}{i}" for p in "abcde" for i in range(30))


async def test_streams_are_read_at_the_same_time():
    """Stream a waits for an event only stream b sets: read one after the other, this would hang."""
    b_started = asyncio.Event()

    async def a():
        await b_started.wait()
        yield "a"

    async def b():
        b_started.set()
        yield "b"

    merged = bounded_merge(streams_of(a(), b()), concurrency=2, buffer=1)
    assert sorted(await asyncio.wait_for(collect(merged), DEADLINE)) == ["a", "b"]


async def test_never_more_streams_than_the_concurrency_at_once():
    active = 0
    peak = 0

    async def tracked(name):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            for i in range(5):
                await asyncio.sleep(0)
                yield f"{name}{i}"
        finally:
            active -= 1

    merged = bounded_merge(streams_of(*(tracked(n) for n in "abcdefg")), concurrency=3, buffer=2)
    got = await asyncio.wait_for(collect(merged), DEADLINE)
    assert len(got) == 35
    assert peak == 3


async def test_the_buffer_holds_back_a_fast_stream():
    produced = 0

    async def fast():
        nonlocal produced
        for i in range(1000):
            produced += 1
            yield i

    merged = bounded_merge(streams_of(fast()), concurrency=1, buffer=5)
    assert await anext(merged) == 0
    for _ in range(200):  # let the reader run as far as it can
        await asyncio.sleep(0)
    assert produced <= 5 + 2  # the buffer, the item being put, the one taken
    await merged.aclose()


async def test_a_failing_stream_raises_after_its_earlier_items_and_cancels_the_others():
    cancelled = asyncio.Event()

    async def broken():
        yield "x1"
        raise RuntimeError("space FOO could not be listed")

    async def stuck():
        try:
            yield "s1"
            await asyncio.Event().wait()  # never set
            yield "never"
        finally:
            cancelled.set()

    merged = bounded_merge(streams_of(stuck(), broken()), concurrency=2, buffer=10)
    got = []
    with pytest.raises(RuntimeError, match="space FOO"):
        async for item in merged:
            got.append(item)
    assert sorted(got) == ["s1", "x1"]
    await asyncio.wait_for(cancelled.wait(), DEADLINE)


async def test_a_failing_list_of_streams_is_raised():
    async def failing_streams():
        yield numbers("a", 3)
        raise RuntimeError("the list of spaces failed")

    merged = bounded_merge(failing_streams(), concurrency=2, buffer=10)
    with pytest.raises(RuntimeError, match="list of spaces"):
        await asyncio.wait_for(collect(merged), DEADLINE)


async def test_closing_early_cancels_the_readers():
    finished = asyncio.Event()

    async def endless():
        try:
            i = 0
            while True:
                await asyncio.sleep(0)
                yield i
                i += 1
        finally:
            finished.set()

    merged = bounded_merge(streams_of(endless(), endless()), concurrency=2, buffer=3)
    assert isinstance(await anext(merged), int)
    await merged.aclose()
    await asyncio.wait_for(finished.wait(), DEADLINE)


@pytest.mark.parametrize("concurrency, buffer", [(0, 1), (1, 0)])
async def test_bounds_must_be_positive(concurrency, buffer):
    with pytest.raises(ValueError, match="at least 1"):
        await anext(bounded_merge(streams_of(), concurrency=concurrency, buffer=buffer))
