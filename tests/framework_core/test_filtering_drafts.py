"""The filtering draft rules the service and the UI share (connectors/filtering/drafts.py)."""

from connectors.filtering.basic_rules import DEFAULT_RULE, default_rule
from connectors.filtering.drafts import domain_entry, draft_differs, draft_snippet, rules_content
from connectors.filtering.filter import Filter


def test_draft_differs_on_rules_or_snippet_value_not_on_timestamps():
    rule = default_rule("t")
    same = {"rules": [rule], "advanced_snippet": {"value": {}}}
    assert not draft_differs({"active": same, "draft": dict(same)})
    retimed = {
        "rules": [dict(rule, updated_at="later")],
        "advanced_snippet": {"value": {}, "updated_at": "x"},
    }
    assert not draft_differs({"active": same, "draft": retimed})
    assert draft_differs({"active": same, "draft": {"rules": [rule], "advanced_snippet": {"value": [1]}}})
    assert draft_differs({"active": same, "draft": {"rules": [dict(rule, value="x")]}})
    assert draft_differs({"active": same, "draft": {"rules": [dict(rule, order=3)]}})


def test_a_connector_without_filtering_has_the_default_entry():
    entry = domain_entry(None)
    assert entry["domain"] == "DEFAULT"
    for side in ("active", "draft"):
        assert [{k: r[k] for k in DEFAULT_RULE} for r in entry[side]["rules"]] == [DEFAULT_RULE]
        assert entry[side]["advanced_snippet"] == {"value": {}}
        assert entry[side]["validation"]["state"] == "valid"
    assert not draft_differs(entry)
    stored = {"domain": "DEFAULT", "active": {"rules": []}, "draft": {"rules": []}}
    assert domain_entry([{"domain": "OTHER"}, stored]) is stored


def test_the_default_rule_is_the_one_a_filter_appends():
    assert Filter({"rules": []}).to_dict()["rules"] == [DEFAULT_RULE]
    assert rules_content({"rules": [default_rule("a")]}) == rules_content({"rules": [default_rule("b")]})


def test_draft_snippet_moves_updated_at_only_when_the_value_changes():
    previous = {"created_at": "c", "updated_at": "u", "value": {"q": 1}}
    assert draft_snippet(previous, {"q": 1}, "now") == {
        "created_at": "c",
        "updated_at": "u",
        "value": {"q": 1},
    }
    assert draft_snippet(previous, {"q": 2}, "now") == {
        "created_at": "c",
        "updated_at": "now",
        "value": {"q": 2},
    }
    assert draft_snippet(None, [], "now") == {"created_at": "now", "updated_at": "now", "value": []}
