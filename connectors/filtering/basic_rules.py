"""Basic sync rules: ``{id, order, policy, field, rule, value}`` matched against each document.

Rules run in ascending ``order``; the first rule that matches decides (``include`` keeps the
document, ``exclude`` drops it). The default rule (id ``DEFAULT``, include, regex ``.*``) is
always last, so a document no rule matches is kept.

Matching (as Elastic's framework does, with two documented extensions):

* the rule's ``field`` is a top-level key of the document, or else a dotted path into nested
  dicts (extension); a document without the field never matches;
* the rule's ``value`` (text, as the UI stores it) is coerced to the type of the document's
  value: a number for int/float, a boolean for bool (``true/yes/on/1`` ...), a datetime for
  date/datetime values (ISO-8601; a date alone means midnight UTC), text otherwise;
* for ``<`` and ``>`` on a text document value, both sides are compared as numbers when both
  read as numbers, else as datetimes when both read as ISO dates, else as text (so
  ``_timestamp`` strings compare as times);
* ``regex`` is ``re.match`` (anchored at the start) of the value's text; ``contains``,
  ``starts_with`` and ``ends_with`` work on the value's text;
* a list document value matches when any of its items matches (extension).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connectors.configuration import parse_bool
from connectors.utils import iso_utc, parse_utc, quoted

DEFAULT_RULE_ID = "DEFAULT"
# the rule every rule list ends with: include whatever no other rule decided
DEFAULT_RULE: dict[str, Any] = {
    "id": DEFAULT_RULE_ID,
    "policy": "include",
    "field": "_",
    "rule": "regex",
    "value": ".*",
}
_MISSING = object()


def default_rule(timestamp: str | None = None, order: int = 0) -> dict:
    """The default rule as a connector document stores it (with its order and timestamps)."""
    timestamp = timestamp or iso_utc()
    return {**DEFAULT_RULE, "order": order, "created_at": timestamp, "updated_at": timestamp}


class Policy(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"

    @classmethod
    def parse(cls, text: Any) -> Policy:
        try:
            return cls(str(text).casefold())
        except ValueError:
            raise ValueError(f"unknown policy {quoted(text)} (expected include or exclude)") from None


class Rule(StrEnum):
    EQUALS = "equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    REGEX = "regex"
    GREATER_THAN = ">"
    LESS_THAN = "<"

    @classmethod
    def parse(cls, text: Any) -> Rule:
        name = str(text).casefold()
        name = {"greater_than": ">", "less_than": "<"}.get(name, name)
        try:
            return cls(name)
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown rule {quoted(text)} (expected one of {allowed})") from None


def to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def to_datetime(value: Any) -> dt.datetime | None:
    """Read an ISO-8601 date or datetime (``Z`` allowed; none means UTC) as an aware datetime.
    A number is not a date here (``parse_utc`` would read it as epoch milliseconds)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time.min, dt.UTC)
    text = str(value).strip()
    return parse_utc(text) if text[:1].isdigit() else None


def to_bool(value: Any) -> bool | None:
    """The configuration's reading of a boolean word (:func:`connectors.configuration.parse_bool`);
    an empty value reads as false here."""
    text = str(value).strip()
    return False if not text else parse_bool(text)


def lookup(document: dict, path: str) -> Any:
    """The value at ``path`` (a top-level key, or else a dotted path); ``_MISSING`` if absent."""
    if path in document:
        return document[path]
    current: Any = document
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


