"""Readable messages for errors from Elasticsearch (never raw JSON or a stack trace)."""

from __future__ import annotations

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, TransportError


def _reason(body) -> str | None:
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


def describe(exc: Exception) -> str:
    """One sentence saying what Elasticsearch refused or why it could not be reached."""
    if isinstance(exc, ConnectionTimeout):
        return "Elasticsearch did not answer in time. Try again in a moment."
    if isinstance(exc, ConnectionError):
        return "Elasticsearch cannot be reached. Check that it is running and that the UI points at it."
    if isinstance(exc, ApiError):
        status = exc.meta.status if exc.meta is not None else None
        reason = _reason(exc.body) or (exc.message if isinstance(exc.message, str) else None)
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
        return "Elasticsearch cannot be reached. Check that it is running and that the UI points at it."
    return "Unexpected error while talking to Elasticsearch."
