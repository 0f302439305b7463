"""The connector documents (``.elastic-connectors``).

Writes go through the ``_connector`` APIs where Elasticsearch has one (check-in, error/status,
filtering validation and activation, last-sync fields, creation, and what a user edits in the
UI: configuration values, schedules, the filtering draft, deletion); read-modify-write steps that
must not race another process (filling the configuration of a new connector, recording a
scheduled due time, resetting ``sync_now``) update the index directly with
``if_seq_no``/``if_primary_term``, as Elastic's framework does.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import NotFoundError

from connectors.es.client import response_body
from connectors.protocol.conditional import update_if_unchanged
from connectors.protocol.constants import (
    CONNECTORS_INDEX,
    DEFAULT_SCHEDULE_INTERVAL,
    ConnectorStatus,
    JobType,
)
from connectors.protocol.documents import ConnectorDoc
from connectors.protocol.errors import ConnectorNotFound

PRODUCT_ORIGIN_HEADERS = {"X-elastic-product-origin": "connectors"}


def protocol_client(client):
    """The client as the connectors product: Elasticsearch then lets it read and write the
    ``.elastic-connectors*`` system indices without deprecation warnings (as Elastic's framework
    does). Clients without ``options`` (test doubles) are returned unchanged."""
    options = getattr(client, "options", None)
    return options(headers=PRODUCT_ORIGIN_HEADERS) if callable(options) else client


class ConnectorStore:
    """Connector documents through ``client``: the service's own, or (in the UI) the signed-in
    user's, so that Elasticsearch's security decides what each user may read and change."""

    def __init__(self, client):
        self.client = protocol_client(client)

    # -- reads ---------------------------------------------------------------------------
    async def get(self, connector_id: str) -> ConnectorDoc | None:
        """The live (not soft-deleted) connector with its seq_no/primary_term, or ``None``."""
        try:
            hit = response_body(await self.client.get(index=CONNECTORS_INDEX, id=connector_id))
        except NotFoundError:
            return None
        doc = ConnectorDoc.from_hit(hit)
        return None if doc.deleted else doc

    async def require(self, connector_id: str) -> ConnectorDoc:
        doc = await self.get(connector_id)
        if doc is None:
            raise ConnectorNotFound(connector_id)
        return doc

    async def read(self, connector_id: str) -> ConnectorDoc | None:
        """``GET _connector/{id}`` (what a user with the ``manage_connector`` privilege may call),
        or ``None``. No ``seq_no``: a view to show or to write through the APIs, not to CAS."""
        try:
            body = response_body(await self.client.connector.get(connector_id=connector_id))
        except NotFoundError:
            return None
        return ConnectorDoc.from_api(body, connector_id)

    async def page(self, offset: int, size: int, query: str | None = None) -> tuple[list[ConnectorDoc], int]:
        """One page of ``GET _connector`` (``query`` matches names and descriptions) and the total."""
        options: dict[str, Any] = {"from_": offset, "size": size}
        if query:
            options["query"] = query
        body = response_body(await self.client.connector.list(**options))
        docs = [ConnectorDoc.from_api(entry) for entry in body.get("results") or []]
        return docs, int(body.get("count") or 0)

    async def list(self, size: int = 100, **filters) -> list[dict]:
        results, start = [], 0
        while True:
            page = response_body(await self.client.connector.list(from_=start, size=size, **filters))
            batch = page.get("results") or []
            results.extend(batch)
            start += len(batch)
            if not batch or start >= page.get("count", 0):
                return results

    # -- API writes ----------------------------------------------------------------------
    async def create(self, connector_id: str, *, index_name: str, service_type: str, **fields: Any) -> None:
        await self.client.connector.put(
            connector_id=connector_id, index_name=index_name, service_type=service_type, **fields
        )

    async def create_new(
        self, *, name: str, index_name: str, service_type: str, description: str | None = None
    ) -> str:
        """``POST _connector``: a new self-managed connector (Elasticsearch picks the id and writes
        the default filtering, scheduling and status ``created``); its id."""
        resp = response_body(
            await self.client.connector.post(
                name=name,
                index_name=index_name,
                service_type=service_type,
                description=description or None,
                is_native=False,
            )
        )
        return resp["id"]

    async def delete(self, connector_id: str, *, delete_sync_jobs: bool = True) -> None:
        await self.client.connector.delete(connector_id=connector_id, delete_sync_jobs=delete_sync_jobs)

    async def update_configuration(self, connector_id: str, values: dict[str, Any]) -> None:
        """``PUT _connector/{id}/_configuration`` with ``values`` (key → value); Elasticsearch
        checks them against the stored schema and sets the status ``configured``."""
        await self.client.connector.update_configuration(connector_id=connector_id, values=values)

    async def update_schedule(
        self, doc: ConnectorDoc, job_type: JobType, *, enabled: bool, interval: str
    ) -> None:
        """``PUT _connector/{id}/_scheduling`` with one job type's schedule changed; the others
        are written as they are (or as defaults: the API replaces the whole map)."""
        scheduling = {}
        for kind in JobType:
            current_enabled, current_interval = doc.schedule(kind)
            scheduling[kind.value] = {
                "enabled": current_enabled,
                "interval": current_interval or DEFAULT_SCHEDULE_INTERVAL,
            }
        scheduling[JobType(job_type).value] = {"enabled": bool(enabled), "interval": interval}
        await self.client.connector.update_scheduling(connector_id=doc.id, scheduling=scheduling)

    async def update_filtering_draft(
        self, connector_id: str, rules: list[dict], advanced_snippet: dict
    ) -> None:
        """``PUT _connector/{id}/_filtering``: the DEFAULT domain's draft (state ``edited``; the
        service validates it, then activates a valid one)."""
        await self.client.connector.update_filtering(
            connector_id=connector_id, rules=rules, advanced_snippet=advanced_snippet
        )

    async def check_in(self, connector_id: str) -> None:
        await self.client.connector.check_in(connector_id=connector_id)

    async def set_error(self, connector_id: str, message: str) -> None:
        await self.client.connector.update_error(connector_id=connector_id, error=str(message))

    async def set_connected(self, connector_id: str) -> None:
        # a null error sets the status to connected
        await self.client.connector.update_error(connector_id=connector_id, body={"error": None})

    async def write_filtering_validation(self, connector_id: str, validation: dict) -> None:
        await self.client.connector.update_filtering_validation(
            connector_id=connector_id, validation=validation
        )

    async def activate_filtering(self, connector_id: str) -> None:
        await self.client.connector.update_active_filtering(connector_id=connector_id)

    async def last_sync(self, connector_id: str, **fields: Any) -> None:
        """Partial update of the last_* fields (and ``sync_cursor``)."""
        body = {key: value for key, value in fields.items()}
        await self.client.connector.last_sync(connector_id=connector_id, body=body)

    # -- conditional writes --------------------------------------------------------------
    async def update_if_unchanged(self, doc: ConnectorDoc, fields: dict) -> ConnectorDoc:
        """Write ``fields`` only if the document is still the version ``doc`` was read at.

        Raises :class:`StaleDocument` if another writer got there first.
        """
        return await update_if_unchanged(
            self.client, doc, fields, default_index=CONNECTORS_INDEX, what="connector"
        )

    async def fill_new_connector(
        self, doc: ConnectorDoc, configuration: dict, features: dict, service_type: str | None
    ) -> ConnectorDoc:
        """created → needs_configuration, with the source's default configuration and features."""
        fields: dict[str, Any] = {
            "configuration": configuration,
            "features": features,
            "status": ConnectorStatus.NEEDS_CONFIGURATION.value,
            "error": None,
        }
        if service_type and not doc.service_type:
            fields["service_type"] = service_type
        return await self.update_if_unchanged(doc, fields)
