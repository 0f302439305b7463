"""Elasticsearch errors as readable text — the one place that reads an error body.

* :func:`error_reason` — the reason in an error body (the error's own ``reason``, else the first
  root cause's, else its ``type`` in words; a plain-string ``error`` as is);
* :func:`api_error_text` — ``type: reason`` of an :class:`~elasticsearch.ApiError`, short enough
  for a log line or a rejected document's reason;
* :func:`describe` — one sentence for a person (the UI's pages and sign-in form): what
  Elasticsearch refused, or why it could not be reached; never raw JSON or a stack trace;
* :func:`error_message` — one line for a job's ``error`` field and the service's logs, for any
  exception (a framework error's own text; an Elasticsearch error as :func:`api_error_text`).
"""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, TransportError

from connectors.errors import ConnectorError

MAX_REASON = 300
UNREACHABLE = "Elasticsearch cannot be reached. Check that it is running and that the UI points at it."


def error_reason(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        causes = error.get("root_cause") or []
        for candidate in [error, *[c for c in causes if isinstance(c, dict)]]:
            if candidate.get("reason"):
                return str(candidate["reason"])
        if error.get("type"):
            return str(error["type"]).replace("_", " ")
    return None


def api_error_text(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return f"{body['error'].get('type')}: {str(error_reason(body))[:MAX_REASON]}"
    return str(exc.message)[:MAX_REASON]


def describe(exc: Exception) -> str:
    """One sentence saying what Elasticsearch refused or why it could not be reached."""
    if isinstance(exc, ConnectionTimeout):
        return "Elasticsearch did not answer in time. Try again in a moment."
    if isinstance(exc, ConnectionError):
        return UNREACHABLE
    if isinstance(exc, ApiError):
        status = exc.meta.status if exc.meta is not None else None
        reason = error_reason(exc.body) or (exc.message if isinstance(exc.message, str) else None)
        if status == 401:
            return "Elasticsearch did not accept the credentials."
        if status == 403:
            return (
                f"You are not allowed to do this: {reason}" if reason else "You are not allowed to do this."
            )
        if status == 404:
            return f"Not found: {reason}" if reason else "Not found."
        if reason:
            return f"Elasticsearch refused the request: {reason}"
        return f"Elasticsearch refused the request (HTTP {status})."
    if isinstance(exc, TransportError):
        return UNREACHABLE
    return "Unexpected error while talking to Elasticsearch."


def error_message(exc: BaseException) -> str:
    """A readable one-line reason for the job's ``error`` field (and log lines)."""
    text = str(exc).strip()
    if isinstance(exc, ConnectorError) and text:
        return text
    name = type(exc).__name__
    if isinstance(exc, ApiError):
        status = exc.meta.status if exc.meta is not None else None
        return f"{name} (HTTP {status}): {api_error_text(exc)}"
    return f"{name}: {text}" if text else name
