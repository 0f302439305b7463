"""Exception types of the connector framework.

Every error a user can cause or fix carries a message that names what is wrong and where;
the CLI and the services print ``str(error)`` (never a traceback) for these types.

* :class:`ConfigurationError` — bad ``config.yml`` or bad connector configuration; it holds a
  list of messages, one per problem, so that every problem is reported at once.
* :class:`SourceUnreachable` — a source's ``ping`` failed (host down, bad credentials, ...).
* :class:`SyncError` — a sync job failed (listing failed, error budget exhausted, ...).
* :class:`InvalidFilteringError` — sync rules are invalid; a job must not run with them.
* :class:`ElasticsearchUnavailable` — Elasticsearch did not answer in time.
* :class:`SyncCanceled` — a job was canceled while running.

:func:`error_message` turns any exception into the one-line reason written to a job's or
connector's ``error`` field.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConnectorError(Exception):
    """Base of every error the framework raises on purpose (safe to show to a user)."""


class ConfigurationError(ConnectorError):
    """One or more configuration problems; ``messages`` lists each one.

    ``str(error)`` is the messages joined by newlines (one problem a line), so a CLI can print it
    as is. Construct with a single message or an iterable of messages.
    """

    def __init__(self, messages: str | Iterable[str], *, title: str | None = None):
        if isinstance(messages, str):
            messages = [messages]
        self.messages: list[str] = [str(m) for m in messages]
        self.title = title
        super().__init__(self._render())

    def _render(self) -> str:
        body = "\n".join(self.messages)
        return f"{self.title}\n{body}" if self.title else body


class ConfigurableFieldDependencyError(ConfigurationError):
    """A field's ``depends_on`` refers to a field that does not exist."""


class SourceUnreachable(ConnectorError):
    """The third-party system cannot be reached or refuses the credentials."""


class SyncError(ConnectorError):
    """A sync job failed; the message says why (shown as the job's ``error``)."""


class ErrorBudgetExceeded(SyncError):
    """Elasticsearch rejected more documents than the job's error budget allows."""


class FullSyncRequired(SyncError):
    """Raised by ``get_docs_incrementally`` before it yields anything when the cursor cannot be
    used (none, another format, another scope or configuration): the runner then runs the job as
    a full sync and records the reason (``str()``) on the job and in the log."""


class SyncCanceled(ConnectorError):
    """The sync was canceled (by a user or by the service shutting down)."""


class InvalidFilteringError(ConnectorError):
    """The sync rules (basic or advanced) are invalid; ``errors`` holds ``{ids, messages}`` items."""

    def __init__(self, message: str, errors: list[dict] | None = None):
        self.errors = errors or []
        super().__init__(message)


class ElasticsearchUnavailable(ConnectorError):
    """Elasticsearch did not become reachable before the deadline."""


class DocumentTooLarge(ConnectorError):
    """A single document is bigger than the sink's memory bound for its queue."""
