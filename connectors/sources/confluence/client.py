"""HTTP client for Confluence: one aiohttp session, authentication, timeouts, retries with
backoff, a shared rate-limit gate and a cap on requests in flight.

Every public call either returns parsed data or raises a :class:`ConfluenceError` whose
message names what failed (method, path, status, Confluence's own message) and never a secret.

Why the retry loop is written here and not with tenacity or stamina: those libraries retry one
call on its own, while the rules here are shared across calls. A 429 (or a 503 with
``Retry-After``) closes one :class:`RateGate` that *every* request of the client waits on, not
just the throttled one; throttling is flow control that spends no retry (``retry_count`` counts
only failures) and is bounded by its own total (:data:`MAX_THROTTLED_WAIT`); and a retry of a
failure uses the one backoff formula of the project through :class:`Backoff`. A library would
keep only the loop, with the gate, the two budgets and the error wording still around it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from connectors.sources.confluence.auth import Auth
from connectors.utils import backoff_delay

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 600.0  # seconds; a longer Retry-After is clamped (and logged)
# Throttling (429) is flow control, not failure: it does not use up ``retry_count``. A request
# keeps honouring Retry-After until it has been held back this long in all, then fails.
MAX_THROTTLED_WAIT = 900.0
USER_AGENT = "confluence-connector/0.1 (+elastic-connectors-style)"


class ConfluenceError(Exception):
    """Base of the client's errors; ``str()`` is a message a user can act on."""


class ConfluenceUnreachable(ConfluenceError):
    """Connection failures (DNS, refused, reset, timeout) that outlived the retries."""


class ConfluenceTLSError(ConfluenceUnreachable):
    """The TLS handshake failed (certificate not trusted, hostname mismatch, ...)."""


class ConfluenceHTTPError(ConfluenceError):
    """Confluence answered with an error status (after retries, for retryable ones)."""

    def __init__(self, status: int, method: str, path: str, detail: str):
        self.status = status
        self.method = method
        self.path = path
        self.detail = detail
        text = f"{method} {path} failed with HTTP {status}"
        if detail:
            text += f": {detail}"
        super().__init__(text)


class ConfluenceBadRequest(ConfluenceHTTPError):
    """400, e.g. ``Could not parse cql : ...``."""


class ConfluenceAuthError(ConfluenceHTTPError):
    """401: the credentials were refused."""


class ConfluenceForbidden(ConfluenceHTTPError):
    """403: the account may not read this."""


class ConfluenceNotFound(ConfluenceHTTPError):
    """404: absent, or hidden from the account (Confluence does not tell which)."""


_STATUS_ERRORS = {
    400: ConfluenceBadRequest,
    401: ConfluenceAuthError,
    403: ConfluenceForbidden,
    404: ConfluenceNotFound,
}


class AttachmentTooLarge(ConfluenceError):
    """A download went past its byte cap (the listed size was wrong or missing)."""


def error_detail(payload: Any, text: str = "") -> str:
    """Confluence's own error text from a v1/DC envelope, a v2 ``errors`` list or plain text."""
    if isinstance(payload, dict):
        message = payload.get("message")
        if isinstance(message, str) and message:
            prefix = "com.atlassian.confluence.api.service.exceptions."
            for marker in ("BadRequestException: ", "NotFoundException: "):
                if message.startswith(prefix) and marker in message:
                    message = message.split(marker, 1)[1]
            return message
        errors = payload.get("errors")
        if isinstance(errors, list) and errors:
            parts = []
            for item in errors:
                if isinstance(item, dict):
                    title = item.get("title") or item.get("code") or ""
                    detail = item.get("detail") or ""
                    parts.append(f"{title}: {detail}" if title and detail else str(title or detail))
                else:
                    parts.append(str(item))
            return "; ".join(p for p in parts if p)
        for key in ("reason", "error_description", "error"):
            if isinstance(payload.get(key), str):
                return payload[key]
    return " ".join(text.split())[:300]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); ``None`` if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds)


class RateGate:
    """A pause shared by every request of one client.

    After a 429 (or a 503 with ``Retry-After``) the gate closes for the advertised time and
    every request, not just the throttled one, waits for it to reopen before being sent.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self._clock = clock
        self._sleep = sleep
        self._resume_at = 0.0

    def close_for(self, seconds: float) -> None:
        self._resume_at = max(self._resume_at, self._clock() + seconds)

    @property
    def closed_for(self) -> float:
        return max(0.0, self._resume_at - self._clock())

    async def wait(self) -> None:
        while (delay := self._resume_at - self._clock()) > 0:  # noqa: ASYNC110 - the deadline can move
            await self._sleep(delay)


class Backoff:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * 2**n)),
    :func:`connectors.utils.backoff_delay` with ``jitter=1``. An object so a test can inject one."""

    def __init__(self, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None):
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()

    def delay(self, attempt: int) -> float:
        return backoff_delay(attempt, self.base, cap=self.cap, jitter=1.0, rng=self._rng)


