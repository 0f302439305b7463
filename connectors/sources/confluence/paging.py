"""Paginators for Confluence's two list families, as async generators of items.

At most two pages of results are held at a time (v1 lists ask for the next page while the
current one is consumed), so memory stays flat whatever the list size.

* v2 (Cloud ``/api/v2``): cursor paging; ``_links.next`` (or the ``Link`` header) is a path
  relative to the host that already starts with ``/wiki/api/v2``.
* v1 (Cloud ``/rest/api``, Data Center): ``start``/``limit`` with ``_links.next`` relative to the
  REST base. Cloud search pages by cursor only (follow ``next``); Data Center is paged by
  ``start`` recomputed from what was actually received (DC caps ``limit`` silently and some
  versions return wrong ``next`` links), stopping on an empty page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from connectors.sources.confluence.client import ConfluenceClient, ConfluenceError

#: Safety net against a server that keeps returning the same ``next`` link forever.
MAX_PAGES = 1_000_000


def results_of(payload: Any, what: str) -> list:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ConfluenceError(f"unexpected response while listing {what}: no 'results' list")
    return payload["results"]


async def v2_items(
    client: ConfluenceClient, path: str, params: dict[str, Any] | None = None, *, what: str = "items"
) -> AsyncIterator[dict]:
    """Every item of a v2 cursor-paged list (``path`` relative to the REST base, e.g. ``/api/v2/spaces``)."""
    url: str | None = path
    query: dict[str, Any] | None = dict(params or {})
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        payload, header_next = await client.get_json_and_next(url, query)
        results = results_of(payload, what)
        for item in results:
            yield item
        next_link = (payload.get("_links") or {}).get("next") or header_next
        if not results or not next_link or next_link in seen:
            return
        seen.add(next_link)
        url = next_link if next_link.startswith("http") else client.origin_url(next_link)
        query = None  # the cursor link carries every parameter


async def v1_items(
    client: ConfluenceClient,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    limit: int = 50,
    follow_next: bool,
    what: str = "items",
    max_items: int | None = None,
) -> AsyncIterator[dict]:
    """Every item of a v1 list.

    ``follow_next=True`` (Cloud) follows ``_links.next`` (cursor search, offset lists alike);
    ``follow_next=False`` (Data Center) sends ``start`` = items received so far.
    ``max_items`` stops early (and asks for no more than needed).
    """
    base_params = dict(params or {})
    start = 0
    query: dict[str, Any] | None = {**base_params, "limit": _page_limit(limit, max_items, 0), "start": 0}
    if follow_next:
        query.pop("start")
    received = 0
    previous_next = None
    ahead: asyncio.Task | None = asyncio.ensure_future(client.get_json(path, query))
    try:
        for _ in range(MAX_PAGES):
            if ahead is None:  # no next page was asked for: the list is complete
                return
            payload, ahead = await ahead, None
            results = results_of(payload, what)
            next_link = (payload.get("_links") or {}).get("next")
            more = bool(results) and bool(next_link)
            if more and follow_next and next_link == previous_next:
                more = False
            if more and max_items is not None and received + len(results) >= max_items:
                more = False
            if more:  # ask for the next page now: its round trip overlaps with this page's use
                if follow_next:
                    previous_next = next_link
                    ahead = asyncio.ensure_future(client.get_json(client.link_url(next_link), None))
                else:
                    start += len(results)
                    limit_now = _page_limit(limit, max_items, received + len(results))
                    ahead = asyncio.ensure_future(
                        client.get_json(path, {**base_params, "limit": limit_now, "start": start})
                    )
            for item in results:
                yield item
                received += 1
                if max_items is not None and received >= max_items:
                    return
    finally:
        if ahead is not None:  # the consumer stopped early or failed: drop the page asked for
            ahead.cancel()
            ahead.add_done_callback(_retrieve)


def _retrieve(task: asyncio.Task) -> None:
    """Mark a dropped request's outcome as seen (no "exception was never retrieved" warning)."""
    if not task.cancelled():
        task.exception()


def _page_limit(limit: int, max_items: int | None, received: int) -> int:
    if max_items is None:
        return limit
    return max(1, min(limit, max_items - received))
