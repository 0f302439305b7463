"""Validation of a loaded configuration: every problem at once, each naming its key path.

fastjsonschema stops at the first error, so :func:`config_problems` patches each problem out of
a working copy and validates again; the messages read like
``elasticsearch.bulk.chunk_size: must be an integer, got 'abc'``. Why not a validator that
yields every error (``jsonschema``'s ``iter_errors``): fastjsonschema is the validator the
project names, compiled once it costs microseconds per run, and the loop is bounded (one run per
problem, at most ``limit`` problems) — a second schema library for the error listing alone would
mean two readings of one schema that could disagree.

Rules checked beyond the schema (each problem names the key path, and the environment variable
when the value came from one, e.g. ``(from CONNECTORS_ELASTICSEARCH_HOST)``):

* every number is finite (``.nan``, ``.inf``, ``1.0e+400`` are refused wherever they appear);
* ``elasticsearch.host`` (each item of a list too) is an absolute ``http://`` or ``https://`` URL
  with a host, a valid port, no user name or password, no query and no fragment;
* a path (``elasticsearch.ca_certs``) names a readable file;
* quoted values are capped (:func:`connectors.utils.quoted`).
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from typing import Any

import fastjsonschema

from connectors.config_schema import SCHEMA
from connectors.errors import ConfigurationError
from connectors.utils import http_url_fault, quoted

_validate = fastjsonschema.compile(SCHEMA)

_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean (true or false)",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def describe_kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return quoted(value) if isinstance(value, str | int | float) else type(value).__name__


def validate_config(config: Any, *, origins: Mapping[str, str] | None = None) -> None:
    """Raise ``ConfigurationError`` with one line per problem (key path first).

    ``origins`` maps a dotted key path to the environment variable that set it (see
    :func:`config_problems`).
    """
    problems = config_problems(config, origins=origins)
    if problems:
        raise ConfigurationError(problems, title=f"Invalid configuration ({len(problems)} problems):")


def config_problems(config: Any, *, limit: int = 100, origins: Mapping[str, str] | None = None) -> list[str]:
    """Every problem of ``config``: non-finite numbers, the schema (fastjsonschema), then values.

    fastjsonschema stops at the first error, so each found problem is patched out of a working
    copy (unknown keys removed, bad values replaced by a valid placeholder) and validation runs
    again, until the copy is valid or ``limit`` problems have been found. A problem whose key path
    is in ``origins`` (dotted path → variable name) says which environment variable set it.
    """
    work = copy.deepcopy(config)
    problems: list[str] = []
    for path in _non_finite_paths(work):
        problems.append(f"{_dotted(path)}: must be a finite number, got {_node_at(work, path)}")
        _node_at(work, path[:-1])[path[-1]] = _placeholder(_schema_at(path) or {"type": "number"})
    while len(problems) < limit:
        try:
            _validate(work)
            break
        except fastjsonschema.JsonSchemaValueException as exc:
            path = [int(p) if str(p).isdigit() else p for p in (exc.path or ["data"])[1:]]
            message, work = _describe_and_patch(work, path, exc)
            problems.append(message)
    problems.extend(_semantic_problems(config) if len(problems) == 0 else [])
    problems.extend(_value_problems(config))
    return [_with_origin(message, origins or {}) for message in problems]


def _with_origin(message: str, origins: Mapping[str, str]) -> str:
    where = message.split(": ", 1)[0]
    for path, variable in origins.items():
        if where == path or where.startswith((path + ".", path + "[")):
            key, _, rest = message.partition(": ")
            return f"{key} (from {variable}): {rest}"
    return message


def _non_finite_paths(node: Any, path: tuple = ()) -> list[list]:
    if isinstance(node, float) and not math.isfinite(node):
        return [list(path)]
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _non_finite_paths(value, path + (key,))]
    if isinstance(node, list):
        return [p for index, value in enumerate(node) for p in _non_finite_paths(value, path + (index,))]
    return []


# -- values the schema cannot check ---------------------------------------------------------------
def url_problem(text: str) -> str | None:
    """Why ``text`` is not an absolute http(s) URL of a server, or ``None`` if it is one."""
    fault = http_url_fault(text)
    if fault is None:
        return None
    kind, detail = fault
    shown = quoted(text)
    if kind == "parse":
        return f"must be an absolute http:// or https:// URL, got {shown} ({detail})"
    if kind == "credentials":  # the URL itself is not quoted: it holds a secret
        return (
            "must not contain a user name or password: use elasticsearch.api_key or "
            "elasticsearch.username and elasticsearch.password"
        )
    if kind == "scheme":
        guess = f"http://{text.strip()}"
        hint = f" (did you mean {guess}?)" if "://" not in text and http_url_fault(guess) is None else ""
        return f"must be an absolute URL starting with http:// or https://, got {shown}{hint}"
    if kind == "host":
        return f"must name a host, got {shown}"
    return f"must not have a query or fragment, got {shown}"


def path_problem(value: str) -> str | None:
    """Why ``value`` is not the path of a readable file, or ``None``."""
    if not os.path.exists(value):
        return f"file {quoted(value)} does not exist (working directory {os.getcwd()})"
    if not os.path.isfile(value):
        return f"{quoted(value)} is not a file"
    if not os.access(value, os.R_OK):
        return f"file {quoted(value)} is not readable by this user"
    return None


#: Keys whose value is the path of a file the service reads.
PATH_KEYS = ("elasticsearch.ca_certs",)


def _value_problems(config: Any) -> list[str]:
    """Host URLs and file paths (values of another type are left to the schema)."""
    problems = []
    es = config.get("elasticsearch") if isinstance(config, dict) else None
    host = es.get("host") if isinstance(es, dict) else None
    hosts = host if isinstance(host, list) else [host]
    for index, item in enumerate(hosts):
        if isinstance(item, str) and item.strip():
            problem = url_problem(item)
            where = f"elasticsearch.host[{index}]" if isinstance(host, list) else "elasticsearch.host"
            if problem:
                problems.append(f"{where}: {problem}")
    for dotted in PATH_KEYS:
        node: Any = config
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node:
            problem = path_problem(node)
            if problem:
                problems.append(f"{dotted}: {problem}")
    return problems


def _semantic_problems(config: dict) -> list[str]:
    problems = []
    seen: dict[str, int] = {}
    for index, item in enumerate(config.get("connectors") or []):
        connector_id = item.get("connector_id")
        if connector_id in seen:
            problems.append(
                f"connectors[{index}].connector_id: '{connector_id}' is already used by connectors[{seen[connector_id]}]"
            )
        seen.setdefault(connector_id, index)
    es = config.get("elasticsearch") or {}
    if es.get("password") and not es.get("username"):
        problems.append("elasticsearch.username: required when elasticsearch.password is set")
    return problems


def _dotted(path: list) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe_and_patch(work: Any, path: list, exc) -> tuple[str, Any]:
    where = _dotted(path)
    rule, definition, value = exc.rule, exc.rule_definition, exc.value
    schema = _schema_at(path)
    if rule == "additionalProperties":
        known = set((schema or {}).get("properties", {}))
        unknown = sorted(str(k) for k in value if k not in known)
        key = unknown[0] if unknown else "?"
        allowed = ", ".join(sorted(known))
        del _node_at(work, path)[key]
        prefix = f"{where}.{key}" if path else key
        return f"{prefix}: unknown key (allowed here: {allowed})", work
    if rule == "required":
        missing = [k for k in definition if k not in value]
        key = missing[0] if missing else "?"
        _node_at(work, path)[key] = _placeholder((schema or {}).get("properties", {}).get(key, {}))
        prefix = f"{where}.{key}" if path else key
        return f"{prefix}: missing required value", work
    if rule == "type":
        types = definition if isinstance(definition, list) else [definition]
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in types if t != "null")
        if "null" in types:
            words += " (or empty)"
        message = f"{where}: must be {words}, got {describe_kind(value)}"
    elif rule == "enum":
        message = f"{where}: must be one of {', '.join(map(str, definition))}, got {describe_kind(value)}"
    elif rule in ("minimum", "exclusiveMinimum"):
        bound = "at least" if rule == "minimum" else "greater than"
        message = f"{where}: must be {bound} {definition}, got {describe_kind(value)}"
    elif rule == "maximum":
        message = f"{where}: must be at most {definition}, got {describe_kind(value)}"
    elif rule == "minLength":
        message = f"{where}: must not be empty"
    elif rule == "minItems":
        message = f"{where}: must list at least {definition} item(s)"
    elif rule == "pattern":
        message = f"{where}: must look like 'package.module:ClassName', got {describe_kind(value)}"
    elif rule == "anyOf" and path and path[-1] == "host":
        message = f"{where}: must be a URL or a list of URLs, got {describe_kind(value)}"
    else:
        message = f"{where}: {exc.message.replace(exc.name, '').strip()}"
    if not path:
        return message, {}
    _node_at(work, path[:-1])[path[-1]] = _placeholder(schema or {})
    return message, work


def _schema_at(path: list) -> dict | None:
    node: dict | None = SCHEMA
    for part in path:
        if node is None:
            return None
        if isinstance(part, int):
            node = node.get("items")
        elif "properties" in node and part in node["properties"]:
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return node


def _node_at(work: Any, path: list) -> Any:
    for part in path:
        work = work[part]
    return work


def _placeholder(schema: dict) -> Any:
    """A value valid against ``schema`` (used to keep validating past a reported problem)."""
    if "anyOf" in schema:
        return _placeholder(schema["anyOf"][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        return None if "null" in kind else _placeholder({**schema, "type": kind[0]})
    if "enum" in schema:
        return schema["enum"][0]
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if kind == "string":
        return "placeholder:Placeholder" if "pattern" in schema else "placeholder"
    if kind == "array":
        return []
    if kind == "object":
        return {k: _placeholder(schema["properties"][k]) for k in schema.get("required", [])}
    return None
