"""Robustness: every malformed request gets an Elasticsearch-shaped 4xx, never a 500.

Valid request bodies are mutated systematically (each value replaced by junk of other types) and
sent raw; the server must answer each with a 2xx or a 4xx carrying ``error.type`` and
``error.reason`` — an internal error (5xx) fails the test with the body that caused it.
"""

import json

import pytest

JUNK = [5, -1, "x", [], {}, None, True, [1, "a"], {"a": {"b": 1}}]

SEARCH = {
    "query": {
        "bool": {
            "must": [{"match": {"title": {"query": "fox", "operator": "and"}}}],
            "filter": [{"range": {"year": {"gte": 2000}}}, {"terms": {"tags": ["a"]}}],
            "should": [
                {"multi_match": {"query": "x", "fields": ["title^2"]}},
                {"simple_query_string": {"query": "a -b", "fields": ["title"]}},
            ],
            "must_not": [
                {"exists": {"field": "deleted"}},
                {"prefix": {"k": "ab"}},
                {"wildcard": {"k": {"value": "a*"}}},
                {"ids": {"values": ["1"]}},
            ],
        }
    },
    "sort": [{"year": {"order": "desc", "missing": "_last"}}, "_score"],
    "from": 0,
    "size": 5,
    "search_after": [1],
    "track_total_hits": True,
    "_source": {"includes": ["title"], "excludes": ["body"]},
    "aggs": {"a": {"terms": {"field": "k", "size": 3}, "aggs": {"b": {"value_count": {"field": "year"}}}}},
    "highlight": {"fields": {"title": {"fragment_size": 50}}},
}
UPDATE = {"doc": {"a": 1}, "upsert": {"a": 0}, "doc_as_upsert": False, "detect_noop": True}
CREATE = {
    "settings": {"number_of_shards": 1},
    "mappings": {"properties": {"k": {"type": "keyword"}}},
    "aliases": {"al": {}},
}
PIPELINE = {
    "description": "d",
    "processors": [{"set": {"field": "a", "value": 1}}, {"rename": {"field": "a", "target_field": "b"}}],
}


