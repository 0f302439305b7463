"""The sync-job documents (``.elastic-connectors-sync-jobs``).

Jobs are created through ``POST _connector/_sync_job`` (the same call Kibana makes), heartbeats
and counts go through ``…/_check_in`` and ``…/_stats``. Claiming a job and writing its terminal
state are conditional writes on the jobs index (``if_seq_no``/``if_primary_term``): of two
processes racing for the same job exactly one wins, and a state written by someone else (a
cancel request, the orphan cleanup) is never overwritten blindly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import NotFoundError

from connectors.es.client import response_body
from connectors.protocol.conditional import update_if_unchanged
from connectors.protocol.connectors import protocol_client
from connectors.protocol.constants import (
    ACTIVE_JOB_STATUSES,
    CONTENT_JOB_TYPES,
    INCREMENTAL_FALLBACK_FIELD,
    JOB_TRANSITIONS,
    JOBS_INDEX,
    RUNNABLE_JOB_STATUSES,
    JobStatus,
    JobType,
    TriggerMethod,
)
from connectors.protocol.documents import SyncJobDoc
from connectors.protocol.errors import JobNotFound, StaleDocument
from connectors.utils import iso_utc

ACTIVE_STATUSES = tuple(s.value for s in ACTIVE_JOB_STATUSES)
RUNNABLE_STATUSES = tuple(s.value for s in RUNNABLE_JOB_STATUSES)
COUNT_FIELDS = (
    "indexed_document_count",
    "indexed_document_volume",
    "deleted_document_count",
    "total_document_count",
)
#: counts the protocol has no field for, kept under the job's ``metadata`` (which ``_stats`` and
#: partial updates merge, so ``metadata.worker`` stays): documents that failed (rejected by
#: Elasticsearch or whose download failed) — the UI's "Docs failed" — and, of the indexed ones,
#: those written as a partial update of fields changed without a version (no download)
METADATA_COUNT_FIELDS = ("failed_document_count", "metadata_updated_document_count")
TERMINATE_ATTEMPTS = 5


def metadata_counts(counts: dict | None) -> dict:
    """The ``metadata`` entries of ``counts`` (see :data:`METADATA_COUNT_FIELDS`)."""
    return {key: int(counts[key]) for key in METADATA_COUNT_FIELDS if counts and counts.get(key) is not None}


class JobStore:
    def __init__(self, client, max_results: int = 500):
        self.client = protocol_client(client)
        self.max_results = max_results

    # -- creation ------------------------------------------------------------------------
    async def create(self, connector_id: str, job_type: JobType, trigger: TriggerMethod) -> str:
        resp = response_body(
            await self.client.connector.sync_job_post(
                id=connector_id, job_type=JobType(job_type).value, trigger_method=TriggerMethod(trigger).value
            )
        )
        return resp["id"]

    # -- reads ---------------------------------------------------------------------------
    async def get(self, job_id: str) -> SyncJobDoc | None:
        try:
            return SyncJobDoc.from_hit(response_body(await self.client.get(index=JOBS_INDEX, id=job_id)))
        except NotFoundError:
            return None

    async def read(self, job_id: str) -> SyncJobDoc | None:
        """``GET _connector/_sync_job/{id}`` (what a user with ``manage_connector`` may call), or
        ``None``. No ``seq_no``: a view to show, not to write conditionally."""
        try:
            body = response_body(await self.client.connector.sync_job_get(connector_sync_job_id=job_id))
        except NotFoundError:
            return None
        return SyncJobDoc.from_api(body, job_id)

    async def page(
        self, connector_id: str, offset: int, size: int, job_types=None
    ) -> tuple[list[SyncJobDoc], int]:
        """One page of ``GET _connector/_sync_job`` for a connector (and job types; ``None``:
        all), newest first as Elasticsearch lists them, and the total."""
        options: dict[str, Any] = {"connector_id": connector_id, "from_": offset, "size": size}
        if job_types is not None:
            options["job_type"] = [JobType(t).value for t in job_types]
        body = response_body(await self.client.connector.sync_job_list(**options))
        return [SyncJobDoc.from_api(entry) for entry in body.get("results") or []], int(
            body.get("count") or 0
        )

    async def last_completed_content_job(self, connector_id: str) -> SyncJobDoc | None:
        """The connector's newest completed full or incremental job (``GET _connector/_sync_job``,
        newest created first): the one whose success stored the connector's ``sync_cursor`` (the
        runner stores it on a completed content sync only), or ``None``."""
        body = response_body(
            await self.client.connector.sync_job_list(
                connector_id=connector_id,
                status=JobStatus.COMPLETED.value,
                job_type=[t.value for t in CONTENT_JOB_TYPES],
                size=1,
            )
        )
        results = body.get("results") or []
        return SyncJobDoc.from_api(results[0]) if results else None

    async def require(self, job_id: str) -> SyncJobDoc:
        job = await self.get(job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    async def search(self, query: dict, sort=None, limit: int | None = None) -> list[SyncJobDoc]:
        """Jobs matching ``query``, oldest first. Bounded: at most ``limit`` (default
        ``max_results``) jobs per call.

        No refresh is forced: the writes that matter to a poller (``_connector/_sync_job`` APIs,
        claims and terminal states below) are refreshed by their writer and the periodic refresh
        covers the rest. Hits may be slightly stale; every write made from them is conditional
        (``if_seq_no``) or re-reads the job first, so staleness costs a skipped job, never a job
        run twice."""
        try:
            resp = response_body(
                await self.client.search(
                    index=JOBS_INDEX,
                    query=query,
                    size=limit or self.max_results,
                    seq_no_primary_term=True,
                    ignore_unavailable=True,
                    sort=sort or [{"created_at": "asc"}],
                )
            )
        except NotFoundError:
            return []
        return [SyncJobDoc.from_hit(hit) for hit in resp.get("hits", {}).get("hits", [])]

    async def runnable(self, connector_ids, job_types) -> list[SyncJobDoc]:
        """Pending (and suspended, to resume) jobs of these connectors, oldest first."""
        if not connector_ids or not job_types:
            return []
        query = {
            "bool": {
                "filter": [
                    {"terms": {"status": list(RUNNABLE_STATUSES)}},
                    {"terms": {"connector.id": list(connector_ids)}},
                    {"terms": {"job_type": [JobType(t).value for t in job_types]}},
                ]
            }
        }
        return await self.search(query)

    async def stale_active(self, seen_before: str) -> list[SyncJobDoc]:
        """In-progress or canceling jobs whose heartbeat is older than ``seen_before``."""
        query = {
            "bool": {
                "filter": [
                    {"terms": {"status": list(ACTIVE_STATUSES)}},
                    {"range": {"last_seen": {"lt": seen_before}}},
                ]
            }
        }
        return await self.search(query)

    async def active(self) -> list[SyncJobDoc]:
        """In-progress or canceling jobs, whatever their heartbeat."""
        return await self.search({"terms": {"status": list(ACTIVE_STATUSES)}})

    async def other_active_content_jobs(self, job: SyncJobDoc) -> list[SyncJobDoc]:
        """In-progress or canceling content jobs (full, incremental) of ``job``'s connector,
        ``job`` itself left out: the claim rule of :meth:`claim` reads them."""
        if not job.connector_id:
            return []
        query = {
            "bool": {
                "filter": [
                    {"terms": {"status": list(ACTIVE_STATUSES)}},
                    {"term": {"connector.id": job.connector_id}},
                    {"terms": {"job_type": [t.value for t in CONTENT_JOB_TYPES]}},
                ]
            }
        }
        return [other for other in await self.search(query) if other.id != job.id]

    async def unfinished_of(self, connector_id: str, job_type: JobType) -> list[SyncJobDoc]:
        """The connector's jobs of ``job_type`` not in a final state, oldest first."""
        query = {
            "bool": {
                "filter": [
                    {"terms": {"status": list(ACTIVE_STATUSES + RUNNABLE_STATUSES)}},
                    {"term": {"connector.id": connector_id}},
                    {"term": {"job_type": JobType(job_type).value}},
                ]
            }
        }
        return await self.search(query)

    async def unfinished(self) -> list[SyncJobDoc]:
        """Jobs not in a final state (pending, suspended, in progress, canceling)."""
        return await self.search({"terms": {"status": list(ACTIVE_STATUSES + RUNNABLE_STATUSES)}})

    # -- writes --------------------------------------------------------------------------
    async def claim(
        self,
        job: SyncJobDoc,
        worker_hostname: str,
        sync_cursor: dict | None,
        worker: str | None = None,
        worker_process: dict | None = None,
    ) -> SyncJobDoc:
        """pending/suspended → in_progress, only if nobody touched the job since it was read.

        ``worker_hostname`` stays the bare hostname (Kibana shows it); ``worker`` (``host:pid``)
        goes to ``metadata.worker`` so two processes on one host can be told apart, and
        ``worker_process`` (:func:`connectors.worker_liveness.identify`) to
        ``metadata.worker_process`` so a process on that host can tell that the claimer died.

        Raises :class:`StaleDocument` when another process claimed (or changed) it first.

        **One content job per connector at a time**, across processes (the runner applies it right
        after this claim): a content job's claim is kept only if, once it is written (refreshed),
        a search finds no *other* in-progress or canceling content job of the connector; else it
        is given back (:meth:`unclaim`) and waits, pending, for a later poll. Of two claims racing
        for one connector, each writes and then reads, so at least one sees the other: at most
        one keeps its claim (both may give back, and try again at the next poll). Full and
        incremental exclude each other this way; access-control jobs are not held back (as in
        Elastic's framework, whose rule is ``last_sync_status`` checked before the claim).
        """
        now = iso_utc()
        fields = {
            "status": JobStatus.IN_PROGRESS.value,
            "started_at": now,
            "last_seen": now,
            "worker_hostname": worker_hostname,
            "error": None,
            "connector": {"sync_cursor": sync_cursor},
        }
        if worker:
            fields["metadata"] = {"worker": worker}
        if worker_process:
            fields.setdefault("metadata", {})["worker_process"] = worker_process
        return await self._update_if_unchanged(job, fields)

    async def unclaim(self, claimed: SyncJobDoc, before: SyncJobDoc) -> SyncJobDoc:
        """Give a claimed job back: the fields :meth:`claim` wrote return to what they were in
        ``before`` (status pending or suspended, so a later poll claims it again), only if nobody
        wrote the job since the claim. Raises :class:`StaleDocument` otherwise (e.g. a cancel)."""
        metadata = before.source.get("metadata") if isinstance(before.source.get("metadata"), dict) else {}
        fields = {
            "status": before.source.get("status"),
            "started_at": before.source.get("started_at"),
            "last_seen": before.source.get("last_seen"),
            "worker_hostname": before.source.get("worker_hostname"),
            "error": before.source.get("error"),
            "connector": {"sync_cursor": before.sync_cursor},
            "metadata": {"worker": metadata.get("worker"), "worker_process": metadata.get("worker_process")},
        }
        return await self._update_if_unchanged(claimed, fields)

    async def heartbeat(self, job_id: str, counts: dict | None = None, metadata: dict | None = None) -> None:
        """``…/_stats`` (which also sets last_seen) when there are counts, else ``…/_check_in``."""
        if counts is None:
            await self.client.connector.sync_job_check_in(connector_sync_job_id=job_id)
            return
        kwargs = {key: int(counts[key]) for key in COUNT_FIELDS if counts.get(key) is not None}
        kwargs.setdefault("indexed_document_count", 0)
        kwargs.setdefault("indexed_document_volume", 0)
        kwargs.setdefault("deleted_document_count", 0)
        metadata = {**metadata_counts(counts), **(metadata or {})}
        if metadata:
            kwargs["metadata"] = metadata
        await self.client.connector.sync_job_update_stats(connector_sync_job_id=job_id, **kwargs)

    async def record_incremental_fallback(self, job_id: str, reason: str) -> None:
        """Note on the job that this incremental job runs as a full sync, and why
        (``metadata.incremental_fallback``; a partial update: the rest of ``metadata`` stays)."""
        await self.client.update(
            index=JOBS_INDEX, id=job_id, doc={"metadata": {INCREMENTAL_FALLBACK_FIELD: str(reason)}}
        )

    async def request_cancel(self, job_id: str) -> None:
        await self.client.connector.sync_job_cancel(connector_sync_job_id=job_id)

    async def cancel(self, job: SyncJobDoc) -> bool:
        """Ask for ``job`` to be canceled if it is unfinished (``False``: it already finished)."""
        if not job.can_cancel:
            return False
        await self.request_cancel(job.id)
        return True

    async def terminate(
        self,
        job_id: str,
        status: JobStatus,
        error: str | None = None,
        counts: dict | None = None,
        expect: tuple[JobStatus, ...] | None = None,
        seen_before: datetime | None = None,
    ) -> SyncJobDoc | None:
        """Move the job to a terminal (or suspended) state, conditionally on its current version.

        If a cancel was requested meanwhile (status canceling) a ``completed``/``suspended``
        outcome becomes ``canceled``. If the job already reached a final state (someone else
        terminated it), nothing is written. ``expect`` restricts the states we may move from
        (the orphan cleanup uses it so it never fails a job that just heartbeated). Returns the
        job as written, or ``None`` if nothing was written.
        """
        status = JobStatus(status)
        for _ in range(TERMINATE_ATTEMPTS):
            job = await self.get(job_id)
            if job is None or job.status is None or job.status.is_final:
                return None
            if expect is not None and job.status not in expect:
                return None
            if seen_before is not None and job.last_seen is not None and job.last_seen >= seen_before:
                return None
            target = status
            if job.status is JobStatus.CANCELING and target in (JobStatus.COMPLETED, JobStatus.SUSPENDED):
                target = JobStatus.CANCELED
            if target not in JOB_TRANSITIONS[job.status]:
                return None
            now = iso_utc()
            fields: dict[str, Any] = {"status": target.value, "error": error, "last_seen": now}
            if target.is_final:
                fields["completed_at"] = now
            if target is JobStatus.CANCELED:
                fields["canceled_at"] = now
            for key in COUNT_FIELDS:
                if counts and counts.get(key) is not None:
                    fields[key] = counts[key]
            if extra := metadata_counts(counts):
                fields["metadata"] = extra
            try:
                return await self._update_if_unchanged(job, fields)
            except StaleDocument:
                continue
        raise StaleDocument(f"sync job {job_id} kept changing; could not write status {status.value}")

    async def _update_if_unchanged(self, job: SyncJobDoc, fields: dict) -> SyncJobDoc:
        try:
            return await update_if_unchanged(
                self.client, job, fields, default_index=JOBS_INDEX, what="sync job", refresh=True
            )
        except NotFoundError as exc:
            raise JobNotFound(job.id) from exc
