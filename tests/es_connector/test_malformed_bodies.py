"""Robustness of the Connector APIs: a mutated request body gets a 4xx, never a 500.

Each endpoint's valid body is mutated systematically (every value, at every depth, replaced by junk
of other types, with ``tests/es_standin``'s mutator) and sent raw against a fresh connector and
job; an internal error fails the test with the body that caused it. The raw session is needed:
the official client refuses to send some of these bodies.
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.es_standin.test_malformed_requests import mutations

CONNECTOR = {"index_name": "search-a", "service_type": "confluence", "name": "n", "language": "en"}
FIELD = {
    "label": "Host", "value": "x", "sensitive": False, "order": 1, "type": "str", "display": "textbox",
    "depends_on": [{"field": "a", "value": 1}], "validations": [{"type": "less_than", "constraint": 3}],
    "options": [{"label": "a", "value": "b"}], "required": True, "ui_restrictions": [], "tooltip": None,
    "default_value": None,
}  # fmt: skip
RULE = {
    "id": "r1", "field": "f", "policy": "include", "rule": "equals", "value": "v", "order": 0,
    "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
}  # fmt: skip
RULES = {"rules": [], "advanced_snippet": {"value": {}}, "validation": {"state": "valid", "errors": []}}
CASES = [
    ("PUT", "/_connector/c1", CONNECTOR),
    ("POST", "/_connector", CONNECTOR),
    ("PUT", "/_connector/c1/_configuration", {"configuration": {"host": FIELD}}),
    ("PUT", "/_connector/c1/_configuration", {"values": {"host": "y"}}),
    ("PUT", "/_connector/c1/_filtering", {"rules": [RULE], "advanced_snippet": {"value": {"a": 1}}}),
    ("PUT", "/_connector/c1/_filtering", {"filtering": [{"domain": "DEFAULT", "active": RULES, "draft": RULES}]}),
    ("PUT", "/_connector/c1/_filtering/_validation",
     {"validation": {"state": "invalid", "errors": [{"ids": ["a"], "messages": ["m"]}]}}),
    ("PUT", "/_connector/c1/_scheduling", {"scheduling": {"full": {"enabled": True, "interval": "0 0 * * * ?"}}}),
    ("PUT", "/_connector/c1/_pipeline", {"pipeline": {"name": "p", "extract_binary_content": True,
                                                      "reduce_whitespace": True, "run_ml_inference": False}}),
    ("PUT", "/_connector/c1/_name", {"name": "x", "description": "d"}),
    ("PUT", "/_connector/c1/_service_type", {"service_type": "x"}),
    ("PUT", "/_connector/c1/_index_name", {"index_name": "search-b"}),
    ("PUT", "/_connector/c1/_native", {"is_native": False}),
    ("PUT", "/_connector/c1/_features", {"features": {"document_level_security": {"enabled": True},
                                                      "incremental_sync": {"enabled": True}}}),
    ("PUT", "/_connector/c1/_api_key_id", {"api_key_id": "a", "api_key_secret_id": "b"}),
    ("PUT", "/_connector/c1/_status", {"status": "needs_configuration"}),
    ("PUT", "/_connector/c1/_error", {"error": "boom"}),
    ("PUT", "/_connector/c1/_last_sync", {"last_sync_status": "completed", "last_synced": "2024-01-01T00:00:00Z",
                                          "last_indexed_document_count": 1, "sync_cursor": {"a": 1}}),
    ("POST", "/_connector/_sync_job", {"id": "c1", "job_type": "full", "trigger_method": "on_demand"}),
    ("PUT", "/_connector/_sync_job/{job}/_claim", {"worker_hostname": "w", "sync_cursor": {"a": 1}}),
    ("PUT", "/_connector/_sync_job/{job}/_stats", {"deleted_document_count": 1, "indexed_document_count": 2,
                                                   "indexed_document_volume": 3, "total_document_count": 4,
                                                   "last_seen": "2024-01-01T00:00:00Z", "metadata": {"a": 1}}),
    ("PUT", "/_connector/_sync_job/{job}/_error", {"error": "e"}),
    ("POST", "/_connector/_secret", {"value": "s"}),
]  # fmt: skip


async def _fresh(http: aiohttp.ClientSession) -> str:
    """A new connector c1 (and its jobs removed) with one pending job; the job's id."""
    async with http.delete("/_connector/c1", params={"hard": "true", "delete_sync_jobs": "true"}):
        pass
    async with http.put("/_connector/c1", json=CONNECTOR) as resp:
        assert resp.status in (200, 201)
    async with http.post("/_connector/_sync_job", json={"id": "c1"}) as resp:
        return (await resp.json())["id"]


