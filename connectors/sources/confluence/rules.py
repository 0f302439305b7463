"""Advanced sync rules: a list of ``{"query": "<CQL>"}``.

Validation runs in two steps, the second only if the first passes:

1. :data:`ADVANCED_RULES_SCHEMA` (fastjsonschema, through the framework's ``JsonSchemaValidator``):
   the shape, with the failing path named (``advanced_rules[1].query: must be string``);
2. :class:`RemoteCqlValidator`: each query is run against Confluence with ``limit=1``; the first
   one Confluence refuses is reported by index with Confluence's own error text.
"""

from __future__ import annotations

from typing import Any

from connectors.errors import InvalidFilteringError
from connectors.filtering import JsonSchemaValidator, SyncRuleValidationResult
from connectors.sources.confluence.client import ConfluenceBadRequest, ConfluenceError

ADVANCED_RULES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {"query": {"type": "string", "minLength": 1, "pattern": "\\S"}},
        "required": ["query"],
        "additionalProperties": False,
    },
}


def schema_validator() -> JsonSchemaValidator:
    return JsonSchemaValidator(ADVANCED_RULES_SCHEMA, name="advanced_rules")


def queries(advanced_rules: Any) -> list[str]:
    """The CQL queries of an advanced snippet; ``InvalidFilteringError`` if it is not well formed."""
    if isinstance(advanced_rules, dict) and "query" in advanced_rules:
        advanced_rules = [advanced_rules]  # a single rule given as an object
    if not isinstance(advanced_rules, list):
        raise InvalidFilteringError(
            'advanced_rules: expected a list of {"query": "<CQL>"} objects', [{"ids": ["advanced_snippet"]}]
        )
    out = []
    for index, rule in enumerate(advanced_rules):
        query = rule.get("query") if isinstance(rule, dict) else None
        if not isinstance(query, str) or not query.strip():
            raise InvalidFilteringError(
                f"advanced_rules[{index}].query: must be a non-empty CQL string",
                [{"ids": ["advanced_snippet"]}],
            )
        out.append(query.strip())
    return out


class RemoteCqlValidator:
    """Asks Confluence to run each query (``limit=1``) and reports the first it refuses.

    ``check`` is an async callable ``check(cql)`` that raises ``ConfluenceBadRequest`` for a
    query Confluence cannot parse (see ``ConfluenceApi.check_cql``).
    """

    def __init__(self, check):
        self._check = check

    async def validate(self, advanced_rules: Any) -> SyncRuleValidationResult:
        for index, query in enumerate(queries(advanced_rules)):
            try:
                await self._check(query)
            except ConfluenceBadRequest as exc:
                detail = exc.detail or str(exc)
                return SyncRuleValidationResult.invalid(
                    f"advanced_rules[{index}].query {query!r} was refused by Confluence: {detail}",
                    rule_index=index,
                )
            except ConfluenceError as exc:
                return SyncRuleValidationResult.invalid(
                    f"advanced_rules[{index}].query {query!r} could not be checked: {exc}", rule_index=index
                )
        return SyncRuleValidationResult.valid()
