"""The access-control sync of the Confluence source against the mock (Cloud and Data Center):
one identity per active user with every group (nested ones flattened), fail closed on errors."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.access_control import DENY_PRINCIPAL, DLS_QUERY
from connectors.errors import SyncError
from connectors.sources.confluence import principals as P
from connectors.sources.confluence.datasource import ConfluenceDataSource
from fixtures.confluence.mutations import apply_mutation

from .test_integration import admin_get, source_for

MODES = [("cloud", "cloud"), ("datacenter", "dc-pat")]


@pytest.fixture(autouse=True)
def dls_advertised(monkeypatch):
    """The access-control sync is built, but the source does not advertise DLS on main until
    content documents carry their ACLs (issue 14's next slice): these tests turn it on."""
    monkeypatch.setattr(ConfluenceDataSource, "dls_enabled", True)


async def identities(source: ConfluenceDataSource) -> dict[str, dict]:
    try:
        return {doc["_id"]: doc async for doc in source.get_access_control()}
    finally:
        await source.close()


def expected_access(site, user) -> set[str]:
    groups = site.groups_of(user.id)
    held = {P.user_principal(user.id), P.PUBLIC}
    held |= {
        P.group_principal(g if site.is_cloud else site.group(g).name, cloud=site.is_cloud) for g in groups
    }
    if not site.is_cloud:
        held.add(P.username_principal(user.username))
    if site.is_cloud and user.email_visible:  # Data Center user objects carry no e-mail
        held.add(P.email_principal(user.email))
    return held


@pytest.mark.parametrize("flavor,mode", MODES)
async def test_one_identity_per_active_user_with_every_group(confluence_factory, flavor, mode):
    mock = await confluence_factory(flavor=flavor)
    site = mock.site
    if flavor == "datacenter":  # nested: members of the inner group belong to the outer one too
        outer, inner = site.groups_sorted()[:2]
        apply_mutation(site, {"op": "add_subgroup", "group": outer.name, "subgroup": inner.name})
    alice = site.user_by_username("alice")
    apply_mutation(site, {"op": "set_user_active", "user": "bob", "active": False})
    docs = await identities(source_for(mock, mode, use_document_level_security=True))

    active = [u for u in site.users_sorted() if u.active and u.account_type == "atlassian"]
    assert set(docs) == {u.id for u in active}
    assert site.user_by_username("bob").id not in docs  # deactivated: no identity, so no access
    for user in active:
        doc = docs[user.id]
        template = doc["query"]["template"]
        assert template["source"] == DLS_QUERY
        assert set(template["params"]["access_control"]) == expected_access(site, user), user.username
        assert DENY_PRINCIPAL not in template["params"]["access_control"]
        assert doc["identity"]["account_id"] == P.user_principal(user.id)
        assert "_timestamp" not in doc and doc["created_at"].endswith("Z")
    if flavor == "datacenter":
        via_nesting = [u for u in inner.members if u not in outer.members]
        assert via_nesting, "the site should have a member of the inner group only"
        assert (
            P.group_principal(outer.name, cloud=False)
            in docs[via_nesting[0]]["query"]["template"]["params"]["access_control"]
        )
        assert docs[alice.id]["identity"]["username"] == "user:alice"
    else:
        assert "username" not in docs[alice.id]["identity"]


@pytest.mark.parametrize("status", [500, 403, 401])
async def test_a_failed_listing_fails_the_sync(confluence_cloud, status):
    mock = confluence_cloud
    async with aiohttp.ClientSession() as session:
        rule = {"path": ".*/membersByGroupId", "count": 100, "status": status}
        async with session.post(mock.url + "/__admin/faults", json=rule) as response:
            assert response.status == 200
    source = source_for(mock, "cloud", use_document_level_security=True, retry_count=1)
    with pytest.raises(SyncError, match="Could not read Confluence's users and groups") as caught:
        await identities(source)
    assert "No identity was changed" in str(caught.value)


async def test_transient_errors_are_retried(confluence_dc):
    mock = confluence_dc
    async with aiohttp.ClientSession() as session:
        rules = [
            {"path": ".*/admin/users/list/active", "count": 1, "status": 503, "retry_after": 0},
            {"path": ".*/group/.*/member", "count": 1, "status": 429, "retry_after": 0},
        ]
        async with session.post(mock.url + "/__admin/faults", json={"rules": rules}) as response:
            assert response.status == 200
    docs = await identities(source_for(mock, "dc-pat", use_document_level_security=True, retry_count=3))
    stats = await admin_get(mock, "/__admin/stats")
    assert stats["statuses"].get("503") == 1 and stats["statuses"].get("429") == 1
    assert set(docs) == {u.id for u in mock.site.users_sorted() if u.active}


async def test_off_means_no_access_control_sync(confluence_cloud):
    with pytest.raises(SyncError, match="Document level security is off"):
        await identities(source_for(confluence_cloud, "cloud"))


def test_the_source_advertises_dls():
    assert ConfluenceDataSource.dls_enabled is True
    fields = ConfluenceDataSource.get_default_configuration()
    assert fields["use_document_level_security"]["value"] is False  # off until turned on
