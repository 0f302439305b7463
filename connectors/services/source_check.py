"""When the scheduling service re-checks a connector's source (``validate_config`` + ``ping``).

Elastic's framework re-validates every connector on every scheduling pass; with a short
``service.idling`` that is a request to the remote per connector every few seconds, also while
a sync of that connector is hammering the same remote. :class:`SourceCheckTracker` remembers,
per connector, the outcome of the last check and says a new one is due when

* the connector was never checked by this process;
* its configuration values changed (a hash of the values is compared);
* its status is not the one the last pass left it in (a user edited it → ``configured``, a
  failed job set ``error``, ...);
* the last check failed and the retry backoff elapsed — the first retry is on the next pass,
  then the wait doubles (in ``service.idling`` steps) up to ``service.source_check_interval``;
* ``service.source_check_interval`` seconds passed since the last check.

While a job of the connector runs in this process no check is due unless the configuration or
status changed: the job itself exercises the source.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from connectors.protocol import ConnectorDoc, ConnectorStatus


def configuration_hash(configuration: dict | None) -> str:
    """A stable digest of the configuration *values* (labels, order, tooltips ignored)."""
    values = {
        key: entry.get("value") if isinstance(entry, dict) else entry
        for key, entry in (configuration or {}).items()
    }
    text = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Outcome:
    config_hash: str
    checked_at: float
    ok: bool
    failures: int  # consecutive failed checks
    left_status: ConnectorStatus | None  # the status the pass left the connector in


class SourceCheckTracker:
    def __init__(self, interval: float, idling: float, clock: Callable[[], float] = time.monotonic):
        self.interval = float(interval)
        self.idling = float(idling)
        self.clock = clock
        self._outcomes: dict[str, _Outcome] = {}

    def due(self, doc: ConnectorDoc, job_running: bool = False) -> str | None:
        """Why a check of ``doc``'s source is due now, or ``None`` if it can be skipped."""
        last = self._outcomes.get(doc.id)
        if last is None:
            return "first check"
        if configuration_hash(doc.configuration) != last.config_hash:
            return "configuration changed"
        if doc.status is not last.left_status:
            return "status changed"
        if job_running:
            return None
        elapsed = self.clock() - last.checked_at
        if not last.ok and elapsed >= self.retry_delay(last.failures):
            return "retry after failure"
        if elapsed >= self.interval:
            return "periodic check"
        return None

    def retry_delay(self, failures: int) -> float:
        """0 after the first failure (next pass), then idling, 3×idling, 7×idling, ... ≤ interval."""
        steps = 2 ** min(max(failures - 1, 0), 30) - 1
        return min(self.interval, self.idling * steps)

    def checked(self, doc: ConnectorDoc, ok: bool) -> None:
        """Record the outcome of a check of ``doc`` made now."""
        previous = self._outcomes.get(doc.id)
        failures = 0 if ok else (previous.failures + 1 if previous is not None and not previous.ok else 1)
        self._outcomes[doc.id] = _Outcome(
            config_hash=configuration_hash(doc.configuration),
            checked_at=self.clock(),
            ok=ok,
            failures=failures,
            left_status=doc.status,
        )

    def last_ok(self, connector_id: str) -> bool:
        outcome = self._outcomes.get(connector_id)
        return outcome is not None and outcome.ok

    def left(self, connector_id: str, status: ConnectorStatus | None) -> None:
        """The pass wrote ``status`` on the connector (so it is not taken for an outside change)."""
        outcome = self._outcomes.get(connector_id)
        if outcome is not None:
            outcome.left_status = status

    def forget(self, connector_id: str) -> None:
        self._outcomes.pop(connector_id, None)
