"""Sign-in and sign-out."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from aiohttp import web

from connectors.ui import sessions
from connectors.ui.context import (
    LOGIN_CSRF_COOKIE,
    SESSION,
    SESSION_COOKIE,
    SESSIONS,
    SETTINGS,
    SIGN_IN_THROTTLE,
)
from connectors.ui.render import render

logger = logging.getLogger("connectors.ui")


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/connectors"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/connectors"
    return target


def _cookie_options(request: web.Request) -> dict:
    return {"httponly": True, "samesite": "Strict", "secure": request.secure, "path": "/"}


async def login_page(request: web.Request, error: str | None = None, status: int = 200, username: str = ""):
    if request.get(SESSION) is not None and error is None:
        raise web.HTTPSeeOther("/connectors")
    settings = request.app[SETTINGS]
    # Keep the token while the browser has one (parallel requests, e.g. for a favicon, must not
    # invalidate the form being shown).
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    security = await sessions.security_enabled(settings)
    if error is None and request.query.get("expired"):
        error = "Your session ended or your credentials stopped working. Sign in again."
    response = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        error=error,
        username=username,
        security=security,
        es_host=settings.es_host,
        next=_safe_next(request.query.get("next")),
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_options(request))
    return response


async def login_get(request: web.Request) -> web.Response:
    return await login_page(request)


async def login_post(request: web.Request) -> web.Response:
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    api_key = str(form.get("api_key", "")).strip()
    if api_key and username:
        return await login_page(
            request, "Use either a username and password or an API key, not both.", 400, username
        )
    if username and not password:
        return await login_page(request, "Enter the password for this user.", 400, username)
    throttle, address = request.app[SIGN_IN_THROTTLE], request.remote
    refusal = throttle.attempt(username, address)  # counted now: parallel guesses see it
    if refusal is not None:
        logger.warning("sign-in throttled (%s) from %s", refusal.reason, address)
        response = await login_page(request, refusal.message, 429, username)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    try:
        session = await sessions.authenticate(request.app[SETTINGS], username, password, api_key)
    except sessions.SignInError as exc:
        if not isinstance(exc, sessions.WrongCredentials):
            throttle.not_a_guess(username, address)
        logger.info("sign-in refused for %r", username or "(api key)")
        return await login_page(request, str(exc), 401, username)
    except BaseException:
        throttle.not_a_guess(username, address)
        raise
    throttle.succeeded(username, address)
    old = request.get(SESSION)
    if old is not None:
        request.app[SESSIONS].remove(old.id)
    request.app[SESSIONS].add(session)
    logger.info("signed in: %s", session.username)
    response = web.HTTPSeeOther(_safe_next(str(form.get("next", ""))))
    response.set_cookie(SESSION_COOKIE, session.id, **_cookie_options(request))
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    session = request[SESSION]
    request.app[SESSIONS].remove(session.id)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
