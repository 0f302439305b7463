from connectors.filtering.basic_rules import Policy, Rule, default_rule
from connectors.ui import sync_rules


def _row(policy="include", field="title", rule="equals", value="x", rule_id=""):
    return {"id": rule_id, "policy": policy, "field": field, "rule": rule, "value": value}


def test_rows_become_ordered_draft_rules_with_default_last():
    rules, errors = sync_rules.parse_basic_rules(
        [_row(value="a"), _row(policy="exclude", rule="regex", value="^tmp.*")], []
    )
    assert errors == []
    assert [r["order"] for r in rules] == [0, 1, 2]
    assert rules[-1]["id"] == "DEFAULT" and rules[-1]["value"] == ".*"
    assert rules[1]["policy"] == "exclude"
    assert len({r["id"] for r in rules}) == 3


def test_submitted_default_rule_is_ignored_and_kept_last():
    existing = [default_rule("2026-01-01T00:00:00Z")]
    rules, errors = sync_rules.parse_basic_rules([_row(rule_id="DEFAULT", value="nope"), _row()], existing)
    assert errors == []
    assert [r["id"] for r in rules][-1] == "DEFAULT"
    assert rules[-1]["value"] == ".*"
    assert rules[-1]["created_at"] == "2026-01-01T00:00:00Z"


def test_existing_rule_keeps_id_and_created_at():
    existing = [
        dict(_row(rule_id="r1"), created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")
    ]
    rules, _ = sync_rules.parse_basic_rules([_row(rule_id="r1")], existing)
    assert rules[0]["id"] == "r1"
    assert rules[0]["updated_at"] == "2026-01-01T00:00:00Z"
    rules, _ = sync_rules.parse_basic_rules([_row(rule_id="r1", value="changed")], existing)
    assert rules[0]["created_at"] == "2026-01-01T00:00:00Z"
    assert rules[0]["updated_at"] != "2026-01-01T00:00:00Z"


def test_bad_rows_are_reported_by_row_and_field():
    _, errors = sync_rules.parse_basic_rules(
        [
            _row(),
            _row(rule="regex", value="(unclosed"),
            _row(policy="maybe", field="", rule="like", value=""),
        ],
        [],
    )
    found = {(e.row, e.field) for e in errors}
    assert (2, "value") in found
    assert {(3, "policy"), (3, "field"), (3, "rule"), (3, "value")} <= found
    assert any("invalid regular expression" in e.message for e in errors)


def test_advanced_snippet_parsing():
    assert sync_rules.parse_advanced_snippet("") == ({}, None)
    assert sync_rules.parse_advanced_snippet('[{"query": "space = DEV"}]') == (
        [{"query": "space = DEV"}],
        None,
    )
    value, error = sync_rules.parse_advanced_snippet('{"query": ')
    assert value is None and error.startswith("invalid JSON at line 1")
    value, error = sync_rules.parse_advanced_snippet('"text"')
    assert value is None and "object or array" in error


def test_the_editor_labels_exactly_the_service_vocabulary():
    """One vocabulary: the editor offers every policy and rule the engine knows, and no other."""
    assert set(sync_rules.POLICIES) == {p.value for p in Policy}
    assert set(sync_rules.RULES) == {r.value for r in Rule}
