"""Helpers shared by the route handlers.

Connector and job documents are read and written only through the protocol stores
(:func:`~connectors.ui.context.connectors_of`, :func:`~connectors.ui.context.jobs_of`: the
signed-in user's client); the views shape what the stores return into what the templates show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from elasticsearch import AsyncElasticsearch

from connectors.protocol import ConnectorDoc, SyncJobDoc
from connectors.ui.context import SESSION, connectors_of, jobs_of
from connectors.ui.render import render

MAX_PAGE = 500


def es(request: web.Request) -> AsyncElasticsearch:
    """The signed-in user's client (for content indices; connector documents go through the stores)."""
    return request[SESSION].client


def connector_id(request: web.Request) -> str:
    return request.match_info["connector_id"]


async def load_connector(request: web.Request) -> ConnectorDoc:
    """The connector named in the URL, or a 404 page."""
    doc = await connectors_of(request).read(connector_id(request))
    if doc is None:
        raise web.HTTPNotFound()
    return doc


async def load_job(request: web.Request) -> SyncJobDoc:
    """The job named in the URL if it belongs to the connector named there, or a 404 page."""
    job = await jobs_of(request).read(request.match_info["job_id"])
    if job is None or job.connector_id != connector_id(request):
        raise web.HTTPNotFound()
    return job


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


def last_value(form, name: str, default: str = "") -> str:
    values = form.getall(name, [])
    value = values[-1] if values else default
    return value if isinstance(value, str) else default
