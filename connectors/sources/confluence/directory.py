"""Confluence's users and groups, listed for document-level security (client layer).

Endpoints (shared/reference/confluence-rest.md §2.2, §3; Confluence Data Center REST docs,
"Admin Users"):

==================  =========================================  ===========================================
listing             Cloud                                      Data Center
==================  =========================================  ===========================================
users               ``/rest/api/search/user?cql=type=user``    ``/rest/api/admin/users/list/active``
                    (search results wrapping ``user``)         (licensed, active users only)
groups              ``/rest/api/group``                        ``/rest/api/group``
members of a group  ``/rest/api/group/{id}/membersByGroupId``  ``/rest/api/group/{name}/member``
                                                               (nested groups flattened by Confluence)
==================  =========================================  ===========================================

Rules:

1. Every list is paged by ``start`` (items received so far) and ``limit`` :data:`PAGE`, until a
   page comes back empty or ``totalSize``/``totalCount`` items were received: some of these
   lists carry no ``next`` link, and Data Center caps ``limit`` silently, so neither is trusted.
2. A user is listed only when it is an active, human account: Cloud ``type`` ``known``,
   ``accountType`` ``atlassian`` (apps skipped) and ``accountStatus`` ``active`` when shown;
   Data Center's active-users list already leaves out deactivated, unlicensed (no "Can use")
   and externally deleted users.
3. Errors are the client's (429 and 5xx retried there); this module raises them as they come:
   a listing cut short must never yield a partial directory (the caller fails the sync).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from connectors.sources.confluence.client import ConfluenceClient, ConfluenceError
from connectors.sources.confluence.principals import group_key_of, user_id_of

PAGE = 200
#: safety net against a server that never returns an empty page
MAX_PAGES = 100_000


@dataclass(slots=True)
class DirectoryUser:
    id: str  # accountId (Cloud) / userKey (Data Center)
    username: str | None = None  # Data Center only
    email: str | None = None  # when Confluence shows it
    display_name: str | None = None
    groups: set[str] = field(default_factory=set)  # group keys: Cloud ids, Data Center names


async def offset_items(
    client: ConfluenceClient, path: str, params: dict[str, Any], *, what: str
) -> AsyncIterator[dict]:
    """Every item of an offset-paged v1 list (rule 1)."""
    received = 0
    for _ in range(MAX_PAGES):
        payload = await client.get_json(path, {**params, "start": received, "limit": PAGE})
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list):
            raise ConfluenceError(f"unexpected response while listing {what}: no 'results' list")
        for item in results:
            yield item
        received += len(results)
        total = payload.get("totalSize", payload.get("totalCount"))
        if not results or (isinstance(total, int) and received >= total):
            return
    raise ConfluenceError(f"listing {what} did not end after {MAX_PAGES} pages")


def active_user(user: Any, *, cloud: bool) -> DirectoryUser | None:
    """A listed user object as a :class:`DirectoryUser`, or ``None`` when it gets no identity (rule 2)."""
    if not isinstance(user, dict) or user.get("type") not in ("known", "user", None):
        return None
    if cloud:
        if user.get("accountType", "atlassian") != "atlassian":
            return None
        if user.get("accountStatus", "active") != "active":
            return None
    uid = user_id_of(user, cloud=cloud)
    if uid is None:
        return None
    return DirectoryUser(
        id=uid,
        username=None if cloud else (user.get("username") or None),
        email=(user.get("email") or None),
        display_name=user.get("displayName") or user.get("publicName"),
    )


class Directory:
    """Users, groups and memberships of one Confluence site, read through ``client``."""

    def __init__(self, client: ConfluenceClient, *, cloud: bool):
        self.client = client
        self.cloud = cloud

    async def users(self) -> AsyncIterator[DirectoryUser]:
        if self.cloud:
            stream = offset_items(self.client, "/rest/api/search/user", {"cql": "type=user"}, what="users")
            async for result in stream:
                user = active_user(
                    (result or {}).get("user") if isinstance(result, dict) else None, cloud=True
                )
                if user is not None:
                    yield user
            return
        async for item in offset_items(
            self.client, "/rest/api/admin/users/list/active", {}, what="active users"
        ):
            user = active_user(item, cloud=False)
            if user is not None:
                yield user

    async def groups(self) -> AsyncIterator[str]:
        """The key of every group (Cloud id, Data Center name)."""
        async for group in offset_items(self.client, "/rest/api/group", {}, what="groups"):
            key = group_key_of(group, cloud=self.cloud)
            if key:
                yield key

    async def members(self, group: str) -> AsyncIterator[str]:
        """The stable ids of a group's members (Data Center: nested groups flattened)."""
        safe = quote(group, safe="")
        path = f"/rest/api/group/{safe}/membersByGroupId" if self.cloud else f"/rest/api/group/{safe}/member"
        async for user in offset_items(self.client, path, {}, what=f"the members of group {group!r}"):
            uid = user_id_of(user, cloud=self.cloud)
            if uid:
                yield uid

    async def read(self) -> dict[str, DirectoryUser]:
        """Every active user with their groups: one user listing, one group listing and one
        member listing per group (cheaper than one ``memberof`` per user)."""
        users = {u.id: u async for u in self.users()}
        async for group in self.groups():
            async for uid in self.members(group):
                user = users.get(uid)
                if user is not None:  # members not in the active list get no identity
                    user.groups.add(group)
        return users
