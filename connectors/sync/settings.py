"""Settings of the job runner and the services, read from the loaded config."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any

from connectors.es.client import DEFAULT_REQUEST_TIMEOUT
from connectors.es.outage import DEFAULT_OUTAGE_TIMEOUT, DEFAULT_RETRY_INTERVAL

DEFAULT_IDLING = 30.0
DEFAULT_HEARTBEAT = 300.0
DEFAULT_SOURCE_CHECK_INTERVAL = 300.0
MAX_JOB_HEARTBEAT = 10.0
# a running job that has not heartbeated for this many job-heartbeat intervals is orphaned
IDLE_HEARTBEATS = 30


@dataclass(frozen=True)
class ServiceSettings:
    idling: float = DEFAULT_IDLING
    heartbeat: float = DEFAULT_HEARTBEAT
    job_heartbeat: float = MAX_JOB_HEARTBEAT
    job_idle_threshold: float = MAX_JOB_HEARTBEAT * IDLE_HEARTBEATS
    job_cleanup_interval: float = 300.0
    progress_interval: float = 30.0
    max_concurrent_content_syncs: int = 1
    max_concurrent_access_control_syncs: int = 1
    source_check_interval: float = DEFAULT_SOURCE_CHECK_INTERVAL
    hostname: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    bulk: dict[str, Any] = field(default_factory=dict)
    # elasticsearch.*: per-request timeout, and how long a sync waits out an Elasticsearch that
    # does not answer (connectors.es.outage), with the backoff base of those retries
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT
    retry_interval: float = DEFAULT_RETRY_INTERVAL

    @property
    def worker(self) -> str:
        """``hostname:pid`` — tells apart two service processes on one host."""
        return f"{self.hostname}:{self.pid}"

    @classmethod
    def from_config(cls, config: dict) -> ServiceSettings:
        service = config.get("service") or {}
        idling = float(service.get("idling", DEFAULT_IDLING))
        heartbeat = float(service.get("heartbeat", DEFAULT_HEARTBEAT))
        job_heartbeat = min(MAX_JOB_HEARTBEAT, heartbeat)
        threshold = service.get("job_idle_threshold")
        es = config.get("elasticsearch") or {}
        return cls(
            idling=idling,
            heartbeat=heartbeat,
            job_heartbeat=job_heartbeat,
            job_idle_threshold=float(threshold) if threshold else job_heartbeat * IDLE_HEARTBEATS,
            job_cleanup_interval=float(service.get("job_cleanup_interval", 300.0)),
            source_check_interval=float(service.get("source_check_interval", DEFAULT_SOURCE_CHECK_INTERVAL)),
            progress_interval=float(service.get("progress_interval", min(30.0, max(job_heartbeat * 3, 1.0)))),
            max_concurrent_content_syncs=int(service.get("max_concurrent_content_syncs", 1)),
            max_concurrent_access_control_syncs=int(service.get("max_concurrent_access_control_syncs", 1)),
            bulk=dict(es.get("bulk") or {}),
            request_timeout=float(es.get("request_timeout", DEFAULT_REQUEST_TIMEOUT)),
            outage_timeout=float(es.get("outage_timeout", DEFAULT_OUTAGE_TIMEOUT)),
            retry_interval=float(es.get("retry_interval", DEFAULT_RETRY_INTERVAL)),
        )

    def sink_options(self) -> dict[str, Any]:
        """``elasticsearch.bulk`` plus the outage bound the sink applies to its requests."""
        return {
            **self.bulk,
            "outage_timeout": self.outage_timeout,
            "outage_retry_interval": self.retry_interval,
        }
