"""Read-only views of the connector and sync-job documents.

A view keeps the raw ``_source`` plus the ``_seq_no``/``_primary_term`` it was read with, so the
stores can write conditionally (optimistic concurrency: whoever holds a stale view loses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.protocol.constants import (
    DEFAULT_DOMAIN,
    SCHEDULED_AT_FIELD,
    ConnectorStatus,
    JobStatus,
    JobType,
)
from connectors.protocol.timeutil import parse_iso


def _enum(enum_cls, value, default=None):
    try:
        return enum_cls(value)
    except ValueError:
        return default


def active_rules_of(filtering: Any) -> dict:
    """The ``{rules, advanced_snippet, ...}`` map to sync with, from any shape a document holds.

    Connector documents hold ``[{domain, active, draft}]``; job snapshots hold the active part
    (as a list of per-domain entries or directly as a map).
    """
    if isinstance(filtering, list):
        chosen = next((f for f in filtering if f.get("domain", DEFAULT_DOMAIN) == DEFAULT_DOMAIN), None)
        if chosen is None and filtering:
            chosen = filtering[0]
        filtering = chosen or {}
    if not isinstance(filtering, dict):
        return {}
    if isinstance(filtering.get("active"), dict):
        return filtering["active"]
    return filtering


@dataclass
class Versioned:
    id: str
    source: dict
    seq_no: int | None = None
    primary_term: int | None = None
    index: str | None = None

    @classmethod
    def from_hit(cls, hit: dict):
        return cls(
            id=hit["_id"],
            source=hit.get("_source") or {},
            seq_no=hit.get("_seq_no"),
            primary_term=hit.get("_primary_term"),
            index=hit.get("_index"),
        )

    def get(self, *path, default=None):
        node: Any = self.source
        for key in path:
            if not isinstance(node, dict) or node.get(key) is None:
                return default
            node = node[key]
        return node


@dataclass
class ConnectorDoc(Versioned):
    @property
    def status(self) -> ConnectorStatus | None:
        return _enum(ConnectorStatus, self.source.get("status"))

    @property
    def service_type(self) -> str | None:
        return self.source.get("service_type")

    @property
    def index_name(self) -> str | None:
        return self.source.get("index_name")

    @property
    def deleted(self) -> bool:
        return bool(self.source.get("deleted"))

    @property
    def configuration(self) -> dict:
        return self.source.get("configuration") or {}

    @property
    def features(self) -> dict:
        return self.source.get("features") or {}

    @property
    def pipeline(self) -> dict:
        return self.source.get("pipeline") or {}

    @property
    def sync_now(self) -> bool:
        return bool(self.source.get("sync_now"))

    @property
    def sync_cursor(self) -> dict | None:
        return self.source.get("sync_cursor")

    @property
    def filtering(self) -> list:
        return self.source.get("filtering") or []

    def filtering_entry(self, domain: str = DEFAULT_DOMAIN) -> dict:
        for entry in self.filtering:
            if entry.get("domain", DEFAULT_DOMAIN) == domain:
                return entry
        return {}

    def draft_filter(self) -> dict:
        return self.filtering_entry().get("draft") or {}

    def active_filter(self) -> dict:
        return self.filtering_entry().get("active") or {}

    def feature_enabled(self, *path: str) -> bool:
        node: Any = self.features
        for key in path:
            if not isinstance(node, dict):
                return False
            node = node.get(key)
        if isinstance(node, dict):
            return bool(node.get("enabled"))
        return bool(node)

    def schedule(self, job_type: JobType) -> tuple[bool, str | None]:
        entry = self.get("scheduling", job_type.value, default={}) or {}
        return bool(entry.get("enabled")), entry.get("interval")

    def last_scheduled_at(self, job_type: JobType) -> datetime | None:
        return parse_iso(self.source.get(SCHEDULED_AT_FIELD[job_type]))


@dataclass
class SyncJobDoc(Versioned):
    @property
    def status(self) -> JobStatus | None:
        return _enum(JobStatus, self.source.get("status"))

    @property
    def job_type(self) -> JobType:
        return _enum(JobType, self.source.get("job_type"), JobType.FULL)

    @property
    def trigger_method(self) -> str | None:
        return self.source.get("trigger_method")

    @property
    def connector(self) -> dict:
        return self.source.get("connector") or {}

    @property
    def connector_id(self) -> str | None:
        return self.connector.get("id")

    @property
    def index_name(self) -> str | None:
        return self.connector.get("index_name")

    @property
    def service_type(self) -> str | None:
        return self.connector.get("service_type")

    @property
    def configuration(self) -> dict:
        return self.connector.get("configuration") or {}

    @property
    def filtering(self) -> dict:
        return active_rules_of(self.connector.get("filtering"))

    @property
    def pipeline(self) -> dict:
        return self.connector.get("pipeline") or {}

    @property
    def sync_cursor(self) -> dict | None:
        return self.connector.get("sync_cursor")

    @property
    def last_seen(self) -> datetime | None:
        return parse_iso(self.source.get("last_seen"))

    @property
    def error(self) -> str | None:
        return self.source.get("error")

    @property
    def worker_hostname(self) -> str | None:
        return self.source.get("worker_hostname")

    @property
    def worker(self) -> str | None:
        """``hostname:pid`` of the process that claimed the job (``metadata.worker``)."""
        metadata = self.source.get("metadata")
        return metadata.get("worker") if isinstance(metadata, dict) else None

    @property
    def worker_process(self) -> dict | None:
        """What makes the claimer checkable (``metadata.worker_process``, see
        :mod:`connectors.worker_liveness`); ``None`` for claims made without it."""
        metadata = self.source.get("metadata")
        value = metadata.get("worker_process") if isinstance(metadata, dict) else None
        return value if isinstance(value, dict) else None
