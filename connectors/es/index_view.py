"""The Elasticsearch :class:`~connectors.index_view.IndexView`: what a source may read of its index.

The runner gives one :class:`EsIndexView` of the job's content index to the source before a
content sync (``BaseDataSource.set_index_view``). Rules, beyond the protocol's:

1. ``stored`` is one ``_mget`` (real time: it sees everything the sink has flushed) of at most
   :data:`~connectors.index_view.STORED_BATCH` ids, ``_source`` filtered to ``fields``.
2. ``matching`` and ``ids`` are streams: a point in time, then ``search_after`` pages of
   ``page_size`` hits sorted by ``_shard_doc``, ``_source`` filtered to ``fields`` (none for
   ``ids``); the point in time is closed when the stream ends or is closed. ``matching`` is one
   ``terms`` query of at most :data:`MAX_TERMS` values (Elasticsearch's default
   ``index.max_terms_count``).
3. The index is refreshed once, before the view's first search, so searches see what earlier
   syncs wrote; later searches see the last refresh (the index's own, about every second).
4. A missing index holds nothing (empty answers, no error).
5. **Failure**: every request goes through the Elasticsearch outage policy
   (:mod:`connectors.es.outage`: retried while Elasticsearch does not answer, up to
   ``elasticsearch.outage_timeout``); after it, or on any other Elasticsearch error, the call
   raises :class:`SyncError` naming the index and the read. The source lets it propagate: the
   sync fails and its cursor does not move.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from elasticsearch import ApiError, NotFoundError, TransportError

from connectors.errors import ElasticsearchUnavailable, SyncError
from connectors.es.client import response_body
from connectors.es.errors import api_error_text
from connectors.es.existing import PIT_KEEP_ALIVE
from connectors.es.outage import OutagePolicy
from connectors.index_view import STORED_BATCH

T = TypeVar("T")

#: the most values one ``matching`` call takes (one ``terms`` query)
MAX_TERMS = 65_536
PAGE_SIZE = 1000


class EsIndexView:
    """:class:`~connectors.index_view.IndexView` of ``index_name`` (rules in the module docstring)."""

    def __init__(
        self,
        client,
        index_name: str,
        outage: OutagePolicy | None = None,
        *,
        page_size: int = PAGE_SIZE,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
    ):
        self.client = client
        self.index_name = index_name
        self.logger = logger or logging.getLogger("connectors.es.index_view")
        self.outage = outage or OutagePolicy(logger=self.logger)
        self.page_size = max(1, int(page_size))
        self.requests = 0  # Elasticsearch requests made (cost tests)
        self._refreshed = False

    async def stored(self, ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        if len(ids) > STORED_BATCH:
            raise ValueError(f"stored() takes at most {STORED_BATCH} ids, got {len(ids)}")
        if not ids:
            return {}
        wanted = [str(i) for i in ids]
        try:
            answer = await self._call(
                f"the stored fields of {len(wanted)} documents",
                lambda: self.client.mget(index=self.index_name, ids=wanted, source=_source(fields)),
                missing_ok=True,
            )
        except NotFoundError:
            return {}  # rule 4
        out: dict[str, dict[str, Any]] = {}
        for entry in (answer or {}).get("docs") or []:
            if entry.get("found"):
                out[str(entry["_id"])] = dict(entry.get("_source") or {})
            elif (error := entry.get("error")) is not None and _type(error) != "index_not_found_exception":
                raise SyncError(
                    f"reading the stored fields of document {entry.get('_id')} in {self.index_name} "
                    f"failed: {_type(error)}: {error.get('reason') if isinstance(error, dict) else error}"
                )
        return out

    async def matching(
        self, field: str, values: Sequence[str], fields: Sequence[str] = ()
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        terms = [str(v) for v in values]
        if len(terms) > MAX_TERMS:
            raise ValueError(f"matching() takes at most {MAX_TERMS} values, got {len(terms)}")
        if not terms:
            return
        what = f"the documents whose {field} matches"
        async with contextlib.aclosing(self._search({"terms": {field: terms}}, fields, what)) as hits:
            async for hit in hits:  # a consumer that stops early closes the point in time at once
                yield str(hit["_id"]), dict(hit.get("_source") or {})

    async def ids(self, types: Sequence[str] | None = None) -> AsyncIterator[str]:
        query = {"terms": {"type": [str(t) for t in types]}} if types else {"match_all": {}}
        async with contextlib.aclosing(self._search(query, (), "the ids")) as hits:
            async for hit in hits:
                yield str(hit["_id"])

    # -- requests ------------------------------------------------------------------------------
    async def _search(self, query: dict, fields: Sequence[str], what: str) -> AsyncIterator[dict]:
        await self._refresh_once()
        try:
            pit = await self._call(
                f"{what} (point in time)",
                lambda: self.client.open_point_in_time(index=self.index_name, keep_alive=PIT_KEEP_ALIVE),
                missing_ok=True,
            )
        except NotFoundError:
            return  # rule 4
        pit_id = pit["id"]
        try:
            search_after = None
            while True:
                kwargs: dict[str, Any] = {
                    "pit": {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE},
                    "query": query,
                    "sort": [{"_shard_doc": "asc"}],
                    "size": self.page_size,
                    "source": _source(fields),
                    "track_total_hits": False,
                }
                if search_after is not None:
                    kwargs["search_after"] = search_after
                page = await self._call(what, lambda kwargs=kwargs: self.client.search(**kwargs))
                pit_id = page.get("pit_id") or pit_id
                hits = page["hits"]["hits"]
                for hit in hits:
                    yield hit
                if len(hits) < self.page_size:
                    return
                search_after = hits[-1]["sort"]
        finally:
            try:
                await self.client.close_point_in_time(id=pit_id)
            except Exception as exc:  # it expires by itself; never fail the sync for it
                self.logger.debug(f"closing the point in time failed: {type(exc).__name__}")

    async def _refresh_once(self) -> None:
        if self._refreshed:
            return
        try:
            await self._call(
                "a refresh",
                lambda: self.client.indices.refresh(index=self.index_name, ignore_unavailable=True),
            )
        except SyncError as exc:
            if isinstance(exc.__cause__, ElasticsearchUnavailable):
                raise
            self.logger.debug(f"refreshing {self.index_name} failed: {exc}")  # search what is there
        self._refreshed = True

    async def _call(self, what: str, request: Callable[[], Awaitable[T]], *, missing_ok: bool = False) -> Any:
        """``request()`` under the outage policy; failures as :class:`SyncError` (rule 5)."""
        self.requests += 1
        try:
            return response_body(await self.outage.call(f"the read of {what} in {self.index_name}", request))
        except ElasticsearchUnavailable as exc:
            raise SyncError(f"reading {what} in index {self.index_name} failed: {exc}") from exc
        except NotFoundError:
            if missing_ok:
                raise
            raise SyncError(
                f"reading {what} in index {self.index_name} failed: the index does not exist"
            ) from None
        except (ApiError, TransportError) as exc:
            detail = api_error_text(exc) if isinstance(exc, ApiError) else f"{type(exc).__name__}: {exc}"
            raise SyncError(f"reading {what} in index {self.index_name} failed: {detail}") from None


def _source(fields: Sequence[str]) -> list[str] | bool:
    return [str(f) for f in fields] if fields else False


def _type(error: Any) -> str | None:
    return error.get("type") if isinstance(error, dict) else None
