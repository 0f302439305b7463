"""The ACL model (connectors/sources/confluence/acl.py) against the mock's permission model.

Property tests: random small sites (Cloud and Data Center, nested groups on DC, anonymous
grants, an inactive user, restrictions at several levels, blog posts, comments on attachments)
built with fixtures.confluence.model; for every (user, item) pair the list computed by
``content_acl`` grants the user (through the principals their identity would hold) only if
fixtures.confluence.permissions says the user can view the item — and, below the expansion
cap, exactly then. Drafts are never indexed, so the sites have none.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from connectors.access_control import DENY_PRINCIPAL
from connectors.sources.confluence import principals as P
from connectors.sources.confluence.acl import (
    Acl,
    Grant,
    Unreadable,
    content_acl,
    restriction_chain,
    space_acl,
)
from fixtures.confluence import permissions
from fixtures.confluence.model import (
    CLOUD,
    DATACENTER,
    Attachment,
    BlogPost,
    Comment,
    Group,
    Page,
    Restriction,
    Site,
    Space,
    SpacePermission,
    User,
    Version,
)

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


# -- random sites ------------------------------------------------------------------------
def _restriction(rng: random.Random, users: list[str], groups: list[str]) -> Restriction | None:
    if rng.random() < 0.55:
        return None
    r = Restriction(
        users=sorted(rng.sample(users, rng.randint(0, 2))),
        groups=sorted(rng.sample(groups, rng.randint(0, 2))),
    )
    return None if r.is_empty() else r


def random_site(seed: int, flavor: str) -> Site:
    rng = random.Random(seed)
    site = Site(flavor=flavor, seed=seed)
    site.anonymous_access = rng.random() < 0.7
    users = []
    for i in range(6):
        uid = f"u{seed}-{i}"
        site.add_user(
            User(
                id=uid,
                username=f"user{i}",
                display_name=f"User {i}",
                email=f"user{i}@example.com",
                account_id=uid if flavor == CLOUD else None,
                user_key=uid if flavor == DATACENTER else None,
                active=i != 5,  # one deactivated user
            )
        )
        users.append(uid)
    groups = []
    for i in range(4):
        gid = f"g{seed}-{i}"
        site.add_group(Group(id=gid, name=f"group-{i}", members=sorted(rng.sample(users, rng.randint(0, 3)))))
        groups.append(gid)
    if flavor == DATACENTER:  # nested groups: group-0 holds group-1 (and maybe group-2 holds group-3)
        site.add_subgroup(groups[0], groups[1])
        if rng.random() < 0.5:
            site.add_subgroup(groups[2], groups[3])
    items = []
    for s in range(2):
        key = f"S{s}"
        perms = []
        for uid in rng.sample(users, rng.randint(0, 2)):
            perms.append(("user", uid))
        for gid in rng.sample(groups, rng.randint(0, 2)):
            perms.append(("group", gid))
        if rng.random() < 0.3:
            perms.append(("anonymous", None))
        space = Space(
            id=site.next_id(),
            key=key,
            name=key,
            created=WHEN,
            creator_id=users[0],
            permissions=[
                SpacePermission(
                    id=site.next_id(), operation="read", target_type="space", subject_type=t, subject_id=i
                )
                for t, i in perms
            ]
            + [  # a non-view grant never lets anyone view
                SpacePermission(
                    id=site.next_id(),
                    operation="create",
                    target_type="page",
                    subject_type="user",
                    subject_id=users[4],
                )
            ],
        )
        site.add_space(space)
        pages: list[str] = []
        for _ in range(7):
            pid = site.next_id()
            parent = rng.choice(pages) if pages and rng.random() < 0.8 else None
            page = Page(
                id=pid,
                title=f"p{pid}",
                space_key=key,
                created=WHEN,
                created_by=users[0],
                version=Version(number=1, when=WHEN, by=users[0]),
                parent_id=parent,
                read_restriction=_restriction(rng, users, groups),
                # an edit restriction never limits viewing
                update_restriction=Restriction(users=[users[3]]) if rng.random() < 0.3 else None,
            )
            site.add_content(page)
            pages.append(pid)
            items.append(page)
        blog = BlogPost(
            id=site.next_id(),
            title="b",
            space_key=key,
            created=WHEN,
            created_by=users[0],
            version=Version(number=1, when=WHEN, by=users[0]),
            read_restriction=_restriction(rng, users, groups),
        )
        site.add_content(blog)
        items.append(blog)
        for container in rng.sample(items[-8:], 3):
            att = Attachment(
                id=site.next_id(),
                title="a.txt",
                space_key=key,
                created=WHEN,
                created_by=users[0],
                version=Version(number=1, when=WHEN, by=users[0]),
                container_id=container.id,
                media_type="text/plain",
                file_size=1,
                kind="txt",
            )
            site.add_content(att)
            for parent in (container, att):  # a comment on the container and one on the attachment
                site.add_content(
                    Comment(
                        id=site.next_id(),
                        title="c",
                        space_key=key,
                        created=WHEN,
                        created_by=users[0],
                        version=Version(number=1, when=WHEN, by=users[0]),
                        container_id=parent.id,
                    )
                )
    return site


# -- adapters: the mock's model → the ACL functions' inputs ------------------------------
def group_key(site: Site, gid: str) -> str:
    return gid if site.is_cloud else site.group(gid).name


def space_grant(site: Site, space: Space) -> Grant:
    users, groups, anonymous = permissions.space_viewers(site, space)
    return Grant.of(users, [group_key(site, g) for g in groups], anonymous and site.anonymous_access)


def layer(site: Site, restriction: Restriction | None) -> Grant | None:
    if restriction is None:
        return None
    return Grant.of(restriction.users, [group_key(site, g) for g in restriction.groups])


def members(site: Site) -> dict[str, frozenset[str]]:
    return {group_key(site, g.id): frozenset(site.group_member_ids(g.id)) for g in site.groups.values()}


def acl_of(site: Site, item, cache: dict, **kwargs) -> Acl:
    if item.id in cache:
        return cache[item.id]
    container = site.container(item)
    if container is not None:  # comments and attachments: their container's list
        result = acl_of(site, container, cache, **kwargs)
    else:
        ancestors = [layer(site, a.read_restriction) for a in site.ancestors(item)]
        chain = restriction_chain(item.type, layer(site, item.read_restriction), ancestors)
        space = space_grant(site, site.space(item.space_key))
        result = content_acl(space, chain, members(site), cloud=site.is_cloud, **kwargs)
    cache[item.id] = result
    return result


def identity(site: Site, user: User | None) -> set[str]:
    """What the user's identity document holds (None: anonymous, who has no identity)."""
    if user is None or not user.active:
        return set()
    held = {P.user_principal(user.id), P.PUBLIC}
    held |= {P.group_principal(group_key(site, g), cloud=site.is_cloud) for g in site.groups_of(user.id)}
    return held


