"""Pure rules of the connector documents: defaults, rule ordering, parsing errors, state machines."""

from __future__ import annotations

import pytest

from fixtures.elasticsearch import connector_model as model
from fixtures.elasticsearch import connector_syncjob_model as jobs
from fixtures.elasticsearch.connector_parsing import deep_merge, index_name_problem, now_iso, parse_instant
from fixtures.elasticsearch.errors import EsError


def test_sort_rules_puts_default_last_with_next_order():
    now = "2024-01-01T00:00:00.000Z"
    rules = [model.default_rule(now, order=9), {**model.default_rule(now), "id": "a", "order": 3}]
    ordered = model.sort_rules(rules, now)
    assert [(r["id"], r["order"]) for r in ordered] == [("a", 3), ("DEFAULT", 4)]
    assert model.sort_rules([], now) == [model.default_rule(now, order=0)]


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("0 0 0 * * ?", True),
        ("0 */5 * ? * MON-FRI", True),
        ("0 0 12 1 * ? 2030", True),
        ("0 0 * * *", False),
        ("0 0 0 1 * MON", False),
        ("every day", False),
    ],
)
def test_quartz_cron_check(expression, ok):
    assert (model.cron_problem(expression) is None) is ok


def test_config_field_is_stored_with_elasticsearch_defaults():
    stored = model.parse_config_field("k", {"label": "K", "value": {"seed_urls": ["https://x"]}})
    assert stored == {
        "default_value": None,
        "label": "K",
        "required": False,
        "sensitive": False,
        "value": {"seed_urls": ["https://x"]},
    }
    with pytest.raises(EsError) as err:
        model.parse_config_field("k", {"value": 1})
    assert err.value.status == 400 and "label" in err.value.reason
    with pytest.raises(EsError) as err:
        model.parse_config_field(
            "k", {"label": "K", "validations": [{"type": "shorter_than", "constraint": 1}]}
        )
    assert "shorter_than" in err.value.caused_by["reason"]


def test_new_connector_document_shape():
    doc = model.new_connector(model.parse_create({"index_name": "search-x", "is_native": False}))
    assert list(doc) == [
        "configuration",
        "custom_scheduling",
        "filtering",
        "index_name",
        "is_native",
        "name",
        "scheduling",
        "status",
        "sync_now",
        "deleted",
    ]
    assert doc["name"] == "" and doc["status"] == "created"


UNSUPPORTED = "Such a status transition is not supported by the Connector Protocol."


def refused(old: str, new: str) -> str:
    """Elasticsearch's message for a status change the Connector Protocol does not allow."""
    return f"Invalid transition attempt from [{old}] to [{new}]. {UNSUPPORTED}"


def test_connector_state_machine():
    assert model.transition_problem("created", "needs_configuration") is None
    assert model.transition_problem("connected", "configured") is None
    assert model.transition_problem("created", "configured") == refused("created", "configured")
    assert model.transition_problem(None, "created").endswith("to [created]. " + UNSUPPORTED)


def test_job_state_machine_and_cancel():
    assert jobs.transition_problem("in_progress", "completed") is None
    assert jobs.transition_problem("completed", "error") == refused("completed", "error")
    fields, problem = jobs.cancel_fields("suspended")
    assert problem is None and fields["status"] == "canceled"
    fields, problem = jobs.cancel_fields("in_progress")
    assert problem is None and fields["status"] == "canceling" and "canceled_at" not in fields
    assert jobs.cancel_fields("canceled") == (None, refused("canceled", "canceling"))


def test_job_targets_acl_index_for_access_control():
    assert jobs.target_index({"index_name": "search-a"}, "access_control") == ".search-acl-filter-search-a"
    assert jobs.target_index({"index_name": "search-a"}, "incremental") == "search-a"


def test_stats_validation_names_every_problem():
    with pytest.raises(EsError) as err:
        jobs.parse_stats({"deleted_document_count": -1, "indexed_document_count": 1})
    assert err.value.reason == (
        "Validation Failed: 1: [deleted_document_count] cannot be negative.;"
        "2: [indexed_document_volume] cannot be [null].;"
    )


def test_time_helpers():
    first, second = now_iso(), now_iso()
    assert first < second and first.endswith("Z") and len(first) == len("2024-01-01T00:00:00.000Z")
    assert parse_instant("2023-05-25T12:30:00Z", "p", "f") == "2023-05-25T12:30:00.000Z"
    assert parse_instant("2023-05-25T14:30:00+02:00", "p", "f") == "2023-05-25T12:30:00.000Z"
    with pytest.raises(EsError):
        parse_instant("wrong datetime", "p", "f")


def test_index_names_and_merge():
    assert index_name_problem("search-ok") is None
    assert "lowercase" in index_name_problem("Search")
    assert "must not contain" in index_name_problem("a*b")
    assert deep_merge({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": 3}, "l": [2]}) == {
        "a": {"b": 3, "c": 2},
        "l": [2],
    }


def test_jobs_sort_by_date_value_not_by_text():
    from fixtures.elasticsearch.connector_syncjob_service import _epoch_ms

    assert _epoch_ms("2024-01-01T01:00:00+01:00") == _epoch_ms("2024-01-01T00:00:00.000Z")
    assert _epoch_ms("2024-01-02T00:00:00Z") > _epoch_ms("2024-01-01T23:59:59.999+00:00")
    assert _epoch_ms(None) == float("-inf") and _epoch_ms("garbage") == float("-inf")


def test_filtering_update_body_rules():
    with pytest.raises(EsError) as err:
        model.parse_filtering_update({})
    assert err.value.reason == "Validation Failed: 1: [advanced_snippet] and [rules] cannot be both [null].;"
    with pytest.raises(EsError) as err:
        model.parse_filtering_update({"filtering": [], "rules": []})
    assert "If [filtering] is specified" in err.value.reason
    with pytest.raises(EsError) as err:
        model.parse_filtering_update(
            {"rules": [], "advanced_snippet": {"updated_at": "wrong datetime", "value": {}}}
        )
    assert err.value.type == "x_content_parse_exception"
