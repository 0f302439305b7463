"""How long a sync keeps trying an Elasticsearch that does not answer: one bound, one place.

Failure kinds and the one layer that retries each (``docs/CONFIG.md``, "Retries"):

1. **Elasticsearch does not answer a request** — connection refused or reset, a request that
   times out (a frozen node accepts the connection and never answers), or a whole request
   answered 429/502/503/504. Retried here, and only here: :meth:`OutagePolicy.call` repeats the
   request with exponential backoff and jitter (``elasticsearch.retry_interval`` doubling up to
   ten times itself, at most :data:`RETRY_CAP`) until ``elasticsearch.outage_timeout`` seconds
   have passed since the *start* of the first failed attempt, then raises
   :class:`ElasticsearchUnavailable`. Every attempt is cut at the time left (but gets at least
   one backoff cap, so the last one is a real attempt): a frozen Elasticsearch cannot stretch
   the bound by more than that. Any answer ends the outage (the next failure starts a new one).
2. **Elasticsearch answers but rejects single documents with 429** — the sink resends them
   (``elasticsearch.bulk.max_retries`` times, ``elasticsearch.bulk.retry_interval`` backoff);
   each resend is a request of kind 1.
3. **Anything else** (400, 401/403, 404, 409, 500, TLS and serialization errors) is not retried:
   retrying cannot fix it.

The transport (elasticsearch-py) retries nothing that waits: :func:`connectors.es.client.client_options`
turns its status retries off, and timeouts off by default; ``elasticsearch.max_retries``
(default 0) only fails a request over to another host at once after a connection error.

Logging is bounded: the first failure of an outage is a WARNING, then at most one "still no
answer" line per :data:`LOG_EVERY` seconds per caller, and one INFO line when it answers again.
:class:`Outage` tracks one caller's spell of failures; the job runner's watcher and final write
use it directly (they poll, they do not loop here).

Why a hand-written loop and not tenacity or stamina: both state "stop after a delay, exponential
wait with jitter, retry these exceptions" as well as this does, but not the two rules that make
the bound hold — each attempt is *cut* at the time left (a frozen node must not stretch the bound
by a whole ``request_timeout``), and the outage is shared across attempts and callers' logging
(one WARNING per spell, then one line per :data:`LOG_EVERY`). Expressed with either library, the
per-attempt budget and the spell's state would live outside it anyway, leaving the library only
the sleep. The backoff itself is the one formula of the project, :func:`connectors.utils.backoff_delay`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from elastic_transport import TlsError
from elasticsearch import ApiError, ConnectionError, ConnectionTimeout

from connectors.errors import ElasticsearchUnavailable
from connectors.utils import backoff_delay

T = TypeVar("T")

DEFAULT_OUTAGE_TIMEOUT = 180.0
DEFAULT_RETRY_INTERVAL = 1.0
RETRY_CAP = 10.0  # seconds: the longest wait between two attempts
LOG_EVERY = 30.0  # seconds: at most one "still no answer" line per caller this often
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def no_answer(exc: BaseException) -> str | None:
    """What went wrong if ``exc`` means Elasticsearch did not answer (kind 1), else ``None``."""
    if isinstance(exc, TlsError):
        return None
    if isinstance(exc, ConnectionTimeout | TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionError):
        return f"{type(exc).__name__}: {exc}"[:200]
    if isinstance(exc, ApiError):
        status = exc.meta.status if exc.meta is not None else None
        if status in RETRY_STATUSES:
            return f"status {status}"
    return None


class Outage:
    """One caller's spell of failed attempts: when it started, what to log, when to give up.

    ``timeout`` ``None`` never gives up (the runner's final write waits for Elasticsearch).
    """

    def __init__(
        self,
        what: str,
        timeout: float | None,
        logger: logging.Logger | logging.LoggerAdapter,
        *,
        log_every: float = LOG_EVERY,
        min_attempt: float = RETRY_CAP,
    ):
        self.what = what
        self.timeout = timeout
        self.min_attempt = min_attempt
        self.logger = logger
        self.log_every = log_every
        self.since: float | None = None  # loop time the first failed attempt started
        self.problem = ""
        self._logged_at = 0.0

    @property
    def failing(self) -> bool:
        return self.since is not None

    def elapsed(self) -> float:
        return 0.0 if self.since is None else asyncio.get_running_loop().time() - self.since

    def left(self, started: float | None = None) -> float | None:
        """Seconds left before giving up (``None``: no limit) for an attempt starting now."""
        if self.timeout is None:
            return None
        now = asyncio.get_running_loop().time() if started is None else started
        return self.timeout - (now - (self.since if self.since is not None else now))

    def budget(self, started: float) -> float | None:
        """How long an attempt starting at ``started`` may take: the time left, at least
        ``min_attempt`` (``None``: no limit)."""
        left = self.left(started)
        return None if left is None else max(left, self.min_attempt)

    def failed(self, started: float, problem: str) -> bool:
        """Record a failed attempt that started at loop time ``started``; ``True`` to give up."""
        now = asyncio.get_running_loop().time()
        self.problem = problem
        if self.since is None:
            self.since = started
            self._logged_at = now
            limit = "" if self.timeout is None else f"; retrying for up to {self.timeout:g}s"
            self.logger.warning(f"Elasticsearch does not answer {self.what} ({problem}){limit}")
        elif now - self._logged_at >= self.log_every:
            self._logged_at = now
            self.logger.warning(
                f"Elasticsearch still does not answer {self.what} after {now - self.since:.0f}s ({problem})"
            )
        left = self.left()
        return left is not None and left <= 0

    def answered(self) -> None:
        if self.since is not None:
            self.logger.info(f"Elasticsearch answers {self.what} again after {self.elapsed():.1f}s")
        self.since = None

    def error(self) -> ElasticsearchUnavailable:
        return ElasticsearchUnavailable(
            f"Elasticsearch did not answer {self.what} for {self.elapsed():.1f}s "
            f"(elasticsearch.outage_timeout is {self.timeout:g}s; last error: {self.problem})"
        )


class OutagePolicy:
    """Retries kind-1 failures of one request until the outage bound (see the module docstring)."""

    def __init__(
        self,
        timeout: float = DEFAULT_OUTAGE_TIMEOUT,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
        *,
        log_every: float = LOG_EVERY,
    ):
        self.timeout = max(0.0, float(timeout))
        self.retry_interval = max(0.0, float(retry_interval))
        self.logger = logger or logging.getLogger("connectors.es.outage")
        self.log_every = log_every
        self.cap = min(RETRY_CAP, 10 * self.retry_interval)  # the longest wait between attempts

    def outage(self, what: str, *, timeout: float | None | bool = True) -> Outage:
        """A tracker for one caller (``timeout=None``: never give up)."""
        return Outage(
            what,
            self.timeout if timeout is True else timeout,
            self.logger,
            log_every=self.log_every,
            min_attempt=self.cap,
        )

    def delay(self, attempt: int, left: float | None = None) -> float:
        delay = backoff_delay(attempt, self.retry_interval, cap=self.cap)
        return delay if left is None else max(0.0, min(delay, left))

    async def call(
        self,
        what: str,
        request: Callable[[], Awaitable[T]],
        *,
        abort: Callable[[], bool] | None = None,
    ) -> T:
        """``await request()``, retried while Elasticsearch does not answer, at most
        ``timeout`` seconds after the start of the first failed attempt; then (or at once when
        ``abort()`` turns true) :class:`ElasticsearchUnavailable`. Other errors pass through."""
        loop = asyncio.get_running_loop()
        outage = self.outage(what)
        attempt = 0
        while True:
            started = loop.time()
            try:
                async with asyncio.timeout(outage.budget(started)):
                    result = await request()
            except Exception as exc:
                problem = no_answer(exc)
                if problem is None:
                    raise
                if outage.failed(started, problem) or (abort is not None and abort()):
                    raise outage.error() from None
                await asyncio.sleep(self.delay(attempt, outage.left()))
                attempt += 1
                continue
            outage.answered()
            return result
