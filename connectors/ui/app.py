"""The aiohttp application: middlewares (security headers, sign-in, CSRF, errors) and routes.

The top of the UI: it fills the application's keys (:mod:`connectors.ui.context`) that views,
middlewares and rendering read; nothing in the UI imports this module.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

from aiohttp import web
from elasticsearch import ApiError, AuthenticationException, TransportError
from elasticsearch.exceptions import GeneralAvailabilityWarning

from connectors.es import errors as es_errors
from connectors.ui.context import (
    CLOCK,
    LOGIN_CSRF_COOKIE,
    SESSION,
    SESSION_COOKIE,
    SESSIONS,
    SETTINGS,
    SIGN_IN_THROTTLE,
    TEMPLATES,
)
from connectors.ui.render import make_environment, render
from connectors.ui.sessions import SessionStore
from connectors.ui.settings import UiSettings
from connectors.ui.throttle import SignInThrottle
from connectors.ui.views import setup_routes
from connectors.utils import MIB, utcnow

logger = logging.getLogger("connectors.ui")
# The client marks the Connector APIs as beta; the UI relies on them on purpose.
warnings.filterwarnings("ignore", category=GeneralAvailabilityWarning)

HERE = Path(__file__).parent
PUBLIC_PREFIXES = ("/login", "/static/", "/healthz", "/favicon.ico")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
MAX_BODY = MIB


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/")


@web.middleware
async def security_headers(request: web.Request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def require_session(request: web.Request, handler):
    session = request.app[SESSIONS].get(request.cookies.get(SESSION_COOKIE))
    request[SESSION] = session
    if session is None and not request.path.startswith(PUBLIC_PREFIXES):
        if _wants_json(request):
            raise web.HTTPUnauthorized(text='{"error": "Sign in first."}', content_type="application/json")
        target = request.path_qs if request.method == "GET" else "/"
        raise web.HTTPSeeOther(f"/login?next={quote(target, safe='')}")
    return await handler(request)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def _refuse(request: web.Request, message: str) -> web.Response:
    if _wants_json(request) or request.headers.get("X-CSRF-Token") is not None:
        return web.json_response({"error": message}, status=403)
    return render(request, "error.html", status=403, title="Request refused", message=message)


@web.middleware
async def check_csrf(request: web.Request, handler):
    if request.method in UNSAFE_METHODS:
        if not _same_origin(request):
            return _refuse(request, "Refused: the request came from another site.")
        session = request[SESSION]
        sent = request.headers.get("X-CSRF-Token")
        if sent is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sent = (await request.post()).get("_csrf")
        if session is not None:
            expected = session.csrf_token
        else:
            expected = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not sent or not expected or not hmac.compare_digest(str(sent), expected):
            return _refuse(
                request,
                "Refused: the form's security token is missing or out of date. Reload the page and try again.",
            )
    return await handler(request)


@web.middleware
async def handle_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except AuthenticationException:
        # The credentials stopped working (changed password, revoked key): sign in again.
        session = request.get(SESSION)
        if session is not None:
            request.app[SESSIONS].remove(session.id)
        if _wants_json(request):
            raise web.HTTPUnauthorized(
                text='{"error": "Sign in again."}', content_type="application/json"
            ) from None
        raise web.HTTPSeeOther("/login?expired=1") from None
    except (ApiError, TransportError) as exc:
        message = es_errors.describe(exc)
        status = getattr(getattr(exc, "meta", None), "status", None)
        status = status if isinstance(status, int) and 400 <= status < 500 else 502
        if _wants_json(request):
            return web.json_response({"error": message}, status=status)
        title = "Not allowed" if status == 403 else "Elasticsearch error"
        return render(request, "error.html", status=status, title=title, message=message)
    except Exception:
        logger.exception("unexpected error while serving %s %s", request.method, request.path)
        message = "Something went wrong while serving this page. The details are in the UI's log."
        if _wants_json(request):
            return web.json_response({"error": message}, status=500)
        return render(request, "error.html", status=500, title="Unexpected error", message=message)


async def _not_found_page(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if _wants_json(request):
            raise
        return render(request, "error.html", status=404, title="Not found", message="There is no such page.")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def create_app(
    config: dict | None = None, settings: UiSettings | None = None, clock: Callable[[], dt.datetime] = utcnow
) -> web.Application:
    """Build the UI application from the loaded config.yml dict (``clock``: the wall clock)."""
    settings = settings or UiSettings.from_config(config)
    app = web.Application(
        middlewares=[
            security_headers,
            web.middleware(_not_found_page),
            require_session,
            check_csrf,
            handle_errors,
        ],
        client_max_size=MAX_BODY,
    )
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[SESSIONS] = SessionStore(settings.max_sessions, settings.session_idle_seconds)
    app[SIGN_IN_THROTTLE] = SignInThrottle(
        settings.sign_in_max_failures,
        settings.sign_in_max_failures_per_address,
        settings.sign_in_window_seconds,
    )
    app[TEMPLATES] = make_environment(HERE / "templates")
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    setup_routes(app)

    async def close_sessions(app: web.Application) -> None:
        await app[SESSIONS].close()

    app.on_cleanup.append(close_sessions)
    return app