def mutations(value, path=()):
    """Yield (path, mutated document) for every position and junk value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            for sub_path, sub in mutations(inner, path + (key,)):
                yield sub_path, {**value, key: sub}
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            for sub_path, sub in mutations(inner, path + (i,)):
                yield sub_path, value[:i] + [sub] + value[i + 1 :]
    for junk in JUNK:
        if junk != value:
            yield path, junk


async def seed(http):
    await http.put("/mal", json=CREATE)
    body = b'{"index":{"_id":"1"}}\n{"title":"the fox","year":2001,"k":"ab","tags":["a"]}\n'
    async with http.post(
        "/mal/_bulk?refresh=true", data=body, headers={"Content-Type": "application/x-ndjson"}
    ) as resp:
        assert resp.status == 200


async def check(http, method, url, body):
    data = json.dumps(body).encode()
    async with http.request(method, url, data=data, headers={"Content-Type": "application/json"}) as resp:
        text = await resp.text()
        assert resp.status < 500, f"{method} {url} with {data[:300]!r} -> {resp.status} {text[:300]}"
        if resp.status >= 400 and method != "HEAD":
            payload = json.loads(text)
            if "error" in payload:  # document-level 404s answer {"found": false}
                assert payload["error"]["type"] and payload["error"]["reason"], text


@pytest.mark.parametrize(
    ("method", "url", "base"),
    [
        ("POST", "/mal/_search", SEARCH),
        ("POST", "/mal/_count", {"query": SEARCH["query"]}),
        ("POST", "/mal/_update/1", UPDATE),
        ("PUT", "/mal-new", CREATE),
        ("PUT", "/_ingest/pipeline/p", PIPELINE),
        ("POST", "/mal/_delete_by_query?refresh=false", {"query": {"term": {"k": "zz"}}, "max_docs": 1}),
        ("POST", "/_mget", {"docs": [{"_index": "mal", "_id": "1", "_source": ["title"]}]}),
        ("POST", "/_aliases", {"actions": [{"add": {"index": "mal", "alias": "x"}}]}),
        ("PUT", "/mal/_mapping", {"properties": {"z": {"type": "long"}}, "dynamic": "strict"}),
        (
            "POST",
            "/_ingest/pipeline/_simulate",
            {"pipeline": PIPELINE, "docs": [{"_index": "i", "_source": {"a": 1}}]},
        ),
        ("DELETE", "/_pit", {"id": "abc"}),
        ("POST", "/_search/scroll", {"scroll_id": "abc", "scroll": "1m"}),
        ("PUT", "/mal/_settings", {"index": {"refresh_interval": "1s", "default_pipeline": "_none"}}),
        ("POST", "/_search", {"pit": {"id": "abc", "keep_alive": "1m"}, "sort": ["_shard_doc"], "size": 1}),
        (
            "POST",
            "/mal/_update_by_query",
            {"query": {"ids": {"values": ["1"]}}, "script": {"source": "ctx._source.year++"}},
        ),
        (
            "POST",
            "/_ingest/pipeline/_simulate",
            {"pipeline": PIPELINE, "docs": [{"_index": "i", "_source": {"a": 1}}]},
        ),
        ("DELETE", "/_pit", {"id": "abc"}),
        ("POST", "/_search/scroll", {"scroll_id": "abc", "scroll": "1m"}),
        ("PUT", "/mal/_settings", {"index": {"refresh_interval": "1s", "default_pipeline": "_none"}}),
        ("POST", "/_search", {"pit": {"id": "abc", "keep_alive": "1m"}, "sort": ["_shard_doc"], "size": 1}),
        (
            "POST",
            "/mal/_update_by_query",
            {"query": {"ids": {"values": ["1"]}}, "script": {"source": "ctx._source.year++"}},
        ),
    ],
)
async def test_mutated_bodies_never_cause_a_server_error(http, method, url, base):
    await seed(http)
    seen = 0
    for _, body in mutations(base):
        await check(http, method, url, body)
        seen += 1
        if url.startswith("/mal-new"):
            await http.delete("/mal-new")
    assert seen > 10


BULK_ACTIONS = [
    {"index": {"_index": "mal", "_id": "9", "pipeline": "p", "if_seq_no": 0, "if_primary_term": 1}},
    {"update": {"_index": "mal", "_id": "1", "retry_on_conflict": 1, "require_alias": False}},
    {"delete": {"_index": "mal", "_id": "1", "version": 3, "version_type": "external"}},
]
BULK_SOURCES = {"index": {"a": 1}, "update": {"doc": {"a": 1}, "doc_as_upsert": True}}


async def test_mutated_bulk_lines_never_cause_a_server_error(http):
    await seed(http)
    seen = 0
    for action in BULK_ACTIONS:
        kind = next(iter(action))
        for _, mutated in mutations(action):
            lines = [json.dumps(mutated)]
            if kind in BULK_SOURCES:
                lines.append(json.dumps(BULK_SOURCES[kind]))
            body = ("\n".join(lines) + "\n").encode()
            async with http.post(
                "/_bulk", data=body, headers={"Content-Type": "application/x-ndjson"}
            ) as resp:
                text = await resp.text()
                assert resp.status < 500, f"{body!r} -> {resp.status} {text[:300]}"
            seen += 1
        if kind in BULK_SOURCES:
            for _, source in mutations(BULK_SOURCES[kind]):
                body = (json.dumps(action) + "\n" + json.dumps(source) + "\n").encode()
                async with http.post(
                    "/_bulk", data=body, headers={"Content-Type": "application/x-ndjson"}
                ) as resp:
                    text = await resp.text()
                    assert resp.status < 500, f"{body!r} -> {resp.status} {text[:300]}"
                seen += 1
    assert seen > 30
