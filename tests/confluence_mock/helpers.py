"""Small HTTP helpers shared by the mock Confluence tests."""

from __future__ import annotations

import aiohttp

from fixtures.confluence import ConfluenceMock


class Api:
    """A caller of the mock: ``await api.get(path, **params)`` -> ``(status, json, headers)``."""

    def __init__(self, session: aiohttp.ClientSession, mock: ConfluenceMock, headers: dict | None = None):
        self.session = session
        self.mock = mock
        self.headers = headers or {}

    async def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        url = path if path.startswith("http") else self.mock.url + path
        async with self.session.get(url, params=params, headers={**self.headers, **(headers or {})}) as resp:
            body = await resp.json(content_type=None) if resp.content_length != 0 else None
            return resp.status, body, resp.headers

    async def ok(self, path: str, params: dict | None = None):
        status, body, _ = await self.get(path, params)
        assert status == 200, (path, status, body)
        return body

    async def walk_v2(self, path: str, params: dict | None = None, max_pages: int = 1000) -> list[dict]:
        """Follow ``_links.next`` (checking it agrees with the Link header) to the end."""
        results: list[dict] = []
        status, body, headers = await self.get(path, params)
        for _ in range(max_pages):
            assert status == 200, (path, status, body)
            results += body["results"]
            nxt = body["_links"].get("next")
            link = headers.get("Link", "")
            if nxt is None:
                assert 'rel="next"' not in link
                return results
            assert f'<{nxt}>; rel="next"' in link
            assert nxt.startswith("/wiki/api/v2/")
            status, body, headers = await self.get(nxt)
        raise AssertionError("too many pages")

    async def walk_v1(self, path: str, params: dict | None = None, max_pages: int = 1000) -> list[dict]:
        """Follow v1 ``_links.next`` (relative to ``_links.base``) to the end."""
        results: list[dict] = []
        status, body, _ = await self.get(path, params)
        for _ in range(max_pages):
            assert status == 200, (path, status, body)
            results += body["results"]
            assert body["size"] == len(body["results"])
            nxt = body["_links"].get("next")
            if nxt is None:
                return results
            assert nxt.startswith("/rest/api/")
            status, body, _ = await self.get(body["_links"]["base"] + nxt)
        raise AssertionError("too many pages")
