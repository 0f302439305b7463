"""Advanced sync rules: a list of ``{"query": "<CQL>"}``.

Validation runs in two steps, the second only if the first passes:

1. :data:`ADVANCED_RULES_SCHEMA` (fastjsonschema, through the framework's ``JsonSchemaValidator``):
   the shape, with the failing path named (``advanced_rules[1].query: must be string``);
2. :class:`RemoteCqlValidator`: each query is run against Confluence with ``limit=1``; the first
   one Confluence refuses is reported by index with Confluence's own error text.
"""

from __future__ import annotations

from typing import Any

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
    """The CQL queries of a (schema-valid) advanced snippet."""
    return [rule["query"].strip() for rule in advanced_rules]


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
