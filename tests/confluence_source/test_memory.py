"""Streams keep memory flat: reading 5x more pages does not hold 5x more memory."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from . import site
from .fake import FakeConfluence
from .test_datasource import make_source


@pytest.fixture
async def fake():
    async with FakeConfluence() as server:
        yield server


def pages(n: int) -> list[dict]:
    body = "<p>" + "lorem ipsum dolor sit amet " * 10 + "</p>"
    return [site.content(10_000 + i, "page", f"Page {i}", body=body) for i in range(n)]


async def peak_while_reading(fake, n: int) -> int:
    site.install(fake, cloud=True, items=pages(n))
    source = make_source(fake, spaces="ENG")
    gc.collect()
    tracemalloc.start()
    try:
        count = 0
        async for _doc, lazy in source.get_docs():
            if lazy is not None:
                await lazy(doit=True)  # what the sink does for a new document
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await source.close()
    assert count == n + 1  # the pages and the space
    return peak


async def test_memory_does_not_grow_with_the_number_of_pages(fake):
    small = await peak_while_reading(fake, 100)
    large = await peak_while_reading(fake, 500)
    print(f"peak traced memory: {small} bytes for 100 pages, {large} bytes for 500")
    assert large < small * 1.5, (small, large)
