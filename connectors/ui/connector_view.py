"""What the pages show about a connector beyond its fields: whether it may sync, its sync menu,
and the state the pages watch to refresh themselves (``/api/connectors/{id}/state``).

The rules come from the protocol's :class:`~connectors.protocol.ConnectorDoc` (configured,
features, document level security) and from :mod:`connectors.filtering.drafts` (the draft);
these functions only shape them. They accept the document or its ``view()`` (what templates hold).
"""

from __future__ import annotations

from connectors.filtering.drafts import domain_entry, draft_differs
from connectors.protocol import ConnectorDoc, JobType
from connectors.ui.labels import JOB_TYPES, connector_badge, sync_badge


def as_doc(connector: ConnectorDoc | dict) -> ConnectorDoc:
    if isinstance(connector, ConnectorDoc):
        return connector
    return ConnectorDoc(id=str(connector.get("id") or ""), source=connector)


def is_configured(connector: ConnectorDoc | dict) -> bool:
    return as_doc(connector).is_configured


def sync_options(connector: ConnectorDoc | dict) -> list[tuple[str, str, bool]]:
    """(job type, label, allowed) for the "Sync" menu, as Kibana offers them."""
    doc = as_doc(connector)
    return [(kind.value, JOB_TYPES[kind.value], doc.supports(kind)) for kind in JobType]


def connector_state_of(connector: ConnectorDoc | dict) -> dict:
    """What the pages watch for live refresh: status, error, last sync and the draft's state."""
    doc = as_doc(connector)
    source = doc.source
    label, tone = connector_badge(source.get("status"))
    sync_label, sync_tone = sync_badge(source.get("last_sync_status"))
    filtering = domain_entry(doc.filtering)
    draft = (filtering.get("draft") or {}).get("validation") or {}
    return {
        "status": source.get("status"),
        "status_label": label,
        "status_tone": tone,
        "error": source.get("error"),
        "last_sync_status": source.get("last_sync_status"),
        "last_sync_label": sync_label,
        "last_sync_tone": sync_tone,
        "last_synced": source.get("last_synced"),
        "last_indexed_document_count": source.get("last_indexed_document_count"),
        "draft_state": draft.get("state"),
        "has_draft": draft_differs(filtering),
        "configured": doc.is_configured,
        "has_configuration": bool(doc.configuration),
    }
