"""The service configuration: ``config.yml`` + ``.env`` + environment, with defaults, validated.

:func:`load_config` reads the YAML file, applies environment overrides, fills the documented
defaults (see ``docs/CONFIG.md``) and validates the result against :data:`SCHEMA` with
fastjsonschema. Every problem is reported at once: :class:`~connectors.errors.ConfigurationError`
holds one line per problem naming the key path, e.g.
``elasticsearch.bulk.chunk_size: must be an integer, got 'abc'``.

Environment overrides (one scheme): a variable ``CONNECTORS_<PATH>`` sets the key at ``<PATH>``,
where ``<PATH>`` is the key path upper-cased with dots as underscores
(``CONNECTORS_ELASTICSEARCH_HOST``, ``CONNECTORS_ELASTICSEARCH_BULK_CHUNK_SIZE``,
``CONNECTORS_SERVICE_LOG_LEVEL``). Only the leaf keys of the schema can be set this way; the value
is read as YAML (``10`` is a number, ``true`` a boolean, ``[a, b]`` a list). Variables come from
the process environment and from a ``.env`` file next to the config file (the process wins).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fastjsonschema
import yaml
from dotenv import dotenv_values

from connectors.errors import ConfigurationError

ENV_PREFIX = "CONNECTORS_"
MASK = "********"
SECRET_KEYS = ("password", "api_key", "token", "secret")

DEFAULTS: dict[str, Any] = {
    "elasticsearch": {
        "host": "http://localhost:9200",
        "username": None,
        "password": None,
        "api_key": None,
        "ca_certs": None,
        "verify_certs": True,
        "request_timeout": 120,
        "max_retries": 5,
        "retry_interval": 10,
        "retry_on_timeout": True,
        "bulk": {
            "chunk_size": 500,
            "chunk_max_mem_mb": 5,
            "queue_max_size": 1024,
            "queue_max_mem_mb": 25,
            "max_concurrency": 2,
            "concurrent_downloads": 10,
            "max_retries": 3,
            "retry_interval": 2,
            "error_budget": 100,
        },
    },
    "service": {
        "idling": 30,
        "heartbeat": 300,
        "source_check_interval": 300,
        "progress_interval": 30,
        "job_idle_threshold": None,
        "max_concurrent_content_syncs": 1,
        "max_concurrent_access_control_syncs": 1,
        "max_file_download_size": 10485760,
        "job_cleanup_interval": 300,
        "log_level": "INFO",
        "log_format": "text",
    },
    "ui": {
        "host": "127.0.0.1",
        "port": 8090,
        "session_idle_seconds": 28800,
        "max_sessions": 500,
        "page_size": 20,
    },
    "connectors": [],
    "sources": {"confluence": "connectors.sources.confluence:ConfluenceDataSource"},
}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


_INT_POS = {"type": "integer", "minimum": 1}
_INT_NONNEG = {"type": "integer", "minimum": 0}
_NUM_POS = {"type": "number", "exclusiveMinimum": 0}
_NUM_NONNEG = {"type": "number", "minimum": 0}
_STR = {"type": "string", "minLength": 1}
_OPT_STR = {"type": ["string", "null"]}

SCHEMA: dict[str, Any] = _obj(
    {
        "elasticsearch": _obj(
            {
                "host": {"anyOf": [_STR, {"type": "array", "items": _STR, "minItems": 1}]},
                "username": _OPT_STR,
                "password": _OPT_STR,
                "api_key": _OPT_STR,
                "ca_certs": _OPT_STR,
                "verify_certs": {"type": "boolean"},
                "request_timeout": _NUM_POS,
                "max_retries": _INT_NONNEG,
                "retry_interval": _NUM_NONNEG,
                "retry_on_timeout": {"type": "boolean"},
                "bulk": _obj(
                    {
                        "chunk_size": _INT_POS,
                        "chunk_max_mem_mb": _NUM_POS,
                        "queue_max_size": _INT_POS,
                        "queue_max_mem_mb": _NUM_POS,
                        "max_concurrency": _INT_POS,
                        "concurrent_downloads": _INT_POS,
                        "max_retries": _INT_NONNEG,
                        "retry_interval": _NUM_NONNEG,
                        "error_budget": _INT_NONNEG,
                    }
                ),
            },
            required=["host"],
        ),
        "service": _obj(
            {
                "idling": _NUM_POS,
                "heartbeat": _NUM_POS,
                "source_check_interval": _NUM_POS,
                "progress_interval": _NUM_POS,
                "job_idle_threshold": {"type": ["number", "null"], "exclusiveMinimum": 0},
                "max_concurrent_content_syncs": _INT_POS,
                "max_concurrent_access_control_syncs": _INT_POS,
                "max_file_download_size": _INT_POS,
                "job_cleanup_interval": _NUM_POS,
                "log_level": {"type": "string", "enum": ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]},
                "log_format": {"type": "string", "enum": ["text", "json"]},
            }
        ),
        "ui": _obj(
            {
                "host": _STR,
                "port": {"type": "integer", "minimum": 0, "maximum": 65535},
                "session_idle_seconds": _INT_POS,
                "max_sessions": _INT_POS,
                "page_size": _INT_POS,
            }
        ),
        "connectors": {
            "type": "array",
            "items": _obj(
                {"connector_id": _STR, "service_type": _STR, "api_key": _OPT_STR},
                required=["connector_id", "service_type"],
            ),
        },
        "sources": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$"},
        },
    }
)

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


# -- loading ------------------------------------------------------------------------------------
def load_config(
    path: str | os.PathLike | None,
    *,
    env: Mapping[str, str] | None = None,
    use_dotenv: bool = True,
) -> dict[str, Any]:
    """Read, override, default and validate the configuration; raise ``ConfigurationError``.

    ``path`` ``None`` means defaults + environment only. ``env`` replaces ``os.environ`` (tests);
    a ``.env`` next to the file (or in the working directory when ``path`` is ``None``) is read
    with python-dotenv without touching the process environment.
    """
    raw: Any = {}
    if path is not None:
        raw = _read_yaml(Path(path))
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{path}: the top level must be a mapping of sections, got {_kind(raw)}")
    variables: dict[str, str] = {}
    if use_dotenv:
        dotenv_file = (Path(path).parent if path is not None else Path.cwd()) / ".env"
        if dotenv_file.is_file():
            variables.update({k: v for k, v in dotenv_values(dotenv_file).items() if v is not None})
    variables.update(os.environ if env is None else env)
    overridden = apply_env_overrides(raw, variables)
    config = with_defaults(overridden)
    validate_config(config)
    return config


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the configuration file ({exc.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigurationError(f"{path}: invalid YAML{where}: {problem}") from None


def leaf_paths(schema: dict = SCHEMA, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path of the schema that an environment variable can set."""
    paths = []
    for key, sub in schema.get("properties", {}).items():
        if sub.get("type") == "object" and "properties" in sub:
            paths.extend(leaf_paths(sub, prefix + (key,)))
        else:
            paths.append(prefix + (key,))
    return paths


