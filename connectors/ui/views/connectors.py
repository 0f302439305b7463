"""Connectors list, create, overview and delete."""

from __future__ import annotations

import json
import re

from aiohttp import web
from elasticsearch import ApiError

from connectors.ui import es_errors
from connectors.ui.render import connector_badge, flash, render, sync_badge
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

INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
MAX_NAME = 200


async def index(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/connectors")


async def list_connectors(request: web.Request) -> web.Response:
    from connectors.ui.app import SETTINGS

    size = request.app[SETTINGS].page_size
    page = page_number(request)
    query = request.query.get("q", "").strip()[:200]
    options = {"from_": (page - 1) * size, "size": size}
    if query:
        options["query"] = query
    body = (await es(request).connector.list(**options)).body
    pager = Pager(total_of(body), page, size, "page", {"q": query})
    return render(request, "connectors.html", connectors=body.get("results") or [], pager=pager, query=query)


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
    from connectors.ui.app import SETTINGS

    types = request.app[SETTINGS].service_types()
    values = {"name": "", "service_type": types[0], "index_name": "search-", "description": ""}
    return render(request, "connector_new.html", values=values, errors={}, service_types=types, error=None)


async def create_connector(request: web.Request) -> web.Response:
    from connectors.ui.app import SETTINGS

    types = request.app[SETTINGS].service_types()
    form = await request.post()
    values, errors = check_new_connector(form, types)
    if not errors:
        try:
            response = await es(request).connector.post(
                name=values["name"],
                index_name=values["index_name"],
                service_type=values["service_type"],
                description=values["description"] or None,
                is_native=False,
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
        new_id = response.body.get("id")
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


def sync_options(connector: dict) -> list[tuple[str, str, bool]]:
    """(job type, label, allowed) for the "Sync" menu, as Kibana offers them."""
    return [
        ("full", "Full content", True),
        ("incremental", "Incremental content", feature_enabled(connector, "incremental_sync")),
        ("access_control", "Access control", dls_enabled(connector)),
    ]


async def overview(request: web.Request) -> web.Response:
    from connectors.ui.app import SETTINGS

    connector = await load_connector(request)
    jobs = (
        await es(request).connector.sync_job_list(connector_id=connector["id"], from_=0, size=5)
    ).body.get("results") or []
    return render(
        request,
        "overview.html",
        connector=connector,
        tab="overview",
        jobs=jobs,
        snippet=config_snippet(request.app[SETTINGS].es_host, connector),
        configured=is_configured(connector),
        watch="status,error,last_sync_status,last_synced,has_configuration",
    )


def connector_state_of(connector: dict) -> dict:
    """What the pages watch for live refresh: status, error, last sync and the draft's state."""
    from connectors.ui.sync_rules import default_filtering, has_draft

    label, tone = connector_badge(connector.get("status"))
    sync_label, sync_tone = sync_badge(connector.get("last_sync_status"))
    draft = (default_filtering(connector).get("draft") or {}).get("validation") or {}
    return {
        "status": connector.get("status"),
        "status_label": label,
        "status_tone": tone,
        "error": connector.get("error"),
        "last_sync_status": connector.get("last_sync_status"),
        "last_sync_label": sync_label,
        "last_sync_tone": sync_tone,
        "last_synced": connector.get("last_synced"),
        "last_indexed_document_count": connector.get("last_indexed_document_count"),
        "draft_state": draft.get("state"),
        "has_draft": has_draft(default_filtering(connector)),
        "configured": is_configured(connector),
        "has_configuration": bool(connector.get("configuration")),
    }


async def connector_state(request: web.Request) -> web.Response:
    """JSON for live refresh (see :func:`connector_state_of`)."""
    return web.json_response(connector_state_of(await load_connector(request)))


async def delete_page(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    return render(request, "delete.html", connector=connector, tab="overview")


async def delete_connector(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    form = await request.post()
    if last_value(form, "confirm_name").strip() != (connector.get("name") or connector["id"]):
        return render(
            request,
            "delete.html",
            status=400,
            connector=connector,
            tab="overview",
            error="Type the connector's name exactly to confirm.",
        )
    client = es(request)
    await client.connector.delete(connector_id=connector_id(request), delete_sync_jobs=True)
    message = f"Connector “{connector.get('name')}” deleted."
    if last_value(form, "delete_index") == "true" and connector.get("index_name"):
        try:
            await client.indices.delete(index=connector["index_name"], ignore_unavailable=True)
            message += f" Index {connector['index_name']} deleted."
        except ApiError as exc:
            flash(request, f"The index was not deleted: {es_errors.describe(exc)}", "danger")
    flash(request, message)
    raise web.HTTPSeeOther("/connectors")
