"""An in-memory stand-in for the parts of ``AsyncElasticsearch`` the protocol layer uses.

Unit tests of the runner and the services use it to be fast and to stage races exactly
(e.g. bump a document's seq_no between a read and a conditional write). It keeps documents
with ``_seq_no``/``_primary_term``, honours ``if_seq_no``, evaluates the few query shapes the
stores send (bool filter/must_not with terms/term/range) and implements the ``_connector``
calls with the semantics of the fact sheet. End-to-end tests use the real stand-in server.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import BadRequestError, ConflictError, NotFoundError

from connectors.index_view import MemoryIndexView
from connectors.protocol.constants import ACCESS_CONTROL_INDEX_PREFIX, CONNECTORS_INDEX, JOBS_INDEX
from connectors.protocol.documents import active_rules_of
from connectors.utils import iso_utc, parse_utc


def _meta(status):
    return ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "fake", 9200),
    )


def _err(cls, status, message):
    return cls(message=message, meta=_meta(status), body={"error": {"reason": message}})


def deep_merge(target: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _lookup(source: dict, path: str):
    node = source
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def matches(source: dict, query: dict | None) -> bool:
    if not query or "match_all" in query:
        return True
    if "bool" in query:
        b = query["bool"]
        musts = list(b.get("filter") or []) + list(b.get("must") or [])
        if isinstance(b.get("filter"), dict):
            musts = [b["filter"]] + list(b.get("must") or [])
        if not all(matches(source, q) for q in musts):
            return False
        not_list = b.get("must_not") or []
        if isinstance(not_list, dict):
            not_list = [not_list]
        return not any(matches(source, q) for q in not_list)
    if "terms" in query:
        ((field, values),) = query["terms"].items()
        return _lookup(source, field) in values
    if "term" in query:
        ((field, value),) = query["term"].items()
        value = value.get("value") if isinstance(value, dict) else value
        return _lookup(source, field) == value
    if "range" in query:
        ((field, bounds),) = query["range"].items()
        actual = parse_utc(_lookup(source, field))
        if actual is None:
            return False
        for op, bound in bounds.items():
            bound = parse_utc(bound)
            if op == "lt" and not actual < bound:
                return False
            if op == "lte" and not actual <= bound:
                return False
            if op == "gt" and not actual > bound:
                return False
            if op == "gte" and not actual >= bound:
                return False
        return True
    raise NotImplementedError(f"fake ES does not evaluate {query}")


class FakeIndices:
    def __init__(self, es: FakeES):
        self.es = es

    async def refresh(self, index=None, ignore_unavailable=None):
        self.es.calls.append(("refresh", index))
        return {}

    async def exists(self, index):
        return index in self.es.docs

    async def create(self, index, mappings=None, settings=None):
        if index in self.es.docs:
            raise _err(BadRequestError, 400, f"resource_already_exists_exception: {index}")
        self.es.docs[index] = {}
        self.es.mappings[index] = mappings
        return {"acknowledged": True}


class FakeConnectorApi:
    """``client.connector.*`` with the fact sheet's semantics."""

    def __init__(self, es: FakeES):
        self.es = es

    def _connector(self, connector_id) -> dict:
        doc = self.es.docs.get(CONNECTORS_INDEX, {}).get(connector_id)
        if doc is None:
            raise _err(NotFoundError, 404, f"resource_not_found_exception: connector [{connector_id}]")
        return doc

    def _patch_connector(self, connector_id, fields):
        self._connector(connector_id)
        self.es._write(CONNECTORS_INDEX, connector_id, fields, merge=True)
        return {"result": "updated"}

    def _job(self, job_id) -> dict:
        doc = self.es.docs.get(JOBS_INDEX, {}).get(job_id)
        if doc is None:
            raise _err(NotFoundError, 404, f"resource_not_found_exception: job [{job_id}]")
        return doc

    async def put(self, connector_id, index_name=None, service_type=None, name=None, **extra):
        default_rules = {
            "rules": [
                {
                    "id": "DEFAULT",
                    "field": "_",
                    "rule": "regex",
                    "value": ".*",
                    "policy": "include",
                    "order": 0,
                }
            ],
            "advanced_snippet": {"value": {}},
            "validation": {"state": "valid", "errors": []},
        }
        schedule = {"enabled": False, "interval": "0 0 0 * * ?"}
        doc = {
            "name": name or "",
            "index_name": index_name,
            "service_type": service_type,
            "status": "created",
            "configuration": {},
            "filtering": [
                {"domain": "DEFAULT", "active": default_rules, "draft": copy.deepcopy(default_rules)}
            ],
            "scheduling": {k: dict(schedule) for k in ("full", "incremental", "access_control")},
            "sync_now": False,
            "deleted": False,
            "is_native": False,
            **{k: v for k, v in extra.items() if v is not None},
        }
        self.es._write(CONNECTORS_INDEX, connector_id, doc)
        return {"result": "created", "id": connector_id}

    async def list(self, from_=0, size=100, **filters):
        rows = [
            {"id": doc_id, **copy.deepcopy(entry["_source"])}
            for doc_id, entry in sorted(self.es.docs.get(CONNECTORS_INDEX, {}).items())
            if not entry["_source"].get("deleted")
        ]
        return {"count": len(rows), "results": rows[from_ : from_ + size]}

    async def check_in(self, connector_id):
        return self._patch_connector(connector_id, {"last_seen": iso_utc()})

    async def update_error(self, connector_id, error=None, body=None):
        error = (body or {}).get("error", error)
        status = "error" if error is not None else "connected"
        return self._patch_connector(connector_id, {"error": error, "status": status})

    async def update_filtering_validation(self, connector_id, validation):
        doc = self._connector(connector_id)["_source"]
        filtering = copy.deepcopy(doc["filtering"])
        filtering[0]["draft"]["validation"] = validation
        return self._patch_connector(connector_id, {"filtering": filtering})

    async def update_active_filtering(self, connector_id):
        doc = self._connector(connector_id)["_source"]
        filtering = copy.deepcopy(doc["filtering"])
        if filtering[0]["draft"]["validation"]["state"] != "valid":
            raise _err(BadRequestError, 400, "draft is not valid")
        filtering[0]["active"] = copy.deepcopy(filtering[0]["draft"])
        return self._patch_connector(connector_id, {"filtering": filtering})

    async def last_sync(self, connector_id, body=None, **fields):
        return self._patch_connector(connector_id, {**fields, **(body or {})})

    async def sync_job_post(self, id, job_type="full", trigger_method="on_demand"):  # noqa: A002
        connector = self._connector(id)["_source"]
        index_name = connector["index_name"]
        if job_type == "access_control":
            index_name = ACCESS_CONTROL_INDEX_PREFIX + index_name
        now = iso_utc()
        job = {
            "job_type": job_type,
            "trigger_method": trigger_method,
            "status": "pending",
            "connector": {
                "id": id,
                "index_name": index_name,
                "service_type": connector.get("service_type"),
                "configuration": copy.deepcopy(connector.get("configuration") or {}),
                "filtering": copy.deepcopy(active_rules_of(connector.get("filtering"))),
                "pipeline": connector.get("pipeline"),
                "language": connector.get("language"),
            },
            "indexed_document_count": 0,
            "indexed_document_volume": 0,
            "deleted_document_count": 0,
            "total_document_count": 0,
            "created_at": now,
            "last_seen": now,
        }
        job_id = f"job-{next(self.es.ids)}"
        self.es._write(JOBS_INDEX, job_id, job)
        return {"id": job_id}

    async def sync_job_check_in(self, connector_sync_job_id):
        self._job(connector_sync_job_id)
        self.es._write(JOBS_INDEX, connector_sync_job_id, {"last_seen": iso_utc()}, merge=True)
        return {"result": "updated"}

    async def sync_job_update_stats(self, connector_sync_job_id, metadata=None, last_seen=None, **counts):
        self._job(connector_sync_job_id)
        fields = {**counts, "last_seen": last_seen or iso_utc()}
        if metadata:
            fields["metadata"] = metadata
        self.es._write(JOBS_INDEX, connector_sync_job_id, fields, merge=True)
        return {"result": "updated"}

    async def sync_job_cancel(self, connector_sync_job_id):
        status = self._job(connector_sync_job_id)["_source"]["status"]
        now = iso_utc()
        if status in ("pending", "suspended"):
            fields = {
                "status": "canceled",
                "cancelation_requested_at": now,
                "canceled_at": now,
                "completed_at": now,
            }
        elif status == "in_progress":
            fields = {"status": "canceling", "cancelation_requested_at": now}
        else:
            raise _err(BadRequestError, 400, f"cannot cancel a job in status {status}")
        self.es._write(JOBS_INDEX, connector_sync_job_id, fields, merge=True)
        return {"result": "updated"}

    async def sync_job_delete(self, connector_sync_job_id):
        self._job(connector_sync_job_id)
        del self.es.docs[JOBS_INDEX][connector_sync_job_id]
        return {"acknowledged": True}