_ENV_PATHS = {ENV_PREFIX + "_".join(p).upper(): p for p in leaf_paths()}


def env_var_for(path: str) -> str:
    """``elasticsearch.bulk.chunk_size`` → ``CONNECTORS_ELASTICSEARCH_BULK_CHUNK_SIZE``."""
    return ENV_PREFIX + path.replace(".", "_").upper()


def apply_env_overrides(raw: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``raw`` with each ``CONNECTORS_<PATH>`` variable's value (read as YAML) set."""
    out = copy.deepcopy(dict(raw))
    for name, path in _ENV_PATHS.items():
        if name not in variables:
            continue
        text = variables[name]
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            value = text
        if isinstance(value, str | int | float | bool | list | dict) or value is None:
            pass
        else:  # YAML dates and the like: keep the text
            value = text
        node = out
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = value
    return out


def with_defaults(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` over :data:`DEFAULTS`, merged section by section (lists and scalars replace)."""
    return _merge(copy.deepcopy(DEFAULTS), raw)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, Mapping):
        for key, value in over.items():
            if value is None and isinstance(base.get(key), dict):
                continue  # an empty section (all its keys commented out) keeps the defaults
            base[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return base
    return copy.deepcopy(over)


# -- validation ---------------------------------------------------------------------------------
def validate_config(config: Any) -> None:
    """Raise ``ConfigurationError`` with one line per problem (key path first)."""
    problems = config_problems(config)
    if problems:
        raise ConfigurationError(problems, title=f"Invalid configuration ({len(problems)} problems):")


def config_problems(config: Any, *, limit: int = 100) -> list[str]:
    """Every schema problem of ``config``, found by validating repeatedly with fastjsonschema.

    fastjsonschema stops at the first error, so each found problem is patched out of a working
    copy (unknown keys removed, bad values replaced by a valid placeholder) and validation runs
    again, until the copy is valid or ``limit`` problems have been found.
    """
    work = copy.deepcopy(config)
    problems: list[str] = []
    while len(problems) < limit:
        try:
            _validate(work)
            break
        except fastjsonschema.JsonSchemaValueException as exc:
            path = [int(p) if str(p).isdigit() else p for p in (exc.path or ["data"])[1:]]
            message, work = _describe_and_patch(work, path, exc)
            problems.append(message)
    problems.extend(_semantic_problems(config) if len(problems) == 0 else [])
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


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str | int | float) else type(value).__name__


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
        message = f"{where}: must be {words}, got {_kind(value)}"
    elif rule == "enum":
        message = f"{where}: must be one of {', '.join(map(str, definition))}, got {_kind(value)}"
    elif rule in ("minimum", "exclusiveMinimum"):
        bound = "at least" if rule == "minimum" else "greater than"
        message = f"{where}: must be {bound} {definition}, got {_kind(value)}"
    elif rule == "maximum":
        message = f"{where}: must be at most {definition}, got {_kind(value)}"
    elif rule == "minLength":
        message = f"{where}: must not be empty"
    elif rule == "minItems":
        message = f"{where}: must list at least {definition} item(s)"
    elif rule == "pattern":
        message = f"{where}: must look like 'package.module:ClassName', got {_kind(value)}"
    elif rule == "anyOf" and path and path[-1] == "host":
        message = f"{where}: must be a URL or a list of URLs, got {_kind(value)}"
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


# -- secrets ------------------------------------------------------------------------------------
def redact_config(config: Any) -> Any:
    """A copy of ``config`` with secrets (passwords, API keys, tokens) masked: safe to log."""
    if isinstance(config, Mapping):
        out = {}
        for key, value in config.items():
            secret = isinstance(key, str) and any(word in key.lower() for word in SECRET_KEYS)
            out[key] = MASK if secret and value not in (None, "") else redact_config(value)
        return out
    if isinstance(config, list):
        return [redact_config(item) for item in config]
    return config
