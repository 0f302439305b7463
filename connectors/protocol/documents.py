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
    DLS_FIELD,
    INCREMENTAL_FALLBACK_FIELD,
    SCHEDULED_AT_FIELD,
    ConnectorStatus,
    JobStatus,
    JobType,
)
from connectors.utils import parse_utc


def _enum(enum_cls, value, default=None):
    try:
        return enum_cls(value)
    except ValueError:
        return default


def find_domain_entry(filtering: Any, domain: str = DEFAULT_DOMAIN) -> dict | None:
    """The ``{domain, active, draft}`` entry of ``domain`` in a connector's ``filtering`` list
    (entries without a ``domain`` belong to the default one), or ``None``."""
    for entry in filtering if isinstance(filtering, list) else []:
        if isinstance(entry, dict) and entry.get("domain", DEFAULT_DOMAIN) == domain:
            return entry
    return None


def rules_of(filtering: Any, *, draft: bool = False, domain: str = DEFAULT_DOMAIN) -> dict:
    """The ``{rules, advanced_snippet, ...}`` map out of any shape a document holds (``{}``: none).

    Connector documents hold ``[{domain, active, draft}]`` (the ``domain`` entry, else the first,
    and its active or draft side); job snapshots hold the active part, as a list of per-domain
    entries or directly as a map.
    """
    if isinstance(filtering, list):
        chosen = find_domain_entry(filtering, domain)
        filtering = chosen if chosen is not None else (filtering[0] if filtering else {})
    if not isinstance(filtering, dict):
        return {}
    if "active" in filtering or "draft" in filtering:
        side = filtering.get("draft" if draft else "active")
        return side if isinstance(side, dict) else {}
    return filtering


def active_rules_of(filtering: Any) -> dict:
    """The active ``{rules, advanced_snippet, ...}`` of the DEFAULT domain (see :func:`rules_of`)."""
    return rules_of(filtering)


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

    @classmethod
    def from_api(cls, body: dict, doc_id: str | None = None):
        """A document as a ``_connector`` API returns it (the fields at the top, ``id`` among
        them); it has no ``seq_no``, so it cannot be written conditionally."""
        source = dict(body or {})
        source.setdefault("id", doc_id)
        return cls(id=str(source["id"]), source=source)

    def view(self) -> dict:
        """The fields with ``id`` among them, as the ``_connector`` APIs show a document (what
        the UI's templates read)."""
        return {**self.source, "id": self.id}

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
    def is_configured(self) -> bool:
        """Past the configuration step (see :attr:`ConnectorStatus.is_configured`)."""
        return self.status is not None and self.status.is_configured

    @property
    def name(self) -> str | None:
        return self.source.get("name")

    @property
    def is_native(self) -> bool:
        return bool(self.source.get("is_native"))

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
        return find_domain_entry(self.filtering, domain) or {}

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

    @property
    def dls_enabled(self) -> bool:
        """Document level security is on: the feature is offered and the configuration's
        ``use_document_level_security`` is ``true`` (then access-control syncs may run)."""
        spec = self.configuration.get(DLS_FIELD) or {}
        return self.feature_enabled("document_level_security") and spec.get("value") is True

    def supports(self, job_type: JobType) -> bool:
        """Whether a job of this type may be requested for the connector (Kibana's sync menu)."""
        job_type = JobType(job_type)
        if job_type is JobType.INCREMENTAL:
            return self.feature_enabled("incremental_sync")
        if job_type is JobType.ACCESS_CONTROL:
            return self.dls_enabled
        return True

    def schedule(self, job_type: JobType) -> tuple[bool, str | None]:
        entry = self.get("scheduling", job_type.value, default={}) or {}
        return bool(entry.get("enabled")), entry.get("interval")

    def last_scheduled_at(self, job_type: JobType) -> datetime | None:
        return parse_utc(self.source.get(SCHEDULED_AT_FIELD[job_type]))


@dataclass
class SyncJobDoc(Versioned):
    @property
    def status(self) -> JobStatus | None:
        return _enum(JobStatus, self.source.get("status"))

    @property
    def can_cancel(self) -> bool:
        """Unfinished: a cancel request still applies (see :attr:`JobStatus.can_cancel`)."""
        return self.status is not None and self.status.can_cancel

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
        return parse_utc(self.source.get("last_seen"))

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

    @property
    def incremental_fallback(self) -> str | None:
        """Why this incremental job ran as a full sync (``metadata.incremental_fallback``), or
        ``None`` when it ran incrementally (or is not an incremental job)."""
        metadata = self.source.get("metadata")
        value = metadata.get(INCREMENTAL_FALLBACK_FIELD) if isinstance(metadata, dict) else None
        return str(value) if value else None
