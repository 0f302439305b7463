"""An in-memory stand-in of the few AsyncElasticsearch calls the sink makes (unit tests only).

It records every ``_bulk`` request and lets a test inject failures: whole-request errors
(``request_errors``), per-item statuses (``item_status``) and a gate that holds ``_bulk``
requests until released (back-pressure tests).
"""

from __future__ import annotations

import asyncio
import json

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, NotFoundError


def api_error(status: int, error_type: str = "error", cls=ApiError):
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "x", 9200),
    )
    return cls(
        error_type, meta=meta, body={"error": {"type": error_type, "reason": f"{error_type} happened"}}
    )


class FakeIndices:
    def __init__(self, es):
        self.es = es

    async def refresh(self, index, ignore_unavailable=False):
        self.es.refreshes += 1

    async def exists(self, index):
        return index in self.es.indices_created

    async def create(self, index, mappings=None, settings=None):
        self.es.indices_created[index] = {"mappings": mappings, "settings": settings}

    async def get_mapping(self, index):
        return {index: {"mappings": self.es.indices_created[index]["mappings"]}}

    async def put_mapping(self, index, properties):
        self.es.indices_created[index]["mappings"]["properties"].update(properties)
        self.es.put_mappings.append(properties)


class FakeIngest:
    def __init__(self, es):
        self.es = es

    async def get_pipeline(self, id):  # noqa: A002 - the client's name
        if id not in self.es.pipelines:
            raise api_error(404, "resource_not_found_exception", NotFoundError)
        return {id: self.es.pipelines[id]}


def _filtered(source: dict, fields: list[str]) -> dict:
    return {k: v for k, v in source.items() if k in fields}


class FakeEs:
    def __init__(self, docs: dict[str, dict] | None = None, index_exists: bool = True):
        self.docs: dict[str, dict] = dict(docs or {})
        self.index_exists = index_exists or bool(docs)
        self.bulk_requests: list[dict] = []
        self.actions: list[tuple[str, str]] = []  # (bulk action, id) of every item sent, in order
        self.request_errors: list[Exception] = []  # raised by the next _bulk calls, in order
        self.item_status = None  # (action, id, attempt) -> (status, error) or None
        self.gate: asyncio.Event | None = None  # when set to an unset Event, _bulk waits on it
        self.in_flight = 0
        self.max_in_flight = 0
        self.attempts: dict[str, int] = {}
        self.pits_open = 0
        self.search_pages = 0
        self.mget_requests: list[tuple[list[str], list[str]]] = []  # (ids, _source fields)
        self.mget_errors: list[Exception] = []  # raised by the next _mget calls, in order
        self.indices_created: dict[str, dict] = {}
        self.put_mappings: list[dict] = []
        self.refreshes = 0
        self.indices = FakeIndices(self)
        self.pipelines: dict[str, dict] = {"search-default-ingestion": {"processors": []}}
        self.ingest = FakeIngest(self)

    # point in time + search ------------------------------------------------------------------
    async def open_point_in_time(self, index, keep_alive):
        if not self.index_exists:
            raise api_error(404, "index_not_found_exception", NotFoundError)
        self.pits_open += 1
        return {"id": "pit-1"}

    async def close_point_in_time(self, id):  # noqa: A002 - the client's name
        self.pits_open -= 1

    async def search(self, pit, sort, size, source, track_total_hits, search_after=None):
        assert source[0] == "_timestamp" and sort == [{"_shard_doc": "asc"}]
        self.search_pages += 1
        ids = sorted(self.docs)
        start = 0 if search_after is None else search_after[0] + 1
        hits = [
            {"_id": doc_id, "_source": _filtered(self.docs[doc_id], source), "sort": [i]}
            for i, doc_id in enumerate(ids[start : start + size], start=start)
        ]
        return {"pit_id": pit["id"], "hits": {"hits": hits}}

    async def mget(self, index, ids, source):
        self.mget_requests.append((list(ids), list(source)))
        if self.mget_errors:
            raise self.mget_errors.pop(0)
        docs = [
            {"_id": i, "found": True, "_source": _filtered(self.docs[i], source)}
            if i in self.docs
            else {"_id": i, "found": False}
            for i in ids
        ]
        return {"docs": docs}

    # bulk ------------------------------------------------------------------------------------
    async def bulk(self, operations, pipeline=None):
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.request_errors:
                raise self.request_errors.pop(0)
            lines = [json.loads(line) for line in operations]
            self.bulk_requests.append(
                {
                    "lines": len(lines),
                    "bytes": sum(len(line) + 1 for line in operations),
                    "pipeline": pipeline,
                }
            )
            items, i = [], 0
            while i < len(lines):
                action, meta = next(iter(lines[i].items()))
                doc_id = meta["_id"]
                body = None
                if action != "delete":
                    body = lines[i + 1]
                    i += 1
                i += 1
                self.actions.append((action, doc_id))
                key = f"{action}:{doc_id}"
                self.attempts[key] = self.attempts.get(key, 0) + 1
                injected = self.item_status(action, doc_id, self.attempts[key]) if self.item_status else None
                if injected is not None:
                    status, error = injected
                    items.append({action: {"_id": doc_id, "status": status, "error": error}})
                    continue
                if action == "delete":
                    found = self.docs.pop(doc_id, None) is not None
                    items.append({action: {"_id": doc_id, "status": 200 if found else 404}})
                elif action == "create" and doc_id in self.docs:
                    error = {"type": "version_conflict_engine_exception", "reason": "document already exists"}
                    items.append({action: {"_id": doc_id, "status": 409, "error": error}})
                elif action == "update" and doc_id not in self.docs and not body.get("doc_as_upsert"):
                    error = {"type": "document_missing_exception", "reason": "document missing"}
                    items.append({action: {"_id": doc_id, "status": 404, "error": error}})
                elif action == "update":
                    self.docs[doc_id] = {**self.docs.get(doc_id, {}), **body["doc"]}
                    items.append({action: {"_id": doc_id, "status": 200}})
                else:
                    self.docs[doc_id] = body
                    items.append({action: {"_id": doc_id, "status": 201}})
            return {"errors": any(it[next(iter(it))]["status"] >= 300 for it in items), "items": items}
        finally:
            self.in_flight -= 1
