"""The UI's settings, read from the loaded ``config.yml`` dict (see connectors.config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_ES_HOST = "http://localhost:9200"


@dataclass(frozen=True)
class UiSettings:
    es_host: str = DEFAULT_ES_HOST
    verify_certs: bool = True
    ca_certs: str | None = None
    request_timeout: float = 30.0
    # service type → "module:Class" of each configured source (the create form's choices)
    sources: dict[str, str] = field(default_factory=dict)
    session_idle_seconds: int = 8 * 3600
    max_sessions: int = 500
    page_size: int = 20
    # failed sign-ins allowed per username / per client address within the window (0: no limit)
    sign_in_max_failures: int = 5
    sign_in_max_failures_per_address: int = 20
    sign_in_window_seconds: int = 300

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> UiSettings:
        config = config or {}
        es = config.get("elasticsearch") or {}
        ui = config.get("ui") or {}
        host = es.get("host") or DEFAULT_ES_HOST
        if isinstance(host, list):
            host = host[0] if host else DEFAULT_ES_HOST
        sources = config.get("sources") or {}
        if not isinstance(sources, dict):
            sources = {}
        default = cls()
        return cls(
            es_host=str(host).rstrip("/"),
            verify_certs=bool(es.get("verify_certs", True)),
            ca_certs=es.get("ca_certs") or None,
            # a page waits at most this long for Elasticsearch (the service's longer bulk timeout
            # in elasticsearch.request_timeout is not meant for interactive requests)
            request_timeout=float(ui.get("request_timeout") or default.request_timeout),
            sources={str(k): str(v) for k, v in sources.items()},
            **{
                key: int(ui.get(key, getattr(default, key)))
                for key in (
                    "session_idle_seconds",
                    "max_sessions",
                    "page_size",
                    "sign_in_max_failures",
                    "sign_in_max_failures_per_address",
                    "sign_in_window_seconds",
                )
            },
        )

    def service_types(self) -> list[str]:
        return sorted(self.sources) or ["confluence"]
