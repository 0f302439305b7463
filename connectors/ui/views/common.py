"""Helpers shared by the route handlers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from elasticsearch import AsyncElasticsearch, NotFoundError

from connectors.ui.render import SESSION, render

MAX_PAGE = 500


def es(request: web.Request) -> AsyncElasticsearch:
    return request[SESSION].client


def connector_id(request: web.Request) -> str:
    return request.match_info["connector_id"]


async def load_connector(request: web.Request) -> dict:
    """The connector named in the URL, or a 404 page."""
    try:
        response = await es(request).connector.get(connector_id=connector_id(request))
    except NotFoundError:
        raise web.HTTPNotFound() from None
    connector = dict(response.body)
    connector.setdefault("id", connector_id(request))
    return connector


def not_found(request: web.Request, message: str) -> web.Response:
    return render(request, "error.html", status=404, title="Not found", message=message)


def page_number(request: web.Request, name: str = "page") -> int:
    try:
        value = int(request.query.get(name, "1"))
    except ValueError:
        return 1
    return min(max(value, 1), MAX_PAGE)


@dataclass
class Pager:
    """Page links for a list paged through Elasticsearch with from/size."""

    total: int
    page: int
    size: int
    param: str
    base_query: dict

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, math.ceil(self.total / self.size)))

    @property
    def first_item(self) -> int:
        return 0 if self.total == 0 else self.offset + 1

    @property
    def last_item(self) -> int:
        return min(self.total, self.offset + self.size)

    def url(self, page: int) -> str:
        query = {k: v for k, v in self.base_query.items() if v not in ("", None) and k != self.param}
        query[self.param] = page
        return "?" + urlencode(query)

    @property
    def prev_url(self) -> str | None:
        return self.url(self.page - 1) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.page + 1) if self.page < self.pages else None


def total_of(body: dict) -> int:
    count = body.get("count")
    if isinstance(count, int):
        return count
    total = (body.get("hits") or {}).get("total")
    if isinstance(total, dict):
        return int(total.get("value") or 0)
    return int(total or 0)


def last_value(form, name: str, default: str = "") -> str:
    values = form.getall(name, [])
    value = values[-1] if values else default
    return value if isinstance(value, str) else default


def feature_enabled(connector: dict, *path: str) -> bool:
    node = connector.get("features") or {}
    for key in path:
        if not isinstance(node, dict):
            return False
        node = node.get(key)
    if isinstance(node, dict):
        return bool(node.get("enabled"))
    return bool(node)


def is_configured(connector: dict) -> bool:
    return connector.get("status") not in ("created", "needs_configuration", None)


def dls_enabled(connector: dict) -> bool:
    configuration = connector.get("configuration") or {}
    spec = configuration.get("use_document_level_security") or {}
    return feature_enabled(connector, "document_level_security") and spec.get("value") is True
