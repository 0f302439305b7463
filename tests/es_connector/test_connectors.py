"""Connector endpoints through the official client: defaults, updates, state machine, errors."""

from __future__ import annotations

import pytest
from elasticsearch import ApiError, BadRequestError, NotFoundError

pytestmark = pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.GeneralAvailabilityWarning")


async def test_new_connector_has_elasticsearch_defaults(es):
    created = await es.connector.put(connector_id="c1", index_name="search-a", service_type="confluence")
    assert created.body == {"id": "c1", "result": "created"} and created.meta.status == 201
    doc = (await es.connector.get(connector_id="c1")).body
    assert doc["id"] == "c1"
    assert doc["status"] == "created"
    assert doc["sync_now"] is False and doc["deleted"] is False
    assert doc["configuration"] == {} and doc["custom_scheduling"] == {}
    assert doc["scheduling"]["full"] == {"enabled": False, "interval": "0 0 0 * * ?"}
    (filtering,) = doc["filtering"]
    assert filtering["domain"] == "DEFAULT"
    for side in ("active", "draft"):
        (rule,) = filtering[side]["rules"]
        assert {k: rule[k] for k in ("id", "field", "rule", "value", "policy", "order")} == {
            "id": "DEFAULT",
            "field": "_",
            "rule": "regex",
            "value": ".*",
            "policy": "include",
            "order": 0,
        }
        assert filtering[side]["validation"] == {"errors": [], "state": "valid"}
    assert "last_seen" not in doc and "error" not in doc


async def test_post_generates_an_id_and_native_starts_unconfigured(es):
    created = (await es.connector.post(index_name="content-x", is_native=True)).body
    assert created["result"] == "created" and created["id"]
    doc = (await es.connector.get(connector_id=created["id"])).body
    assert doc["status"] == "needs_configuration" and doc["is_native"] is True


