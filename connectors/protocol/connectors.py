"""The connector documents (``.elastic-connectors``).

Writes go through the ``_connector`` APIs where Elasticsearch has one (check-in, error/status,
filtering validation and activation, last-sync fields, creation); read-modify-write steps that
must not race another process (filling the configuration of a new connector, recording a
scheduled due time, resetting ``sync_now``) update the index directly with
``if_seq_no``/``if_primary_term``, as Elastic's framework does.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import NotFoundError

from connectors.es.client import response_body
from connectors.protocol.conditional import update_if_unchanged
from connectors.protocol.constants import CONNECTORS_INDEX, ConnectorStatus
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
