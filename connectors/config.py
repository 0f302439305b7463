"""The service configuration: ``config.yml`` + ``.env`` + environment, with defaults, validated.

:func:`load_config` reads the YAML file, applies environment overrides, fills the documented
defaults (see ``docs/CONFIG.md``) and validates the result against :data:`SCHEMA` with
fastjsonschema (schema and defaults: :mod:`connectors.config_schema`; problem reports:
:mod:`connectors.config_validation`). Every problem is reported at once:
:class:`~connectors.errors.ConfigurationError` holds one line per problem naming the key path, e.g.
``elasticsearch.bulk.chunk_size: must be an integer, got 'abc'``.

Environment overrides (one scheme): a variable ``CONNECTORS_<PATH>`` sets the key at ``<PATH>``,
where ``<PATH>`` is the key path upper-cased with dots as underscores
(``CONNECTORS_ELASTICSEARCH_HOST``, ``CONNECTORS_ELASTICSEARCH_BULK_CHUNK_SIZE``,
``CONNECTORS_SERVICE_LOG_LEVEL``). Only the leaf keys of the schema can be set this way; the value
is read as YAML (``10`` is a number, ``true`` a boolean, ``[a, b]`` a list; text that is not valid
YAML, such as ``[a``, is kept as text and then checked like any value). Variables come from
the process environment and from a ``.env`` file next to the config file (the process wins).
Validation runs after the overrides, and a problem with a value set by a variable names it:
``elasticsearch.host (from CONNECTORS_ELASTICSEARCH_HOST): must be an absolute URL ...``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values

from connectors.config_schema import DEFAULTS, SCHEMA, leaf_paths
from connectors.config_validation import config_problems, describe_kind, validate_config
from connectors.errors import ConfigurationError
from connectors.secrets import redact

ENV_PREFIX = "CONNECTORS_"

__all__ = [
    "DEFAULTS",
    "SCHEMA",
    "apply_env_overrides",
    "config_problems",
    "env_origins",
    "env_var_for",
    "leaf_paths",
    "load_config",
    "redact_config",
    "validate_config",
    "with_defaults",
]


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
        raise ConfigurationError(
            f"{path}: the top level must be a mapping of sections, got {describe_kind(raw)}"
        )
    variables: dict[str, str] = {}
    if use_dotenv:
        dotenv_file = (Path(path).parent if path is not None else Path.cwd()) / ".env"
        if dotenv_file.is_file():
            variables.update({k: v for k, v in dotenv_values(dotenv_file).items() if v is not None})
    variables.update(os.environ if env is None else env)
    overridden = apply_env_overrides(raw, variables)
    config = with_defaults(overridden)
    validate_config(config, origins=env_origins(variables))
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


_ENV_PATHS = {ENV_PREFIX + "_".join(p).upper(): p for p in leaf_paths()}


def env_var_for(path: str) -> str:
    """``elasticsearch.bulk.chunk_size`` → ``CONNECTORS_ELASTICSEARCH_BULK_CHUNK_SIZE``."""
    return ENV_PREFIX + path.replace(".", "_").upper()


def env_origins(variables: Mapping[str, str]) -> dict[str, str]:
    """Dotted key path → the ``CONNECTORS_*`` variable of ``variables`` that sets it."""
    origins = {}
    for name, path in _ENV_PATHS.items():
        if name in variables:
            origins[".".join(path)] = (
                name if _yaml_or_none(variables[name]) else f"{name}, not valid YAML: read as text"
            )
    return origins


def _yaml_or_none(text: str) -> bool:
    try:
        yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return True


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


# -- secrets ------------------------------------------------------------------------------------
def redact_config(config: Any) -> Any:
    """A copy of ``config`` with secrets (passwords, API keys, tokens) masked: safe to log
    (:func:`connectors.secrets.redact`, the one redaction)."""
    return redact(config)
