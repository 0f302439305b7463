"""Sign-in throttling: too many failed sign-ins for a username, or from a client address, within a
sliding window and further attempts are refused (HTTP 429 with ``Retry-After``) until the oldest
counted failure leaves the window.

Each attempt is counted *before* Elasticsearch is asked (:meth:`SignInThrottle.attempt`), so a
burst of parallel guesses cannot slip past the limit while the first ones are still in flight;
the count is taken back when the attempt turns out not to be a guess (a right password, an
unreachable Elasticsearch): only wrong credentials stay counted. Nothing secret is kept:
usernames are remembered as keyed hashes (people sometimes type a password into the username
field), passwords never reach this module. Memory is bounded: at most ``max_keys`` keys, each with
at most ``limit`` timestamps; the least recently failed keys are dropped first.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt is refused now, and for how long (whole seconds, at least 1)."""

    retry_after: int
    reason: str  # "username" or "address"

    @property
    def message(self) -> str:
        who = "for this username" if self.reason == "username" else "from your address"
        wait = f"{self.retry_after} second{'s' if self.retry_after != 1 else ''}"
        if self.retry_after >= 120:
            minutes = math.ceil(self.retry_after / 60)
            wait = f"{minutes} minutes"
        return f"Too many failed sign-in attempts {who}. Try again in {wait}."


class FailureWindow:
    """Failure timestamps per key over the last ``window`` seconds, ``limit`` at most per key."""

    def __init__(self, limit: int, window: float, max_keys: int, clock: Callable[[], float]):
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 if it may now)."""
        if self.limit <= 0:
            return 0.0
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - self.clock())

    def add(self, key: str) -> None:
        if self.limit <= 0:
            return
        times = self._recent(key)
        if not times:
            times = self._failures[key] = deque(maxlen=self.limit)
        times.append(self.clock())
        self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def take_back(self, key: str) -> None:
        """Forget the latest counted attempt of ``key`` (it was not a failure after all)."""
        times = self._recent(key)
        if times:
            times.pop()
            if not times:
                del self._failures[key]

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        horizon = self.clock() - self.window
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            del self._failures[key]
        return times


class SignInThrottle:
    """Counts failed sign-ins per username and per client address; see the module docstring."""

    def __init__(
        self,
        max_failures: int = 5,
        max_failures_per_address: int = 20,
        window_seconds: float = 300.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._key = secrets.token_bytes(32)  # per process: the hashes mean nothing elsewhere
        self.users = FailureWindow(max_failures, window_seconds, max_keys, clock)
        self.addresses = FailureWindow(max_failures_per_address, window_seconds, max_keys, clock)

    def set_clock(self, clock: Callable[[], float]) -> None:
        self.users.clock = self.addresses.clock = clock

    def _user(self, username: str) -> str | None:
        name = username.strip().casefold()
        if not name:
            return None  # an API key or no credentials: only the address counts
        return hmac.new(self._key, name.encode("utf-8"), hashlib.sha256).hexdigest()

    def check(self, username: str, address: str | None) -> Refusal | None:
        """A :class:`Refusal` if an attempt now must not reach Elasticsearch, else ``None``."""
        user = self._user(username)
        waits = []
        if user is not None:
            waits.append((self.users.wait(user), "username"))
        if address:
            waits.append((self.addresses.wait(address), "address"))
        seconds, reason = max(waits, default=(0.0, "username"))
        if seconds <= 0:
            return None
        return Refusal(retry_after=max(1, math.ceil(seconds)), reason=reason)

    def attempt(self, username: str, address: str | None) -> Refusal | None:
        """Check, and if allowed count the attempt as a failure until it is known not to be one."""
        refusal = self.check(username, address)
        if refusal is None:
            self.failed(username, address)
        return refusal

    def failed(self, username: str, address: str | None) -> None:
        user = self._user(username)
        if user is not None:
            self.users.add(user)
        if address:
            self.addresses.add(address)

    def not_a_guess(self, username: str, address: str | None) -> None:
        """Take back an attempt that did not test the credentials (Elasticsearch unreachable...)."""
        user = self._user(username)
        if user is not None:
            self.users.take_back(user)
        if address:
            self.addresses.take_back(address)

    def succeeded(self, username: str, address: str | None) -> None:
        """A right password clears that username's failures; the address only gets this attempt
        back (one valid account must not reset the count of guesses at others)."""
        user = self._user(username)
        if user is not None:
            self.users.clear(user)
        if address:
            self.addresses.take_back(address)
