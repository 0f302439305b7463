"""Validation of sync rules: basic-rule validators, advanced-rule validators, and the composite.

The composite :class:`FilteringValidator` runs the basic-rule validators and then the source's
``advanced_rules_validators()`` (only when an advanced snippet is present) and returns a
:class:`FilteringValidationResult` whose :meth:`~FilteringValidationResult.to_dict` is the
protocol's ``{"state": "valid" | "invalid", "errors": [{"ids": [...], "messages": [...]}]}``.

An advanced-rules validator is any object with ``async validate(advanced_rules) ->
SyncRuleValidationResult``; :class:`JsonSchemaValidator` is a ready one built from a JSON schema.

Bounds (the result is written into the connector document): a message quotes user input only
through :func:`connectors.utils.quoted` / :func:`~connectors.utils.clipped`; every message is cut
to :data:`MAX_MESSAGE_CHARS` and every id to :data:`MAX_ID_CHARS` whatever a validator wrote;
at most :data:`MAX_ERRORS` errors are kept, the last saying how many more were found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import fastjsonschema

from connectors.filtering.basic_rules import DEFAULT_RULE_ID, Policy, Rule, to_datetime, to_number
from connectors.filtering.filter import Filter
from connectors.utils import clipped, quoted

ADVANCED_RULES_ID = "advanced_snippet"
#: Characters of one error message at most.
MAX_MESSAGE_CHARS = 1000
#: Characters of one rule id in an error at most (ids come from the user too).
MAX_ID_CHARS = 200
#: Errors kept in one validation result at most.
MAX_ERRORS = 20
#: Characters of a basic rule's value at most (a regex is compiled on the event loop).
MAX_VALUE_CHARS = 1000


@dataclass
class SyncRuleValidationResult:
    """The outcome of validating one rule (or the advanced snippet, ``rule_id='advanced_snippet'``).

    ``rule_index`` optionally points at the offending entry of an advanced-rules list.
    """

    is_valid: bool
    validation_message: str = "Valid rule"
    rule_index: int | None = None
    rule_id: str = ADVANCED_RULES_ID

    @classmethod
    def valid(cls, rule_id: str = ADVANCED_RULES_ID) -> SyncRuleValidationResult:
        return cls(True, "Valid rule", rule_id=rule_id)

    @classmethod
    def invalid(cls, message: str, rule_id: str = ADVANCED_RULES_ID, rule_index: int | None = None):
        return cls(False, message, rule_index=rule_index, rule_id=rule_id)


@dataclass
class FilterValidationError:
    ids: list[str]
    messages: list[str]


@dataclass
class FilteringValidationResult:
    errors: list[FilterValidationError] = field(default_factory=list)
    omitted: int = 0  # errors found beyond MAX_ERRORS

    @property
    def state(self) -> str:
        return "invalid" if self.errors else "valid"

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def add(self, result: SyncRuleValidationResult | None, *, other_ids: list[str] | None = None) -> None:
        if result is None or result.is_valid:
            return
        if len(self.errors) >= MAX_ERRORS:
            self.omitted += 1
            return
        ids = [result.rule_id] + [i for i in other_ids or [] if i != result.rule_id]
        ids = [clipped(str(i), MAX_ID_CHARS) for i in ids]
        message = clipped(str(result.validation_message), MAX_MESSAGE_CHARS)
        self.errors.append(FilterValidationError(ids=ids, messages=[message]))

    def to_dict(self) -> dict[str, Any]:
        errors = [{"ids": e.ids, "messages": e.messages} for e in self.errors]
        if self.omitted:
            errors[-1] = {
                **errors[-1],
                "messages": errors[-1]["messages"] + [f"{self.omitted:,} more problems are not shown."],
            }
        return {"state": self.state, "errors": errors}


class AdvancedRulesValidator(Protocol):
    async def validate(self, advanced_rules: Any) -> SyncRuleValidationResult: ...


# -- basic rules ------------------------------------------------------------------------------
def _name(rule: dict) -> str:
    order = rule.get("order")
    position = f" {int(order) + 1}" if isinstance(order, int | float) and not isinstance(order, bool) else ""
    return f"Basic rule{position} (id: '{clipped(str(rule.get('id')), 80)}')"


_BASIC_RULE_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "policy": {"type": "string", "enum": [p.value for p in Policy]},
        "field": {"type": "string", "minLength": 1},
        "rule": {"type": "string", "enum": [r.value for r in Rule]},
        "value": {"type": ["string", "number", "boolean"], "minLength": 1, "maxLength": MAX_VALUE_CHARS},
        "order": {"type": "number"},
    },
    "required": ["id", "policy", "field", "rule", "value", "order"],
}
_check_basic_rule = fastjsonschema.compile(_BASIC_RULE_SCHEMA)
MATCH_ALL_REGEXES = (".*", "(.*)", "^.*$", ".+")


class BasicRuleSchemaValidator:
    """Each rule has id, policy, field, rule, value and order of the right types and values."""

    def validate(self, rule: dict) -> SyncRuleValidationResult:
        rule_id = str(rule.get("id")) if isinstance(rule, dict) and rule.get("id") else "unknown"
        if not isinstance(rule, dict):
            return SyncRuleValidationResult.invalid(
                f"A basic rule must be an object, got {quoted(rule)}.", "unknown"
            )
        try:
            _check_basic_rule(rule)
        except fastjsonschema.JsonSchemaValueException as exc:
            where = exc.name.replace("data.", "", 1) if exc.name != "data" else "rule"
            reason = clipped(exc.message.replace(exc.name, where))
            return SyncRuleValidationResult.invalid(f"{_name(rule)}: {reason}.", rule_id)
        return SyncRuleValidationResult.valid(rule_id)


class BasicRuleValueValidator:
    """A regex compiles and is not match-all; ``<`` / ``>`` compare against a number or a date."""

    def validate(self, rule: dict) -> SyncRuleValidationResult:
        rule_id = str(rule.get("id"))
        if rule_id == DEFAULT_RULE_ID:
            return SyncRuleValidationResult.valid(rule_id)
        kind, value = str(rule.get("rule", "")).casefold(), rule.get("value")
        if kind == Rule.REGEX.value:
            try:
                re.compile(str(value))
            except re.error as exc:
                return SyncRuleValidationResult.invalid(
                    f"{_name(rule)}: value {quoted(value)} is not a valid regular expression ({exc}).",
                    rule_id,
                )
            if str(value) in MATCH_ALL_REGEXES:
                return SyncRuleValidationResult.invalid(
                    f"{_name(rule)}: the match-all regex {quoted(value)} is not allowed (the default rule already "
                    "includes everything).",
                    rule_id,
                )
        if kind in (Rule.GREATER_THAN.value, Rule.LESS_THAN.value):
            if to_number(value) is None and to_datetime(value) is None:
                return SyncRuleValidationResult.invalid(
                    f"{_name(rule)}: value {quoted(value)} must be a number or an ISO-8601 date for rule '{kind}'.",
                    rule_id,
                )
        return SyncRuleValidationResult.valid(rule_id)


class BasicRulesSetValidator:
    """Across rules: ids are unique, no two rules share field + rule + value."""

    def validate(self, rules: list[dict], result: FilteringValidationResult) -> None:
        seen_ids: dict[str, dict] = {}
        seen_semantics: dict[tuple, dict] = {}
        for rule in rules:
            if not isinstance(rule, dict):
                continue
            rule_id = str(rule.get("id"))
            if rule_id in seen_ids:
                result.add(
                    SyncRuleValidationResult.invalid(
                        f"Rule id '{clipped(rule_id, 80)}' is used by more than one rule.", rule_id
                    )
                )
                continue
            seen_ids[rule_id] = rule
            key = (rule.get("field"), str(rule.get("rule", "")).casefold(), str(rule.get("value")))
            if key in seen_semantics:
                first = seen_semantics[key]
                message = f"{_name(rule)} is semantically equal to {_name(first)}."
                result.add(
                    SyncRuleValidationResult.invalid(message, rule_id), other_ids=[str(first.get("id"))]
                )
                continue
            seen_semantics[key] = rule


# -- advanced rules ---------------------------------------------------------------------------
class JsonSchemaValidator:
    """Validates the advanced snippet against a JSON schema (compiled once with fastjsonschema).

    The message names the failing path, e.g. ``advanced_rules[1].query: must be string``, and
    ``rule_index`` is the index of the offending list item when the snippet is a list.
    """

    def __init__(self, schema: dict, *, name: str = "advanced_rules", formats: dict | None = None):
        self.name = name
        self._check = fastjsonschema.compile(schema, formats=formats or {})

    async def validate(self, advanced_rules: Any) -> SyncRuleValidationResult:
        try:
            self._check(advanced_rules)
        except fastjsonschema.JsonSchemaValueException as exc:
            path = [int(p) if str(p).isdigit() else p for p in (exc.path or [])[1:]]
            where = self.name + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            reason = exc.message.split(" must ", 1)
            detail = clipped(f"must {reason[1]}" if len(reason) == 2 else exc.message)
            index = path[0] if path and isinstance(path[0], int) else None
            return SyncRuleValidationResult.invalid(f"{where}: {detail}", rule_index=index)
        return SyncRuleValidationResult.valid()


# -- composite --------------------------------------------------------------------------------
class FilteringValidator:
    """Runs basic-rule validators, then the advanced-rules validators (if a snippet is set)."""

    def __init__(self, advanced_rules_validators: list | None = None, *, logger=None):
        self.rule_validators = [BasicRuleSchemaValidator(), BasicRuleValueValidator()]
        self.set_validator = BasicRulesSetValidator()
        self.advanced_rules_validators = list(advanced_rules_validators or [])
        self.logger = logger

    async def validate(self, filtering: Filter | dict) -> FilteringValidationResult:
        raw_rules, snippet = _rules_and_snippet(filtering)
        result = FilteringValidationResult()
        for rule in raw_rules:
            for validator in self.rule_validators:
                outcome = validator.validate(rule)
                result.add(outcome)
                if not outcome.is_valid:
                    break  # one message per rule is enough; the next validator assumes a sound shape
        self.set_validator.validate(raw_rules, result)
        if snippet is not None and len(snippet) > 0:
            if not isinstance(snippet, dict | list):
                result.add(
                    SyncRuleValidationResult.invalid("The advanced snippet must be an object or a list.")
                )
            else:
                for validator in self.advanced_rules_validators:
                    outcome = await validator.validate(snippet)
                    result.add(outcome)
                    if not outcome.is_valid:
                        break
        if self.logger is not None:
            self.logger.info(f"Filtering validation: {result.state} ({len(result.errors)} errors)")
        return result


def _rules_and_snippet(filtering: Filter | dict) -> tuple[list, Any]:
    if isinstance(filtering, Filter):
        return filtering.basic_rules, filtering.get_advanced_rules()
    rules = filtering.get("rules") or []
    snippet = filtering.get("advanced_snippet") or {}
    return list(rules), (snippet.get("value") if isinstance(snippet, dict) else snippet)


async def validate_filtering(filtering: Filter | dict, source=None, *, logger=None) -> dict[str, Any]:
    """The protocol's ``{state, errors}`` for a draft (or active) filtering entry and a source."""
    validators = source.advanced_rules_validators() if source is not None else []
    result = await FilteringValidator(validators, logger=logger).validate(filtering)
    return result.to_dict()
