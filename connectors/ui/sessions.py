"""Signed-in sessions: one Elasticsearch client per session, running as that user.

The browser holds only a random session id (HttpOnly, SameSite cookie); credentials stay in the
server's memory inside the session's AsyncElasticsearch client, so Elasticsearch's own security
decides what each user may see and do. The store is bounded (oldest sessions are dropped) and
idle sessions expire.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from elasticsearch import ApiError, AsyncElasticsearch, AuthenticationException, TransportError

from connectors.es import errors as es_errors
from connectors.ui.settings import UiSettings

logger = logging.getLogger("connectors.ui")


class SignInError(Exception):
    """Sign-in refused; the message is fit to show on the sign-in page."""


class WrongCredentials(SignInError):
    """Elasticsearch rejected the credentials (what sign-in throttling counts)."""


@dataclass
class Session:
    id: str
    client: AsyncElasticsearch
    username: str
    security_enabled: bool
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    last_used: float = field(default_factory=time.monotonic)
    flashes: list[tuple[str, str]] = field(default_factory=list)  # (level, message), shown once


def make_client(settings: UiSettings, username: str = "", password: str = "", api_key: str = ""):
    options: dict = {"request_timeout": settings.request_timeout, "max_retries": 1, "retry_on_timeout": False}
    if settings.es_host.startswith("https"):
        options["verify_certs"] = settings.verify_certs
        if settings.ca_certs:
            options["ca_certs"] = settings.ca_certs
    if api_key:
        options["api_key"] = api_key
    elif username:
        options["basic_auth"] = (username, password)
    return AsyncElasticsearch(settings.es_host, **options)


async def authenticate(settings: UiSettings, username: str, password: str, api_key: str) -> Session:
    """Check the credentials against Elasticsearch and open a session running as that user."""
    client = make_client(settings, username, password, api_key)
    try:
        try:
            who = await client.security.authenticate()
            name = who.body.get("username") or username or "api key"
            security = True
        except AuthenticationException as exc:
            if not (username or api_key):
                raise SignInError("This Elasticsearch requires credentials: enter them to sign in.") from exc
            raise WrongCredentials("Wrong username, password or API key.") from exc
        except ApiError as exc:
            # No security API here (e.g. the stand-in): check the credentials with a plain
            # request, and whether anonymous requests are refused (then security is on).
            if exc.meta.status not in (400, 404, 405, 410, 500, 501):
                raise SignInError(es_errors.describe(exc)) from exc
            try:
                await client.info()
            except AuthenticationException as inner:
                raise WrongCredentials("Wrong username, password or API key.") from inner
            security = await security_enabled(settings) is True
            name = username or ("api key" if api_key else "anonymous")
    except SignInError:
        await client.close()
        raise
    except (ApiError, TransportError) as exc:
        await client.close()
        raise SignInError(es_errors.describe(exc)) from exc
    return Session(id=secrets.token_urlsafe(32), client=client, username=name, security_enabled=security)


async def security_enabled(settings: UiSettings) -> bool | None:
    """Whether Elasticsearch asks for credentials (None when it cannot be reached)."""
    client = make_client(settings)
    try:
        await client.info()
        return False
    except AuthenticationException:
        return True
    except (ApiError, TransportError):
        return None
    finally:
        await client.close()


class SessionStore:
    def __init__(self, max_sessions: int, idle_seconds: float):
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._closing: set[asyncio.Task] = set()

    def __len__(self) -> int:
        return len(self._sessions)

    def add(self, session: Session) -> None:
        self._sessions[session.id] = session
        while len(self._sessions) > self.max_sessions:
            _, oldest = self._sessions.popitem(last=False)
            self._close_later(oldest)

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = time.monotonic()
        if now - session.last_used > self.idle_seconds:
            self.remove(session_id)
            return None
        session.last_used = now
        self._sessions.move_to_end(session_id)
        return session

    def remove(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            self._close_later(session)

    def _close_later(self, session: Session) -> None:
        task = asyncio.get_running_loop().create_task(session.client.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        sessions = list(self._sessions.values())
        self._sessions.clear()
        await asyncio.gather(*(s.client.close() for s in sessions), return_exceptions=True)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
