"""The data-source contract every connector source implements.

This module is the boundary between the framework (runner, sink, services) and a concrete
source such as Confluence. Data flows one way: the source yields documents, the runner passes
them through filtering to the sink. A source never writes to Elasticsearch; it may *read* what
its content index holds through the :class:`~connectors.index_view.IndexView` the runner gives it
(an incremental sync compares a changed item with its indexed copy).

Shapes (same as Elastic's connectors framework):

* a *document* is a dict with at least ``_id`` (str) and ``_timestamp`` (ISO-8601 UTC string of
  the item's last modification), optionally ``_allow_access_control`` (list of identities);
* a *lazy download* is ``None`` or an async callable ``download(doit: bool, timestamp=None)``
  returning a dict of extra fields (``{"_id", "_timestamp", "body": <text>, ...}``) or ``None``;
  the sink calls it only for new or changed documents, with bounded concurrency;
* an *operation* (incremental sync) is one of ``OP_INDEX``, ``OP_UPSERT``, ``OP_DELETE``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from connectors.configuration import DataSourceConfiguration
from connectors.index_view import IndexView

OP_INDEX = "index"
OP_UPSERT = "update"
OP_DELETE = "delete"

Document = dict[str, Any]
LazyDownload = Callable[..., Awaitable[dict[str, Any] | None]] | None


class BaseDataSource:
    """Base class of every source. Subclasses set ``name`` and ``service_type``.

    ``configuration`` is a :class:`connectors.configuration.DataSourceConfiguration`
    built from the connector document's ``configuration`` map (a plain map is accepted and
    wrapped). The source's :meth:`get_default_configuration` is registered as defaults here, and
    only here (the framework builds sources with ``SourceRegistry.build``): keys the connector
    lacks read as their default and stored fields are read and checked with the declared specs.
    """

    name: str = "base"
    service_type: str = "base"
    # Feature flags advertised on the connector document (``features``).
    incremental_sync_enabled = False
    dls_enabled = False
    advanced_rules_enabled = False
    #: Document fields that can change while ``_timestamp`` does not (Confluence: a moved page's
    #: descendants get new ``ancestors`` and no new version). The sink's skip-unchanged rule
    #: compares ``_timestamp`` *and* these fields with the indexed copy, so such a change is
    #: written by the next sync that lists the document (full or incremental) — as a partial
    #: update without the lazy download, so they must come with the listed document, never
    #: from the lazy download (rules in ``connectors.es.unchanged``).
    unversioned_fields: tuple[str, ...] = ()

    def __init__(self, configuration):
        if not isinstance(configuration, DataSourceConfiguration):
            configuration = DataSourceConfiguration(
                configuration if isinstance(configuration, Mapping) else {}
            )
        try:
            defaults = self.get_default_configuration()
        except NotImplementedError:
            defaults = None
        if defaults:
            configuration.set_defaults(defaults)
        self.configuration = configuration
        self._sync_cursor: dict | None = None
        self._logger = None
        self.index_view: IndexView | None = None

    def set_index_view(self, view: IndexView | None) -> None:
        """Give the source a read-only view of its content index (:mod:`connectors.index_view`),
        set by the runner before a content sync; ``None`` when run without an index."""
        self.index_view = view

    def set_logger(self, logger) -> None:
        """Give the source the job's context logger (connector and job ids on every line)."""
        self._logger = logger

    def mappings_extra(self) -> dict[str, Any] | None:
        """Extra content-index ``properties`` merged into the default mappings (or ``None``).

        See ``connectors.es.mappings``: text fields already get ``text`` + ``keyword``, ``*_id``
        and ``*_key`` keywords, ``*_at`` dates; declare only what differs.
        """
        return None

    # -- configuration -------------------------------------------------------------------
    @classmethod
    def get_default_configuration(cls) -> dict[str, dict[str, Any]]:
        """Return the configuration schema: key -> field spec (label, display, type, ...)."""
        raise NotImplementedError

    async def validate_config(self) -> None:
        """Raise ``ConfigurationError`` naming every problem (by field label) at once.

        The framework has already checked required fields, types and ``validations``
        (see ``connectors.configuration``); sources add their own remote checks here.
        """
        self.configuration.check_valid()

    async def ping(self) -> None:
        """Raise ``SourceUnreachable`` (with a message a user can act on) if not reachable."""
        raise NotImplementedError

    # -- sync rules ----------------------------------------------------------------------
    def advanced_rules_validators(self) -> list:
        """Validators for the advanced snippet, run in order (see ``connectors.filtering``)."""
        return []

    # -- content -------------------------------------------------------------------------
    async def get_docs(self, filtering=None) -> AsyncIterator[tuple[Document, LazyDownload]]:
        """Yield every document of a full sync.

        Raise (never swallow) if any listing fails after its retries: the sink must not
        delete documents because a listing was cut short.
        """
        raise NotImplementedError
        yield  # pragma: no cover

    async def get_docs_incrementally(
        self, sync_cursor: dict | None, filtering=None
    ) -> AsyncIterator[tuple[Document, LazyDownload, str]]:
        """Yield ``(doc, lazy_download, operation)`` for what changed since ``sync_cursor``."""
        raise NotImplementedError
        yield  # pragma: no cover

    async def get_access_control(self) -> AsyncIterator[Document]:
        """Yield identity documents for the ``.search-acl-filter-<index>`` index."""
        raise NotImplementedError
        yield  # pragma: no cover

    def sync_cursor(self) -> dict | None:
        """The cursor to store on the connector after a successful sync."""
        return self._sync_cursor

    async def close(self) -> None:
        """Release sessions and pools. Safe to call more than once."""
