"""Sync rules: the basic rules engine, the ``Filter`` a job runs with, and rule validation."""

from connectors.filtering.basic_rules import (
    DEFAULT_RULE_ID,
    BasicRule,
    BasicRuleEngine,
    Policy,
    Rule,
    parse_rules,
)
from connectors.filtering.filter import DEFAULT_DOMAIN, Filter
from connectors.filtering.validation import (
    ADVANCED_RULES_ID,
    AdvancedRulesValidator,
    BasicRuleSchemaValidator,
    BasicRulesSetValidator,
    BasicRuleValueValidator,
    FilteringValidationResult,
    FilteringValidator,
    FilterValidationError,
    JsonSchemaValidator,
    SyncRuleValidationResult,
    validate_filtering,
)

__all__ = [
    "ADVANCED_RULES_ID",
    "DEFAULT_DOMAIN",
    "DEFAULT_RULE_ID",
    "AdvancedRulesValidator",
    "BasicRule",
    "BasicRuleEngine",
    "BasicRuleSchemaValidator",
    "BasicRuleValueValidator",
    "BasicRulesSetValidator",
    "Filter",
    "FilterValidationError",
    "FilteringValidationResult",
    "FilteringValidator",
    "JsonSchemaValidator",
    "Policy",
    "Rule",
    "SyncRuleValidationResult",
    "parse_rules",
    "validate_filtering",
]
