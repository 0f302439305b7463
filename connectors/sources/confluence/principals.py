"""The principal strings of Confluence users, groups and anonymous access (document-level security).

Every ``_allow_access_control`` entry and every identity's ``access_control`` entry the Confluence
source writes comes from here. Prefixes follow Elastic's Atlassian connectors
(``connectors/sources/atlassian/utils.py`` in elastic/connectors) where that is safe:

==================  ==============================  ===================================  =========
principal           value                           written on                           Elastic
==================  ==============================  ===================================  =========
``account_id:``     Cloud ``accountId``; Data       content ACLs and identities          same
                    Center ``userKey``
``group_id:``       Cloud group ``id``              content ACLs and identities          same
``group:``          Data Center group ``name``      content ACLs and identities          same
``user:``           Data Center ``username``        identities only                      same
``email_address:``  e-mail, where Confluence shows  identities only                      same
                    it (Cloud hides some)
``public:``         ``anonymous``                   content ACLs of anonymous-readable   (none)
                                                    spaces; every active identity
``deny:``           ``nobody``                      a document nobody may read           (none)
==================  ==============================  ===================================  =========

Rules:

1. A user's principal on documents is their **stable** id: ``accountId`` (Cloud) or ``userKey``
   (Data Center), both under ``account_id:`` as Elastic's identity documents have them. Never a
   username, e-mail or display name on a document: usernames and e-mails can be changed and then
   given to someone else, display names are not unique — any of them would let a newcomer read
   what was restricted to someone else.
2. Cloud groups are named by ``id`` (names can change; ids cannot), Data Center groups by
   ``name`` (they have no id).
3. ``user:`` (username) and ``email_address:`` go into identities only, so that documents other
   tools wrote with Elastic's Data Center convention match; nothing this connector writes on
   content uses them.
4. ``public:anonymous`` stands for Confluence's anonymous access: a document carries it only
   when anonymous users may view it (the space grants anonymous view and the site allows
   anonymous access), and every *active* user's identity holds it, since what anonymous users
   may view, logged-in users may view too.
5. ``deny:nobody`` is the framework's :data:`~connectors.access_control.DENY_PRINCIPAL`: no
   identity ever holds it.
"""

from __future__ import annotations

from connectors.access_control import DENY_PRINCIPAL, prefixed

ACCOUNT_ID = "account_id"
GROUP_ID = "group_id"
GROUP_NAME = "group"
USERNAME = "user"
EMAIL = "email_address"
PUBLIC = "public:anonymous"
DENY = DENY_PRINCIPAL


def user_principal(user_id: str | None) -> str | None:
    """The document principal of a user: Cloud ``accountId`` or Data Center ``userKey`` (rule 1)."""
    return prefixed(ACCOUNT_ID, user_id)


def group_principal(group: str | None, *, cloud: bool) -> str | None:
    """A group's principal: its id on Cloud, its name on Data Center (rule 2)."""
    return prefixed(GROUP_ID if cloud else GROUP_NAME, group)


def username_principal(username: str | None) -> str | None:
    return prefixed(USERNAME, username)


def email_principal(email: str | None) -> str | None:
    return prefixed(EMAIL, email.strip() if email else None)  # as shown: Elastic does not fold case


def user_id_of(user: dict | None, *, cloud: bool) -> str | None:
    """The stable id of a v1 user object (``accountId`` / ``userKey``), ``None`` for anonymous
    or unknown shapes."""
    if not isinstance(user, dict) or user.get("type") == "anonymous":
        return None
    value = user.get("accountId") if cloud else user.get("userKey")
    return str(value) if value else None


def group_key_of(group: dict | None, *, cloud: bool) -> str | None:
    """The key a v1 group object is named by here: ``id`` on Cloud, ``name`` on Data Center."""
    if not isinstance(group, dict):
        return None
    value = group.get("id") if cloud else group.get("name")
    return str(value) if value else None
