"""Conditional partial updates of connector and sync-job documents (optimistic concurrency).

A write made from a view read at ``_seq_no``/``_primary_term`` only lands if nobody wrote the
document since; otherwise :class:`~connectors.protocol.errors.StaleDocument` is raised and the
caller re-reads (or gives up: someone else claimed the job, recorded the due time, ...).
"""

from __future__ import annotations

from typing import Any, TypeVar

from elasticsearch import ConflictError

from connectors.es.client import response_body
from connectors.protocol.documents import Versioned
from connectors.protocol.errors import StaleDocument

V = TypeVar("V", bound=Versioned)


def merged(source: dict, fields: dict) -> dict:
    """``source`` with ``fields`` merged in as Elasticsearch merges a partial ``doc`` update:
    objects recursively, every other value replaced."""
    out = dict(source)
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


async def update_if_unchanged(
    client, doc: V, fields: dict[str, Any], *, default_index: str, what: str, refresh: bool = False
) -> V:
    """Write ``fields`` into ``doc`` if it is still the version it was read at; the view as written.

    ``what`` names the document in the :class:`StaleDocument` message ("connector", "sync job").
    ``NotFoundError`` is left to the caller.
    """
    kwargs: dict[str, Any] = {"refresh": True} if refresh else {}
    try:
        resp = response_body(
            await client.update(
                index=doc.index or default_index,
                id=doc.id,
                doc=fields,
                if_seq_no=doc.seq_no,
                if_primary_term=doc.primary_term,
                **kwargs,
            )
        )
    except ConflictError as exc:
        raise StaleDocument(f"{what} {doc.id} changed concurrently") from exc
    return type(doc)(
        id=doc.id,
        source=merged(doc.source, fields),
        seq_no=resp.get("_seq_no"),
        primary_term=resp.get("_primary_term"),
        index=doc.index,
    )
