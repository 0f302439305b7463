"""Connectors list, create, overview and delete."""

from __future__ import annotations

import json
import re

from aiohttp import web
from elasticsearch import ApiError

from connectors.es import errors as es_errors
from connectors.protocol import JobType
from connectors.ui.connector_view import connector_state_of, cursor_age
from connectors.ui.context import SETTINGS, connectors_of, jobs_of, now_of
from connectors.ui.render import flash, render
from connectors.ui.views.common import Pager, es, last_value, load_connector, page_number

RECENT_JOBS = 5  # jobs on the overview page
INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
MAX_NAME = 200


async def index(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/connectors")


async def list_connectors(request: web.Request) -> web.Response:
    size = request.app[SETTINGS].page_size
    page = page_number(request)
    query = request.query.get("q", "").strip()[:200]
    docs, total = await connectors_of(request).page((page - 1) * size, size, query or None)
    pager = Pager(total, page, size, "page", {"q": query})
    return render(request, "connectors.html", connectors=[d.view() for d in docs], pager=pager, query=query)


def check_new_connector(form, service_types: list[str]) -> tuple[dict, dict[str, str]]:
    values = {
        "name": last_value(form, "name").strip(),
        "service_type": last_value(form, "service_type").strip(),
        "index_name": last_value(form, "index_name").strip(),
        "description": last_value(form, "description").strip(),
    }
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Name is required."
    elif len(values["name"]) > MAX_NAME:
        errors["name"] = f"Name must be at most {MAX_NAME} characters."
    if values["service_type"] not in service_types:
        errors["service_type"] = f"Choose one of the configured sources: {', '.join(service_types)}."
    index_name = values["index_name"]
    if not index_name:
        errors["index_name"] = "Index name is required."
    elif len(index_name.encode()) > 255:
        errors["index_name"] = "Index name must be at most 255 bytes."
    elif not INDEX_NAME.match(index_name) or index_name in (".", ".."):
        errors["index_name"] = (
            "Index name must be lowercase letters, digits, '-', '_' or '.', and start with a letter or digit."
        )
    return values, errors


async def new_connector(request: web.Request) -> web.Response:
    types = request.app[SETTINGS].service_types()
    values = {"name": "", "service_type": types[0], "index_name": "search-", "description": ""}
    return render(request, "connector_new.html", values=values, errors={}, service_types=types, error=None)


async def create_connector(request: web.Request) -> web.Response:
    types = request.app[SETTINGS].service_types()
    form = await request.post()
    values, errors = check_new_connector(form, types)
    if not errors:
        try:
            new_id = await connectors_of(request).create_new(
                name=values["name"],
                index_name=values["index_name"],
                service_type=values["service_type"],
                description=values["description"] or None,
            )
        except ApiError as exc:
            if exc.meta.status in (400, 409):
                return render(
                    request,
                    "connector_new.html",
                    status=400,
                    values=values,
                    errors={},
                    service_types=types,
                    error=es_errors.describe(exc),
                )
            raise
        flash(request, f"Connector “{values['name']}” created. Run a connector service for it (see below).")
        raise web.HTTPSeeOther(f"/connectors/{new_id}")
    return render(
        request,
        "connector_new.html",
        status=400,
        values=values,
        errors=errors,
        service_types=types,
        error=None,
    )


def config_snippet(es_host: str, connector: dict) -> str:
    """The config.yml lines that run a self-managed connector service for this connector."""
    return "\n".join(
        [
            "elasticsearch:",
            f"  host: {json.dumps(es_host)}",
            '  api_key: "<an API key allowed to manage the connector and write its index>"',
            "connectors:",
            f"  - connector_id: {json.dumps(connector.get('id', ''))}",
            f"    service_type: {json.dumps(connector.get('service_type') or '')}",
            "sources:",
            f"  {connector.get('service_type') or 'confluence'}: "
            f"{json.dumps(_source_path(connector.get('service_type')))}",
        ]
    )


def _source_path(service_type: str | None) -> str:
    if service_type == "confluence":
        return "connectors.sources.confluence:ConfluenceDataSource"
    return f"<module>:<{service_type or 'Source'} class>"


async def overview(request: web.Request) -> web.Response:
    doc = await load_connector(request)
    jobs, _ = await jobs_of(request).page(doc.id, 0, RECENT_JOBS)
    stored_by = None
    if doc.sync_cursor and doc.supports(JobType.INCREMENTAL):
        stored_by = await jobs_of(request).last_completed_content_job(doc.id)
    connector = doc.view()
    return render(
        request,
        "overview.html",
        connector=connector,
        cursor_age=cursor_age(doc, stored_by.view() if stored_by is not None else None, now_of(request)),
        tab="overview",
        jobs=[job.view() for job in jobs],
        snippet=config_snippet(request.app[SETTINGS].es_host, connector),
        configured=doc.is_configured,
        watch="status,error,last_sync_status,last_synced,has_configuration",
    )


async def connector_state(request: web.Request) -> web.Response:
    """JSON for live refresh (see :func:`connector_state_of`)."""
    return web.json_response(connector_state_of(await load_connector(request)))


async def delete_page(request: web.Request) -> web.Response:
    connector = (await load_connector(request)).view()
    return render(request, "delete.html", connector=connector, tab="overview")


async def delete_connector(request: web.Request) -> web.Response:
    doc = await load_connector(request)
    connector = doc.view()
    form = await request.post()
    if last_value(form, "confirm_name").strip() != (doc.name or doc.id):
        return render(
            request,
            "delete.html",
            status=400,
            connector=connector,
            tab="overview",
            error="Type the connector's name exactly to confirm.",
        )
    await connectors_of(request).delete(doc.id, delete_sync_jobs=True)
    message = f"Connector “{doc.name}” deleted."
    if last_value(form, "delete_index") == "true" and doc.index_name:
        try:
            await es(request).indices.delete(index=doc.index_name, ignore_unavailable=True)
            message += f" Index {doc.index_name} deleted."
        except ApiError as exc:
            flash(request, f"The index was not deleted: {es_errors.describe(exc)}", "danger")
    flash(request, message)
    raise web.HTTPSeeOther("/connectors")
