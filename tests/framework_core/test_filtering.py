import datetime as dt

import pytest

from connectors.errors import InvalidFilteringError
from connectors.filtering import (
    Filter,
    FilteringValidator,
    JsonSchemaValidator,
    SyncRuleValidationResult,
    validate_filtering,
)

DEFAULT = {"id": "DEFAULT", "order": 99, "policy": "include", "field": "_", "rule": "regex", "value": ".*"}


def rule(rule_id, field, kind, value, policy="include", order=0):
    return {"id": rule_id, "order": order, "policy": policy, "field": field, "rule": kind, "value": value}


def only(kind, value, field="f"):
    """A filter that keeps only documents matching one rule (exclude everything else)."""
    return Filter(
        {
            "rules": [
                rule("r", field, kind, value, "include", 0),
                rule("rest", field, "regex", "[\\s\\S]*", "exclude", 1),
                DEFAULT,
            ]
        }
    )


@pytest.mark.parametrize(
    "kind,value,doc_value,expected",
    [
        ("equals", "ENG", "ENG", True),
        ("equals", "ENG", "ENGX", False),
        ("equals", "42", 42, True),
        ("equals", "42.0", 42, True),
        ("equals", "41", 42, False),
        ("equals", "true", True, True),
        ("equals", "no", False, True),
        ("equals", "yes", False, False),
        ("equals", "2024-01-02", dt.date(2024, 1, 2), True),
        ("contains", "ngin", "engineering", True),
        ("contains", "xyz", "engineering", False),
        ("starts_with", "eng", "engineering", True),
        ("starts_with", "ing", "engineering", False),
        ("ends_with", "ing", "engineering", True),
        ("ends_with", "eng", "engineering", False),
        ("regex", "eng.*ing", "engineering", True),
        ("regex", "ing", "engineering", False),  # re.match is anchored at the start
        (">", "10", 11, True),
        (">", "10", 10, False),
        (">", "9", "10", True),  # numeric text compares as numbers, not as text
        ("<", "10", 9.5, True),
        ("<", "10", 10, False),
        (">", "2024-01-01", "2024-06-01T00:00:00Z", True),
        ("<", "2024-01-01T00:00:00+00:00", "2023-12-31T23:59:59Z", True),
        (">", "2024-01-01", dt.datetime(2023, 1, 1, tzinfo=dt.UTC), False),
        (">", "b", "c", True),
        (">", "abc", 5, False),  # cannot compare: no match
        ("equals", "ENG", ["OPS", "ENG"], True),
    ],
)
def test_every_operator(kind, value, doc_value, expected):
    assert only(kind, value).matches({"f": doc_value}) is expected


def test_missing_field_never_matches_and_dotted_paths_work():
    assert only("equals", "x").matches({"g": "x"}) is True  # no rule matches → default include
    f = only("equals", "ENG", field="space.key")
    assert f.matches({"space": {"key": "ENG"}}) is True
    assert f.matches({"space": {"key": "OPS"}}) is False


def test_first_match_by_order_wins_and_default_is_last():
    f = Filter(
        {
            "rules": [
                DEFAULT,
                rule("later", "space", "equals", "ENG", "include", order=2),
                rule("first", "space", "starts_with", "EN", "exclude", order=1),
            ]
        }
    )
    assert f.matches({"space": "ENG"}) is False
    assert f.matches({"space": "OPS"}) is True
    assert f.match_counts == {"DEFAULT": 1, "first": 1}


def test_empty_filter_includes_everything():
    f = Filter.from_filtering(None)
    assert f.matches({"anything": 1}) and not f.has_advanced_rules() and not f.has_basic_rules()


def test_from_filtering_reads_connector_list_active_and_draft():
    connector_filtering = [
        {
            "domain": "DEFAULT",
            "active": {"rules": [DEFAULT], "advanced_snippet": {"value": {}}},
            "draft": {"rules": [DEFAULT], "advanced_snippet": {"value": [{"query": "type=page"}]}},
        }
    ]
    assert not Filter.from_filtering(connector_filtering).has_advanced_rules()
    draft = Filter.from_filtering(connector_filtering, draft=True)
    assert draft.has_advanced_rules()
    assert draft.get_advanced_rules() == [{"query": "type=page"}]
    job_snapshot = {"rules": [DEFAULT], "advanced_snippet": {"value": {"cql": "x"}}}
    assert Filter.from_filtering(job_snapshot).get_advanced_rules() == {"cql": "x"}
    # the constructor accepts every shape too (the runner calls Filter(job.filtering))
    assert Filter(connector_filtering).get_advanced_rules() == {}
    assert Filter([{"domain": "DEFAULT", **job_snapshot}]).get_advanced_rules() == {"cql": "x"}
    assert Filter(Filter(job_snapshot)).get_advanced_rules() == {"cql": "x"}