async def test_put_again_reports_updated(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    again = await es.connector.put(connector_id="c1", index_name="search-a", name="renamed")
    assert again.body["result"] == "updated" and again.meta.status == 200
    assert (await es.connector.get(connector_id="c1")).body["name"] == "renamed"


async def test_index_name_in_use_is_refused_unless_soft_deleted(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    with pytest.raises(BadRequestError) as err:
        await es.connector.put(connector_id="c2", index_name="search-a")
    assert err.value.body["error"]["reason"] == "Index name [search-a] is used by another connector."
    await es.connector.delete(connector_id="c1")
    assert (await es.connector.put(connector_id="c2", index_name="search-a")).body["result"] == "created"


async def test_invalid_and_managed_index_names(es):
    with pytest.raises(BadRequestError) as err:
        await es.connector.put(connector_id="c1", index_name="_bad")
    assert err.value.body["error"]["type"] == "action_request_validation_exception"
    assert "must not start with '_', '-', or '+'" in err.value.body["error"]["reason"]
    with pytest.raises(BadRequestError) as err:
        await es.connector.put(connector_id="c1", index_name="search-a", is_native=True)
    assert "must start with the prefix: [content-]" in err.value.body["error"]["reason"]


async def test_unknown_connector_is_404_resource_not_found(es):
    with pytest.raises(NotFoundError) as err:
        await es.connector.get(connector_id="nope")
    assert err.value.body["error"]["type"] == "resource_not_found_exception"
    assert err.value.body["error"]["reason"] == "connector [nope] not found"
    for call in (
        es.connector.check_in(connector_id="nope"),
        es.connector.update_error(connector_id="nope", error="x"),
        es.connector.update_status(connector_id="nope", status="error"),
        es.connector.delete(connector_id="nope"),
    ):
        with pytest.raises(NotFoundError):
            await call


async def test_soft_and_hard_delete(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    assert (await es.connector.delete(connector_id="c1")).body == {"acknowledged": True}
    with pytest.raises(NotFoundError):
        await es.connector.get(connector_id="c1")
    kept = (await es.connector.get(connector_id="c1", include_deleted=True)).body
    assert kept["deleted"] is True
    with pytest.raises(NotFoundError):
        await es.connector.delete(connector_id="c1")  # already soft-deleted
    await es.connector.delete(connector_id="c1", hard=True)
    with pytest.raises(NotFoundError):
        await es.connector.get(connector_id="c1", include_deleted=True)


async def test_list_filters_sorts_and_pages(es):
    await es.connector.put(connector_id="a", index_name="search-b", name="alpha", service_type="x")
    await es.connector.put(connector_id="b", index_name="search-a", name="beta", service_type="y")
    await es.connector.put(connector_id="c", name="gamma", service_type="x", description="Team Wiki")
    listed = (await es.connector.list()).body
    assert listed["count"] == 3
    assert [r["id"] for r in listed["results"]] == ["b", "a", "c"]  # by index_name, missing last
    assert [r["id"] for r in (await es.connector.list(from_=1, size=1)).body["results"]] == ["a"]
    assert (await es.connector.list(service_type="x")).body["count"] == 2
    assert (await es.connector.list(connector_name="beta,gamma")).body["count"] == 2
    assert (await es.connector.list(index_name="search-a")).body["results"][0]["id"] == "b"
    assert [r["id"] for r in (await es.connector.list(query="wiki")).body["results"]] == ["c"]
    assert (await es.connector.list(query="Wiki")).body["count"] == 0  # text terms are lowercased
    assert (await es.connector.list(query="am wi")).body["count"] == 0  # one term at a time
    with pytest.raises(BadRequestError):
        await es.connector.list(index_name="Bad*Name")


async def test_status_machine_is_enforced_with_elasticsearchs_message(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    with pytest.raises(BadRequestError) as err:
        await es.connector.update_status(connector_id="c1", status="connected")
    assert err.value.body["error"]["reason"] == (
        "Invalid transition attempt from [created] to [connected]. "
        "Such a status transition is not supported by the Connector Protocol."
    )
    for status in ("needs_configuration", "configured", "connected", "error", "configured"):
        assert (await es.connector.update_status(connector_id="c1", status=status)).body[
            "result"
        ] == "updated"
    with pytest.raises(BadRequestError) as err:
        await es.connector.update_status(connector_id="c1", status="bogus")
    assert err.value.body["error"]["type"] == "x_content_parse_exception"
    assert err.value.body["error"]["caused_by"]["reason"].startswith(
        "Unknown status [bogus]; expected one of"
    )


async def test_error_sets_status_and_null_clears_it(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    await es.connector.update_error(connector_id="c1", error="boom")
    doc = (await es.connector.get(connector_id="c1")).body
    assert (doc["error"], doc["status"]) == ("boom", "error")
    await es.connector.update_error(connector_id="c1", body={"error": None})
    doc = (await es.connector.get(connector_id="c1")).body
    assert (doc["error"], doc["status"]) == (None, "connected")


async def test_configuration_schema_then_values(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    schema = {
        "host": {"label": "Host", "display": "textbox", "type": "str", "value": "", "order": 1},
        "port": {"label": "Port", "display": "numeric", "type": "int", "value": 443},
    }
    await es.connector.update_configuration(connector_id="c1", configuration=schema)
    doc = (await es.connector.get(connector_id="c1")).body
    assert doc["status"] == "configured"
    assert doc["configuration"]["host"] == {
        "default_value": None,
        "display": "textbox",
        "label": "Host",
        "order": 1,
        "required": False,
        "sensitive": False,
        "type": "str",
        "value": "",
    }
    await es.connector.update_configuration(connector_id="c1", values={"host": "wiki.example.com"})
    doc = (await es.connector.get(connector_id="c1")).body
    assert doc["configuration"]["host"]["value"] == "wiki.example.com"
    assert doc["configuration"]["port"]["value"] == 443
    with pytest.raises(BadRequestError) as err:
        await es.connector.update_configuration(connector_id="c1", values={"nope": 1})
    assert err.value.body["error"]["reason"].startswith(
        "Unknown [configuration] fields in the request payload: [nope]"
    )
    with pytest.raises(BadRequestError) as err:
        await es.connector.update_configuration(
            connector_id="c1", configuration={"x": {"display": "wheel", "label": "X"}}
        )
    assert err.value.body["error"]["type"] == "x_content_parse_exception"


async def test_filtering_draft_validation_and_activation(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    rules = [
        {"id": "r2", "field": "title", "rule": "contains", "value": "x", "policy": "exclude", "order": 7},
        {"id": "DEFAULT", "field": "_", "rule": "regex", "value": ".*", "policy": "include", "order": 0},
        {"id": "r1", "field": "title", "rule": "equals", "value": "y", "policy": "include", "order": 2},
    ]
    await es.connector.update_filtering(connector_id="c1", rules=rules)
    draft = (await es.connector.get(connector_id="c1")).body["filtering"][0]["draft"]
    assert [(r["id"], r["order"]) for r in draft["rules"]] == [("r1", 2), ("r2", 7), ("DEFAULT", 8)]
    assert draft["validation"] == {"errors": [], "state": "edited"}
    with pytest.raises(BadRequestError) as err:
        await es.connector.update_active_filtering(connector_id="c1")
    assert "Current filtering draft validation state [edited]" in err.value.body["error"]["reason"]
    await es.connector.update_filtering_validation(
        connector_id="c1", validation={"state": "valid", "errors": []}
    )
    await es.connector.update_active_filtering(connector_id="c1")
    active = (await es.connector.get(connector_id="c1")).body["filtering"][0]["active"]
    assert [r["id"] for r in active["rules"]] == ["r1", "r2", "DEFAULT"]
    with pytest.raises(BadRequestError):
        await es.connector.update_filtering(connector_id="c1", advanced_snippet={"value": "not an object"})


async def test_partial_updates_merge_and_report_noop(es):
    await es.connector.put(connector_id="c1", index_name="search-a", service_type="confluence")
    await es.connector.update_scheduling(
        connector_id="c1", scheduling={"full": {"enabled": True, "interval": "0 30 * * * ?"}}
    )
    scheduling = (await es.connector.get(connector_id="c1")).body["scheduling"]
    assert scheduling["full"] == {"enabled": True, "interval": "0 30 * * * ?"}
    assert scheduling["incremental"]["enabled"] is False  # untouched
    same = await es.connector.update_index_name(connector_id="c1", index_name="search-a")
    assert same.body == {"result": "noop"}
    with pytest.raises(BadRequestError):
        await es.connector.update_scheduling(
            connector_id="c1", scheduling={"full": {"enabled": True, "interval": "daily"}}
        )


async def test_every_client_connector_update_call_works(es):
    await es.connector.put(connector_id="c1", index_name="content-a", service_type="confluence")
    calls = [
        es.connector.check_in(connector_id="c1"),
        es.connector.update_name(connector_id="c1", name="Wiki", description="Team wiki"),
        es.connector.update_service_type(connector_id="c1", service_type="other"),
        es.connector.update_native(connector_id="c1", is_native=True),
        es.connector.update_api_key_id(connector_id="c1", api_key_id="k1", api_key_secret_id="s1"),
        es.connector.update_features(
            connector_id="c1",
            features={
                "document_level_security": {"enabled": True},
                "sync_rules": {"basic": {"enabled": True}},
            },
        ),
        es.connector.update_pipeline(
            connector_id="c1",
            pipeline={
                "name": "p",
                "extract_binary_content": True,
                "reduce_whitespace": True,
                "run_ml_inference": False,
            },
        ),
        es.connector.last_sync(
            connector_id="c1",
            last_sync_status="completed",
            last_synced="2024-01-02T03:04:05Z",
            last_indexed_document_count=12,
            sync_cursor={"cursor": 1},
        ),
    ]
    for call in calls:
        assert (await call).body["result"] == "updated"
    doc = (await es.connector.get(connector_id="c1")).body
    assert doc["last_seen"].endswith("Z")
    assert (doc["name"], doc["description"], doc["service_type"]) == ("Wiki", "Team wiki", "other")
    assert doc["is_native"] is True and doc["api_key_id"] == "k1" and doc["api_key_secret_id"] == "s1"
    assert doc["features"]["document_level_security"] == {"enabled": True}
    assert doc["pipeline"]["name"] == "p"
    assert doc["last_synced"] == "2024-01-02T03:04:05.000Z"
    assert doc["sync_cursor"] == {"cursor": 1} and doc["last_indexed_document_count"] == 12


async def test_bad_request_bodies_get_clear_errors(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    with pytest.raises(BadRequestError) as err:
        await es.connector.update_error(connector_id="c1", error={"not": "a string"})
    error = err.value.body["error"]
    assert error["type"] == "x_content_parse_exception"
    assert "[error] must be a string" in error["caused_by"]["reason"]
    with pytest.raises(BadRequestError) as err:
        await es.connector.update_api_key_id(connector_id="c1", api_key_id=None, api_key_secret_id=None)
    assert err.value.body["error"]["reason"].startswith(
        "Validation Failed: 1: [api_key_id] and [api_key_secret_id]"
    )
    with pytest.raises(ApiError) as err:
        await es.perform_request(
            "PUT", "/_connector/c1/_error", headers={"content-type": "application/json"}, body="{not json"
        )
    assert err.value.meta.status == 400
    with pytest.raises(BadRequestError) as err:
        await es.perform_request(
            "PUT", "/_connector//_error", headers={"content-type": "application/json"}, body={}
        )
    assert "[connector_id] cannot be [null]" in err.value.body["error"]["reason"]


async def test_unknown_query_parameters_are_refused(es):
    await es.connector.put(connector_id="c1", index_name="search-a")
    with pytest.raises(BadRequestError) as err:
        await es.perform_request(
            "GET", "/_connector/c1", params={"bogus": "1"}, headers={"accept": "application/json"}
        )
    assert (
        err.value.body["error"]["reason"]
        == "request [/_connector/c1] contains unrecognized parameter: [bogus]"
    )
    filtered = await es.perform_request(
        "GET", "/_connector/c1", params={"filter_path": "id,status"}, headers={"accept": "application/json"}
    )
    assert filtered.body == {"id": "c1", "status": "created"}
