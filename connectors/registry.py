"""Source classes by service type, from the config's ``sources: {service_type: "module:Class"}``.

Imports are lazy (a source module is imported when a connector of its type is first seen) and
every failure is a :class:`~connectors.errors.ConfigurationError` naming the config key.
:meth:`SourceRegistry.build` is the one way the framework makes a configured source from a
connector's ``configuration`` (the runner for a job, the scheduling service for checks).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from connectors.configuration import DataSourceConfiguration
from connectors.errors import ConfigurationError
from connectors.source import BaseDataSource


def load_class(spec: str, where: str = "sources") -> type:
    """Import ``"package.module:Class"`` (``"package.module.Class"`` also accepted)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigurationError(f"{where}: expected 'module:Class', got {spec!r}")
    spec = spec.strip()
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
    else:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise ConfigurationError(f"{where}: expected 'module:Class', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"{where}: cannot import module {module_name!r} ({exc})") from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ConfigurationError(f"{where}: module {module_name!r} has no attribute {attr!r}") from exc


class SourceRegistry:
    def __init__(self, sources: Mapping[str, str] | None):
        self._specs = dict(sources or {})
        self._classes: dict[str, type[BaseDataSource]] = {}

    @property
    def service_types(self) -> list[str]:
        return sorted(self._specs)

    def __contains__(self, service_type: object) -> bool:
        return service_type in self._specs

    def get(self, service_type: str | None) -> type[BaseDataSource]:
        """The source class for ``service_type``; ConfigurationError if unknown or unloadable."""
        if service_type in self._classes:
            return self._classes[service_type]
        if service_type not in self._specs:
            known = ", ".join(self.service_types) or "none"
            raise ConfigurationError(
                f"no source configured for service type {service_type!r} (sources in config: {known})"
            )
        where = f"sources.{service_type}"
        cls = load_class(self._specs[service_type], where)
        if not (isinstance(cls, type) and issubclass(cls, BaseDataSource)):
            raise ConfigurationError(
                f"{where}: {self._specs[service_type]!r} is not a BaseDataSource subclass"
            )
        self._classes[service_type] = cls
        return cls

    def build(self, service_type: str | None, configuration: Mapping | None) -> BaseDataSource:
        """A configured source for a connector: its class by ``service_type``, built on the
        connector's ``configuration`` map; the source's defaults are merged once, by
        :class:`~connectors.source.BaseDataSource` (keys the connector lacks read as their default,
        and every stored field is read and checked with the spec the source declares today)."""
        return self.get(service_type)(DataSourceConfiguration(configuration))

    def check_all(self) -> list[str]:
        """Try to load every configured source; one message per failure."""
        problems = []
        for service_type in self.service_types:
            try:
                self.get(service_type)
            except ConfigurationError as exc:
                problems.extend(exc.messages)
        return problems


def config_problems(config: Mapping) -> list[str]:
    """Problems the schema cannot see: unloadable sources, connectors of an unknown service type."""
    registry = SourceRegistry(config.get("sources") or {})
    problems = registry.check_all()
    for index, item in enumerate(config.get("connectors") or []):
        service_type = item.get("service_type")
        if service_type and service_type not in registry:
            known = ", ".join(registry.service_types) or "none"
            problems.append(
                f"connectors[{index}].service_type: {service_type!r} is not one of the configured sources ({known})"
            )
    return problems
