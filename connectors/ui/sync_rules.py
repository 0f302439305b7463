"""Sync rules (filtering) as the UI edits them: the editor's rows and the advanced snippet's text.

The connector's ``filtering`` is a list of ``{domain, active, draft}``; the UI works on the
``DEFAULT`` domain (:mod:`connectors.filtering.drafts` states its shape, defaults and when a
draft differs; :mod:`connectors.filtering.basic_rules` the vocabulary of policies and rules).
Basic rules are ordered; the last one is always the fixed default rule (include everything
else). Saving writes the draft only; the connector service validates it.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

from connectors.filtering.basic_rules import DEFAULT_RULE_ID, Policy, Rule, default_rule
from connectors.utils import iso_utc

# labels of the rule vocabulary of :mod:`connectors.filtering.basic_rules` (one label per value)
POLICIES = {Policy.INCLUDE.value: "Include", Policy.EXCLUDE.value: "Exclude"}
RULES = {
    Rule.EQUALS.value: "Equals",
    Rule.CONTAINS.value: "Contains",
    Rule.STARTS_WITH.value: "Starts with",
    Rule.ENDS_WITH.value: "Ends with",
    Rule.REGEX.value: "Regular expression",
    Rule.GREATER_THAN.value: "Greater than",
    Rule.LESS_THAN.value: "Less than",
}
MAX_RULES = 200
MAX_SNIPPET_CHARS = 200_000


@dataclass
class RuleError:
    """A problem with one submitted rule row (``row`` counts from 1 as shown in the page)."""

    row: int
    field: str
    message: str


def parse_basic_rules(
    form_rows: list[dict[str, str]], existing: list[dict]
) -> tuple[list[dict], list[RuleError]]:
    """Turn the editor's rows (in their order) into draft rules; the default rule is appended last.

    Each row has ``id`` (empty for a new rule), ``policy``, ``field``, ``rule``, ``value``.
    Existing rules keep their ``created_at``; changed ones get a new ``updated_at``.
    """
    errors: list[RuleError] = []
    if len(form_rows) > MAX_RULES:
        return [], [RuleError(0, "rules", f"at most {MAX_RULES} rules are allowed")]
    known = {rule.get("id"): rule for rule in existing or []}
    timestamp = iso_utc()
    rules: list[dict] = []
    for index, row in enumerate(form_rows, start=1):
        rule_id = (row.get("id") or "").strip()
        if rule_id == DEFAULT_RULE_ID:
            continue
        policy = (row.get("policy") or "").strip()
        field = (row.get("field") or "").strip()
        kind = (row.get("rule") or "").strip()
        value = (row.get("value") or "").strip()
        if policy not in POLICIES:
            errors.append(RuleError(index, "policy", f"policy must be one of {', '.join(POLICIES)}"))
        if not field:
            errors.append(RuleError(index, "field", "field is required"))
        if kind not in RULES:
            errors.append(RuleError(index, "rule", f"rule must be one of {', '.join(RULES)}"))
        if not value:
            errors.append(RuleError(index, "value", "value is required"))
        elif kind == "regex":
            try:
                re.compile(value)
            except re.error as exc:
                errors.append(RuleError(index, "value", f"invalid regular expression: {exc}"))
        previous = known.get(rule_id) if rule_id else None
        changed = previous is None or any(
            previous.get(key) != new for key, new in (("policy", policy), ("field", field), ("rule", kind))
        )
        changed = changed or str(previous.get("value")) != value
        rules.append(
            {
                "id": rule_id if previous else str(uuid.uuid4()),
                "policy": policy,
                "field": field,
                "rule": kind,
                "value": value,
                "created_at": previous.get("created_at", timestamp) if previous else timestamp,
                "updated_at": timestamp if changed else previous.get("updated_at", timestamp),
            }
        )
    default = dict(known.get(DEFAULT_RULE_ID) or default_rule(timestamp))
    rules.append(default)
    for order, rule in enumerate(rules):
        rule["order"] = order
    return rules, errors


def parse_advanced_snippet(text: str) -> tuple[object | None, str | None]:
    """Parse the advanced rules JSON; return ``(value, None)`` or ``(None, message)``.

    An empty text means "no advanced rules" (an empty object). The value must be a JSON object
    or array, as Elasticsearch requires.
    """
    text = (text or "").strip()
    if not text:
        return {}, None
    if len(text) > MAX_SNIPPET_CHARS:
        return None, f"the advanced rules are too long (at most {MAX_SNIPPET_CHARS} characters)"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if not isinstance(value, dict | list):
        return None, "the advanced rules must be a JSON object or array"
    return value, None


def rule_labels(rules: list[dict]) -> dict[str, str]:
    """Map rule ids to "rule N" labels, for showing the service's per-rule errors."""
    return {rule.get("id"): f"rule {index}" for index, rule in enumerate(rules or [], start=1)}
