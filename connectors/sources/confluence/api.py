"""Typed streams over Confluence's REST endpoints, the same for Cloud and Data Center.

* spaces: Cloud v2 ``/api/v2/spaces`` (250 a page, cheaper than v1); DC ``/rest/api/space``;
* content (pages, blog posts, comments, attachments, folders): v1 CQL search
  ``/rest/api/content/search`` with everything the documents need expanded in the listing (body,
  version, history, space, ancestors with titles, container, labels), so no request per
  document. Cloud pages search by cursor (follow ``next``); DC by ``start``. v2 bulk listings
  cannot return ancestors or labels, which would cost one request per page;
* children of one container (advanced rules): ``/rest/api/content/{id}/child/{type}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from connectors.sources.confluence.client import ConfluenceClient, ConfluenceError
from connectors.sources.confluence.paging import results_of, v1_items, v2_items

#: Data Center caps ``limit`` at 50 with a body expansion, 200 with other expansions and 1000
#: with none (Cloud caps silently too; both are paged to the end whatever they cap it at).
LIMIT_WITH_BODY = 50
LIMIT_WITHOUT_BODY = 200
LIMIT_BARE = 1000
V2_LIMIT = 250
#: ``cqlcontext`` of a search of the trash only (§6: it widens the statuses searched).
TRASHED_ONLY = '{"contentStatuses":["trashed"]}'

_BASE = "version,space,history"


def expand_for(kind: str, *, labels: bool) -> str:
    """The ``expand`` a search for ``kind`` needs (``any`` for mixed CQL results)."""
    parts = {
        "page": f"body.storage,{_BASE},ancestors",
        "blogpost": f"body.storage,{_BASE}",
        "comment": f"body.storage,{_BASE},container,ancestors",
        "attachment": f"{_BASE},container",
        "folder": f"{_BASE},ancestors",
        "any": f"body.storage,{_BASE},ancestors,container",
    }[kind]
    if labels and kind in ("page", "blogpost", "attachment", "any"):
        parts += ",metadata.labels"
    return parts


def limit_for(expand: str) -> int:
    if not expand:
        return LIMIT_BARE
    return LIMIT_WITH_BODY if "body." in expand else LIMIT_WITHOUT_BODY


def cql_quote(value: str) -> str:
    """A CQL string literal (double quotes, backslash escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ConfluenceApi:
    def __init__(self, client: ConfluenceClient, *, cloud: bool):
        self.client = client
        self.cloud = cloud

    async def probe(self) -> Any:
        """One cheap authenticated call (``/rest/api/space?limit=1``), both flavours."""
        return await self.client.get_json("/rest/api/space", {"limit": 1})

    async def current_user(self) -> dict:
        """The calling account (``/rest/api/user/current``): ``accountId`` (Cloud) or ``userKey``
        (Data Center), and on Cloud its ``timeZone``, the zone CQL date literals are read in."""
        user = await self.client.get_json("/rest/api/user/current")
        return user if isinstance(user, dict) else {}

    async def spaces(self, keys: tuple[str, ...] = ()) -> AsyncIterator[dict]:
        """Current spaces (all visible ones when ``keys`` is empty), in the API's order."""
        if self.cloud:
            chunks = [keys[i : i + 100] for i in range(0, len(keys), 100)] if keys else [()]
            for chunk in chunks:
                params: dict[str, Any] = {
                    "limit": V2_LIMIT,
                    "status": "current",
                    "description-format": "plain",
                }
                if chunk:
                    params["keys"] = ",".join(chunk)
                async for space in v2_items(self.client, "/api/v2/spaces", params, what="spaces"):
                    yield space
            return
        params = {"status": "current", "expand": "description.plain"}
        if keys:
            params["spaceKey"] = list(keys)
        async for space in v1_items(
            self.client, "/rest/api/space", params, limit=100, follow_next=False, what="spaces"
        ):
            yield space

    async def search(
        self,
        cql: str,
        *,
        expand: str,
        max_items: int | None = None,
        what: str = "content",
        cqlcontext: str | None = None,
        include_archived: bool = False,
    ) -> AsyncIterator[dict]:
        """Every result of ``cql`` (``expand`` empty: ids and types only, at the largest page
        size); ``cqlcontext`` e.g. :data:`TRASHED_ONLY`; ``include_archived``: archived spaces'
        content too (``includeArchivedSpaces``)."""
        params = {"cql": cql}
        if include_archived:
            params["includeArchivedSpaces"] = "true"
        if expand:
            params["expand"] = expand
        if cqlcontext:
            params["cqlcontext"] = cqlcontext
        async for item in v1_items(
            self.client,
            "/rest/api/content/search",
            params,
            limit=limit_for(expand),
            follow_next=self.cloud,
            what=what,
            max_items=max_items,
        ):
            yield item

    async def search_page(self, cql: str, *, expand: str) -> tuple[list[dict], bool]:
        """The first page of ``cql`` at the largest page size for ``expand``, and whether more
        may follow (a ``next`` link, or a page as long as the limit the server applied)."""
        limit = limit_for(expand)
        params: dict[str, Any] = {"cql": cql, "limit": limit}
        if expand:
            params["expand"] = expand
        if not self.cloud:
            params["start"] = 0
        payload = await self.client.get_json("/rest/api/content/search", params)
        results = results_of(payload, "search results")
        applied = payload.get("limit")
        applied = applied if isinstance(applied, int) and 0 < applied <= limit else limit
        more = bool((payload.get("_links") or {}).get("next")) or len(results) >= applied
        return results, more

    async def trashed_attachments(self) -> AsyncIterator[dict]:
        """Cloud: every attachment in the trash, site-wide (v2 ``/attachments?status=trashed``,
        250 a page; ids carry an ``att`` prefix)."""
        if not self.cloud:
            raise ConfluenceError("the v2 attachment list exists on Confluence Cloud only")
        params = {"status": "trashed", "limit": V2_LIMIT}
        async for item in v2_items(self.client, "/api/v2/attachments", params, what="trashed attachments"):
            yield item

    async def children(self, content_id: str, child_type: str, *, expand: str) -> AsyncIterator[dict]:
        """Attachments or comments (``child_type``) of one page or blog post."""
        params: dict[str, Any] = {"expand": expand}
        if child_type == "comment":
            params["depth"] = "all"
        async for item in v1_items(
            self.client,
            f"/rest/api/content/{content_id}/child/{child_type}",
            params,
            limit=limit_for(expand),
            follow_next=self.cloud,
            what=f"{child_type}s of {content_id}",
        ):
            yield item

    async def storage_body(self, content_id: str) -> str | None:
        """The storage-format body of one item (``/rest/api/content/{id}?expand=body.storage``)."""
        item = await self.client.get_json(f"/rest/api/content/{content_id}", {"expand": "body.storage"})
        return (((item or {}).get("body") or {}).get("storage") or {}).get("value")

    async def check_cql(self, cql: str) -> None:
        """Run ``cql`` with ``limit=1``; raises ``ConfluenceBadRequest`` with Confluence's message."""
        await self.client.get_json("/rest/api/content/search", {"cql": cql, "limit": 1})