class FakeES:
    def __init__(self):
        self.docs: dict[str, dict[str, dict]] = {CONNECTORS_INDEX: {}}
        self.mappings: dict[str, dict | None] = {}
        self.seq = itertools.count(1)
        self.ids = itertools.count(1)
        self.calls: list = []
        self.indices = FakeIndices(self)
        self.connector = FakeConnectorApi(self)
        self.closed = False

    # storage ---------------------------------------------------------------------------
    def _write(self, index, doc_id, fields, merge=False):
        entries = self.docs.setdefault(index, {})
        if merge and doc_id in entries:
            source = entries[doc_id]["_source"]
            deep_merge(source, fields)
        else:
            source = copy.deepcopy(fields)
        entries[doc_id] = {"_source": source, "_seq_no": next(self.seq), "_primary_term": 1}
        return entries[doc_id]

    def source(self, index, doc_id) -> dict:
        return self.docs[index][doc_id]["_source"]

    # document APIs ---------------------------------------------------------------------
    async def get(self, index, id):  # noqa: A002
        entry = self.docs.get(index, {}).get(id)
        if entry is None:
            raise _err(NotFoundError, 404, f"document {id} not found")
        return {"_index": index, "_id": id, "found": True, **copy.deepcopy(entry)}

    async def update(self, index, id, doc, if_seq_no=None, if_primary_term=None, refresh=None):  # noqa: A002
        entry = self.docs.get(index, {}).get(id)
        if entry is None:
            raise _err(NotFoundError, 404, f"document {id} not found")
        if if_seq_no is not None and (
            entry["_seq_no"] != if_seq_no or entry["_primary_term"] != if_primary_term
        ):
            raise _err(ConflictError, 409, f"version_conflict_engine_exception: [{id}]")
        written = self._write(index, id, doc, merge=True)
        return {
            "_index": index,
            "_id": id,
            "result": "updated",
            "_seq_no": written["_seq_no"],
            "_primary_term": 1,
        }

    async def index(self, index, id, document):  # noqa: A002
        written = self._write(index, id, document)
        return {"_id": id, "_seq_no": written["_seq_no"], "_primary_term": 1}

    async def delete(self, index, id):  # noqa: A002
        self.docs.get(index, {}).pop(id, None)

    async def search(
        self, index, query=None, size=10, sort=None, seq_no_primary_term=None, ignore_unavailable=None
    ):
        self.calls.append(("search", index))
        if index not in self.docs:
            raise _err(NotFoundError, 404, f"no such index [{index}]")
        hits = [
            {"_index": index, "_id": doc_id, **copy.deepcopy(entry)}
            for doc_id, entry in self.docs[index].items()
            if matches(entry["_source"], query)
        ]
        hits.sort(key=lambda h: (h["_source"].get("created_at") or "", h["_id"]))
        return {"hits": {"total": {"value": len(hits)}, "hits": hits[:size]}}

    async def count(self, index, ignore_unavailable=None):
        return {"count": len(self.docs.get(index, {}))}

    async def close(self):
        self.closed = True


