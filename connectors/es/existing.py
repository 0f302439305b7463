"""What a full sync's sink starts from: the ``_id → state`` of every document already in the
index, read with a point in time and ``search_after`` (only ``_timestamp`` and the source's
unversioned fields in ``_source``), each kept as the packed int of :mod:`connectors.es.unchanged`
— the sink's only O(n) structure: about 136 bytes per document with its id when the source has
no unversioned fields, about 148 bytes with them (Confluence: one int of 122 bits instead of 56).

:func:`load_existing` does not retry: an Elasticsearch that does not answer (also during the
refresh) raises, and the sink's outage policy repeats the whole read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from elasticsearch import ApiError, NotFoundError, TransportError

from connectors.es.client import response_body
from connectors.es.outage import no_answer
from connectors.es.unchanged import state

PIT_KEEP_ALIVE = "5m"


async def load_existing(
    client, index_name: str, page_size: int, logger, fields: Sequence[str] = ()
) -> dict[str, int]:
    """``_id → state`` (:func:`connectors.es.unchanged.state` over ``fields``) of every document
    (point in time + search_after)."""
    existing: dict[str, int] = {}
    try:  # documents written moments ago (a previous sync) must be visible to the search
        await client.indices.refresh(index=index_name, ignore_unavailable=True)
    except (ApiError, TransportError, AttributeError) as exc:
        if no_answer(exc):  # Elasticsearch is down: the caller's outage policy retries the whole read
            raise
        logger.debug(f"refreshing {index_name} failed: {type(exc).__name__}")
    try:
        pit = await client.open_point_in_time(index=index_name, keep_alive=PIT_KEEP_ALIVE)
    except NotFoundError:
        return existing
    pit_id = response_body(pit)["id"]
    try:
        search_after = None
        while True:
            kwargs: dict[str, Any] = {
                "pit": {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE},
                "sort": [{"_shard_doc": "asc"}],
                "size": page_size,
                "source": ["_timestamp", *fields],
                "track_total_hits": False,
            }
            if search_after is not None:
                kwargs["search_after"] = search_after
            page = response_body(await client.search(**kwargs))
            pit_id = page.get("pit_id") or pit_id
            hits = page["hits"]["hits"]
            for hit in hits:
                existing[hit["_id"]] = state(hit.get("_source") or {}, fields)
            if len(hits) < page_size:
                break
            search_after = hits[-1]["sort"]
    finally:
        try:
            await client.close_point_in_time(id=pit_id)
        except Exception as exc:  # the PIT expires by itself; never fail the sync for it
            logger.debug(f"closing the point in time failed: {type(exc).__name__}")
    logger.info(f"{len(existing)} documents already in {index_name}")
    return existing
