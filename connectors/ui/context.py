"""What the UI's layers share through the aiohttp application and request, typed.

``app.py`` builds the application and fills these keys; views, middlewares and ``render`` read
them from ``request.app`` / ``request`` — nothing below ``app.py`` imports it. The request's
:data:`SESSION` is the signed-in :class:`~connectors.ui.sessions.Session` (or ``None``), set by
the sign-in middleware; :func:`connectors_of` and :func:`jobs_of` are the protocol stores running
as that user (their own Elasticsearch client: Elasticsearch's security decides what they may do).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import jinja2
from aiohttp import web

from connectors.protocol import ConnectorStore, JobStore
from connectors.ui.sessions import Session, SessionStore
from connectors.ui.settings import UiSettings
from connectors.ui.throttle import SignInThrottle

SETTINGS = web.AppKey("settings", UiSettings)
SESSIONS = web.AppKey("sessions", SessionStore)
SIGN_IN_THROTTLE = web.AppKey("sign_in_throttle", SignInThrottle)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
#: the wall clock (aware UTC) pages show times and next runs by; tests inject a fixed one
CLOCK = web.AppKey("clock", Callable[[], dt.datetime])
SESSION = "session"  # request key: the signed-in Session, or None

SESSION_COOKIE = "connectors_ui_session"
LOGIN_CSRF_COOKIE = "connectors_ui_login_csrf"


def now_of(request: web.Request) -> dt.datetime:
    """The application's clock, read now."""
    return request.app[CLOCK]()


def session_of(request: web.Request) -> Session | None:
    return request.get(SESSION)


def connectors_of(request: web.Request) -> ConnectorStore:
    """Connector documents as the signed-in user (see :class:`ConnectorStore`)."""
    return ConnectorStore(request[SESSION].client)


def jobs_of(request: web.Request) -> JobStore:
    """Sync-job documents as the signed-in user (see :class:`JobStore`)."""
    return JobStore(request[SESSION].client)
