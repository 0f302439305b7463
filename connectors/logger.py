"""Structured logging for the connector service.

Every line is ``<time> <LEVEL> <logger> <message> key=value ...``; the keys come from the
context a :class:`ContextLogger` carries (``connector_id``, ``job_id``, ``service_type``,
``index_name``) so a job's lines can be grepped by id. ``log_format: json`` emits one JSON
object per line instead.

Secrets never reach the logs: :func:`redact` masks values of keys that look like secrets and
configuration fields flagged ``sensitive``; the formatter also masks ``key=value`` pairs whose
key looks secret, as a last line of defence.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Mapping
from typing import Any

ROOT_NAME = "connectors"
MASK = "********"
SECRET_KEY = re.compile(r"(pass(word)?|secret|token|api[_-]?key|authorization|credential)", re.IGNORECASE)
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


def redact(value: Any) -> Any:
    """Return a copy of ``value`` with secret-looking keys and ``sensitive`` fields masked."""
    if isinstance(value, Mapping):
        if value.get("sensitive") and "value" in value:
            return {
                k: (MASK if k in ("value", "default_value") and v else redact(v)) for k, v in value.items()
            }
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and SECRET_KEY.search(key) and not isinstance(item, Mapping) and item:
                out[key] = MASK
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


class KeyValueFormatter(logging.Formatter):
    """``2026-01-01T00:00:00Z INFO connectors.sync message connector_id=.. job_id=..``."""

    converter = time.gmtime

    def __init__(self, json_lines: bool = False):
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        when = self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z"
        message = _SECRET_PAIR.sub(lambda m: f"{m.group('key')}={MASK}", record.getMessage())
        context = {key: getattr(record, key) for key in CONTEXT_KEYS if getattr(record, key, None)}
        if self.json_lines:
            payload = {"@timestamp": when, "log.level": record.levelname, "log.logger": record.name}
            payload["message"] = message
            payload.update(context)
            if record.exc_info:
                payload["error.stack_trace"] = self.formatException(record.exc_info)
            return json.dumps(payload, default=str)
        line = f"{when} {record.levelname} {record.name} {message}"
        if context:
            line += " " + " ".join(f"{key}={value}" for key, value in context.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


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
