"""The consuming half of the content sink: queued operations → chunks → ``_bulk`` → accounting.

:class:`BulkSending` is mixed into :class:`connectors.es.sink.ContentSink` (whose docstring holds
the rules: back-pressure, retries, counts). Rules of this half:

1. **Chunks** are bounded by ``chunk_size`` operations and ``chunk_max_bytes``; a chunk that waits
   ``flush_interval`` seconds with nothing new is sent as it is; at most ``max_concurrency``
   ``_bulk`` requests are in flight.
2. **Operations** are queued as ``(op, id, body)``: ``index``, ``create`` (a failed download's
   metadata, kept only if the id is absent), ``update`` (``doc_as_upsert``), ``delete`` and
   :data:`OP_PARTIAL` (a partial update of unversioned fields, sent as an ``update`` action
   without upsert: a document deleted meanwhile is a rejected item, not a new document).
3. **Retries**: the whole request under the sink's outage policy; items answered 429 resent alone,
   ``max_retries`` times with backoff; other item errors are the sink's rejections.
4. **Accounting**: an accepted write counts in ``indexed_document_count`` and its body's bytes in
   ``indexed_document_volume`` (a partial update also in ``metadata_updates``); an accepted
   delete in ``deleted_document_count``; a delete answered 404 (not in the index) in nothing.

The counts of a sync are :class:`SyncStats`. The sink provides ``client``, ``index_name``, ``pipeline_name``, ``logger``, ``outage``,
``stats``, the bounds above, ``_queue``, ``_bulk_slots``, ``_bulks``, ``_failure``, ``_fail``
and ``_reject``.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

from elasticsearch import ApiError, TransportError

from connectors.errors import ElasticsearchUnavailable, SyncError
from connectors.es.client import response_body
from connectors.es.errors import MAX_REASON, error_reason
from connectors.es.errors import api_error_text as _api_error_text
from connectors.source import OP_DELETE
from connectors.utils import QueueClosed, backoff_delay, clipped, json_bytes

OP_CREATE = "create"  # bulk action of a failed download's metadata-only document
OP_PARTIAL = "partial"  # a partial update of unversioned fields (bulk action "update", no upsert)
_ACTIONS = {OP_PARTIAL: "update"}  # queued op -> bulk action, when they differ
ACTION_OVERHEAD = 80  # bytes of an action line besides the id


@dataclass
class SyncStats:
    """Counts of one sync, updated live (read them any time for heartbeats)."""

    docs_seen: int = 0  # documents handed to put()
    indexed_document_count: int = 0  # documents Elasticsearch accepted (created or updated)
    indexed_document_volume: int = 0  # bytes of the accepted documents' sources
    deleted_document_count: int = 0  # documents deleted (explicit deletes and stale ones)
    skipped: int = 0  # unchanged documents not sent again
    metadata_updates: int = 0  # of indexed_document_count: partial updates, no download (rule 2)
    errors: int = 0  # failed documents: rejected by Elasticsearch or whose download failed
    downloads: int = 0  # lazy downloads run
    failed_downloads: int = 0  # lazy downloads that raised (included in errors)
    existing_document_count: int = 0  # documents in the index when the full sync started
    lookups: int = 0  # _mget requests of an incremental sync's skip-unchanged (rule 1)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


class BulkSending:
    """The batcher and the ``_bulk`` requests of a sink (rules in the module docstring)."""

    async def _run_batcher(self) -> None:
        assert self._queue is not None
        chunk: list[tuple[str, str, bytes | None]] = []
        chunk_bytes = 0
        try:
            while True:
                try:
                    item = await self._queue.get(timeout=self.flush_interval if chunk else None)
                except QueueClosed:
                    break
                if item is None:  # nothing new for a while: send what we have
                    await self._dispatch(chunk)
                    chunk, chunk_bytes = [], 0
                    continue
                size = len(item[1]) + ACTION_OVERHEAD + (len(item[2]) if item[2] else 0)
                if chunk and chunk_bytes + size > self.chunk_max_bytes:
                    await self._dispatch(chunk)
                    chunk, chunk_bytes = [], 0
                chunk.append(item)
                chunk_bytes += size
                if len(chunk) >= self.chunk_size:
                    await self._dispatch(chunk)
                    chunk, chunk_bytes = [], 0
            if chunk and self._failure is None:
                await self._dispatch(chunk)
            if self._bulks:
                await asyncio.wait(set(self._bulks))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an unexpected client error: fail the sync, never hang
            await self._fail(SyncError(f"writing to {self.index_name} failed: {type(exc).__name__}: {exc}"))

    async def _dispatch(self, chunk: list) -> None:
        if not chunk or self._failure is not None:
            return
        await self._bulk_slots.acquire()
        if self._failure is not None:  # failed while this chunk waited for a slot: never send it
            self._bulk_slots.release()
            return
        task = asyncio.create_task(self._send(chunk))
        self._bulks.add(task)
        task.add_done_callback(self._bulk_done)

    def _bulk_done(self, task: asyncio.Task) -> None:
        self._bulks.discard(task)
        self._bulk_slots.release()

    async def _send(self, chunk: list) -> None:
        try:
            pending = chunk
            attempt = 0
            while pending:
                response = await self._bulk(pending)
                retry = []
                for entry, item in zip(pending, response.get("items") or [], strict=False):
                    result = next(iter(item.values())) if item else {}
                    status = int(result.get("status", 200))
                    if status == 429 and attempt < self.max_retries:
                        retry.append(entry)
                        continue
                    await self._account(entry, status, result)
                if not retry or self._failure is not None:
                    break
                self.logger.warning(
                    f"Elasticsearch is overloaded (429) for {len(retry)} documents; retry {attempt + 1} "
                    f"of {self.max_retries}"
                )
                await asyncio.sleep(backoff_delay(attempt, self.retry_interval))
                attempt += 1
                pending = retry
        except asyncio.CancelledError:
            raise
        except (SyncError, ElasticsearchUnavailable) as exc:
            await self._fail(exc)
        except Exception as exc:
            await self._fail(SyncError(f"writing to {self.index_name} failed: {type(exc).__name__}: {exc}"))

    async def _account(self, entry: tuple, status: int, result: dict) -> None:
        op, doc_id, body = entry
        if op == OP_DELETE:
            if status < 300:
                self.stats.deleted_document_count += 1
            elif status != 404:  # 404: already gone
                await self._reject(doc_id, _reason(result, status), action="delete")
            return
        if status < 300:
            self.stats.indexed_document_count += 1
            self.stats.indexed_document_volume += len(body or b"")
            if op == OP_PARTIAL:
                self.stats.metadata_updates += 1
        elif op == OP_CREATE:  # a failed download's metadata: the failure is counted already
            if status == 409:
                self.logger.debug(f"document {doc_id} already indexed: its indexed version is kept")
            else:
                self.logger.warning(
                    f"document {doc_id} (download failed) not indexed: {_reason(result, status)}"
                )
        else:
            await self._reject(doc_id, _reason(result, status))

    async def _bulk(self, pending: list) -> dict:
        lines: list[bytes] = []
        for op, doc_id, body in pending:
            lines.append(json_bytes({_ACTIONS.get(op, op): {"_index": self.index_name, "_id": doc_id}}))
            if body is not None:
                lines.append(body)
        kwargs: dict[str, Any] = {"operations": lines}
        if self.pipeline_name:
            kwargs["pipeline"] = self.pipeline_name
        try:
            response = await self.outage.call(
                f"a _bulk request to {self.index_name}",
                lambda: self.client.bulk(**kwargs),
                abort=lambda: self._failure is not None,  # another request gave up: stop too
            )
        except ApiError as exc:  # not an outage (400, 401, 500, ...): retrying cannot fix it
            status = exc.meta.status if exc.meta is not None else None
            raise SyncError(
                f"Elasticsearch refused a _bulk request to {self.index_name} "
                f"(status {status}: {_api_error_text(exc)})"
            ) from None
        except TransportError as exc:  # TLS, serialization: not an outage either
            raise SyncError(
                f"a _bulk request to {self.index_name} failed: {type(exc).__name__}: {exc}"
            ) from None
        return response_body(response)


def pipeline_settings(pipeline: dict | str | None) -> tuple[str | None, dict[str, Any]]:
    """The bulk ``pipeline`` name and the ``_extract_binary_content``-style fields to add."""
    if not pipeline:
        return None, {}
    if isinstance(pipeline, str):
        return pipeline, {}
    fields = {
        f"_{key}": bool(pipeline[key])
        for key in ("extract_binary_content", "reduce_whitespace", "run_ml_inference")
        if key in pipeline
    }
    return pipeline.get("name") or None, fields


def _reason(result: dict, status: int) -> str:
    """A rejected bulk item's ``type: reason (status N)``, read by the one error-body reader."""
    error = result.get("error")
    reason = error_reason(result)
    if isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {reason or ''}"
    else:
        text = reason or f"status {status}"
    text = f"{text} (status {status})" if "status" not in text else text
    return clipped(text, MAX_REASON)