def verdicts(site: Site, **kwargs):
    """(user, item, granted by the list, mock says can view, the item's Acl) for every pair."""
    cache: dict = {}
    for item in site.iter_contents():
        acl = acl_of(site, item, cache, **kwargs)
        assert acl.principals, "a list is never empty"
        for user in [*site.users_sorted(), None]:
            held = identity(site, user) if user is not None else {P.PUBLIC}
            granted = bool(held & set(acl.principals))
            yield user, item, granted, permissions.can_view(site, user, item), acl


# -- the properties ----------------------------------------------------------------------
@pytest.mark.parametrize("flavor", [CLOUD, DATACENTER])
def test_lists_grant_exactly_who_may_view(flavor):
    pairs = positives = 0
    for seed in range(120):
        site = random_site(seed, flavor)
        for user, item, granted, can_view, acl in verdicts(site):
            pairs += 1
            positives += can_view
            who = user.username if user else "anonymous"
            assert not granted or can_view, f"seed {seed}: {who} granted {item.type} {item.id} {acl}"
            assert granted or not can_view, f"seed {seed}: false negative {who} {item.type} {item.id} {acl}"
    # the sites are not trivial: both verdicts occur often
    assert pairs > 10_000 and 0.1 < positives / pairs < 0.9


@pytest.mark.parametrize("flavor", [CLOUD, DATACENTER])
def test_expansion_cap_only_loses_never_leaks(flavor):
    false_negatives = []
    for seed in range(60):
        site = random_site(seed, flavor)
        for user, item, granted, can_view, acl in verdicts(site, max_expanded_users=1):
            assert not granted or can_view, f"seed {seed}: leak to {user} on {item.id} {acl}"
            if can_view and not granted:
                false_negatives.append((seed, item.id, acl.reason))
    # every false negative is the cap's, and says so
    assert false_negatives
    assert all(reason and "expanded per document" in reason for _, _, reason in false_negatives)