def test_malformed_rule_raises_invalid_filtering_error():
    with pytest.raises(InvalidFilteringError, match="unknown rule 'like'"):
        Filter({"rules": [rule("a", "f", "like", "x")]})
    with pytest.raises(InvalidFilteringError, match="invalid regex"):
        Filter({"rules": [rule("a", "f", "regex", "(")]})


async def test_valid_rules_give_valid_state():
    result = await validate_filtering({"rules": [rule("a", "space", "equals", "ENG"), DEFAULT]})
    assert result == {"state": "valid", "errors": []}


async def test_basic_rule_validation_messages():
    rules = [
        rule("bad-policy", "space", "equals", "ENG", policy="maybe", order=0),
        rule("bad-regex", "title", "regex", "(", order=1),
        rule("match-all", "title", "regex", ".*", order=2),
        rule("bad-number", "size", ">", "big", order=3),
        rule("dup", "a", "equals", "1", order=4),
        rule("dup", "b", "equals", "2", order=5),
        rule("same1", "c", "contains", "x", order=6),
        rule("same2", "c", "contains", "x", policy="exclude", order=7),
        {"id": "no-field", "order": 8, "policy": "include", "rule": "equals", "value": "x"},
        DEFAULT,
    ]
    result = await validate_filtering({"rules": rules})
    assert result["state"] == "invalid"
    assert result["errors"] == [
        {
            "ids": ["bad-policy"],
            "messages": ["Basic rule 1 (id: 'bad-policy'): policy must be one of ['include', 'exclude']."],
        },
        {
            "ids": ["bad-regex"],
            "messages": [
                "Basic rule 2 (id: 'bad-regex'): value '(' is not a valid regular expression "
                "(missing ), unterminated subpattern at position 0)."
            ],
        },
        {
            "ids": ["match-all"],
            "messages": [
                "Basic rule 3 (id: 'match-all'): the match-all regex '.*' is not allowed "
                "(the default rule already includes everything)."
            ],
        },
        {
            "ids": ["bad-number"],
            "messages": [
                "Basic rule 4 (id: 'bad-number'): value 'big' must be a number or an ISO-8601 date for rule '>'."
            ],
        },
        {
            "ids": ["no-field"],
            "messages": ["Basic rule 9 (id: 'no-field'): rule must contain ['field'] properties."],
        },
        {"ids": ["dup"], "messages": ["Rule id 'dup' is used by more than one rule."]},
        {
            "ids": ["same2", "same1"],
            "messages": ["Basic rule 8 (id: 'same2') is semantically equal to Basic rule 7 (id: 'same1')."],
        },
    ]


SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"query": {"type": "string", "minLength": 1}},
        "required": ["query"],
        "additionalProperties": False,
    },
}


async def test_json_schema_validator_names_path_and_index():
    validator = JsonSchemaValidator(SCHEMA)
    assert (await validator.validate([{"query": "type=page"}])).is_valid
    bad = await validator.validate([{"query": "ok"}, {"query": 5}])
    assert bad == SyncRuleValidationResult(False, "advanced_rules[1].query: must be string", rule_index=1)
    assert (await validator.validate({"query": "x"})).validation_message == "advanced_rules: must be array"


class StubSource:
    def __init__(self, validators):
        self._validators = validators

    def advanced_rules_validators(self):
        return self._validators


class RecordingValidator:
    def __init__(self, result):
        self.result = result
        self.seen = []

    async def validate(self, advanced_rules):
        self.seen.append(advanced_rules)
        return self.result


async def test_composite_runs_source_validators_only_with_a_snippet():
    remote = RecordingValidator(SyncRuleValidationResult(False, "Space 'NOPE' does not exist"))
    source = StubSource([JsonSchemaValidator(SCHEMA), remote])
    no_snippet = await validate_filtering({"rules": [DEFAULT], "advanced_snippet": {"value": {}}}, source)
    assert no_snippet == {"state": "valid", "errors": []} and remote.seen == []

    snippet = [{"query": "space = NOPE"}]
    result = await validate_filtering({"rules": [DEFAULT], "advanced_snippet": {"value": snippet}}, source)
    assert remote.seen == [snippet]
    assert result == {
        "state": "invalid",
        "errors": [{"ids": ["advanced_snippet"], "messages": ["Space 'NOPE' does not exist"]}],
    }


async def test_composite_stops_at_first_failing_advanced_validator():
    remote = RecordingValidator(SyncRuleValidationResult(True))
    validator = FilteringValidator([JsonSchemaValidator(SCHEMA), remote])
    result = await validator.validate(Filter({"advanced_snippet": {"value": [{"nope": 1}]}}))
    assert result.state == "invalid" and remote.seen == []
    assert result.to_dict()["errors"][0]["messages"] == [
        "advanced_rules[0]: must contain ['query'] properties"
    ]
