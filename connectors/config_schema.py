"""The configuration's defaults and JSON schema (``docs/CONFIG.md`` documents every key).

:data:`DEFAULTS` holds the documented default of every key; :data:`SCHEMA` is what a loaded
configuration must satisfy (``connectors.config_validation`` reports each violation by key path);
:func:`leaf_paths` lists the keys an environment variable can set.

Rules: every numeric key has a lower bound in :data:`SCHEMA` and an upper bound in :data:`MAXIMA`
(``docs/CONFIG.md``, "Ranges"); a number must also be finite (YAML reads ``.nan``, ``.inf`` and
``1.0e+400`` as floats), which ``config_validation`` checks for every key.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "elasticsearch": {
        "host": "http://localhost:9200",
        "username": None,
        "password": None,
        "api_key": None,
        "ca_certs": None,
        "verify_certs": True,
        "request_timeout": 60,
        "max_retries": 0,
        "retry_interval": 1,
        "retry_on_timeout": False,
        "outage_timeout": 180,
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
        "sign_in_max_failures": 5,
        "sign_in_max_failures_per_address": 20,
        "sign_in_window_seconds": 300,
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
                "outage_timeout": _NUM_NONNEG,
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
                "sign_in_max_failures": _INT_NONNEG,
                "sign_in_max_failures_per_address": _INT_NONNEG,
                "sign_in_window_seconds": _INT_POS,
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


#: The largest accepted value of each numeric key (seconds, counts, MiB, bytes). Far above any
#: useful setting, so that only a typo (an extra digit, ``1e400`` read as infinity) is refused.
MAXIMA: dict[str, float] = {
    "elasticsearch.request_timeout": 3600,
    "elasticsearch.max_retries": 100,
    "elasticsearch.retry_interval": 3600,
    "elasticsearch.outage_timeout": 86_400,
    "elasticsearch.bulk.chunk_size": 100_000,
    "elasticsearch.bulk.chunk_max_mem_mb": 100,  # Elasticsearch's default http.max_content_length
    "elasticsearch.bulk.queue_max_size": 1_000_000,
    "elasticsearch.bulk.queue_max_mem_mb": 4096,
    "elasticsearch.bulk.max_concurrency": 64,
    "elasticsearch.bulk.concurrent_downloads": 256,
    "elasticsearch.bulk.max_retries": 100,
    "elasticsearch.bulk.retry_interval": 3600,
    "elasticsearch.bulk.error_budget": 1_000_000_000,
    "service.idling": 3600,
    "service.heartbeat": 86_400,
    "service.source_check_interval": 86_400,
    "service.progress_interval": 86_400,
    "service.job_idle_threshold": 86_400,
    "service.max_concurrent_content_syncs": 64,
    "service.max_concurrent_access_control_syncs": 64,
    "service.max_file_download_size": 10 * 1024**3,
    "service.job_cleanup_interval": 86_400,
    "ui.port": 65535,
    "ui.session_idle_seconds": 30 * 86_400,
    "ui.max_sessions": 1_000_000,
    "ui.page_size": 1000,
    "ui.sign_in_max_failures": 10_000,
    "ui.sign_in_max_failures_per_address": 1_000_000,
    "ui.sign_in_window_seconds": 86_400,
}


def _with_maxima(schema: dict, maxima: dict[str, float]) -> dict:
    """``schema`` with each key of ``maxima`` given its ``maximum`` (keys are dotted paths)."""
    for dotted, maximum in maxima.items():
        *parents, leaf = dotted.split(".")
        node = schema
        for key in parents:
            node = node["properties"][key]
        node["properties"][leaf] = {**node["properties"][leaf], "maximum": maximum}  # specs are shared
    return schema


def numeric_paths(schema: dict = SCHEMA, prefix: tuple[str, ...] = ()) -> list[str]:
    """Dotted paths of every leaf key whose value is a number (``integer`` or ``number``)."""
    out = []
    for key, sub in schema.get("properties", {}).items():
        kinds = sub.get("type") if isinstance(sub.get("type"), list) else [sub.get("type")]
        if sub.get("type") == "object" and "properties" in sub:
            out.extend(numeric_paths(sub, prefix + (key,)))
        elif "integer" in kinds or "number" in kinds:
            out.append(".".join(prefix + (key,)))
    return out


def leaf_paths(schema: dict = SCHEMA, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path of the schema that an environment variable can set."""
    paths = []
    for key, sub in schema.get("properties", {}).items():
        if sub.get("type") == "object" and "properties" in sub:
            paths.extend(leaf_paths(sub, prefix + (key,)))
        else:
            paths.append(prefix + (key,))
    return paths


_with_maxima(SCHEMA, MAXIMA)
