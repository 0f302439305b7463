"""Advanced sync rules: a list of ``{"query": "<CQL>"}``.

Validation runs in steps, each only if the one before passes:

1. :data:`ADVANCED_RULES_SCHEMA` (fastjsonschema, through the framework's ``JsonSchemaValidator``):
   the shape, with the failing path named (``advanced_rules[1].query: must be string``);
2. the limits, checked locally before any request (:func:`limits_problem`): at most
   :data:`MAX_RULES` rules, each query at most :data:`MAX_QUERY_CHARS` characters, no query twice
   (a duplicate is an error naming both indexes, never silently dropped);
3. :class:`RemoteCqlValidator`: each query is run against Confluence with ``limit=1``; the first
   one Confluence refuses is reported by index with Confluence's own error text.

So a snippet costs at most :data:`MAX_RULES` CQL requests to validate, and none when it breaks
a limit. A sync reads the rules through :func:`queries`, which enforces the same limits. Error
messages quote a query (and Confluence's answer) through :func:`connectors.utils.quoted`, capped.
"""

from __future__ import annotations

from typing import Any

from connectors.errors import InvalidFilteringError
from connectors.filtering import JsonSchemaValidator, SyncRuleValidationResult
from connectors.sources.confluence.client import ConfluenceBadRequest, ConfluenceError
from connectors.utils import clipped, quoted

#: Advanced rules per snippet at most: each is one CQL search to validate and one listing per sync.
MAX_RULES = 100
#: Characters per query at most: Confluence takes the CQL in the URL of a GET request, and web
#: servers commonly refuse a request line over 8 KB (Tomcat's default ``maxHttpHeaderSize``).
MAX_QUERY_CHARS = 4000
#: Characters of Confluence's own error text a message keeps (it often repeats the query).
DETAIL_CHARS = 300

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


def _problem(advanced_rules: Any) -> tuple[str, int | None] | None:
    """The first problem of an advanced snippet, checked locally: ``(message, rule index)``."""
    if isinstance(advanced_rules, dict) and "query" in advanced_rules:
        advanced_rules = [advanced_rules]  # a single rule given as an object
    if not isinstance(advanced_rules, list):
        return 'advanced_rules: expected a list of {"query": "<CQL>"} objects', None
    if len(advanced_rules) > MAX_RULES:
        return (
            f"advanced_rules: {len(advanced_rules):,} rules; at most {MAX_RULES} are allowed "
            "(each is one CQL search: combine queries with OR)",
            None,
        )
    first_index: dict[str, int] = {}
    duplicates: list[tuple[int, int]] = []
    for index, rule in enumerate(advanced_rules):
        query = rule.get("query") if isinstance(rule, dict) else None
        if not isinstance(query, str) or not query.strip():
            return f"advanced_rules[{index}].query: must be a non-empty CQL string", index
        query = query.strip()
        if len(query) > MAX_QUERY_CHARS:
            return (
                f"advanced_rules[{index}].query: {len(query):,} characters; at most {MAX_QUERY_CHARS:,} "
                "are allowed (Confluence receives the query in a URL)",
                index,
            )
        if query in first_index:
            duplicates.append((index, first_index[query]))
        first_index.setdefault(query, index)
    if duplicates:
        index, first = duplicates[0]
        more = f" ({len(duplicates) - 1} more duplicate rules)" if len(duplicates) > 1 else ""
        return (
            f"advanced_rules[{index}].query is the same as advanced_rules[{first}].query "
            f"({quoted(advanced_rules[index]['query'].strip(), 80)}): remove the duplicate{more}",
            index,
        )
    return None


def limits_problem(advanced_rules: Any) -> SyncRuleValidationResult:
    """Step 2 as a validation result: valid, or the first local problem by rule index."""
    problem = _problem(advanced_rules)
    if problem is None:
        return SyncRuleValidationResult.valid()
    return SyncRuleValidationResult.invalid(problem[0], rule_index=problem[1])


def advanced_rules_of(filtering: Any) -> Any:
    """The advanced snippet of a job's filtering (a ``Filter`` or any stored shape), or ``None``."""
    if filtering is None:
        return None
    if hasattr(filtering, "has_advanced_rules"):
        return filtering.get_advanced_rules() if filtering.has_advanced_rules() else None
    from connectors.filtering import Filter

    flt = Filter.from_filtering(filtering)
    return flt.get_advanced_rules() if flt.has_advanced_rules() else None


def queries(advanced_rules: Any) -> list[str]:
    """The CQL queries of an advanced snippet; ``InvalidFilteringError`` if it is not well formed
    or breaks a limit (the message names the rule index)."""
    problem = _problem(advanced_rules)
    if problem is not None:
        raise InvalidFilteringError(problem[0], [{"ids": ["advanced_snippet"], "messages": [problem[0]]}])
    if isinstance(advanced_rules, dict):
        advanced_rules = [advanced_rules]
    return [rule["query"].strip() for rule in advanced_rules]


class RemoteCqlValidator:
    """Asks Confluence to run each query (``limit=1``) and reports the first it refuses.

    ``check`` is an async callable ``check(cql)`` that raises ``ConfluenceBadRequest`` for a
    query Confluence cannot parse (see ``ConfluenceApi.check_cql``).
    """

    def __init__(self, check):
        self._check = check

    async def validate(self, advanced_rules: Any) -> SyncRuleValidationResult:
        local = limits_problem(advanced_rules)  # no request for a snippet over a limit
        if not local.is_valid:
            return local
        for index, query in enumerate(queries(advanced_rules)):
            try:
                await self._check(query)
            except ConfluenceBadRequest as exc:
                detail = clipped(exc.detail or str(exc), DETAIL_CHARS)
                return SyncRuleValidationResult.invalid(
                    f"advanced_rules[{index}].query {quoted(query)} was refused by Confluence: {detail}",
                    rule_index=index,
                )
            except ConfluenceError as exc:
                return SyncRuleValidationResult.invalid(
                    f"advanced_rules[{index}].query {quoted(query)} could not be checked: "
                    f"{clipped(str(exc), DETAIL_CHARS)}",
                    rule_index=index,
                )
        return SyncRuleValidationResult.valid()


def without_order_by(cql: str) -> str:
    """``cql`` without a trailing top-level ``ORDER BY ...`` (quoted text is left alone)."""
    quote = None
    lowered = cql.lower()
    i = 0
    while i < len(cql):
        ch = cql[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif lowered.startswith("order", i) and (i == 0 or not cql[i - 1].isalnum()):
            rest = lowered[i + 5 :]
            if rest[:1].isspace() and rest.lstrip().startswith("by"):
                return cql[:i].rstrip()
        i += 1
    return cql.strip()
