"""Concrete data sources.

Each source is registered by ``service_type`` in the service configuration's ``sources`` map
(``connectors.config``; loaded by ``connectors.registry.SourceRegistry``), e.g.
``confluence: connectors.sources.confluence:ConfluenceDataSource``.
"""
