"""Skip-unchanged for incremental syncs: what the index holds of listed documents, by batched ``_mget``.

An incremental sink has no map of the index's ids (it must not read the whole index). It holds
the documents it is given in a small batch, asks Elasticsearch for their indexed state in one
``_mget`` (``_source``: ``_timestamp`` and the source's unversioned fields; the state of
:mod:`connectors.es.unchanged`), then hands each document with its indexed state back to the
sink, which skips it, updates its unversioned fields, or downloads and indexes it. Rules:

1. **Bounded memory**: at most ``batch_size`` documents wait (their lazy downloads not called)
   while at most one batch is being decided; a document that would overfill the waiting batch
   waits in ``add`` (back-pressure on the sink's ``put``).
2. **Bounded latency**: a batch is looked up when it is full, when no document came for
   ``flush_interval`` seconds (the stream paused), before a delete or a second document of an id
   it holds, and at :meth:`Lookups.close`.
3. **Order**: batches are decided one at a time, in the order they filled, each in listing order;
   an id is never in two waiting batches. So a delete of an id (which waits for the batch that
   holds it, then for its download) is never reordered before that id's write.
4. **Answers**: an id ``found`` has the state of its ``_source``; an id not found is not in the
   index; an id the answer gives an error for (a shard failure) is *unknown*: written, never
   skipped. A missing index holds nothing.
5. **Failure**: :func:`indexed_states` does not retry; the sink calls it through its outage
   policy and fails the sync after it. A look-up that fails while the stream paused is recorded
   by the sink (its ``fetch`` does), and the next ``put`` or ``finish`` raises it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.es.client import response_body
from connectors.es.unchanged import state

#: documents that wait for one ``_mget`` (their lazy downloads held, not called)
LOOKUP_BATCH = 100


@dataclass(slots=True)
class Listed:
    """A document given to the sink, waiting for its look-up."""

    op: str
    doc_id: str
    doc: dict[str, Any]
    lazy_download: Any


async def indexed_states(
    client, index_name: str, ids: Sequence[str], fields: Sequence[str]
) -> dict[str, int | None]:
    """``_id → state`` of the ``ids`` the index holds; ``None``: unknown (rule 4)."""
    response = response_body(
        await client.mget(index=index_name, ids=list(ids), source=["_timestamp", *fields])
    )
    states: dict[str, int | None] = {}
    for entry in response.get("docs") or []:
        doc_id = entry.get("_id")
        if entry.get("found"):
            states[doc_id] = state(entry.get("_source") or {}, fields)
        elif entry.get("error") is not None and _error_type(entry) != "index_not_found_exception":
            states[doc_id] = None
    return states


def _error_type(entry: dict) -> str | None:
    error = entry.get("error")
    return error.get("type") if isinstance(error, dict) else None


class Lookups:
    """The waiting batch of an incremental sink (rules in the module docstring).

    ``fetch(ids)`` answers like :func:`indexed_states`; ``decide(listed, states)`` routes one
    document (it may wait: download slots, a full queue — that is the back-pressure).
    """

    def __init__(
        self,
        fetch: Callable[[list[str]], Awaitable[dict[str, int | None]]],
        decide: Callable[[Listed, dict[str, int | None]], Awaitable[None]],
        *,
        batch_size: int = LOOKUP_BATCH,
        flush_interval: float = 1.0,
    ):
        self._fetch = fetch
        self._decide = decide
        self.batch_size = max(1, int(batch_size))
        self.flush_interval = max(0.0, float(flush_interval))
        self._waiting: list[Listed] = []
        self._waiting_ids: set[str] = set()
        self._deciding_ids: set[str] = set()
        self._lock = asyncio.Lock()
        self._last_add = 0.0
        self._timer: asyncio.Task | None = None

    def holds(self, doc_id: str) -> bool:
        """Whether ``doc_id`` waits here or is being decided."""
        return doc_id in self._waiting_ids or doc_id in self._deciding_ids

    async def add(self, listed: Listed) -> None:
        if self.holds(listed.doc_id):
            await self.flush()
        self._waiting.append(listed)
        self._waiting_ids.add(listed.doc_id)
        if len(self._waiting) >= self.batch_size:
            await self.flush()
            return
        self._last_add = asyncio.get_running_loop().time()
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._flush_when_idle(), name="sink-lookup-timer")

    async def flush(self) -> None:
        """Look up and decide everything waiting, after any batch being decided."""
        async with self._lock:
            if not self._waiting:
                return
            batch, self._waiting = self._waiting, []
            self._deciding_ids, self._waiting_ids = self._waiting_ids, set()
            try:
                states = await self._fetch([listed.doc_id for listed in batch])
                for listed in batch:
                    await self._decide(listed, states)
            finally:
                self._deciding_ids = set()

    async def close(self) -> None:
        """Decide what waits (finish); the idle timer ends."""
        try:
            await self.flush()
        finally:
            await self._stop_timer()

    async def cancel(self) -> None:
        """Drop what waits (the sync stops)."""
        self._waiting, self._waiting_ids = [], set()
        await self._stop_timer()

    async def _stop_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await timer

    async def _flush_when_idle(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            wait = self._last_add + self.flush_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # recorded by the sink (its fetch or its queue): put/finish raise it
                return
