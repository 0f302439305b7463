"""The filtering of a connector as one domain's ``{domain, active, draft}``, and its draft.

The service (validating and activating drafts, ``services/filtering_check``) and the UI (editing
them) share these rules:

* a connector without a ``DEFAULT`` entry has the default one: active and draft hold only the
  default rule (include everything), no advanced rules, state ``valid`` (what Elasticsearch
  writes into a new connector);
* a draft *differs* from the active rules when the rules (timestamps aside) or the advanced
  snippet's value differ — then the service activates a valid draft and the UI shows it as a
  draft;
* an advanced snippet keeps its ``created_at``; its ``updated_at`` moves only when its value
  changes.
"""

from __future__ import annotations

from typing import Any

from connectors.filtering.basic_rules import default_rule
from connectors.protocol.constants import DEFAULT_DOMAIN, FilteringValidationState
from connectors.protocol.documents import find_domain_entry
from connectors.utils import iso_utc


def empty_rules(timestamp: str | None = None) -> dict:
    """``{rules, advanced_snippet, validation}`` with only the default rule."""
    return {
        "rules": [default_rule(timestamp)],
        "advanced_snippet": {"value": {}},
        "validation": {"state": FilteringValidationState.VALID.value},
    }


def domain_entry(filtering: Any, domain: str = DEFAULT_DOMAIN) -> dict:
    """The ``{domain, active, draft}`` of ``domain`` in a connector's filtering list (a fresh
    default one when it has none)."""
    entry = find_domain_entry(filtering, domain)
    if entry is not None:
        return entry
    empty = empty_rules()
    return {"domain": domain, "active": empty, "draft": empty}


def rules_content(rules_entry: dict) -> tuple:
    """What activation copies that matters for syncing (timestamps and validation ignored)."""
    rules = [
        {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
        for rule in rules_entry.get("rules") or []
    ]
    snippet = rules_entry.get("advanced_snippet") or {}
    return rules, snippet.get("value") if isinstance(snippet, dict) else snippet


def draft_differs(entry: dict) -> bool:
    """Whether the draft of ``{active, draft}`` differs from the active rules."""
    return rules_content(entry.get("draft") or {}) != rules_content(entry.get("active") or {})


def draft_snippet(previous: dict | None, value: Any, timestamp: str | None = None) -> dict:
    """The draft's ``advanced_snippet`` holding ``value``, replacing ``previous``."""
    previous = previous or {}
    timestamp = timestamp or iso_utc()
    unchanged = previous.get("value") == value
    return {
        "created_at": previous.get("created_at") or timestamp,
        "updated_at": (previous.get("updated_at") or timestamp) if unchanged else timestamp,
        "value": value,
    }
