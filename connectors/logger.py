"""Structured logging for the connector service.

Every line is ``<time> <LEVEL> <logger> <message> key=value ...``; the keys come from the
context a :class:`ContextLogger` carries (``connector_id``, ``job_id``, ``service_type``,
``index_name``) so a job's lines can be grepped by id. ``log_format: json`` emits one JSON
object per line instead.

Secrets never reach the logs. Rules, in the order the formatter applies them:

1. a mapping or list passed as a ``%`` argument (a connector document, a job with its
   ``connector.configuration`` snapshot) is logged through :func:`redact`: values of keys that look
   secret and of configuration fields flagged ``sensitive`` (or keyed like a secret) are masked;
2. ``key=value`` pairs whose key looks secret are masked in the message;
3. every value registered with :func:`remember_secrets` (the service's Elasticsearch credentials,
   the sensitive fields of every connector configuration read, see ``configuration.py``) is masked
   wherever it appears in the line, tracebacks included — f-strings and exception texts too.
   At most :data:`MAX_KNOWN_SECRETS` values are kept (oldest dropped); values shorter than
   :data:`MIN_SECRET_LENGTH` are not (they would mask ordinary words).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

from connectors.secrets import MASK, is_secret_key, is_sensitive_field, redact
from connectors.utils import iso_utc

ROOT_NAME = "connectors"
_SECRET_PAIR = re.compile(
    r"(?P<key>\b[\w.-]*(?:password|secret|token|api_key|apikey|authorization)[\w.-]*)=(?P<value>\S+)",
    re.IGNORECASE,
)
CONTEXT_KEYS = ("connector_id", "job_id", "job_type", "service_type", "index_name")
# ids of the job/connector the current asyncio task works for; tasks created inside inherit them,
# so lines logged by the sink or the source carry the same ids as the runner's own lines
_TASK_CONTEXT: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "connectors_log_context", default=None
)


def set_task_context(**context: Any) -> None:
    """Stamp every record logged from this task (and tasks it creates) with ``context``."""
    merged = dict(_TASK_CONTEXT.get() or {})
    merged.update({k: v for k, v in context.items() if v is not None})
    _TASK_CONTEXT.set(merged)


class TaskContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_TASK_CONTEXT.get() or {}).items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        return True


MIN_SECRET_LENGTH = 6
MAX_KNOWN_SECRETS = 1024
_KNOWN_SECRETS: dict[str, None] = {}  # insertion-ordered set
_BY_LENGTH: list[tuple[str, ...]] = [()]  # the known secrets, longest first (rebuilt on change)


def remember_secrets(value: Any, _key: Any = None) -> None:
    """Register every value :func:`redact` would mask in ``value``; the formatter masks them anywhere."""
    if isinstance(value, Mapping):
        if is_sensitive_field(value, _key):
            for k in ("value", "default_value"):
                remember_secret(value.get(k))
            return
        for key, item in value.items():
            if is_secret_key(key) and not isinstance(item, Mapping):
                remember_secret(item)
            else:
                remember_secrets(item, key)
    elif isinstance(value, list | tuple):
        for item in value:
            remember_secrets(item)


def remember_secret(value: Any) -> None:
    """Mask ``value`` wherever it appears in a log line from now on (strings of 6+ characters)."""
    if not isinstance(value, str) or len(value.strip()) < MIN_SECRET_LENGTH:
        return
    known = value in _KNOWN_SECRETS
    _KNOWN_SECRETS.pop(value, None)
    _KNOWN_SECRETS[value] = None
    while len(_KNOWN_SECRETS) > MAX_KNOWN_SECRETS:
        del _KNOWN_SECRETS[next(iter(_KNOWN_SECRETS))]
    if not known:
        _BY_LENGTH[0] = tuple(sorted(_KNOWN_SECRETS, key=len, reverse=True))


def mask_known_secrets(text: str) -> str:
    """``text`` with every remembered secret replaced by the mask (longest first)."""
    for secret in _BY_LENGTH[0]:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _message(record: logging.LogRecord) -> str:
    """``record.getMessage()``, with mapping and list arguments redacted first."""
    args = record.args
    if not args or not any(
        isinstance(a, Mapping | list | tuple) for a in (args if isinstance(args, tuple) else (args,))
    ):
        return record.getMessage()
    safe: Any = redact(args) if isinstance(args, Mapping) else tuple(redact(a) for a in args)
    try:
        return str(record.msg) % safe
    except (TypeError, ValueError, KeyError):
        return record.getMessage()


class KeyValueFormatter(logging.Formatter):
    """``2026-01-01T00:00:00Z INFO connectors.sync message connector_id=.. job_id=..``."""

    def __init__(self, json_lines: bool = False):
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        when = iso_utc(dt.datetime.fromtimestamp(record.created, dt.UTC))
        message = _SECRET_PAIR.sub(lambda m: f"{m.group('key')}={MASK}", _message(record))
        context = {key: getattr(record, key) for key in CONTEXT_KEYS if getattr(record, key, None)}
        if self.json_lines:
            payload = {"@timestamp": when, "log.level": record.levelname, "log.logger": record.name}
            payload["message"] = message
            payload.update(context)
            if record.exc_info:
                payload["error.stack_trace"] = self.formatException(record.exc_info)
            masked = {k: mask_known_secrets(v) if isinstance(v, str) else v for k, v in payload.items()}
            return json.dumps(masked, default=str)
        line = f"{when} {record.levelname} {record.name} {message}"
        if context:
            line += " " + " ".join(f"{key}={value}" for key, value in context.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return mask_known_secrets(line)


def configure_logging(level: str | int = "INFO", json_lines: bool = False, stream=None) -> None:
    """Install one stderr handler on the ``connectors`` logger (idempotent)."""
    root = logging.getLogger(ROOT_NAME)
    for handler in list(root.handlers):
        if getattr(handler, "_connectors_handler", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._connectors_handler = True  # type: ignore[attr-defined]
    handler.addFilter(TaskContextFilter())
    handler.setFormatter(KeyValueFormatter(json_lines=json_lines))
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    root.propagate = False


class ContextLogger(logging.LoggerAdapter):
    """A logger that stamps every record with connector/job context."""

    def __init__(self, name: str, **context: Any):
        logger = logging.getLogger(name if name.startswith(ROOT_NAME) else f"{ROOT_NAME}.{name}")
        super().__init__(logger, {k: v for k, v in context.items() if v is not None})

    def bind(self, **context: Any) -> ContextLogger:
        merged = dict(self.extra or {})
        merged.update({k: v for k, v in context.items() if v is not None})
        return ContextLogger(self.logger.name, **merged)

    def process(self, msg, kwargs):
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return msg, kwargs


def get_logger(name: str, **context: Any) -> ContextLogger:
    return ContextLogger(name, **context)