@pytest.mark.parametrize(("method", "path", "base"), CASES, ids=[f"{m} {p}" for m, p, _ in CASES])
async def test_mutated_connector_api_bodies_never_cause_a_server_error(http, method, path, base):
    sent = 0
    for _, body in mutations(base):
        url = path.format(job=await _fresh(http))
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        async with http.request(method, url, data=data, headers=headers) as resp:
            text = await resp.text()
        assert resp.status < 500, f"{method} {url} with {data[:300]!r} -> {resp.status} {text[:300]}"
        if resp.status >= 400:
            error = json.loads(text)["error"]
            assert error["type"] and error["reason"], text
        sent += 1
    assert sent > 5


# -- documents changed around the APIs ----------------------------------------------------------
STORED_JUNK = [5, "x", [1, "a"], {"a": {"b": 1}}, None, True]
CONNECTOR_CALLS = [
    ("GET", "/_connector/c1", None),
    ("GET", "/_connector", None),
    ("POST", "/_connector/_sync_job", {"id": "c1"}),
    ("PUT", "/_connector/c1/_check_in", None),
    ("PUT", "/_connector/c1/_status", {"status": "needs_configuration"}),
    ("PUT", "/_connector/c1/_configuration", {"values": {"host": "z"}}),
    ("PUT", "/_connector/c1/_filtering", {"rules": [RULE]}),
    ("PUT", "/_connector/c1/_filtering/_activate", None),
    ("PUT", "/_connector/c1/_last_sync", {"last_sync_status": "completed"}),
    ("PUT", "/_connector/c1/_error", {"error": "x"}),
    ("PUT", "/_connector/c1/_index_name", {"index_name": "search-z"}),
    ("DELETE", "/_connector/c1", None),
]
JOB_CALLS = [
    ("GET", "/_connector/_sync_job/{job}", None),
    ("GET", "/_connector/_sync_job", None),
    ("PUT", "/_connector/_sync_job/{job}/_check_in", None),
    ("PUT", "/_connector/_sync_job/{job}/_claim", {"worker_hostname": "w"}),
    ("PUT", "/_connector/_sync_job/{job}/_cancel", None),
    ("PUT", "/_connector/_sync_job/{job}/_error", {"error": "e"}),
    ("PUT", "/_connector/_sync_job/{job}/_stats", {"deleted_document_count": 1, "indexed_document_count": 2,
                                                   "indexed_document_volume": 3}),
    ("DELETE", "/_connector/c1?delete_sync_jobs=true", None),
]  # fmt: skip
STORED = {
    ".elastic-connectors": (
        ["configuration", "filtering", "scheduling", "status", "index_name", "service_type", "features",
         "pipeline", "custom_scheduling", "last_seen", "sync_cursor", "deleted", "sync_now"],
        CONNECTOR_CALLS,
    ),
    ".elastic-connectors-sync-jobs": (
        ["status", "connector", "job_type", "created_at", "last_seen", "indexed_document_count", "metadata",
         "started_at", "cancelation_requested_at"],
        JOB_CALLS,
    ),
}  # fmt: skip


@pytest.mark.parametrize("index", list(STORED))
async def test_documents_written_around_the_apis_never_cause_a_server_error(http, index):
    """Clients may write the connector indices directly (Elastic's framework does); whatever a
    field then holds, the APIs answer 2xx or 4xx (the stand-in used to answer 500 here for a
    non-string ``status`` or a non-array ``filtering``)."""
    fields, calls = STORED[index]
    written = 0
    for field in fields:
        for junk in STORED_JUNK:
            for method, path, body in calls:
                job = await _fresh(http)
                doc_id = "c1" if index == ".elastic-connectors" else job
                async with http.get(f"/{index}/_doc/{doc_id}") as resp:
                    source = (await resp.json())["_source"]
                async with http.put(
                    f"/{index}/_doc/{doc_id}?refresh=true", json={**source, field: junk}
                ) as resp:
                    if resp.status >= 400:  # the mapping refuses the value: nothing stored
                        continue
                written += 1
                data = None if body is None else json.dumps(body).encode()
                headers = {"Content-Type": "application/json"}
                async with http.request(method, path.format(job=job), data=data, headers=headers) as resp:
                    text = await resp.text()
                assert resp.status < 500, (
                    f"{field}={junk!r}, then {method} {path}: {resp.status} {text[:300]}"
                )
    assert written > 100
