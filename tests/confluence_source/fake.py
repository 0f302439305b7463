"""A scripted Confluence for unit tests: a tiny aiohttp server on loopback (port 0).

(aioresponses 0.7.9 cannot build responses for aiohttp 3.14 — ``ClientResponse`` now requires
``stream_writer`` — so the client is exercised against a real local socket instead.)

Routes are registered by path; each handler gets a :class:`Call` (path, query, headers) and
returns a payload (dict → 200 JSON), a :class:`Reply` (status, headers, body), or :data:`RESET`
(the connection is dropped). Handlers may be async. Every request is recorded in ``calls``.
Helpers build v1 (start/limit or cursor) and v2 (cursor) list pages with the documented
envelopes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

RESET = object()


@dataclass
class Reply:
    status: int = 200
    payload: Any = None
    headers: dict | None = None
    body: bytes | str | None = None

    def to_response(self) -> web.Response:
        if self.payload is not None:
            return web.json_response(self.payload, status=self.status, headers=self.headers)
        return web.Response(status=self.status, body=self.body or b"", headers=self.headers)


CallbackResult = Reply  # the name the tests were first written with


@dataclass
class Call:
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    url: str

    def param(self, name: str, default=None):
        return self.query.get(name, default)


@dataclass
class FakeConfluence:
    context: str = "/wiki"
    routes: dict[str, Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    origin: str = ""
    ssl_context: Any = None  # an ssl.SSLContext to serve https

    async def __aenter__(self) -> FakeConfluence:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.origin = f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc) -> None:
        await self._runner.cleanup()

    @property
    def base(self) -> str:
        return self.origin + self.context

    def route(self, path: str, handler) -> None:
        """``path`` relative to the REST base (e.g. ``/rest/api/space``)."""
        self.routes[self.context + path] = handler

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == self.context + path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        query: dict[str, Any] = {}
        for key, value in request.query.items():
            if key in query:
                query[key] = query[key] if isinstance(query[key], list) else [query[key]]
                query[key].append(value)
            else:
                query[key] = value
        call = Call(request.path, query, dict(request.headers), str(request.url))
        self.calls.append(call)
        handler = self.routes.get(request.path)
        if handler is None:
            return web.json_response({"statusCode": 404, "message": f"no route {request.path}"}, status=404)
        result = handler(call)
        if hasattr(result, "__await__"):
            result = await result
        if result is RESET:
            request.transport.close()
            return web.Response(status=500)
        if isinstance(result, Reply):
            return result.to_response()
        if isinstance(result, bytes):
            return web.Response(body=result)
        return web.json_response(result, dumps=json.dumps)

    # -- list builders -------------------------------------------------------------------
    def v1_page(self, items: list, call: Call, *, cursor: bool = False, max_limit: int = 1000) -> dict:
        """A v1 list page: ``start``/``limit`` (DC) or an opaque ``cursor`` (Cloud search)."""
        limit = min(int(call.param("limit", 25)), max_limit)
        if cursor:
            start = int(call.param("cursor", "0").replace("c", "") or 0)
        else:
            start = int(call.param("start", 0))
        chunk = items[start : start + limit]
        links = {"base": self.base, "context": self.context}
        if start + limit < len(items):
            rest = {k: v for k, v in call.query.items() if k not in ("start", "cursor", "limit")}
            nxt = {**rest, "limit": limit}
            nxt["cursor" if cursor else "start"] = f"c{start + limit}" if cursor else start + limit
            links["next"] = call.path[len(self.context) :] + "?" + urlencode(nxt, doseq=True)
        return {"results": chunk, "start": start, "limit": limit, "size": len(chunk), "_links": links}

    def v2_page(self, items: list, call: Call) -> dict:
        limit = int(call.param("limit", 25))
        start = int(call.param("cursor", "0"))
        chunk = items[start : start + limit]
        links = {"base": self.base}
        if start + limit < len(items):
            rest = {k: v for k, v in call.query.items() if k not in ("cursor", "limit")}
            links["next"] = call.path + "?" + urlencode({**rest, "cursor": start + limit, "limit": limit})
        return {"results": chunk, "_links": links}


def error(status: int, message: str = "", headers: dict | None = None) -> Reply:
    payload = {"statusCode": status, "data": {"authorized": False}, "message": message, "reason": "x"}
    return Reply(status=status, payload=payload, headers=headers or {})
