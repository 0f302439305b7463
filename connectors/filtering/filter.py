"""The sync rules a job runs with: active basic rules + advanced snippet, as one object."""

from __future__ import annotations

import copy
from typing import Any

from connectors.errors import InvalidFilteringError
from connectors.filtering.basic_rules import DEFAULT_RULE, DEFAULT_RULE_ID, BasicRuleEngine, parse_rules
from connectors.protocol.constants import DEFAULT_DOMAIN
from connectors.protocol.documents import rules_of


class Filter:
    """One filtering entry ``{rules, advanced_snippet: {value}, validation}``.

    Build it with :meth:`from_filtering` from whatever the protocol stores: the connector's list
    of ``{domain, active, draft}``, one such entry, a job's snapshot (list or object), or the
    rules/snippet object itself. A malformed basic rule raises :class:`InvalidFilteringError`.
    """

    def __init__(self, entry: Any = None):
        entry = copy.deepcopy(_select(entry) or {})
        self.basic_rules: list[dict] = list(entry.get("rules") or [])
        snippet = entry.get("advanced_snippet") or {}
        self.advanced_snippet: dict = snippet if isinstance(snippet, dict) else {"value": snippet}
        self.validation: dict = entry.get("validation") or {"state": "valid", "errors": []}
        try:
            self._engine = BasicRuleEngine(parse_rules(self.basic_rules))
        except (ValueError, TypeError) as exc:
            raise InvalidFilteringError(f"Invalid basic sync rule: {exc}") from None

    @classmethod
    def from_filtering(cls, filtering: Any, *, draft: bool = False, domain: str = DEFAULT_DOMAIN) -> Filter:
        if isinstance(filtering, Filter):
            return filtering
        return cls(_select(filtering, draft=draft, domain=domain))

    # advanced rules ------------------------------------------------------------------------
    def get_advanced_rules(self) -> Any:
        return self.advanced_snippet.get("value") or {}

    def has_advanced_rules(self) -> bool:
        rules = self.get_advanced_rules()
        return rules is not None and len(rules) > 0

    # basic rules ---------------------------------------------------------------------------
    def has_basic_rules(self) -> bool:
        return bool(self._engine.rules)

    def matches(self, document: dict) -> bool:
        """Whether the basic rules keep ``document`` (first matching rule by order decides)."""
        return self._engine.should_ingest(document)

    @property
    def match_counts(self) -> dict[str, int]:
        """Documents matched so far, per rule id (``DEFAULT`` counts the unmatched)."""
        return dict(self._engine.match_counts)

    def to_dict(self) -> dict[str, Any]:
        rules = self.basic_rules or []
        if not any(r.get("id") == DEFAULT_RULE_ID for r in rules):
            rules = rules + [dict(DEFAULT_RULE)]
        return {"rules": copy.deepcopy(rules), "advanced_snippet": copy.deepcopy(self.advanced_snippet)}


def _select(filtering: Any, *, draft: bool = False, domain: str = DEFAULT_DOMAIN) -> dict | None:
    """The ``{rules, advanced_snippet, ...}`` entry out of any stored filtering shape (the
    protocol's reading, :func:`connectors.protocol.documents.rules_of`), or of a :class:`Filter`."""
    if isinstance(filtering, Filter):
        return {
            "rules": filtering.basic_rules,
            "advanced_snippet": filtering.advanced_snippet,
            "validation": filtering.validation,
        }
    return rules_of(filtering, draft=draft, domain=domain) or None
