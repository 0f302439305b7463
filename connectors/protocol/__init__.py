"""The only code that reads or writes connector and sync-job documents.

* :class:`ConnectorStore` — ``.elastic-connectors`` (``_connector`` APIs + conditional updates);
* :class:`JobStore` — ``.elastic-connectors-sync-jobs`` (``_connector/_sync_job`` APIs, claim and
  terminal states as conditional updates);
* :mod:`connectors.protocol.constants` — index names and the enum values Kibana shares.
"""

import warnings

from elasticsearch.exceptions import GeneralAvailabilityWarning

from connectors.protocol.connectors import ConnectorStore
from connectors.protocol.constants import (
    ACCESS_CONTROL_INDEX_PREFIX,
    CONNECTORS_INDEX,
    JOBS_INDEX,
    ConnectorStatus,
    FilteringValidationState,
    JobStatus,
    JobType,
    TriggerMethod,
)
from connectors.protocol.documents import ConnectorDoc, SyncJobDoc
from connectors.protocol.errors import ConnectorNotFound, JobNotFound, ProtocolError, StaleDocument
from connectors.protocol.jobs import JobStore

# the _connector APIs are marked beta/experimental in the client; they are the protocol we speak
warnings.filterwarnings("ignore", category=GeneralAvailabilityWarning)

__all__ = [
    "ACCESS_CONTROL_INDEX_PREFIX",
    "CONNECTORS_INDEX",
    "JOBS_INDEX",
    "ConnectorDoc",
    "ConnectorNotFound",
    "ConnectorStatus",
    "ConnectorStore",
    "FilteringValidationState",
    "JobNotFound",
    "JobStatus",
    "JobStore",
    "JobType",
    "ProtocolError",
    "StaleDocument",
    "SyncJobDoc",
    "TriggerMethod",
]