def test_deactivated_users_and_anonymous_hold_nothing_extra():
    site = random_site(3, CLOUD)
    inactive = [u for u in site.users_sorted() if not u.active]
    assert inactive and identity(site, inactive[0]) == set()


# -- single rules --------------------------------------------------------------------------
def test_no_restriction_is_the_space_grants():
    space = Grant.of(["a"], ["eng"], anonymous=True)
    acl = content_acl(space, [None, Grant()], {}, cloud=True)
    assert acl.principals == ("account_id:a", "group_id:eng", "public:anonymous")
    assert acl.expanded_groups == frozenset() and acl.reason is None
    assert space_acl(Grant.of(["k"], ["devs"]), cloud=False).principals == ("account_id:k", "group:devs")


def test_group_in_every_layer_and_the_space_stays_a_group():
    space = Grant.of(groups=["eng"])
    acl = content_acl(
        space, [Grant.of(groups=["eng", "hr"]), Grant.of(groups=["eng"])], {"eng": {"a"}}, cloud=True
    )
    assert acl.principals == ("group_id:eng",)
    assert acl.expanded_groups == frozenset()


def test_disjoint_layers_expand_to_the_users_in_both():
    space = Grant.of(groups=["all"])
    members = {"all": {"a", "b", "c", "d"}, "hr": {"a", "b"}, "leads": {"b", "c"}}
    acl = content_acl(
        space, [Grant.of(groups=["hr"]), Grant.of(groups=["leads"], users=["d"])], members, cloud=True
    )
    assert acl.principals == ("account_id:b",)
    assert acl.expanded_groups == {"all", "hr", "leads"}


def test_implied_space_layer_keeps_the_group():
    # every member of hr may view the space through "all": hr stays a group principal
    members = {"all": {"a", "b", "c"}, "hr": {"a", "b"}}
    acl = content_acl(Grant.of(groups=["all"]), [Grant.of(groups=["hr"])], members, cloud=True)
    assert acl.principals == ("group_id:hr",)
    assert acl.expanded_groups == {"all", "hr"}
    # one member without space access: hr is expanded to the others
    members["hr"] = {"a", "z"}
    acl = content_acl(Grant.of(groups=["all"]), [Grant.of(groups=["hr"])], members, cloud=True)
    assert acl.principals == ("account_id:a",)


def test_restriction_user_without_space_permission_is_left_out():
    acl = content_acl(Grant.of(groups=["eng"]), [Grant.of(users=["x"])], {"eng": {"a"}}, cloud=True)
    assert acl.principals == (DENY_PRINCIPAL,)
    assert "no user satisfies" in acl.reason


def test_anonymous_space_and_a_restriction_is_not_public():
    acl = content_acl(Grant.of(anonymous=True), [Grant.of(users=["a"])], {}, cloud=True)
    assert acl.principals == ("account_id:a",)


def test_unreadable_layer_denies():
    acl = content_acl(Grant.of(groups=["all"]), [Unreadable("page 7", "HTTP 500"), None], {}, cloud=True)
    assert acl.denied and "page 7" in acl.reason and "HTTP 500" in acl.reason


def test_empty_space_denies():
    assert space_acl(Grant(), cloud=True).principals == (DENY_PRINCIPAL,)


def test_restriction_chain_by_kind():
    own, up = Grant.of(users=["a"]), Grant.of(users=["b"])
    assert restriction_chain("page", own, [up]) == [up, own]
    assert restriction_chain("folder", None, [up]) == [up, None]
    assert restriction_chain("blogpost", own, [up]) == [own]
    with pytest.raises(ValueError, match="container"):
        restriction_chain("comment", own)
