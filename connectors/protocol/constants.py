"""Names and values of the Elastic connector protocol (shared with Kibana and Elasticsearch).

The state rules both the service and the UI apply are stated here once: which job states are
final, which can still be canceled, which connector states count as configured.
"""

from __future__ import annotations

from enum import StrEnum

# DLS_FIELD: the configuration field that turns document level security on (with the feature)
from connectors.access_control import DLS_FIELD as DLS_FIELD
from connectors.es.mappings import ACCESS_CONTROL_INDEX_PREFIX as ACCESS_CONTROL_INDEX_PREFIX

CONNECTORS_INDEX = ".elastic-connectors"
JOBS_INDEX = ".elastic-connectors-sync-jobs"
DEFAULT_DOMAIN = "DEFAULT"


class ConnectorStatus(StrEnum):
    CREATED = "created"
    NEEDS_CONFIGURATION = "needs_configuration"
    CONFIGURED = "configured"
    CONNECTED = "connected"
    ERROR = "error"

    @property
    def is_configured(self) -> bool:
        """Past the configuration step: a sync may be requested (Kibana's rule too)."""
        return self not in (ConnectorStatus.CREATED, ConnectorStatus.NEEDS_CONFIGURATION)


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    CANCELING = "canceling"
    CANCELED = "canceled"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    ERROR = "error"

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.CANCELED, JobStatus.ERROR)

    @property
    def can_cancel(self) -> bool:
        """A cancel request applies to any unfinished job (pending and suspended ones become
        canceled, running ones canceling; a canceling one is asked again)."""
        return not self.is_final


class JobType(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"
    ACCESS_CONTROL = "access_control"

    @property
    def is_content(self) -> bool:
        return self is not JobType.ACCESS_CONTROL


class TriggerMethod(StrEnum):
    ON_DEMAND = "on_demand"
    SCHEDULED = "scheduled"


class FilteringValidationState(StrEnum):
    EDITED = "edited"
    VALID = "valid"
    INVALID = "invalid"


# jobs a service is running (or finishing) and jobs waiting for one
ACTIVE_JOB_STATUSES = (JobStatus.IN_PROGRESS, JobStatus.CANCELING)
RUNNABLE_JOB_STATUSES = (JobStatus.PENDING, JobStatus.SUSPENDED)
UNFINISHED_JOB_STATUSES = frozenset(s for s in JobStatus if not s.is_final)
# content job types (shown together in the UI's job history), access control apart
CONTENT_JOB_TYPES = (JobType.FULL, JobType.INCREMENTAL)

# what a new schedule runs at until someone sets one (midnight UTC, every day; Kibana's default)
DEFAULT_SCHEDULE_INTERVAL = "0 0 0 * * ?"

# job ``metadata`` field: why an incremental job ran as a full sync (its source declined the cursor)
INCREMENTAL_FALLBACK_FIELD = "incremental_fallback"

# connector field holding the due time of the last scheduled job, per job type
SCHEDULED_AT_FIELD = {
    JobType.FULL: "last_sync_scheduled_at",
    JobType.INCREMENTAL: "last_incremental_sync_scheduled_at",
    JobType.ACCESS_CONTROL: "last_access_control_sync_scheduled_at",
}

# job state machine (final states have no way out)
JOB_TRANSITIONS = {
    JobStatus.PENDING: {JobStatus.IN_PROGRESS, JobStatus.CANCELED},
    JobStatus.IN_PROGRESS: {JobStatus.CANCELING, JobStatus.COMPLETED, JobStatus.SUSPENDED, JobStatus.ERROR},
    JobStatus.SUSPENDED: {JobStatus.IN_PROGRESS, JobStatus.CANCELED},
    JobStatus.CANCELING: {JobStatus.CANCELED, JobStatus.ERROR},
    JobStatus.COMPLETED: set(),
    JobStatus.CANCELED: set(),
    JobStatus.ERROR: set(),
}

CONNECTOR_TRANSITIONS = {
    ConnectorStatus.CREATED: {ConnectorStatus.NEEDS_CONFIGURATION, ConnectorStatus.ERROR},
    ConnectorStatus.NEEDS_CONFIGURATION: {ConnectorStatus.CONFIGURED, ConnectorStatus.ERROR},
    ConnectorStatus.CONFIGURED: {
        ConnectorStatus.NEEDS_CONFIGURATION,
        ConnectorStatus.CONFIGURED,
        ConnectorStatus.CONNECTED,
        ConnectorStatus.ERROR,
    },
    ConnectorStatus.CONNECTED: {ConnectorStatus.CONNECTED, ConnectorStatus.CONFIGURED, ConnectorStatus.ERROR},
    ConnectorStatus.ERROR: {ConnectorStatus.CONNECTED, ConnectorStatus.CONFIGURED, ConnectorStatus.ERROR},
}
