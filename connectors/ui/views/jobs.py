"""Sync now, cancel, job history (paged), the job page and its live JSON."""

from __future__ import annotations

from aiohttp import web
from elasticsearch import ApiError, NotFoundError

from connectors.ui import es_errors
from connectors.ui.render import (
    ACTIVE_JOB_STATUSES,
    JOB_TYPES,
    flash,
    fmt_number,
    job_duration,
    job_failed,
    job_volume,
    render,
    render_part,
    sync_badge,
)
from connectors.ui.views.common import (
    Pager,
    connector_id,
    dls_enabled,
    es,
    feature_enabled,
    is_configured,
    last_value,
    load_connector,
    page_number,
    total_of,
)

JOBS_PAGE_SIZE = 10
CONTENT_TYPES = ["full", "incremental"]


async def sync_now(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    form = await request.post()
    job_type = last_value(form, "job_type", "full")
    cid = connector_id(request)
    problem = None
    if job_type not in JOB_TYPES:
        problem = f"Unknown sync type '{job_type}'."
    elif not is_configured(connector):
        problem = "Configure the connector before syncing it."
    elif not connector.get("index_name"):
        problem = "The connector has no index: set one before syncing."
    elif job_type == "incremental" and not feature_enabled(connector, "incremental_sync"):
        problem = "This connector does not support incremental syncs."
    elif job_type == "access_control" and not dls_enabled(connector):
        problem = "Enable document level security in the configuration to sync access control."
    if problem:
        flash(request, problem, "danger")
        raise web.HTTPSeeOther(f"/connectors/{cid}")
    try:
        response = await es(request).connector.sync_job_post(
            id=cid, job_type=job_type, trigger_method="on_demand"
        )
    except ApiError as exc:
        if exc.meta.status != 400:
            raise
        flash(request, f"The sync was not started: {es_errors.describe(exc)}", "danger")
        raise web.HTTPSeeOther(f"/connectors/{cid}") from None
    flash(request, f"{JOB_TYPES[job_type]} sync requested. A connector service will pick it up.")
    raise web.HTTPSeeOther(f"/connectors/{cid}/jobs/{response.body.get('id')}")


async def _job_for(request: web.Request) -> dict:
    try:
        job = (
            await es(request).connector.sync_job_get(connector_sync_job_id=request.match_info["job_id"])
        ).body
    except NotFoundError:
        raise web.HTTPNotFound() from None
    if (job.get("connector") or {}).get("id") != connector_id(request):
        raise web.HTTPNotFound()
    job = dict(job)
    job.setdefault("id", request.match_info["job_id"])
    return job


async def cancel(request: web.Request) -> web.Response:
    job = await _job_for(request)
    cid = connector_id(request)
    if job.get("status") not in ACTIVE_JOB_STATUSES:
        flash(request, "This sync has already finished.", "warning")
    else:
        await es(request).connector.sync_job_cancel(connector_sync_job_id=job["id"])
        flash(request, "Cancelation requested.")
    target = last_value(await request.post(), "return_to")
    if target != "jobs":
        raise web.HTTPSeeOther(f"/connectors/{cid}/jobs/{job['id']}")
    raise web.HTTPSeeOther(f"/connectors/{cid}/jobs")


async def _page_of_jobs(request, cid: str, job_types: list[str], param: str) -> tuple[list[dict], Pager]:
    page = page_number(request, param)
    body = (
        await es(request).connector.sync_job_list(
            connector_id=cid, job_type=job_types, from_=(page - 1) * JOBS_PAGE_SIZE, size=JOBS_PAGE_SIZE
        )
    ).body
    return body.get("results") or [], Pager(total_of(body), page, JOBS_PAGE_SIZE, param, dict(request.query))


async def jobs_page(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    content, content_pager = await _page_of_jobs(request, connector["id"], CONTENT_TYPES, "content_page")
    acl, acl_pager = await _page_of_jobs(request, connector["id"], ["access_control"], "acl_page")
    return render(
        request,
        "jobs.html",
        connector=connector,
        tab="jobs",
        content_jobs=content,
        content_pager=content_pager,
        acl_jobs=acl,
        acl_pager=acl_pager,
        show_acl=feature_enabled(connector, "document_level_security") or bool(acl),
    )


def events(job: dict) -> list[tuple[str, str]]:
    trigger = "by schedule" if job.get("trigger_method") == "scheduled" else "manually"
    entries = [
        (f"Sync requested {trigger}", job.get("created_at")),
        ("Sync started", job.get("started_at")),
        ("Last updated", job.get("last_seen")),
        ("Completed", job.get("completed_at")),
        ("Cancelation requested", job.get("cancelation_requested_at")),
        ("Canceled", job.get("canceled_at")),
    ]
    return sorted([(label, when) for label, when in entries if when], key=lambda item: item[1])


def job_summary(job: dict) -> dict:
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
        "duration": job_duration(job),
        "error": job.get("error"),
        "last_seen": job.get("last_seen"),
        "completed_at": job.get("completed_at"),
    }


async def job_page(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    job = await _job_for(request)
    snapshot = (job.get("connector") or {}).get("filtering")
    if isinstance(snapshot, list):
        snapshot = next((f.get("active", f) for f in snapshot if isinstance(f, dict)), None)
    return render(
        request,
        "job.html",
        connector=connector,
        tab="jobs",
        job=job,
        summary=job_summary(job),
        events=events(job),
        snapshot=snapshot or {},
    )


async def job_live(request: web.Request) -> web.Response:
    """The status-dependent parts of the job page, for its in-place update (``_job_live.html``)."""
    connector = await load_connector(request)
    job = await _job_for(request)
    return render_part(
        request, "_job_live.html", connector=connector, job=job, summary=job_summary(job), events=events(job)
    )


async def job_json(request: web.Request) -> web.Response:
    return web.json_response(job_summary(await _job_for(request)))
