"""Sync rules: draft editor, save and validate, states, activation."""

import json
import re

from tests.ui.conftest import seed_connector


async def _filtering(admin):
    return (await admin.connector.get(connector_id="conf-1")).body["filtering"][0]


def _rows(*rows):
    data = []
    for rule_id, policy, field, rule, value in rows:
        data += [
            ("rule_id", rule_id),
            ("rule_policy", policy),
            ("rule_field", field),
            ("rule_rule", rule),
            ("rule_value", value),
        ]
    return data


async def test_active_rules_show_the_default_rule(ui, admin):
    await seed_connector(admin)
    page = await ui.get("/connectors/conf-1/sync-rules")
    assert page.status == 200
    assert "Draft new sync rules" in page.body_text
    assert "Regular expression" in page.body_text and "<code>.*</code>" in page.body_text


async def test_save_and_validate_writes_the_draft_in_order(ui, admin):
    await seed_connector(admin)
    await ui.get("/connectors/conf-1/sync-rules/edit")
    data = _rows(("", "exclude", "title", "contains", "draft"), ("", "include", "space", "equals", "DEV"))
    data.append(("advanced_snippet", '[{"query": "space = DEV"}]'))
    response = await ui.post("/connectors/conf-1/sync-rules/edit", data)
    assert response.status == 303, response.body_text[:1000]
    draft = (await _filtering(admin))["draft"]
    assert [(r["policy"], r["field"], r["value"], r["order"]) for r in draft["rules"]] == [
        ("exclude", "title", "draft", 0),
        ("include", "space", "DEV", 1),
        ("include", "_", ".*", 2),
    ]
    assert draft["rules"][-1]["id"] == "DEFAULT"
    assert draft["advanced_snippet"]["value"] == [{"query": "space = DEV"}]
    assert draft["validation"]["state"] == "edited"
    page = await ui.follow(response)
    assert "Draft sync rules are validating" in page.body_text
    assert 'data-watch="draft_state,has_draft"' in page.body_text


async def test_invalid_regex_and_json_are_refused_and_nothing_written(ui, admin):
    await seed_connector(admin)
    before = await _filtering(admin)
    await ui.get("/connectors/conf-1/sync-rules/edit")
    bad_regex = _rows(("", "include", "title", "regex", "(unclosed")) + [("advanced_snippet", "")]
    response = await ui.post("/connectors/conf-1/sync-rules/edit", bad_regex)
    assert response.status == 400
    assert "invalid regular expression" in response.body_text
    assert 'value="(unclosed"' in response.body_text  # the row is shown again for fixing
    bad_json = [("advanced_snippet", '{"query": "space = DEV",}')]
    response = await ui.post("/connectors/conf-1/sync-rules/edit", bad_json)
    assert response.status == 400
    assert "invalid JSON at line 1" in response.body_text
    missing_value = _rows(("", "include", "title", "equals", ""), ("", "include", "", "equals", "x"))
    response = await ui.post("/connectors/conf-1/sync-rules/edit", missing_value)
    assert response.status == 400
    row_errors = re.findall(r'<p class="error" role="alert">([^<]*)</p>', response.body_text)
    assert row_errors[:2] == ["value is required", "field is required"]  # each under its own row
    assert await _filtering(admin) == before


async def test_invalid_state_shows_the_service_messages_per_rule(ui, admin):
    await seed_connector(admin)
    await ui.get("/connectors/conf-1/sync-rules/edit")
    await ui.post("/connectors/conf-1/sync-rules/edit", [("advanced_snippet", '[{"cql": "x"}]')])
    await admin.connector.update_filtering_validation(
        connector_id="conf-1",
        validation={
            "state": "invalid",
            "errors": [{"ids": ["ADVANCED"], "messages": ["'cql' is not a known key <b>"]}],
        },
    )
    page = await ui.get("/connectors/conf-1/sync-rules")
    assert "did not validate" in page.body_text
    assert "&#39;cql&#39; is not a known key &lt;b&gt;" in page.body_text  # escaped like any other text
    edit = await ui.get("/connectors/conf-1/sync-rules/edit")
    assert "The service rejected the current draft" in edit.body_text
    assert "cql" in edit.body_text


async def test_valid_draft_can_be_activated(ui, admin):
    await seed_connector(admin)
    await ui.get("/connectors/conf-1/sync-rules/edit")
    await ui.post("/connectors/conf-1/sync-rules/edit", _rows(("", "exclude", "title", "contains", "tmp")))
    activate_before_valid = await ui.post("/connectors/conf-1/sync-rules/activate")
    assert activate_before_valid.status == 303
    page = await ui.follow(activate_before_valid)
    assert "not activated" in page.body_text
    assert (await _filtering(admin))["active"]["rules"][0]["id"] == "DEFAULT"
    await admin.connector.update_filtering_validation(
        connector_id="conf-1", validation={"state": "valid", "errors": []}
    )
    page = await ui.get("/connectors/conf-1/sync-rules")
    assert "Activate draft rules" in page.body_text
    # the service activates a valid draft by itself: the page watches until the draft is gone
    assert 'data-watch="draft_state,has_draft"' in page.body_text
    state = json.loads((await ui.get("/api/connectors/conf-1/state")).body_text)
    assert (state["draft_state"], state["has_draft"]) == ("valid", True)
    response = await ui.post("/connectors/conf-1/sync-rules/activate")
    assert response.status == 303
    active = (await _filtering(admin))["active"]["rules"]
    assert [(r["policy"], r["value"]) for r in active] == [("exclude", "tmp"), ("include", ".*")]
    page = await ui.follow(response)
    assert "activated" in page.body_text
    assert "Draft new sync rules" in page.body_text
    assert "data-poll-state" not in page.body_text  # nothing left to wait for
    state = json.loads((await ui.get("/api/connectors/conf-1/state")).body_text)
    assert state["has_draft"] is False


async def test_revert_resets_the_draft(ui, admin):
    await seed_connector(admin)
    await ui.get("/connectors/conf-1/sync-rules/edit")
    await ui.post("/connectors/conf-1/sync-rules/edit", [("advanced_snippet", json.dumps({"a": 1}))])
    response = await ui.post("/connectors/conf-1/sync-rules/revert")
    assert response.status == 303
    filtering = await _filtering(admin)
    assert filtering["draft"]["advanced_snippet"]["value"] == filtering["active"]["advanced_snippet"]["value"]
