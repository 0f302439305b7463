"""Sync now, cancel, job history (paged), the job page and its live JSON."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from elasticsearch import ApiError

from connectors.es import errors as es_errors
from connectors.protocol import JobType, TriggerMethod
from connectors.protocol.constants import CONTENT_JOB_TYPES
from connectors.ui.context import jobs_of, now_of
from connectors.ui.labels import ACTIVE_JOB_STATUSES, JOB_TYPES, sync_badge
from connectors.ui.render import flash, fmt_number, job_duration, job_failed, job_volume, render, render_part
from connectors.ui.views.common import Pager, connector_id, last_value, load_connector, load_job, page_number

JOBS_PAGE_SIZE = 10


async def sync_now(request: web.Request) -> web.Response:
    doc = await load_connector(request)
    form = await request.post()
    job_type = last_value(form, "job_type", JobType.FULL.value)
    cid = doc.id
    problem = sync_refusal(doc, job_type)
    if problem:
        flash(request, problem, "danger")
        raise web.HTTPSeeOther(f"/connectors/{cid}")
    try:
        job_id = await jobs_of(request).create(cid, JobType(job_type), TriggerMethod.ON_DEMAND)
    except ApiError as exc:
        if exc.meta.status != 400:
            raise
        flash(request, f"The sync was not started: {es_errors.describe(exc)}", "danger")
        raise web.HTTPSeeOther(f"/connectors/{cid}") from None
    flash(request, f"{JOB_TYPES[job_type]} sync requested. A connector service will pick it up.")
    raise web.HTTPSeeOther(f"/connectors/{cid}/jobs/{job_id}")


def sync_refusal(doc, job_type: str) -> str | None:
    """Why a sync of ``job_type`` may not be requested for the connector now (``None``: it may)."""
    if job_type not in JOB_TYPES:
        return f"Unknown sync type '{job_type}'."
    if not doc.is_configured:
        return "Configure the connector before syncing it."
    if not doc.index_name:
        return "The connector has no index: set one before syncing."
    if not doc.supports(JobType(job_type)):
        if job_type == JobType.INCREMENTAL.value:
            return "This connector does not support incremental syncs."
        return "Enable document level security in the configuration to sync access control."
    return None


async def cancel(request: web.Request) -> web.Response:
    job = await load_job(request)
    cid = connector_id(request)
    if await jobs_of(request).cancel(job):
        flash(request, "Cancelation requested.")
    else:
        flash(request, "This sync has already finished.", "warning")
    target = last_value(await request.post(), "return_to")
    if target != "jobs":
        raise web.HTTPSeeOther(f"/connectors/{cid}/jobs/{job.id}")
    raise web.HTTPSeeOther(f"/connectors/{cid}/jobs")


async def _page_of_jobs(request, cid: str, job_types, param: str) -> tuple[list[dict], Pager]:
    page = page_number(request, param)
    jobs, total = await jobs_of(request).page(cid, (page - 1) * JOBS_PAGE_SIZE, JOBS_PAGE_SIZE, job_types)
    return [job.view() for job in jobs], Pager(total, page, JOBS_PAGE_SIZE, param, dict(request.query))


async def jobs_page(request: web.Request) -> web.Response:
    doc = await load_connector(request)
    content, content_pager = await _page_of_jobs(request, doc.id, CONTENT_JOB_TYPES, "content_page")
    acl, acl_pager = await _page_of_jobs(request, doc.id, [JobType.ACCESS_CONTROL], "acl_page")
    return render(
        request,
        "jobs.html",
        connector=doc.view(),
        tab="jobs",
        content_jobs=content,
        content_pager=content_pager,
        acl_jobs=acl,
        acl_pager=acl_pager,
        show_acl=doc.feature_enabled("document_level_security") or bool(acl),
    )


def events(job: dict) -> list[tuple[str, str]]:
    """The job's dated events, oldest first (``job`` is the document's ``view()``)."""
    trigger = "by schedule" if job.get("trigger_method") == TriggerMethod.SCHEDULED.value else "manually"
    entries = [
        (f"Sync requested {trigger}", job.get("created_at")),
        ("Sync started", job.get("started_at")),
        ("Last updated", job.get("last_seen")),
        ("Completed", job.get("completed_at")),
        ("Cancelation requested", job.get("cancelation_requested_at")),
        ("Canceled", job.get("canceled_at")),
    ]
    return sorted([(label, when) for label, when in entries if when], key=lambda item: item[1])


def job_summary(job: dict, now: dt.datetime | None = None) -> dict:
    """What the job page and its live JSON show (``job`` is the document's ``view()``)."""
    label, tone = sync_badge(job.get("status"))
    return {
        "id": job.get("id"),
        "status": job.get("status"),
        "status_label": label,
        "status_tone": tone,
        "active": job.get("status") in ACTIVE_JOB_STATUSES,
        "indexed": fmt_number(job.get("indexed_document_count")),
        "deleted": fmt_number(job.get("deleted_document_count")),
        "failed": fmt_number(job_failed(job)),
        "total": fmt_number(job.get("total_document_count")),
        "volume": job_volume(job),
        "duration": job_duration(job, now),
        "error": job.get("error"),
        "last_seen": job.get("last_seen"),
        "completed_at": job.get("completed_at"),
    }


async def job_page(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    doc = await load_job(request)
    job = doc.view()
    return render(
        request,
        "job.html",
        connector=connector.view(),
        tab="jobs",
        job=job,
        summary=job_summary(job, now_of(request)),
        events=events(job),
        fallback=doc.incremental_fallback,
        snapshot=doc.filtering,
    )


async def job_live(request: web.Request) -> web.Response:
    """The status-dependent parts of the job page, for its in-place update (``_job_live.html``)."""
    connector = await load_connector(request)
    doc = await load_job(request)
    job = doc.view()
    return render_part(
        request,
        "_job_live.html",
        connector=connector.view(),
        job=job,
        summary=job_summary(job, now_of(request)),
        events=events(job),
        fallback=doc.incremental_fallback,
    )


async def job_json(request: web.Request) -> web.Response:
    return web.json_response(job_summary((await load_job(request)).view(), now_of(request)))
