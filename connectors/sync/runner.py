"""Run one sync job, from claim to terminal state.

``SyncJobRunner(job, ...).run()``:

1. claims the job (conditional write: returns ``None`` if another process got it first); a content
   job's claim is then given back, and the job waits, pending, while another content job (full or
   incremental) of the connector is in progress — in any process (rule in ``JobStore.claim``);
2. marks the connector's ``last_sync_status`` (or ``last_access_control_sync_status``) in progress;
3. builds the source from the job's connector snapshot (service type → registry, configuration
   with the source's defaults) and checks its configuration and reachability;
4. streams the source into the sink — full: ``get_docs`` → basic rules → ``put``, stale documents
   deleted only if the listing completed; incremental: ``get_docs_incrementally`` with
   operations, stale documents never deleted — or, if the source declines the cursor
   (``FullSyncRequired`` before yielding anything), the full path, with the reason logged and
   written to the job's ``metadata.incremental_fallback``; access control:
   ``get_access_control`` into ``.search-acl-filter-<index>``. Before a content sync (full,
   incremental, the full fallback; never access control) the source gets a read-only
   :class:`~connectors.index_view.IndexView` of the job's index (``set_index_view``: the only way
   a source reads the index), and the sink the source's ``unversioned_fields`` (skip-unchanged
   compares them with ``_timestamp``); with document level security on
   (:func:`connectors.access_control.dls_on`) every content document reaches the sink with a
   non-empty ``_allow_access_control`` (``deny:nobody`` when its source gave none: never public);
5. meanwhile a watcher heartbeats the job with the sink's live counts and stops the work within
   about a second when the job is set to ``canceling`` (→ canceled) or taken away;
6. writes the terminal state and counts (conditional write) and the connector's last_* fields,
   storing the source's ``sync_cursor`` after a successful content sync only (full or
   incremental; a failed, canceled or suspended sync leaves the old cursor).

Elasticsearch outages (rules of :mod:`connectors.es.outage`; ``docs/CONFIG.md``, "Retries"):

* the index preparation and every sink request are retried while Elasticsearch does not answer,
  at most ``elasticsearch.outage_timeout`` seconds from the first failed attempt; the watcher's
  heartbeat and cancel check are not retried (it polls again) but count against the same bound:
  failing for longer stops the sync. Failures are logged at a bounded rate, never fatal earlier;
* a sync that gave up ends ``error`` with the reason. The final write (count, terminal state)
  is then retried, without limit, until Elasticsearch answers: while it is known to be down
  each attempt starts with a read of the job cut at :data:`PROBE_TIMEOUT`, so the count adds
  no long wait, and the state is written as soon as it answers again;
* if the service is stopping (SIGTERM) while Elasticsearch is known to be down, the runner gives
  up that wait at once and the job stays ``in_progress``: the orphan cleanup marks it ``error``
  once its heartbeat is older than ``service.job_idle_threshold``. A stop with Elasticsearch up
  writes ``suspended`` as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum

from elasticsearch import NotFoundError

from connectors import worker_liveness
from connectors.access_control import dls_on, guard_document
from connectors.errors import ConnectorError, ElasticsearchUnavailable, FullSyncRequired, SyncError
from connectors.es.errors import error_message
from connectors.es.outage import OutagePolicy, no_answer
from connectors.logger import get_logger, set_task_context
from connectors.protocol import (
    ACCESS_CONTROL_INDEX_PREFIX,
    ConnectorStore,
    JobStatus,
    JobStore,
    JobType,
    StaleDocument,
    SyncJobDoc,
)
from connectors.registry import SourceRegistry
from connectors.source import OP_DELETE
from connectors.sync.plumbing import SyncPlumbing, default_plumbing, sink_counts
from connectors.sync.progress import Progress, ProgressReporter
from connectors.sync.settings import ServiceSettings
from connectors.utils import iso_utc

CANCEL_POLL_MAX = 1.0
PROBE_TIMEOUT = 10.0  # seconds: a read while Elasticsearch is known to be down (final write)


class StopReason(enum.Enum):
    CANCELED = "canceled"  # a user asked (job status canceling)
    SUSPENDED = "suspended"  # the service is shutting down
    LOST = "lost"  # the job was finished or deleted by someone else
    UNREACHABLE = "unreachable"  # Elasticsearch did not answer the watcher within the outage bound


STOP_STATUS = {
    StopReason.CANCELED: JobStatus.CANCELED,
    StopReason.SUSPENDED: JobStatus.SUSPENDED,
    StopReason.LOST: JobStatus.ERROR,
    StopReason.UNREACHABLE: JobStatus.ERROR,
}
FAILING_STOPS = (StopReason.LOST, StopReason.UNREACHABLE)  # they end the job error, with a reason
LOST_ERROR = "the job was finished or removed by another process while running"


class _LeftInProgress(Exception):
    """The service stopped while the final write waited for Elasticsearch."""


def mappings_extra_of(source) -> dict | None:
    """Extra content-index ``properties`` a source declares (``mappings_extra``: dict or method)."""
    extra = getattr(source, "mappings_extra", None)
    if callable(extra):
        extra = extra()
    return extra if isinstance(extra, dict) else None


class SyncJobRunner:
    def __init__(
        self,
        job: SyncJobDoc,
        *,
        jobs: JobStore,
        connectors: ConnectorStore,
        registry: SourceRegistry,
        client,
        settings: ServiceSettings,
        plumbing: SyncPlumbing | None = None,
    ):
        self.job = job
        self.jobs = jobs
        self.connectors = connectors
        self.registry = registry
        self.client = client
        self.settings = settings
        self.plumbing = plumbing or default_plumbing()
        self.logger = get_logger(
            "connectors.sync",
            connector_id=job.connector_id,
            job_id=job.id,
            job_type=job.job_type.value,
            index_name=job.index_name,
        )
        self.progress = Progress()
        self.sink = None
        self._final_stats = None
        self._stop_reason: StopReason | None = None
        self._work: asyncio.Task | None = None
        self._cursor: dict | None = None
        self.fallback_reason: str | None = None  # why an incremental job ran as a full sync
        self.waiting_for: str | None = None  # the content job that held this one back
        self.outage = OutagePolicy(settings.outage_timeout, settings.retry_interval, self.logger)
        self._stop_error: str | None = None
        self._shutdown = asyncio.Event()  # the service is stopping (the job would end suspended)
        self._es_down = False  # Elasticsearch was not answering when the work ended
        self._dls = False  # DLS on for this content sync: every document gets a non-empty ACL

    # -- control -------------------------------------------------------------------------
    def request_stop(self, reason: StopReason, error: str | None = None) -> None:
        """Stop the work (first reason wins); the job then ends canceled/suspended/error."""
        if self._stop_reason is None:
            self._stop_reason = reason
            self._stop_error = error or (LOST_ERROR if reason is StopReason.LOST else None)
        if reason is StopReason.SUSPENDED:
            self._shutdown.set()
        if self._work is not None and not self._work.done():
            self._work.cancel()

    def counts(self) -> dict:
        stats = self._final_stats
        if stats is None and self.sink is not None:
            stats = getattr(self.sink, "stats", None)
        return sink_counts(stats)

    # -- the job -------------------------------------------------------------------------
    async def run(self) -> JobStatus | None:
        """Run the job to its end; ``None`` if another process claimed it first, or if another
        content job of the connector is in progress (then the job is given back and waits:
        :attr:`waiting_for` names that job)."""
        set_task_context(**self.logger.extra)
        connector = await self.connectors.get(self.job.connector_id) if self.job.connector_id else None
        cursor = connector.sync_cursor if connector is not None else None
        process = await asyncio.to_thread(worker_liveness.identify, self.settings.hostname, self.settings.pid)
        before = self.job
        try:
            self.job = await self.jobs.claim(
                self.job,
                self.settings.hostname,
                cursor,
                worker=self.settings.worker,
                worker_process=process,
            )
        except StaleDocument:
            self.logger.debug("job claimed by another process")
            return None
        if self.job.job_type.is_content and not await self._keep_claim(before):
            return None
        self.logger.info(
            f"claimed {self.job.job_type.value} sync (trigger {self.job.trigger_method}) "
            f"as worker {self.settings.worker}"
        )
        await self._connector_sync_starts()

        status, error = JobStatus.COMPLETED, None
        reporter = ProgressReporter(self.progress, self.counts, self.logger, self.settings.progress_interval)
        watcher = asyncio.create_task(self._watch(), name=f"job-watch-{self.job.id}")
        self._work = asyncio.create_task(self._execute(connector, cursor), name=f"job-{self.job.id}")
        if self._stop_reason is not None:  # asked to stop while claiming
            self._work.cancel()
        reporter.start()
        try:
            await asyncio.shield(self._work)
        except asyncio.CancelledError:
            if self._stop_reason is None:
                # the runner itself is being cancelled (service exit): suspend the job
                self.request_stop(StopReason.SUSPENDED)
                await asyncio.gather(self._work, return_exceptions=True)
            status = STOP_STATUS[self._stop_reason]
            if self._stop_reason in FAILING_STOPS:
                error = self._stop_error
                self.logger.error(f"sync failed: {error}")
        except Exception as exc:  # every failure ends the job with a readable error
            if self._stop_reason is not None and self._stop_reason not in FAILING_STOPS:
                status = STOP_STATUS[self._stop_reason]  # an error caused by stopping (e.g. SyncCanceled)
            else:
                status, error = JobStatus.ERROR, error_message(exc)
                self._es_down = self._es_down or isinstance(exc, ElasticsearchUnavailable)
                self.logger.error(f"sync failed: {error}", exc_info=not isinstance(exc, ConnectorError))
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await reporter.stop()
        return await self._finish(status, error)

    async def _keep_claim(self, before: SyncJobDoc) -> bool:
        """One content job per connector at a time (rule in ``JobStore.claim``): keep this claim
        only if no other content job of the connector is in progress; else give the job back."""
        try:
            others = await self.jobs.other_active_content_jobs(self.job)
        except Exception as exc:  # cannot tell: give the job back rather than risk two at once
            self.logger.warning(f"could not check the connector's other content jobs: {error_message(exc)}")
            others = None
        if others == []:
            return True
        self.waiting_for = others[0].id if others else "unknown"
        running = f"{others[0].job_type.value} sync {others[0].id}" if others else "another content sync"
        self.logger.info(f"{self.job.job_type.value} sync waits: {running} of this connector is in progress")
        try:
            await self.jobs.unclaim(self.job, before)
        except StaleDocument:  # written since the claim: a cancel request (nothing else writes it)
            current = await self.jobs.get(self.job.id)
            if current is not None and current.status is JobStatus.CANCELING:
                await self.jobs.terminate(self.job.id, JobStatus.CANCELED)
        except Exception as exc:
            self.logger.error(
                f"could not give the job back ({error_message(exc)}); the orphan cleanup will end it"
            )
        return False

    async def _finish(self, status: JobStatus, error: str | None) -> JobStatus | None:
        counts = self.counts()
        counts.setdefault("total_document_count", 0)
        try:
            written = await self._write_final(status, error, counts)
        except _LeftInProgress:
            return None
        final = written.status if written is not None else None
        if final is None:
            try:
                current = await self.jobs.get(self.job.id)
            except Exception as exc:
                self.logger.error(f"could not read the job back: {error_message(exc)}")
                current = None
            final = current.status if current is not None else None
            error = current.error if current is not None else error
        else:
            error = written.error
        self.logger.info(
            f"sync ended {final.value if final else 'unknown'}: indexed={counts.get('indexed_document_count', 0)} "
            f"deleted={counts.get('deleted_document_count', 0)} total={counts['total_document_count']}"
        )
        if final is not None:
            await self._connector_sync_done(final, error, counts)
        return final

    async def _write_final(self, status: JobStatus, error: str | None, counts: dict):
        """Count the index and write the terminal state; while Elasticsearch does not answer, try
        again (backoff, bounded logging) until it does. ``None`` if not written (someone else
        finished the job, or a write error that is not an outage); :class:`_LeftInProgress` if
        the service stops while Elasticsearch is down."""
        loop = asyncio.get_running_loop()
        outage = self.outage.outage(f"the write of this job's final status {status.value}", timeout=None)
        attempt = 0
        while True:
            if self._es_down and self._shutdown.is_set():
                self.logger.error(
                    f"the service is stopping while Elasticsearch does not answer: this job's final status "
                    f"{status.value} is not written; the job stays in progress until the orphan cleanup of "
                    "a running service marks it error"
                )
                raise _LeftInProgress
            started = loop.time()
            try:
                if self._es_down:  # known down: a short read first, so the count adds no long wait
                    async with asyncio.timeout(min(PROBE_TIMEOUT, self.settings.request_timeout)):
                        await self.jobs.get(self.job.id)
                counts["total_document_count"] = await self._index_count()
                written = await self.jobs.terminate(self.job.id, status, error, counts)
            except Exception as exc:
                problem = no_answer(exc)
                if problem is None:
                    self.logger.error(
                        f"could not write the job's final status {status.value}: {error_message(exc)}"
                    )
                    return None
                self._es_down = True
                outage.failed(started, problem)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.outage.delay(attempt)):
                        await self._shutdown.wait()
                attempt += 1
                continue
            outage.answered()
            return written

    async def _execute(self, connector, cursor) -> None:
        source = self.registry.build(self.job.service_type, self.job.configuration)
        try:
            await source.validate_config()
            await source.ping()
            job_type = self.job.job_type
            self._dls = dls_on(source)
            if job_type is JobType.ACCESS_CONTROL:
                await self._access_control(source)
            elif job_type is JobType.INCREMENTAL:
                await self._incremental(source, cursor)
            else:
                await self._full(source)
            self._cursor = source.sync_cursor()
        finally:
            try:
                await source.close()
            except Exception as exc:
                self.logger.warning(f"closing the source failed: {error_message(exc)}")

    # -- the three kinds of sync ---------------------------------------------------------
    def _new_sink(self, index_name: str, source=None):
        options = self.settings.sink_options()
        if source is not None:  # a content sync: skip-unchanged sees the unversioned fields too
            options["unversioned_fields"] = tuple(getattr(source, "unversioned_fields", ()) or ())
        self.sink = self.plumbing.make_sink(self.client, index_name, self.job.pipeline, options, self.logger)
        return self.sink

    def _give_index_view(self, source, index_name: str) -> None:
        """Step 4: the source's read-only view of the content index, before it lists anything."""
        view = self.plumbing.make_index_view(self.client, index_name, self.outage, self.logger)
        source.set_index_view(view)

    async def _ensure_index(self, index_name: str, mappings_extra: dict | None = None) -> None:
        await self.outage.call(
            f"the preparation of index {index_name}",
            lambda: self.plumbing.ensure_index(self.client, index_name, mappings_extra),
        )

    async def _full(self, source) -> None:
        index_name = self._content_index()
        await self._ensure_index(index_name, mappings_extra_of(source))
        rules = self.plumbing.make_filter(self.job.filtering)
        self._give_index_view(source, index_name)
        sink = self._new_sink(index_name, source)
        await sink.start(full=True)
        try:
            async for doc, lazy_download in source.get_docs(filtering=rules):
                self.progress.seen += 1
                if not rules.matches(doc):
                    self.progress.filtered_out += 1
                    continue
                await sink.put(guard_document(doc) if self._dls else doc, lazy_download)
        except BaseException:
            await self._abandon(sink)
            raise
        self._final_stats = await sink.finish(delete_stale=True)

    async def _incremental(self, source, cursor) -> None:
        """The changes since ``cursor``; a source that declines the cursor
        (:class:`FullSyncRequired`, before yielding anything) gets a full sync instead."""
        if not getattr(source, "incremental_sync_enabled", False):
            raise SyncError(f"source {self.job.service_type!r} does not support incremental syncs")
        rules = self.plumbing.make_filter(self.job.filtering)
        self._give_index_view(source, self._content_index())
        changes = aiter(source.get_docs_incrementally(cursor, filtering=rules))
        try:
            first = await anext(changes)
        except StopAsyncIteration:
            first = None
        except FullSyncRequired as exc:
            await changes.aclose()
            await self._fall_back_to_full(source, str(exc))
            return
        except BaseException:
            await changes.aclose()
            raise
        index_name = self._content_index()
        await self._ensure_index(index_name, mappings_extra_of(source))
        sink = self._new_sink(index_name, source)
        await sink.start(full=False)
        try:
            if first is not None:
                await self._apply(sink, rules, *first)
                async for doc, lazy_download, operation in changes:
                    await self._apply(sink, rules, doc, lazy_download, operation)
        except BaseException:
            await self._abandon(sink)
            raise
        finally:
            await changes.aclose()
        self._final_stats = await sink.finish(delete_stale=False)

    async def _apply(self, sink, rules, doc, lazy_download, operation) -> None:
        self.progress.seen += 1
        if operation == OP_DELETE:
            await sink.delete(doc["_id"])
        elif rules.matches(doc):
            await sink.put(guard_document(doc) if self._dls else doc, lazy_download, operation)
        else:
            self.progress.filtered_out += 1

    async def _fall_back_to_full(self, source, reason: str) -> None:
        """Run this incremental job as a full sync (skip unchanged, stale deletion), saying so
        in the log and on the job (``metadata.incremental_fallback``)."""
        self.fallback_reason = reason or "the source asked for a full sync"
        self.logger.info(f"incremental sync runs as a full sync: {self.fallback_reason}")
        try:
            await self.jobs.record_incremental_fallback(self.job.id, self.fallback_reason)
        except Exception as exc:  # the sync itself does not depend on this note
            self.logger.warning(f"could not record the full-sync fallback on the job: {error_message(exc)}")
        await self._full(source)

    async def _access_control(self, source) -> None:
        if not getattr(source, "dls_enabled", False):
            raise SyncError(f"source {self.job.service_type!r} does not support document-level security")
        index_name = self.job.index_name or ""
        if not index_name.startswith(ACCESS_CONTROL_INDEX_PREFIX):
            index_name = ACCESS_CONTROL_INDEX_PREFIX + index_name
        await self._ensure_index(index_name)
        sink = self._new_sink(index_name)
        await sink.start(full=True)
        try:
            async for doc in source.get_access_control():
                self.progress.seen += 1
                await sink.put(doc, None)
        except BaseException:
            await self._abandon(sink)
            raise
        self._final_stats = await sink.finish(delete_stale=True)

    async def _abandon(self, sink) -> None:
        """The listing did not complete: flush what was read, delete nothing."""
        try:
            if self._stop_reason is not None and hasattr(sink, "cancel"):
                await sink.cancel()
                self._final_stats = getattr(sink, "stats", None)
            else:
                self._final_stats = await sink.finish(delete_stale=False)
        except Exception as exc:
            self.logger.warning(f"closing the sink after a failure failed: {error_message(exc)}")

    def _content_index(self) -> str:
        if not self.job.index_name:
            raise SyncError("the job's connector has no index_name")
        return self.job.index_name

    async def _index_count(self) -> int:
        index_name = self.job.index_name
        if not index_name:
            return 0
        try:
            await self.client.indices.refresh(index=index_name, ignore_unavailable=True)
            resp = await self.client.count(index=index_name, ignore_unavailable=True)
            return int(resp["count"])
        except Exception as exc:
            if no_answer(exc):
                raise  # Elasticsearch is down: the final write waits for it
            self.logger.warning(f"could not count documents of {index_name}: {error_message(exc)}")
            return 0

    # -- heartbeat and cancellation ------------------------------------------------------
    async def _watch(self) -> None:
        poll = min(CANCEL_POLL_MAX, self.settings.job_heartbeat)
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + self.settings.job_heartbeat
        outage = self.outage.outage("the job's heartbeat and cancel check")
        try:
            while True:
                await asyncio.sleep(poll)
                started = loop.time()
                try:  # one step: no retry inside, at most request_timeout (and never past the bound)
                    async with asyncio.timeout(min(self.settings.request_timeout, outage.budget(started))):
                        current = await self.jobs.get(self.job.id)
                        if current is None or current.status not in (
                            JobStatus.IN_PROGRESS,
                            JobStatus.CANCELING,
                        ):
                            self.logger.warning("job no longer in progress here; stopping")
                            self.request_stop(StopReason.LOST)
                            return
                        if current.status is JobStatus.CANCELING:
                            self.logger.info("cancellation requested; stopping")
                            self.request_stop(StopReason.CANCELED)
                            return
                        if loop.time() >= next_beat:
                            await self.jobs.heartbeat(self.job.id, self._heartbeat_counts())
                            next_beat = loop.time() + self.settings.job_heartbeat
                    outage.answered()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # logged (bounded), never fatal before the outage bound
                    problem = no_answer(exc)
                    if problem is None:
                        self.logger.warning(f"job heartbeat failed: {error_message(exc)}")
                    elif outage.failed(started, problem):
                        self.request_stop(StopReason.UNREACHABLE, str(outage.error()))
                        return
        finally:
            self._es_down = self._es_down or outage.failing

    def _heartbeat_counts(self) -> dict:
        counts = self.counts()
        return {
            "indexed_document_count": counts.get("indexed_document_count", 0),
            "indexed_document_volume": counts.get("indexed_document_volume", 0),
            "deleted_document_count": counts.get("deleted_document_count", 0),
            "failed_document_count": counts.get("failed_document_count", 0),
        }

    # -- connector bookkeeping -----------------------------------------------------------
    def _last_fields(self, status: JobStatus, error: str | None) -> dict:
        if self.job.job_type is JobType.ACCESS_CONTROL:
            return {"last_access_control_sync_status": status.value, "last_access_control_sync_error": error}
        return {"last_sync_status": status.value, "last_sync_error": error}

    async def _connector_sync_starts(self) -> None:
        try:
            await self.connectors.last_sync(
                self.job.connector_id, **self._last_fields(JobStatus.IN_PROGRESS, None)
            )
        except NotFoundError:
            pass
        except Exception as exc:
            self.logger.warning(f"could not mark the connector's sync in progress: {error_message(exc)}")

    async def _connector_sync_done(self, status: JobStatus, error: str | None, counts: dict) -> None:
        connector_id = self.job.connector_id
        fields = self._last_fields(status, error)
        fields["last_synced"] = iso_utc()
        if status is not JobStatus.SUSPENDED:
            fields["last_indexed_document_count"] = counts.get("indexed_document_count", 0)
            fields["last_deleted_document_count"] = counts.get("deleted_document_count", 0)
        if status is JobStatus.COMPLETED and self.job.job_type.is_content and self._cursor is not None:
            fields["sync_cursor"] = self._cursor
        try:
            await self.connectors.last_sync(connector_id, **fields)
            if status is JobStatus.ERROR:
                await self.connectors.set_error(connector_id, error or "sync failed")
            elif status is JobStatus.COMPLETED:
                await self.connectors.set_connected(connector_id)
        except NotFoundError:
            self.logger.warning("connector deleted while its job ran")
        except Exception as exc:
            self.logger.error(f"could not update the connector after the sync: {error_message(exc)}")
