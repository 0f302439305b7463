"""Small building blocks, one copy of each: backoff with jitter, a memory-bounded queue, JSON
encoding, UTC times (:func:`iso_utc`, :func:`parse_utc`), ``MIB``, and :func:`quoted` (the one
way an error message quotes user input: capped). The lowest layer: imports nothing of the service."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from collections import deque
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

MIB = 1024 * 1024


# -- backoff ------------------------------------------------------------------------------------
def backoff_delay(attempt: int, base: float, *, cap: float = 60.0, jitter: float = 0.5, rng=random) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): ``base * 2**attempt``, capped.

    With ``jitter`` j, the delay is drawn uniformly in ``[d * (1 - j), d]`` so that many clients
    retrying together spread out. ``base`` 0 means no wait (tests).
    """
    if base <= 0:
        return 0.0
    delay = min(cap, base * (2 ** max(attempt, 0)))
    return delay * (1 - jitter * rng.random())


# -- quoting user input -------------------------------------------------------------------------
#: Characters of user input an error message quotes at most (the rest is elided, its size named).
QUOTE_LIMIT = 200


def clipped(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with the full length."""
    return text if len(text) <= limit else f"{text[: max(limit, 1)]}… ({len(text):,} characters)"


def quoted(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters with the full size named.

    A 2 MB query quoted by a validation error would otherwise be copied whole into the connector
    document (and every log line that repeats the error).
    """
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return repr(text) if isinstance(value, str) else text
    head = text[: max(limit, 1)]
    return f"{repr(head) if isinstance(value, str) else head}… ({len(text):,} characters)"


# -- URLs ---------------------------------------------------------------------------------------
def http_url_fault(url: str) -> tuple[str, str] | None:
    """What makes ``url`` unusable as the absolute http(s) URL of a server, or ``None``.

    ``(kind, detail)``, kind one of ``parse`` (detail: the parser's reason, e.g. a bad port or
    IPv6 literal), ``credentials`` (a user name or password inside the URL: callers must not echo
    it), ``scheme`` (not http/https, or no ``//host``), ``host`` (no host, or whitespace or
    control characters in it), ``query`` (a query or fragment). Callers word the message.
    """
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in 0-65535
    except ValueError as exc:
        return "parse", str(exc)
    if parts.username is not None or parts.password is not None:
        return "credentials", ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "scheme", parts.scheme
    if not parts.hostname or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url.strip()):
        return "host", ""
    if parts.query or parts.fragment:
        return "query", ""
    return None


# -- time ---------------------------------------------------------------------------------------
# The one copy of UTC time writing and reading: documents, jobs and log lines all use these.
def utcnow() -> dt.datetime:
    """Now, an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def iso_utc(when: dt.datetime | None = None) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, e.g. ``2026-01-01T00:00:00.000Z`` (now by
    default; a naive ``when`` is read as local time, as :meth:`datetime.astimezone` does)."""
    when = (when or utcnow()).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_utc(value: Any) -> dt.datetime | None:
    """An aware UTC datetime from what Elasticsearch, Kibana and REST APIs store: ISO-8601 text
    (``Z`` or an offset; none means UTC) or epoch milliseconds. ``None`` when absent or unreadable."""
    if value in (None, "") or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


# -- JSON ---------------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def json_bytes(value: Any, *, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON of ``value``; dates as ISO strings, sets as lists, others as text
    (``sort_keys``: object keys sorted, a canonical form for comparisons)."""
    return json.dumps(
        value, default=_json_default, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys
    ).encode()


# -- memory-bounded queue -----------------------------------------------------------------------
class QueueClosed(Exception):
    """Raised by :meth:`MemQueue.put` after the queue was closed (by ``close`` or ``fail``)."""


class MemQueue:
    """A FIFO bounded both by item count and by total size in bytes.

    ``put(item, size)`` waits while the queue holds ``maxsize`` items or adding ``size`` bytes
    would exceed ``maxmem`` (an item larger than ``maxmem`` alone is admitted into an empty queue,
    so nothing can deadlock). ``get(timeout)`` returns ``None`` on timeout and raises
    :class:`QueueClosed` once the queue is closed and empty. ``fail(exc)`` wakes every waiter:
    producers then raise ``exc`` instead of blocking behind a dead consumer.
    """

    def __init__(self, maxsize: int, maxmem: int):
        if maxsize < 1 or maxmem < 1:
            raise ValueError("MemQueue bounds must be positive")
        self.maxsize = maxsize
        self.maxmem = maxmem
        self._items: deque[tuple[Any, int]] = deque()
        self._bytes = 0
        self._closed = False
        self._error: BaseException | None = None
        self._cond = asyncio.Condition()

    def qsize(self) -> int:
        return len(self._items)

    @property
    def mem_size(self) -> int:
        return self._bytes

    def _has_room(self, size: int) -> bool:
        if not self._items:
            return True
        return len(self._items) < self.maxsize and self._bytes + size <= self.maxmem

    async def put(self, item: Any, size: int) -> None:
        async with self._cond:
            while True:
                if self._error is not None:
                    raise self._error
                if self._closed:
                    raise QueueClosed("the queue is closed")
                if self._has_room(size):
                    break
                await self._cond.wait()
            self._items.append((item, size))
            self._bytes += size
            self._cond.notify_all()

    async def get(self, timeout: float | None = None) -> Any:  # noqa: ASYNC109 - returns None on timeout
        """The next item; ``None`` if none came within ``timeout``; ``QueueClosed`` at the end."""
        async with self._cond:
            if not self._items and not self._closed:
                try:
                    await asyncio.wait_for(self._wait_for_item(), timeout)
                except TimeoutError:
                    return None
            if not self._items:
                raise QueueClosed("the queue is closed")
            item, size = self._items.popleft()
            self._bytes -= size
            self._cond.notify_all()
            return item

    async def _wait_for_item(self) -> None:
        while not self._items and not self._closed:
            await self._cond.wait()

    async def close(self) -> None:
        """No more puts; ``get`` drains what is left, then raises ``QueueClosed``."""
        async with self._cond:
            self._closed = True
            self._cond.notify_all()

    async def fail(self, error: BaseException) -> None:
        """Close and make every current and future ``put`` raise ``error``; drop queued items."""
        async with self._cond:
            self._error = error
            self._closed = True
            self._items.clear()
            self._bytes = 0
            self._cond.notify_all()
