"""Names and values of the Elastic connector protocol (shared with Kibana and Elasticsearch)."""

from __future__ import annotations

from enum import StrEnum

CONNECTORS_INDEX = ".elastic-connectors"
JOBS_INDEX = ".elastic-connectors-sync-jobs"
ACCESS_CONTROL_INDEX_PREFIX = ".search-acl-filter-"
DEFAULT_DOMAIN = "DEFAULT"


class ConnectorStatus(StrEnum):
    CREATED = "created"
    NEEDS_CONFIGURATION = "needs_configuration"
    CONFIGURED = "configured"
    CONNECTED = "connected"
    ERROR = "error"


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