@dataclass
class BasicRule:
    id: str
    order: float
    policy: Policy
    field: str
    rule: Rule
    value: Any
    _regex: re.Pattern | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: dict) -> BasicRule:
        """Build a rule from its stored form; raises ``ValueError`` naming the bad attribute."""
        rule = Rule.parse(raw.get("rule"))
        value = raw.get("value")
        compiled = None
        if rule is Rule.REGEX:
            try:
                compiled = re.compile(str(value))
            except re.error as exc:
                raise ValueError(f"invalid regex {quoted(value)}: {exc}") from None
        order = raw.get("order", 0)
        return cls(
            id=str(raw.get("id")),
            order=order if isinstance(order, int | float) else float(order),
            policy=Policy.parse(raw.get("policy")),
            field=str(raw.get("field")),
            rule=rule,
            value=value,
            _regex=compiled,
        )

    def is_default_rule(self) -> bool:
        return self.id == DEFAULT_RULE_ID

    def is_include(self) -> bool:
        return self.policy is Policy.INCLUDE

    def short(self) -> str:
        """``Basic rule 2 (id: 'abc')`` — how validation messages name a rule."""
        return f"Basic rule {int(self.order) + 1} (id: '{self.id}')"

    def matches(self, document: dict) -> bool:
        if self.is_default_rule():
            return True
        found = lookup(document, self.field)
        if found is _MISSING:
            return False
        if isinstance(found, list | tuple):
            return any(self._matches_value(item) for item in found)
        return self._matches_value(found)

    def _matches_value(self, doc_value: Any) -> bool:
        text = str(self.value)
        match self.rule:
            case Rule.STARTS_WITH:
                return _text(doc_value).startswith(text)
            case Rule.ENDS_WITH:
                return _text(doc_value).endswith(text)
            case Rule.CONTAINS:
                return text in _text(doc_value)
            case Rule.REGEX:
                return self._regex is not None and self._regex.match(_text(doc_value)) is not None
            case Rule.EQUALS:
                return _equals(doc_value, self.value)
            case Rule.GREATER_THAN:
                return _compare(doc_value, self.value) > 0
            case Rule.LESS_THAN:
                return _compare(doc_value, self.value) < 0
        return False  # pragma: no cover


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _equals(doc_value: Any, rule_value: Any) -> bool:
    if isinstance(doc_value, bool):
        return to_bool(rule_value) is doc_value
    if isinstance(doc_value, int | float):
        number = to_number(rule_value)
        return number is not None and float(doc_value) == number
    if isinstance(doc_value, dt.date):
        when = to_datetime(rule_value)
        return when is not None and to_datetime(doc_value) == when
    return _text(doc_value) == str(rule_value)


def _sign(a, b) -> int:
    return (a > b) - (a < b)


def _compare(doc_value: Any, rule_value: Any) -> int:
    """-1/0/1 comparing the document's value with the rule's; 0 when they cannot be compared."""
    if isinstance(doc_value, bool) or doc_value is None:
        return 0
    if isinstance(doc_value, int | float):
        number = to_number(rule_value)
        return 0 if number is None else _sign(float(doc_value), number)
    if isinstance(doc_value, dt.date):
        when = to_datetime(rule_value)
        return 0 if when is None else _sign(to_datetime(doc_value), when)
    text = str(doc_value)
    left, right = to_number(text), to_number(rule_value)
    if left is not None and right is not None:
        return _sign(left, right)
    left_dt, right_dt = to_datetime(text), to_datetime(rule_value)
    if left_dt is not None and right_dt is not None:
        return _sign(left_dt, right_dt)
    return _sign(text, str(rule_value))


def parse_rules(raw_rules: list[dict] | None) -> list[BasicRule]:
    """The non-default rules sorted by ``order`` (raises ``ValueError`` on a malformed rule)."""
    rules = [BasicRule.from_dict(raw) for raw in raw_rules or []]
    return sorted((r for r in rules if not r.is_default_rule()), key=lambda r: r.order)


class BasicRuleEngine:
    """Decides for each document whether to ingest it; counts matches per rule id."""

    def __init__(self, rules: list[BasicRule]):
        self.rules = rules
        self.match_counts: dict[str, int] = {DEFAULT_RULE_ID: 0}

    def should_ingest(self, document: dict) -> bool:
        for rule in self.rules:
            if rule.matches(document):
                self.match_counts[rule.id] = self.match_counts.get(rule.id, 0) + 1
                return rule.is_include()
        self.match_counts[DEFAULT_RULE_ID] += 1
        return True
