"""Identity documents of the access-control sync: one per active Confluence user.

Shape (Elastic's framework, :func:`connectors.access_control.identity_document`)::

    {"_id": "<accountId | userKey>",
     "identity": {"account_id": "account_id:<id>", "username": "user:<name>" (Data Center),
                  "email_address": "email_address:<e-mail>" (when shown), "display_name": "<name>"},
     "created_at": "<ISO UTC>",
     "query": {"template": {"source": DLS_QUERY, "params": {"access_control": [...]}}}}

Rules:

1. ``access_control`` holds the user's stable principal, every group they belong to (Data
   Center nested groups flattened, as Confluence's member listings return them),
   ``public:anonymous``, and — identities only, :mod:`.principals` rule 3 — ``user:<username>``
   (Data Center) and ``email_address:<e-mail>`` where Confluence shows it.
2. Only the users :class:`~.directory.Directory` lists get a document: deactivated, unlicensed
   and app accounts have none, and the sync's stale deletion removes the document of a user
   deactivated since the last sync; without an identity a search matches nothing
   (:func:`connectors.access_control.user_filter`).
3. Fail closed: any listing failure (after the client's retries) raises ``SyncError`` naming
   what could not be read, before a single document is yielded — the runner then ends the
   sync ``error`` and deletes nothing, so the previous identities stay as they were.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from connectors.access_control import identity_document
from connectors.errors import SyncError
from connectors.sources.confluence import principals as P
from connectors.sources.confluence.client import ConfluenceError
from connectors.sources.confluence.directory import Directory, DirectoryUser


def identity_of(user: DirectoryUser, *, cloud: bool, created_at: str | None = None) -> dict:
    """The identity document of one listed user (rule 1)."""
    own = P.user_principal(user.id)
    username = None if cloud else P.username_principal(user.username)
    email = P.email_principal(user.email)
    access = [own, username, email, P.PUBLIC]
    access += [P.group_principal(g, cloud=cloud) for g in sorted(user.groups)]
    identity = {
        "account_id": own,
        "username": username,
        "email_address": email,
        "display_name": user.display_name,
    }
    return identity_document(user.id, identity, access, created_at=created_at)


async def identity_documents(
    directory: Directory, *, explain: Callable[[ConfluenceError], str] = str
) -> AsyncIterator[dict]:
    """Every active user's identity document, after the whole directory was read (rule 3)."""
    try:
        users = await directory.read()
    except ConfluenceError as exc:
        raise SyncError(
            f"Could not read Confluence's users and groups for the access-control sync: {explain(exc)}. "
            "No identity was changed."
        ) from None
    for uid in sorted(users):
        yield identity_of(users[uid], cloud=directory.cloud)
