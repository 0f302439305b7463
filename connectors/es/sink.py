"""The bulk sink: documents from the runner into a content index through ``_bulk``.

Flow of one sync::

    put(doc, lazy_download) ─► skip / update if unchanged ─► lazy download (bounded) ─► MemQueue
        ─► batcher (chunks by count and bytes) ─► _bulk requests (bounded in flight)

Rules:

1. **What the index holds.** ``start(full=True)`` first reads the index's existing
   ``_id → state`` (:mod:`connectors.es.existing`: point in time + ``search_after``, only
   ``_timestamp`` and the source's ``unversioned_fields`` in ``_source``, page by page), each
   state one packed int (:mod:`connectors.es.unchanged`). That map is the only structure that
   grows with the index: about 136 bytes per document without unversioned fields, about 148
   with them (Confluence's ten). An incremental sink (``start(full=False)``) must not read the
   whole index: it looks documents up in bounded batches of ``_mget`` instead
   (:mod:`connectors.es.lookup`: at most ``lookup_batch`` documents wait, flushed when full,
   when the stream pauses for ``flush_interval``, before a delete of an id they hold, and at
   ``finish``).
2. **Skip unchanged** (both kinds of sync; :func:`connectors.es.unchanged.verdict`): a document
   whose ``_timestamp`` and unversioned fields (as they would be stored; absent ≠ ``null``)
   equal the indexed copy is skipped — never downloaded, never written (``skipped``). Same
   ``_timestamp``, unversioned fields changed (a moved sub-tree, a renamed space or page, labels):
   a **partial update** of the listed unversioned fields, *without* the lazy download (no body
   conversion, no attachment download), counted in ``indexed_document_count`` and
   ``metadata_updates``. If a field the index holds is absent from the listed document, the
   document is downloaded and indexed in full (a partial update cannot remove a field).
   Anything else new or changed is downloaded and indexed. Unversioned fields must come from
   the listing, never from the lazy download.
3. **Downloads** run concurrently, at most ``concurrent_downloads`` at a time, and their fields
   are merged into the document before it is queued.
4. **Back-pressure.** The queue is bounded by count and by bytes, so a fast source waits for
   Elasticsearch (``put`` waits). Chunks are bounded by ``chunk_size`` and ``chunk_max_mem_mb``.
5. **Order.** A delete of an id waits for that id's look-up and download, so it is never
   reordered before the id's write. A delete of an id the index does not hold (404) is neither
   an error nor counted as deleted.
6. **Retries**, one layer per failure kind (:mod:`connectors.es.outage`): every request (``_bulk``,
   the pipeline check, the read of existing ids, the look-ups) is retried while Elasticsearch
   does not answer (connection refused or reset, timeout, 429/502/503/504 of the whole request),
   at most ``outage_timeout`` seconds from the first failed attempt; then the sink fails with
   :class:`ElasticsearchUnavailable` and stops its other requests. Items answered 429 are resent
   alone (:mod:`connectors.es.bulk`); other item errors are counted and logged with the id.
7. **Failed downloads.** A lazy download that raises (after the source's own retries) makes the
   document *failed*, never silently dropped: a document the index already holds keeps its
   indexed version untouched (and is not deleted as stale); any other is written with its listed
   metadata, ``content_skipped_reason: "download failed: …"`` and no ``_timestamp``, so the next
   sync does not skip it and retries the download. That write is a ``create`` action, which
   writes only if the id is absent (its 409 means "the indexed version is kept"): it is safe when
   the sink cannot tell what the index holds (a look-up answered with an error).
8. **Error budget.** ``errors`` counts the failed documents (rejected by Elasticsearch or whose
   download failed), each once; past ``error_budget`` of them (a count per sync, not a ratio)
   the sync fails with :class:`ErrorBudgetExceeded`.
9. **Stale documents.** ``finish(delete_stale=True)`` deletes the ids that were in the index but
   not seen in this sync. ``delete_stale=False`` (the listing did not complete) deletes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from elasticsearch import ApiError, NotFoundError, TransportError

from connectors.errors import ElasticsearchUnavailable, ErrorBudgetExceeded, SyncCanceled, SyncError
from connectors.es.bulk import (
    ACTION_OVERHEAD,
    OP_CREATE,
    OP_PARTIAL,
    BulkSending,
    SyncStats,
    pipeline_settings,
)
from connectors.es.errors import MAX_REASON
from connectors.es.errors import api_error_text as _api_error_text
from connectors.es.existing import load_existing
from connectors.es.lookup import LOOKUP_BATCH, Listed, Lookups, indexed_states
from connectors.es.outage import DEFAULT_OUTAGE_TIMEOUT, DEFAULT_RETRY_INTERVAL, OutagePolicy
from connectors.es.unchanged import SKIP, UPDATE, listed_fields, state, verdict
from connectors.source import OP_DELETE, OP_INDEX, OP_UPSERT
from connectors.utils import MIB, MemQueue, QueueClosed, clipped, json_bytes

CONTENT_SKIPPED_REASON = "content_skipped_reason"
_MAX_REASON = MAX_REASON  # characters of a rejected document's reason


class ContentSink(BulkSending):
    """Writes one sync's documents into ``index_name``. See the module docstring."""

    def __init__(
        self,
        client,
        index_name: str,
        *,
        pipeline: dict | str | None = None,
        chunk_size: int = 500,
        chunk_max_mem_mb: float = 5,
        queue_max_size: int = 1024,
        queue_max_mem_mb: float = 25,
        max_concurrency: int = 2,
        concurrent_downloads: int = 10,
        max_retries: int = 3,
        retry_interval: float = 2,
        error_budget: int = 100,
        flush_interval: float = 1.0,
        page_size: int = 1000,
        unversioned_fields: tuple[str, ...] | list[str] = (),
        lookup_batch: int = LOOKUP_BATCH,
        outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT,
        outage_retry_interval: float = DEFAULT_RETRY_INTERVAL,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
    ):
        self.client = client
        self.index_name = index_name
        self.pipeline_name, self._pipeline_fields = pipeline_settings(pipeline)
        self.chunk_size = max(1, int(chunk_size))
        self.chunk_max_bytes = max(1, int(float(chunk_max_mem_mb) * MIB))
        self.queue_max_size = max(1, int(queue_max_size))
        self.queue_max_bytes = max(1, int(float(queue_max_mem_mb) * MIB))
        self.max_retries = max(0, int(max_retries))
        self.retry_interval = float(retry_interval)
        self.error_budget = max(0, int(error_budget))
        self.flush_interval = float(flush_interval)
        self.page_size = max(1, int(page_size))
        self.unversioned_fields = tuple(str(f) for f in unversioned_fields)
        self.lookup_batch = max(1, int(lookup_batch))
        self.logger = logger or logging.getLogger("connectors.es.sink")
        self.outage = OutagePolicy(outage_timeout, outage_retry_interval, self.logger)
        self.stats = SyncStats()
        self._download_slots = asyncio.Semaphore(max(1, int(concurrent_downloads)))
        self._bulk_slots = asyncio.Semaphore(max(1, int(max_concurrency)))
        self._existing: dict[str, int] | None = None  # _id -> state (connectors.es.unchanged)
        self._lookups: Lookups | None = None  # incremental syncs: batched look-ups (rule 1)
        self._queue: MemQueue | None = None
        self._batcher: asyncio.Task | None = None
        self._downloads: dict[str, asyncio.Task] = {}  # pending download per document id
        self._download_tasks: set[asyncio.Task] = set()
        self._bulks: set[asyncio.Task] = set()
        self._failure: BaseException | None = None
        self._state = "new"

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self, full: bool = True) -> None:
        """Prepare for a sync; for a full sync, read the index's existing ids and states."""
        if self._state != "new":
            raise RuntimeError("ContentSink.start() can be called once")
        self._state = "running"
        try:
            await self._check_pipeline()
            if full:
                self._existing = await self.outage.call(
                    f"the read of the existing documents of {self.index_name}", self._load_existing
                )
        except ElasticsearchUnavailable:
            self._state = "failed"
            raise
        except (ApiError, TransportError) as exc:
            self._state = "failed"
            detail = _api_error_text(exc) if isinstance(exc, ApiError) else type(exc).__name__
            raise SyncError(f"reading the existing documents of {self.index_name} failed: {detail}") from None
        if self._existing is not None:
            self.stats.existing_document_count = len(self._existing)
        else:
            self._lookups = Lookups(
                self._fetch_states,
                self._looked_up,
                batch_size=self.lookup_batch,
                flush_interval=self.flush_interval,
            )
        self._queue = MemQueue(self.queue_max_size, self.queue_max_bytes)
        self._batcher = asyncio.create_task(self._run_batcher(), name=f"sink-batcher-{self.index_name}")

    async def put(self, doc: dict[str, Any], lazy_download=None, op: str = OP_INDEX) -> None:
        """Queue ``doc`` for indexing (waits while the queue is full); skip it if unchanged."""
        self._check_running()
        self.stats.docs_seen += 1
        if op == OP_DELETE:
            await self.delete(doc.get("_id"))
            return
        doc_id = doc.get("_id")
        if doc_id in (None, ""):
            await self._reject(None, "the document has no _id")
            return
        doc_id = str(doc_id)
        if self._existing is not None:
            indexed = self._existing.pop(doc_id, None)
            await self._route(op, doc_id, doc, lazy_download, indexed, indexed is not None)
        elif self._lookups is not None and op == OP_INDEX:  # an upsert is the source's explicit write
            await self._lookups.add(Listed(op, doc_id, doc, lazy_download))
        else:
            await self._after_waiting(doc_id)
            await self._write(op, doc_id, doc, lazy_download, None)

    async def _route(
        self, op: str, doc_id: str, doc: dict, lazy_download, indexed: int | None, existed
    ) -> None:
        """Skip, partially update or write ``doc`` against its indexed ``state`` (rule 2)."""
        await self._after_download(doc_id)
        source = self._stored(doc_id, doc)
        decided = verdict(indexed, state(source, self.unversioned_fields))
        if decided == SKIP:
            self.stats.skipped += 1
        elif decided == UPDATE:
            body = json_bytes({"doc": listed_fields(source, self.unversioned_fields)})
            await self._put_op(OP_PARTIAL, doc_id, body)
        else:
            await self._write(op, doc_id, doc, lazy_download, existed)

    async def _write(self, op: str, doc_id: str, doc: dict, lazy_download, existed: bool | None) -> None:
        """Index ``doc``, after its lazy download (``existed``: whether the index holds it)."""
        await self._after_download(doc_id)
        if lazy_download is None:
            await self._enqueue(op, doc_id, doc)
            return
        await self._download_slots.acquire()  # back-pressure: at most N downloads in flight
        self._check_running(finishing=True)  # finish() decides the last look-ups
        task = asyncio.create_task(self._download_then_enqueue(op, doc_id, doc, lazy_download, existed))
        self._downloads[doc_id] = task
        self._download_tasks.add(task)
        task.add_done_callback(lambda t, key=doc_id: self._forget_download(key, t))

    async def delete(self, doc_id: Any) -> None:
        """Queue the deletion of ``doc_id`` (after any pending download of the same id)."""
        self._check_running()
        doc_id = str(doc_id)
        await self._after_waiting(doc_id)
        await self._after_download(doc_id)
        if self._existing is not None:
            self._existing.pop(doc_id, None)
        await self._put_op(OP_DELETE, doc_id, None)

    async def finish(self, delete_stale: bool = False) -> SyncStats:
        """Flush everything; delete stale documents only when ``delete_stale``; return the stats.

        Raises the sync's failure (:class:`SyncError`, :class:`ErrorBudgetExceeded`) if any.
        """
        if self._state != "running":
            raise RuntimeError(f"ContentSink.finish() called in state {self._state}")
        self._state = "finishing"
        try:
            await self._close_lookups()
            if self._download_tasks:
                await asyncio.wait(set(self._download_tasks))
            if self._failure is None and delete_stale and self._existing:
                stale = len(self._existing)
                self.logger.info(f"deleting {stale} documents of {self.index_name} not seen in this sync")
                while self._existing and self._failure is None:
                    doc_id, _ = self._existing.popitem()
                    try:
                        await self._put_op(OP_DELETE, doc_id, None)
                    except (QueueClosed, SyncError):
                        break
            elif self._existing:
                self.logger.info(
                    f"keeping {len(self._existing)} documents of {self.index_name} not seen in this sync "
                    "(stale documents are deleted only after a complete listing)"
                )
            self._existing = None
            if self._queue is not None:
                await self._queue.close()
            if self._batcher is not None:
                await asyncio.wait({self._batcher})
        except asyncio.CancelledError:  # the sync is stopping: no request may outlive it
            await self.cancel()
            raise
        finally:
            if self._state == "finishing":
                self._state = "failed" if self._failure is not None else "finished"
        if self._failure is not None:
            raise self._failure
        return self.stats

    async def cancel(self) -> None:
        """Stop at once: drop queued documents, cancel downloads and requests, delete nothing."""
        if self._state in ("finished", "canceled"):
            return
        self._state = "canceled"
        self._existing = None
        if self._lookups is not None:
            await self._lookups.cancel()
        if self._queue is not None:
            await self._queue.fail(SyncCanceled("the sync was canceled"))
        tasks = list(self._download_tasks) + list(self._bulks)
        if self._batcher is not None:
            tasks.append(self._batcher)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _check_pipeline(self) -> None:
        """Fail at once, clearly, if the ingest pipeline is missing (else every document fails)."""
        if not self.pipeline_name:
            return
        try:
            await self.outage.call(
                f"the check of ingest pipeline {self.pipeline_name}",
                lambda: self.client.ingest.get_pipeline(id=self.pipeline_name),
            )
        except NotFoundError:
            self._state = "failed"
            raise SyncError(
                f"the ingest pipeline '{self.pipeline_name}' of index {self.index_name} does not exist in "
                "Elasticsearch: create it, or change the connector's pipeline settings"
            ) from None
        except ElasticsearchUnavailable:
            raise
        except Exception as exc:  # cannot tell (no permission, old cluster): let _bulk decide
            self.logger.debug(f"could not check ingest pipeline {self.pipeline_name}: {type(exc).__name__}")

    # -- what the index holds ---------------------------------------------------------------
    async def _load_existing(self) -> dict[str, int]:
        return await load_existing(
            self.client, self.index_name, self.page_size, self.logger, self.unversioned_fields
        )

    async def _fetch_states(self, ids: list[str]) -> dict[str, int | None]:
        """One look-up (:func:`connectors.es.lookup.indexed_states`) under the outage policy; a
        failure fails the sink (recorded here, so a look-up in the idle timer is not lost)."""
        self.stats.lookups += 1
        try:
            return await self.outage.call(
                f"a look-up of {len(ids)} listed documents in {self.index_name}",
                lambda: indexed_states(self.client, self.index_name, ids, self.unversioned_fields),
                abort=lambda: self._failure is not None,
            )
        except ElasticsearchUnavailable as exc:
            await self._fail(exc)
            raise
        except (ApiError, TransportError) as exc:
            detail = _api_error_text(exc) if isinstance(exc, ApiError) else type(exc).__name__
            error = SyncError(f"looking up listed documents in {self.index_name} failed: {detail}")
            await self._fail(error)
            raise error from None

    async def _after_waiting(self, doc_id: str) -> None:
        """Rule 5: a write of ``doc_id`` waiting for its look-up is decided first (never called
        while deciding a look-up: it would wait for itself)."""
        if self._lookups is not None and self._lookups.holds(doc_id):
            await self._lookups.flush()

    async def _after_download(self, doc_id: str) -> None:
        """Rule 5: a running download of ``doc_id`` is queued first (a newer write goes last)."""
        pending = self._downloads.get(doc_id)
        if pending is not None:
            await asyncio.wait({pending})

    async def _looked_up(self, listed: Listed, states: dict[str, int | None]) -> None:
        if self._failure is not None:
            raise self._failure
        if listed.doc_id in states:
            indexed = states[listed.doc_id]
            existed = None if indexed is None else True  # None: the answer was an error (unknown)
        else:
            indexed, existed = None, False
        await self._route(listed.op, listed.doc_id, listed.doc, listed.lazy_download, indexed, existed)

    async def _close_lookups(self) -> None:
        if self._lookups is None:
            return
        try:
            await self._lookups.close()
        except (QueueClosed, SyncError, SyncCanceled, ElasticsearchUnavailable):
            pass  # recorded in self._failure, raised by finish

    # -- producing --------------------------------------------------------------------------
    def _check_running(self, finishing: bool = False) -> None:
        if self._failure is not None:
            raise self._failure
        if self._state == "canceled":
            raise SyncCanceled("the sync was canceled")
        if self._state != "running" and not (finishing and self._state == "finishing"):
            raise RuntimeError(f"ContentSink is {self._state}, not running")

    def _forget_download(self, doc_id: str, task: asyncio.Task) -> None:
        self._download_tasks.discard(task)
        if self._downloads.get(doc_id) is task:
            del self._downloads[doc_id]

    async def _download_then_enqueue(
        self, op: str, doc_id: str, doc: dict, lazy_download, existed: bool | None
    ) -> None:
        try:
            try:
                self.stats.downloads += 1
                extra = await lazy_download(doit=True, timestamp=doc.get("_timestamp"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._download_failed(doc_id, doc, _clip(f"{type(exc).__name__}: {exc}"), existed)
                return
            finally:
                self._download_slots.release()
            if extra:
                doc = {**doc, **extra}
            await self._enqueue(op, doc_id, doc)
        except (QueueClosed, SyncError, SyncCanceled):
            return  # the sink failed or was canceled; the failure is already recorded

    async def _download_failed(self, doc_id: str, doc: dict, reason: str, existed: bool | None) -> None:
        """Count the failure; write the metadata-only document unless the index holds one."""
        self.stats.failed_downloads += 1
        if existed:
            await self._count_failure(
                doc_id, f"not updated: its download failed ({reason}); the indexed version is kept"
            )
            return
        outcome = "indexed without its content" if existed is False else "indexed without its content if new"
        await self._count_failure(doc_id, f"{outcome}: its download failed ({reason})")
        if self._failure is not None:
            return
        source = {k: v for k, v in doc.items() if k not in ("_id", "_timestamp")}
        source[CONTENT_SKIPPED_REASON] = _clip(f"download failed: {reason}")
        source.setdefault("id", doc_id)
        source.update(self._pipeline_fields)
        await self._put_op(OP_CREATE, doc_id, json_bytes(source))

    def _stored(self, doc_id: str, doc: dict) -> dict:
        """The ``_source`` the sink writes for ``doc``."""
        source = {k: v for k, v in doc.items() if k != "_id"}
        source.setdefault("id", doc_id)
        source.update(self._pipeline_fields)
        return source

    async def _enqueue(self, op: str, doc_id: str, doc: dict) -> None:
        source = self._stored(doc_id, doc)
        if op == OP_UPSERT:
            body = json_bytes({"doc": source, "doc_as_upsert": True})
        else:
            body = json_bytes(source)
        await self._put_op(OP_UPSERT if op == OP_UPSERT else OP_INDEX, doc_id, body)

    async def _put_op(self, op: str, doc_id: str, body: bytes | None) -> None:
        assert self._queue is not None
        size = len(doc_id) + ACTION_OVERHEAD + (len(body) if body else 0)
        await self._queue.put((op, doc_id, body), size)

    # -- failures ---------------------------------------------------------------------------
    async def _reject(self, doc_id: str | None, reason: str, action: str = "index") -> None:
        await self._count_failure(doc_id, f"not {action}ed: {reason}")

    async def _count_failure(self, doc_id: str | None, what: str) -> None:
        """One more failed document (logged with its id); past the error budget the sync fails."""
        self.stats.errors += 1
        self.logger.warning(f"document {doc_id!s} {what}")
        if self.stats.errors > self.error_budget and self._failure is None:
            await self._fail(
                ErrorBudgetExceeded(
                    f"{self.stats.errors} documents failed in this sync of {self.index_name} (rejected by "
                    f"Elasticsearch or not downloaded), more than the error budget of {self.error_budget} "
                    f"(elasticsearch.bulk.error_budget; last: document {doc_id!s} {what})"
                )
            )

    async def _fail(self, error: BaseException) -> None:
        if self._failure is None:
            self._failure = error
            self.logger.error(str(error))
        if self._queue is not None:
            await self._queue.fail(error)


def _clip(text: str) -> str:
    return clipped(text, _MAX_REASON)
