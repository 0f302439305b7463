"""The web UI for connectors (Kibana-like pages), talking only to Elasticsearch.

``run_ui(config, host, port)`` serves it until interrupted (used by ``connectors ui``);
``create_app(config)`` builds the aiohttp application (used by tests and the demo).
"""

from __future__ import annotations

import logging

from aiohttp import web

from connectors.ui.app import create_app

logger = logging.getLogger("connectors.ui")


def run_ui(config: dict, host: str = "127.0.0.1", port: int = 8090) -> None:
    """Serve the UI on host:port; blocks until interrupted."""
    app = create_app(config)
    logger.info("connectors UI on http://%s:%s", host, port)
    web.run_app(app, host=host, port=port, print=None, access_log=None, handle_signals=True)


__all__ = ["create_app", "run_ui"]
