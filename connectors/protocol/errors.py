"""Errors of the protocol layer."""

from __future__ import annotations


class ProtocolError(Exception):
    """Elasticsearch refused or failed a protocol read/write."""


class ConnectorNotFound(ProtocolError):
    def __init__(self, connector_id: str):
        super().__init__(f"connector {connector_id!r} not found in Elasticsearch")
        self.connector_id = connector_id


class JobNotFound(ProtocolError):
    def __init__(self, job_id: str):
        super().__init__(f"sync job {job_id!r} not found in Elasticsearch")
        self.job_id = job_id


class StaleDocument(ProtocolError):
    """A conditional write lost a race (another process changed the document first)."""
