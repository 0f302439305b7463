"""Concrete data sources. ``SOURCES`` maps a connector's ``service_type`` to its class path."""

SOURCES: dict[str, str] = {
    "confluence": "connectors.sources.confluence.datasource:ConfluenceDataSource",
}


def load_source_class(service_type: str):
    """Import and return the data-source class registered for ``service_type``.

    Raises ``KeyError`` naming the known service types when ``service_type`` is unknown.
    """
    from importlib import import_module

    try:
        path = SOURCES[service_type]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise KeyError(f"unknown service_type {service_type!r}; known: {known}") from None
    module_name, _, class_name = path.partition(":")
    return getattr(import_module(module_name), class_name)
