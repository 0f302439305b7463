"""Read several async streams at once, with bounded concurrency and a bounded buffer.

:func:`bounded_merge` takes a stream of streams (e.g. one per Confluence space) and yields their
items as they arrive, reading at most ``concurrency`` of them at a time. Items wait in a queue of
at most ``buffer`` entries, so a slow consumer holds the readers back (memory stays bounded).

The first failure — of a stream or of the stream of streams — is raised to the consumer after the
items queued before it; every reader is then cancelled. Closing the merged generator early
(``aclose()``, or a ``break`` followed by garbage collection) cancels the readers too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


_DONE = object()


async def bounded_merge(
    streams: AsyncIterator[AsyncIterator[T]], *, concurrency: int, buffer: int
) -> AsyncIterator[T]:
    """Items of every stream in ``streams``, at most ``concurrency`` streams read at a time."""
    if concurrency < 1 or buffer < 1:
        raise ValueError(f"concurrency and buffer must be at least 1, got {concurrency} and {buffer}")
    queue: asyncio.Queue = asyncio.Queue(buffer)
    slots = asyncio.Semaphore(concurrency)
    readers: set[asyncio.Task] = set()

    async def read(stream: AsyncIterator[T]) -> None:
        try:
            async for item in stream:
                await queue.put(item)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the consumer, which raises it
            await queue.put(_Failed(exc))
        finally:
            slots.release()
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(BaseException):
                    await aclose()

    async def start_readers() -> None:
        try:
            async for stream in streams:
                await slots.acquire()
                task = asyncio.create_task(read(stream))
                readers.add(task)
                task.add_done_callback(readers.discard)
            if readers:
                await asyncio.wait(set(readers))
            await queue.put(_DONE)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            await queue.put(_Failed(exc))
        finally:
            aclose = getattr(streams, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(BaseException):
                    await aclose()

    starter = asyncio.create_task(start_readers())
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        pending = [starter, *readers]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
