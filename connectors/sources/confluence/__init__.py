"""Confluence Cloud, Server and Data Center source (see docs/confluence.md).

Modules: ``config`` (the form and typed settings), ``auth``, ``client`` (HTTP), ``paging``,
``api`` (streams per endpoint family), ``scope`` (filters as CQL), ``storage_text``,
``documents`` (the one document schema), ``rules`` (advanced CQL rules) and ``datasource``
(:class:`ConfluenceDataSource`, composing them; attachment text through the framework's
:mod:`connectors.extraction`).
"""

from connectors.sources.confluence.datasource import ConfluenceDataSource

__all__ = ["ConfluenceDataSource"]