def build_ssl_context(ca_pem: str | None) -> ssl.SSLContext:
    """A verifying context; ``ca_pem`` adds trusted CAs on top of the system store.

    Verification is never turned off. Raises ``ValueError`` if ``ca_pem`` is not a PEM certificate.
    """
    context = ssl.create_default_context()
    if ca_pem and ca_pem.strip():
        try:
            context.load_verify_locations(cadata=ca_pem.strip())
        except (ssl.SSLError, ValueError) as exc:
            raise ValueError(f"the CA certificate is not a valid PEM certificate ({exc})") from None
    return context


class ConfluenceClient:
    """Talks HTTP to one Confluence site.

    ``base_url`` is the REST root without ``/rest/api`` (``https://site.atlassian.net/wiki`` for
    Cloud, ``https://host/confluence`` for Data Center). Paths starting with ``/`` are joined to
    it; absolute URLs must share its origin (credentials never go to another host).
    """

    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        ssl_ca: str | None = None,
        retry_count: int = 3,
        concurrency: int = 50,
        timeout: float = 60.0,
        download_timeout: float = 300.0,
        backoff: Backoff | None = None,
        gate: RateGate | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.auth = auth
        self.retry_count = max(0, int(retry_count))
        self.concurrency = max(1, int(concurrency))
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 30.0))
        self.download_timeout = aiohttp.ClientTimeout(total=download_timeout, sock_connect=30.0)
        self.backoff = backoff or Backoff()
        self._sleep = sleep  # injectable, so tests of backoff never wait for real
        self.gate = gate or RateGate(sleep=sleep)
        self._ssl_context = build_ssl_context(ssl_ca) if parts.scheme == "https" else None
        self._in_flight = asyncio.Semaphore(self.concurrency)
        self._session: aiohttp.ClientSession | None = None
        self.request_count = 0
        self.max_in_flight = 0
        self._current_in_flight = 0

    # -- session ---------------------------------------------------------------------------
    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency, ssl=self._ssl_context if self._ssl_context else True
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    # -- URLs ------------------------------------------------------------------------------
    def url_for(self, path_or_url: str) -> str:
        """Absolute URL for a path relative to ``base_url`` or a same-origin absolute URL."""
        if path_or_url.startswith(("http://", "https://")):
            parts = urlsplit(path_or_url)
            if f"{parts.scheme}://{parts.netloc}" != self.origin:
                raise ConfluenceError(
                    f"refusing to follow a link to another host ({parts.netloc}); "
                    f"the configured Confluence is {self.origin}"
                )
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def origin_url(self, path: str) -> str:
        """Absolute URL for a path relative to the host (v2 ``_links.next`` starts ``/wiki/...``)."""
        return urljoin(self.origin + "/", path)

    def link_url(self, link: str) -> str:
        """Absolute URL for a v1 ``_links.next``: relative to the REST base (``/rest/api/...``),
        tolerating links that already carry the context path (``/wiki/rest/api/...``)."""
        if link.startswith(("http://", "https://")):
            return self.url_for(link)
        context = urlsplit(self.base_url).path.rstrip("/")
        if context and (link == context or link.startswith(context + "/")):
            return self.origin_url(link)
        return self.url_for(link)

    @staticmethod
    def _display_path(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # -- requests --------------------------------------------------------------------------
    async def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        """GET and parse JSON, retrying 429/5xx/timeouts/resets up to ``retry_count`` times."""
        url = self.url_for(path_or_url)
        return await self._with_retries("GET", url, params, self._read_json, self.timeout)

    async def get_json_and_next(
        self, path_or_url: str, params: dict[str, Any] | None = None
    ) -> tuple[Any, str | None]:
        """Like :meth:`get_json`, plus the absolute URL of a ``Link: <...>; rel="next"`` header
        (Cloud v2 lists send the cursor there too), or ``None``."""
        url = self.url_for(path_or_url)

        async def read(response: aiohttp.ClientResponse) -> tuple[Any, str | None]:
            payload = await self._read_json(response)
            try:
                target = response.links.get("next", {}).get("url")
            except ValueError:  # a malformed Link header: fall back to the body's links
                target = None
            return payload, str(target) if target else None

        return await self._with_retries("GET", url, params, read, self.timeout)

    async def download(self, path_or_url: str, max_bytes: int) -> bytes:
        """GET a binary body; raise :class:`AttachmentTooLarge` past ``max_bytes``."""
        url = self.url_for(path_or_url)

        async def read(response: aiohttp.ClientResponse) -> bytes:
            declared = response.content_length
            if declared is not None and declared > max_bytes:
                raise AttachmentTooLarge(f"{declared} bytes is over the {max_bytes} byte cap")
            chunks, total = [], 0
            async for chunk in response.content.iter_chunked(64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise AttachmentTooLarge(f"more than {max_bytes} bytes (the cap)")
                chunks.append(chunk)
            return b"".join(chunks)

        return await self._with_retries("GET", url, None, read, self.download_timeout)

    @staticmethod
    async def _read_json(response: aiohttp.ClientResponse) -> Any:
        try:
            return await response.json(content_type=None)
        except ValueError as exc:  # cut short or not JSON (a proxy's HTML page, ...): worth a retry
            raise _Retryable(f"the response is not valid JSON ({exc})", None, connection=False) from None

    async def _with_retries(self, method, url, params, reader, request_timeout):
        display = self._display_path(url)
        attempt = 0  # failures (5xx, timeouts, resets, broken bodies): bounded by retry_count
        throttled_wait = 0.0  # time held back by 429s: bounded by MAX_THROTTLED_WAIT
        while True:
            await self.gate.wait()
            try:
                async with self._in_flight:
                    self._track_in_flight(+1)
                    try:
                        return await self._send_once(method, url, params, reader, request_timeout)
                    finally:
                        self._track_in_flight(-1)
            except _Retryable as retry:
                if retry.status == 429:
                    # Many requests in flight are throttled together; when the gate reopens some
                    # of them are throttled again. That is the server pacing us, not a failure.
                    wait = retry.retry_after
                    if wait is None:
                        wait = self.backoff.delay(min(attempt, 6))
                    wait = min(wait, MAX_RETRY_AFTER)
                    if throttled_wait + wait > MAX_THROTTLED_WAIT:
                        raise retry.final_error(display, attempt, throttled_for=throttled_wait) from None
                    throttled_wait += wait
                    self.gate.close_for(wait)
                    logger.info(
                        "Confluence asked to slow down (%s); pausing all requests %.1fs", retry.reason, wait
                    )
                    continue
                if attempt >= self.retry_count:
                    raise retry.final_error(display, attempt) from None
                wait = retry.retry_after
                if wait is not None:
                    if wait > MAX_RETRY_AFTER:
                        logger.warning(
                            "Retry-After of %.0fs on %s clamped to %.0fs", wait, display, MAX_RETRY_AFTER
                        )
                        wait = MAX_RETRY_AFTER
                    # Throttling is about the whole client: every request waits at the gate.
                    self.gate.close_for(wait)
                    logger.info(
                        "Confluence asked to slow down (%s); pausing all requests %.1fs", retry.reason, wait
                    )
                else:
                    wait = self.backoff.delay(attempt)
                    logger.info(
                        "%s %s: %s; retry %d/%d in %.2fs",
                        method,
                        display,
                        retry.reason,
                        attempt + 1,
                        self.retry_count,
                        wait,
                    )
                    await self._sleep(wait)
                attempt += 1

    def _track_in_flight(self, delta: int) -> None:
        self._current_in_flight += delta
        self.max_in_flight = max(self.max_in_flight, self._current_in_flight)

    async def _send_once(self, method, url, params, reader, request_timeout):
        headers = await self.auth.headers()
        session = self._get_session()
        self.request_count += 1
        display = self._display_path(url)
        try:
            async with session.request(
                method, url, params=params, headers=headers, timeout=request_timeout, allow_redirects=True
            ) as response:
                if response.status in RETRYABLE_STATUSES:
                    body = await self._safe_text(response)
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    raise _Retryable(
                        f"HTTP {response.status}",
                        retry_after,
                        status=response.status,
                        method=method,
                        detail=error_detail(_maybe_json(body), body),
                    )
                if response.status >= 400:
                    body = await self._safe_text(response)
                    cls = _STATUS_ERRORS.get(response.status, ConfluenceHTTPError)
                    raise cls(response.status, method, display, error_detail(_maybe_json(body), body))
                return await reader(response)
        except aiohttp.ClientConnectorCertificateError as exc:
            raise ConfluenceTLSError(
                f"TLS certificate of {self.origin} is not trusted ({exc.certificate_error}); "
                "add the issuing CA under 'SSL certificate'"
            ) from None
        except aiohttp.ClientSSLError as exc:
            raise ConfluenceTLSError(f"TLS handshake with {self.origin} failed: {exc}") from None
        except TimeoutError:
            raise _Retryable("timed out", None, method=method) from None
        except aiohttp.ClientConnectorError as exc:
            raise _Retryable(f"cannot connect ({exc.os_error or exc})", None, method=method) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
            raise _Retryable(f"connection reset ({type(exc).__name__})", None, method=method) from None

    @staticmethod
    async def _safe_text(response: aiohttp.ClientResponse) -> str:
        try:
            raw = await response.content.read(64 * 1024)
        except (TimeoutError, aiohttp.ClientError):
            return ""
        return raw.decode("utf-8", "replace")


def _maybe_json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return None


class _Retryable(Exception):
    """Internal: one attempt failed in a way worth retrying."""

    def __init__(self, reason, retry_after, *, status=None, method="GET", detail="", connection=True):
        super().__init__(reason)
        self.connection = connection
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        self.method = method
        self.detail = detail

    def final_error(self, display_path: str, attempts: int, throttled_for: float = 0.0) -> ConfluenceError:
        tries = f"after {attempts + 1} attempt{'s' if attempts else ''}"
        if throttled_for:
            tries = f"still throttled after waiting {throttled_for:.0f}s as Confluence asked"
        if self.status is not None:
            err = ConfluenceHTTPError(self.status, self.method, display_path, self.detail)
            err.args = (f"{err} ({tries})",)
            return err
        cls = ConfluenceUnreachable if self.connection else ConfluenceError
        return cls(f"{self.method} {display_path}: {self.reason} ({tries})")
