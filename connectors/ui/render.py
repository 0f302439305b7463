"""Jinja2 rendering: autoescaped templates, the filters and globals the pages use.

Below the views: it knows labels and connector shaping (``labels``, ``connector_view``), never
a view module; the environment comes from the application (:data:`~connectors.ui.context.TEMPLATES`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from connectors.ui.connector_view import connector_state_of, is_configured, sync_options
from connectors.ui.context import CLOCK, SESSION, TEMPLATES
from connectors.ui.labels import (
    ACTIVE_JOB_STATUSES,
    JOB_TYPES,
    TRIGGERS,
    connector_badge,
    sync_badge,
)
from connectors.ui.sync_rules import POLICIES, RULES
from connectors.utils import parse_utc


def parse_time(value: Any) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (the protocol's reading), ``None`` if absent or bad."""
    return parse_utc(value) if isinstance(value, str) else None


def fmt_time(value: Any) -> str:
    parsed = parse_time(value) if not isinstance(value, dt.datetime) else value
    if parsed is None:
        return "--"
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(value: Any) -> str:
    parsed = parse_time(value) if not isinstance(value, dt.datetime) else value
    return parsed.astimezone(dt.UTC).isoformat() if parsed else ""


def fmt_duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def job_duration(job: dict, now: dt.datetime | None = None) -> str:
    started = parse_time(job.get("started_at"))
    if started is None:
        return "--"
    end = parse_time(job.get("completed_at")) or parse_time(job.get("canceled_at"))
    if end is None:
        end = now or dt.datetime.now(dt.UTC)
    return fmt_duration((end - started).total_seconds())


@jinja2.pass_context
def _duration_filter(context, job: dict) -> str:
    """``{{ job | duration }}``: a running job's duration up to the page's ``now`` (the app's clock)."""
    return job_duration(job, context.get("now"))


def fmt_volume(mib: Any) -> str:
    try:
        value = float(mib or 0)
    except (TypeError, ValueError):
        return "--"
    if value == 0:
        return "0 MiB"
    if value < 1:
        return f"{value * 1024:.1f} KiB"
    return f"{value:.2f} MiB"


def job_volume(job: dict) -> str:
    """The job's volume; Elasticsearch keeps whole MiB, so a small sync reads "< 1 MiB"."""
    volume = job.get("indexed_document_volume")
    if not volume and (job.get("indexed_document_count") or 0) > 0:
        return "< 1 MiB"
    return fmt_volume(volume)


def job_failed(job: dict) -> int:
    """Documents of the job that failed (rejected, or not downloaded): ``metadata.failed_document_count``."""
    metadata = job.get("metadata")
    value = metadata.get("failed_document_count") if isinstance(metadata, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def fmt_number(value: Any) -> str:
    try:
        return f"{int(value or 0):,}"
    except (TypeError, ValueError):
        return "--"


def to_pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def make_environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        {
            "time": fmt_time,
            "iso": iso,
            "duration": _duration_filter,
            "volume": fmt_volume,
            "job_volume": job_volume,
            "job_failed": job_failed,
            "number": fmt_number,
            "pretty_json": to_pretty_json,
        }
    )
    env.globals.update(
        {
            "sync_badge": sync_badge,
            "connector_badge": connector_badge,
            "JOB_TYPES": JOB_TYPES,
            "TRIGGERS": TRIGGERS,
            "ACTIVE_JOB_STATUSES": ACTIVE_JOB_STATUSES,
            "policies": POLICIES,
            "rule_kinds": RULES,
            "connector_state_of": connector_state_of,
            "sync_options": sync_options,
            "is_configured": is_configured,
        }
    )
    return env


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A whole page; it shows (and so uses up) the session's flash messages."""
    session = request.get(SESSION)
    flashes = []
    if session is not None:
        flashes, session.flashes = session.flashes, []
    return _respond(request, template, status, flashes, context)


def render_part(request: web.Request, template: str, **context: Any) -> web.Response:
    """A fragment a page fetches to update itself in place; flash messages wait for the next page."""
    return _respond(request, template, 200, [], context)


def _respond(request: web.Request, template: str, status: int, flashes: list, context: dict) -> web.Response:
    session = request.get(SESSION)

    def static(name: str) -> str:
        return str(request.app.router["static"].url_for(filename=name))

    env = request.app[TEMPLATES]
    html = env.get_template(template).render(
        request=request,
        now=request.app[CLOCK](),
        session=session,
        csrf_token=session.csrf_token if session else context.pop("login_csrf", ""),
        flashes=flashes,
        static=static,
        path=request.path,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html")


def flash(request: web.Request, message: str, level: str = "success") -> None:
    session = request.get(SESSION)
    if session is not None:
        session.flashes.append((level, message))
