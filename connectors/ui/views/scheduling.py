"""Full, incremental and access-control schedules (Quartz cron), saved through ``_scheduling``."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from connectors.protocol import ConnectorDoc, JobType
from connectors.protocol.constants import DEFAULT_SCHEDULE_INTERVAL
from connectors.secrets import MASK, is_secret_key
from connectors.ui import cron
from connectors.ui.context import connectors_of, now_of
from connectors.ui.render import flash, render
from connectors.ui.views.common import last_value, load_connector

SCHEDULE_TYPES = {
    JobType.FULL.value: "Full content sync",
    JobType.INCREMENTAL.value: "Incremental content sync",
    JobType.ACCESS_CONTROL.value: "Access control sync",
}
# the feature a connector needs for each schedule to be shown
SCHEDULE_FEATURE = {
    JobType.INCREMENTAL: "incremental_sync",
    JobType.ACCESS_CONTROL: "document_level_security",
}


def schedules(connector: ConnectorDoc, now: dt.datetime) -> list[dict]:
    result = []
    for kind in JobType:
        feature = SCHEDULE_FEATURE.get(kind)
        if feature and not connector.feature_enabled(feature):
            continue
        enabled, interval = connector.schedule(kind)
        interval = interval or DEFAULT_SCHEDULE_INTERVAL
        error = cron.validate(interval)
        result.append(
            {
                "type": kind.value,
                "label": SCHEDULE_TYPES[kind.value],
                "enabled": enabled,
                "interval": interval,
                "error": error,
                "runs": [] if error else cron.next_runs(interval, now, 3),
                "picker": cron.picker_fields(interval),
                "locked": not connector.supports(kind),
            }
        )
    return result


def custom_schedules(connector: ConnectorDoc, now: dt.datetime) -> list[dict]:
    """The connector's ``custom_scheduling`` (written by Kibana), for a read-only table, by name."""
    raw = connector.source.get("custom_scheduling")
    if not isinstance(raw, dict):
        return []
    result = []
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        interval = entry.get("interval")
        interval = interval if isinstance(interval, str) and interval.strip() else ""
        error = cron.validate(interval) if interval else "no interval"
        overrides = entry.get("configuration_overrides")
        result.append(
            {
                "id": str(key),
                "name": str(entry.get("name") or key),
                "enabled": entry.get("enabled") is True,
                "interval": interval or "--",
                "error": error,
                "next_run": None if error else next(iter(cron.next_runs(interval, now, 1)), None),
                "last_synced": entry.get("last_synced"),
                "overrides": _shown_overrides(connector, overrides),
            }
        )
    return sorted(result, key=lambda s: (s["name"].casefold(), s["id"]))


def _render(request, connector, status=200, errors=None, submitted=None):
    now = now_of(request)
    items = schedules(connector, now)
    for item in items:
        if submitted and submitted.get("type") == item["type"]:
            item.update(enabled=submitted["enabled"], interval=submitted["interval"], runs=[])
            item["picker"] = cron.picker_fields(submitted["interval"])
            item["error"] = (errors or {}).get("interval")
    return render(
        request,
        "scheduling.html",
        status=status,
        connector=connector.view(),
        tab="scheduling",
        schedules=items,
        custom=custom_schedules(connector, now),
        configured=connector.is_configured,
        frequencies=cron.FREQUENCIES,
        day_names=["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        month_names=[
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    )


async def scheduling_page(request: web.Request) -> web.Response:
    return _render(request, await load_connector(request))


async def save_scheduling(request: web.Request) -> web.Response:
    connector = await load_connector(request)
    form = await request.post()
    kind = last_value(form, "type")
    interval = " ".join(last_value(form, "interval").split())
    enabled = last_value(form, "enabled", "false") == "true"
    if kind not in SCHEDULE_TYPES:
        raise web.HTTPBadRequest(text=f"Unknown schedule type '{kind}'.")
    submitted = {"type": kind, "interval": interval, "enabled": enabled}
    error = cron.validate(interval)
    if error:
        return _render(request, connector, 400, {"interval": f"Invalid cron expression: {error}."}, submitted)
    if kind == JobType.ACCESS_CONTROL.value and enabled and not connector.dls_enabled:
        return _render(
            request,
            connector,
            400,
            {
                "interval": "Enable document level security in the configuration before scheduling access control syncs."
            },
            submitted,
        )
    await connectors_of(request).update_schedule(connector, JobType(kind), enabled=enabled, interval=interval)
    flash(request, f"{SCHEDULE_TYPES[kind]} schedule saved.")
    raise web.HTTPSeeOther(f"/connectors/{connector.id}/scheduling")


async def cron_preview(request: web.Request) -> web.Response:
    """JSON: whether an expression is valid, and its next three runs (UTC, ISO)."""
    expression = request.query.get("expression", "")[:200]
    error = cron.validate(expression)
    if error:
        return web.json_response({"valid": False, "error": f"Invalid cron expression: {error}."})
    runs = cron.next_runs(expression, now_of(request), 3)
    return web.json_response(
        {
            "valid": True,
            "runs": [r.isoformat() for r in runs],
            "picker": cron.picker_fields(expression),
        }
    )


def _shown_overrides(connector: ConnectorDoc, overrides: object) -> dict:
    """The non-empty configuration overrides of a custom schedule, secrets masked: a key the
    connector's configuration marks ``sensitive``, or one that looks secret, shows :data:`MASK`."""
    if not isinstance(overrides, dict):
        return {}
    sensitive = {
        key
        for key, spec in connector.configuration.items()
        if isinstance(spec, dict) and spec.get("sensitive")
    }
    return {
        key: MASK if key in sensitive or is_secret_key(key) else value
        for key, value in overrides.items()
        if value not in (None, "", [], {})
    }
