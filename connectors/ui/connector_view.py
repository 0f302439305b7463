"""What the pages show about a connector beyond its fields: whether it may sync, its sync menu,
the age of its incremental cursor, and the state the pages watch to refresh themselves
(``/api/connectors/{id}/state``).

The rules come from the protocol's :class:`~connectors.protocol.ConnectorDoc` (configured,
features, document level security) and from :mod:`connectors.filtering.drafts` (the draft);
these functions only shape them. They accept the document or its ``view()`` (what templates hold).
"""

from __future__ import annotations

import datetime as dt

from connectors.filtering.drafts import domain_entry, draft_differs
from connectors.protocol import ConnectorDoc, JobType
from connectors.ui.labels import JOB_TYPES, connector_badge, sync_badge
from connectors.utils import parse_utc, utcnow


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


def cursor_age(
    connector: ConnectorDoc | dict, stored_by: dict | None, now: dt.datetime | None = None
) -> str | None:
    """What the overview says of the incremental cursor, for a connector that supports incremental
    syncs (``None`` otherwise): its age — from ``completed_at`` of ``stored_by``, the newest
    completed content job (the one whose success stored the cursor) — or that there is none yet."""
    doc = as_doc(connector)
    if not doc.supports(JobType.INCREMENTAL):
        return None
    if not doc.sync_cursor:
        return "none yet: the next incremental sync runs as a full sync"
    stored_at = parse_utc((stored_by or {}).get("completed_at"))
    if stored_at is None:
        return "stored (age unknown)"
    seconds = max(0, int(((now or utcnow()) - stored_at).total_seconds()))
    return f"{age_words(seconds)} old"


def age_words(seconds: int) -> str:
    """``42 seconds``, ``12 minutes``, ``3 hours``, ``2 days`` (the largest whole unit)."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size or size == 1:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "0 seconds"  # pragma: no cover
