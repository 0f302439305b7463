"""What the pages call each state, job type and trigger, and the badge tone of each state.

The states themselves and their rules (which are final, which can be canceled) are the
protocol's (:mod:`connectors.protocol.constants`); this module only names them.
"""

from __future__ import annotations

from typing import Any

from connectors.protocol.constants import (
    UNFINISHED_JOB_STATUSES,
    ConnectorStatus,
    JobStatus,
    JobType,
    TriggerMethod,
)

SYNC_STATUS = {
    JobStatus.COMPLETED.value: ("Sync complete", "success"),
    JobStatus.ERROR.value: ("Sync failure", "danger"),
    JobStatus.CANCELED.value: ("Sync canceled", "danger"),
    JobStatus.IN_PROGRESS.value: ("Sync in progress", "warning"),
    JobStatus.PENDING.value: ("Sync pending", "warning"),
    JobStatus.SUSPENDED.value: ("Sync suspended", "warning"),
    JobStatus.CANCELING.value: ("Canceling sync", "warning"),
}
CONNECTOR_STATUS = {
    ConnectorStatus.CREATED.value: ("Not configured", "default"),
    ConnectorStatus.NEEDS_CONFIGURATION.value: ("Needs configuration", "warning"),
    ConnectorStatus.CONFIGURED.value: ("Configured", "primary"),
    ConnectorStatus.CONNECTED.value: ("Connected", "success"),
    ConnectorStatus.ERROR.value: ("Error", "danger"),
}
JOB_TYPES = {
    JobType.FULL.value: "Full content",
    JobType.INCREMENTAL.value: "Incremental content",
    JobType.ACCESS_CONTROL.value: "Access control",
}
TRIGGERS = {TriggerMethod.ON_DEMAND.value: "Manual", TriggerMethod.SCHEDULED.value: "Scheduled"}
# jobs shown as live (polled) and offering "Cancel": the unfinished ones
ACTIVE_JOB_STATUSES = frozenset(status.value for status in UNFINISHED_JOB_STATUSES)


def sync_badge(status: Any) -> tuple[str, str]:
    return SYNC_STATUS.get(status, (str(status or "--"), "default"))


def connector_badge(status: Any) -> tuple[str, str]:
    return CONNECTOR_STATUS.get(status, (str(status or "--"), "default"))