class FakeSink:
    """The ContentSink contract over a FakeES index: skip unchanged, delete stale on request."""

    instances: list = []

    def __init__(self, client: FakeES, index_name, pipeline=None, bulk=None, logger=None):
        self.client = client
        self.index_name = index_name
        self.pipeline = pipeline
        self.options = dict(bulk or {})  # what the runner passed (sink options, unversioned_fields)
        self.stats = {
            "indexed_document_count": 0,
            "indexed_document_volume": 0,
            "deleted_document_count": 0,
            "skipped": 0,
        }
        self.existing: dict[str, str] | None = None
        self.seen: set[str] = set()
        self.finished_with = None
        self.canceled = False
        FakeSink.instances.append(self)

    async def start(self, full=True):
        store = self.client.docs.setdefault(self.index_name, {})
        self.existing = {k: v["_source"].get("_timestamp") for k, v in store.items()} if full else None

    async def put(self, doc, lazy_download=None, op="index"):
        self.seen.add(doc["_id"])
        if self.existing is not None and self.existing.get(doc["_id"]) == doc.get("_timestamp"):
            self.stats["skipped"] += 1
            return
        doc = dict(doc)
        if lazy_download is not None:
            doc.update(await lazy_download(doit=True) or {})
        self.client._write(self.index_name, doc["_id"], doc)
        self.stats["indexed_document_count"] += 1
        self.stats["indexed_document_volume"] += len(str(doc))

    async def delete(self, doc_id):
        if self.client.docs.get(self.index_name, {}).pop(doc_id, None) is not None:
            self.stats["deleted_document_count"] += 1

    async def finish(self, delete_stale=False):
        self.finished_with = delete_stale
        if delete_stale and self.existing is not None:
            for doc_id in set(self.existing) - self.seen:
                await self.delete(doc_id)
        return dict(self.stats)

    async def cancel(self):
        self.canceled = True


async def fake_ensure_index(client: FakeES, index_name, mappings_extra=None):
    client.docs.setdefault(index_name, {})


class _SourcesOf(Mapping):
    """``_id -> _source`` of one FakeES index, read live."""

    def __init__(self, client: FakeES, index_name: str):
        self.client, self.index_name = client, index_name

    def _docs(self) -> dict:
        return self.client.docs.get(self.index_name, {})

    def __getitem__(self, doc_id):
        return self._docs()[doc_id]["_source"]

    def __iter__(self):
        return iter(list(self._docs()))

    def __len__(self):
        return len(self._docs())


class FakeIndexView(MemoryIndexView):
    """The runner's index view over a FakeES index (``index_name`` says which)."""

    def __init__(self, client: FakeES, index_name, outage=None, logger=None):
        super().__init__(_SourcesOf(client, index_name))
        self.index_name = index_name


def fake_plumbing():
    from connectors.filtering import Filter
    from connectors.sync.plumbing import SyncPlumbing

    return SyncPlumbing(
        make_sink=FakeSink, make_filter=Filter, ensure_index=fake_ensure_index, make_index_view=FakeIndexView
    )
