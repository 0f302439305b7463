"""The sync job runner: one job, full / incremental / access control."""

from connectors.sync.plumbing import SyncPlumbing, default_plumbing, sink_counts
from connectors.sync.runner import StopReason, SyncJobRunner
from connectors.sync.settings import ServiceSettings

__all__ = [
    "ServiceSettings",
    "StopReason",
    "SyncJobRunner",
    "SyncPlumbing",
    "default_plumbing",
    "sink_counts",
]
