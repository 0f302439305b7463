"""View permissions (space grants, inherited read restrictions, anonymous) and expected counts."""

import pytest

from fixtures.confluence.expected import expected_counts, expected_ids
from fixtures.confluence.model import CURRENT, SPACE_ARCHIVED
from fixtures.confluence.permissions import (
    Viewer,
    can_view,
    can_view_space,
    inherited_read_restrictions,
    visible_spaces,
)


def by_title(site, title):
    found = [c for c in site.iter_contents() if c.title == title]
    assert len(found) == 1, title
    return found[0]


def users(site):
    return (site.user_by_username(n) for n in ("admin", "alice", "bob"))


@pytest.fixture(params=["cloud", "dc"])
def site(request, cloud_site, dc_site):
    return cloud_site if request.param == "cloud" else dc_site


def test_group_read_restriction_is_inherited_by_the_whole_subtree(site):
    admin, alice, bob = users(site)
    for title in ("Engineering Leads", "Leads Hiring Plan", "Leads Hiring Budget"):
        page = by_title(site, title)
        assert can_view(site, alice, page) and can_view(site, admin, page)
        assert not can_view(site, bob, page), title
    budget = by_title(site, "Leads Hiring Budget")
    assert budget.read_restriction is None  # the restriction comes from an ancestor
    owners = [item.title for item, _ in inherited_read_restrictions(site, budget)]
    assert owners == ["Engineering Leads"]


def test_user_restriction_hides_content_even_from_the_admin(site):
    admin, alice, bob = users(site)
    for title in ("Alice Private Notes", "Alice Private Todo"):
        page = by_title(site, title)
        assert can_view(site, alice, page)
        assert not can_view(site, admin, page) and not can_view(site, bob, page)


def test_update_restrictions_do_not_limit_viewing(site):
    admin, alice, bob = users(site)
    page = by_title(site, "Release Checklist")
    assert page.update_restriction is not None and page.read_restriction is None
    assert all(can_view(site, u, page) for u in (admin, alice, bob))


def test_blogpost_restriction_and_space_permission(site):
    admin, alice, bob = users(site)
    post = by_title(site, "Engineering Salaries Announcement")
    assert can_view(site, bob, post) and can_view(site, admin, post) and not can_view(site, alice, post)
    hr = site.space("HR")
    assert can_view_space(site, bob, hr) and not can_view_space(site, alice, hr)
    assert not can_view(site, alice, by_title(site, "Salary Bands"))


def test_comments_and_attachments_follow_their_container(site):
    alice = site.user_by_username("alice")
    viewer = Viewer(site, alice)
    checked = 0
    for item in list(site.iter_contents("comment")) + list(site.iter_contents("attachment")):
        container = site.content(item.container_id)
        assert viewer.can_view(item) == viewer.can_view(container)
        checked += 1
    assert checked > 100


def test_drafts_are_visible_only_to_their_author(site):
    admin, alice, bob = users(site)
    draft = by_title(site, "Alice Draft Ideas")
    assert can_view(site, alice, draft) and not can_view(site, admin, draft)


def test_anonymous_sees_only_the_public_space(site):
    assert [s.key for s in visible_spaces(site, None)] == ["PUB"]
    welcome = by_title(site, "Welcome Guide")
    assert can_view(site, None, welcome)
    assert not can_view(site, None, by_title(site, "Release Checklist"))
    # logged-in users get what anonymous users get
    contractor = site.user_by_username("alice")
    assert can_view(site, contractor, welcome)


def test_anonymous_access_switch_closes_the_public_space(fresh_site):
    assert visible_spaces(fresh_site, None)
    fresh_site.anonymous_access = False
    assert visible_spaces(fresh_site, None) == []
    assert expected_counts(fresh_site, None)["total"] == 0


def test_personal_spaces_are_private_to_owner_and_admins(site):
    admin, alice, bob = users(site)
    space = site.space("~alice")
    assert can_view_space(site, alice, space) and can_view_space(site, admin, space)
    assert not can_view_space(site, bob, space)


def test_inactive_users_see_nothing(site):
    inactive = next(u for u in site.users.values() if not u.active)
    assert visible_spaces(site, inactive) == []
    assert expected_counts(site, inactive)["total"] == 0


def test_expected_counts_match_a_brute_force_count(site):
    for user in [*users(site), None]:
        counts = expected_counts(site, user)
        viewer = Viewer(site, user)
        live_spaces = {s.key for s in site.spaces.values() if s.status != SPACE_ARCHIVED}
        brute = {}
        for item in site.iter_contents():
            if item.space_key not in live_spaces or item.status != CURRENT or not viewer.can_view(item):
                continue
            container = site.container(item)
            if container is not None and container.status != CURRENT:
                continue
            brute[item.type] = brute.get(item.type, 0) + 1
        for ctype in ("page", "blogpost", "comment", "attachment", "folder"):
            assert counts[ctype] == brute.get(ctype, 0), (user and user.username, ctype)
        assert counts["space"] == sum(1 for s in visible_spaces(site, user) if s.status != SPACE_ARCHIVED)
        assert counts["total"] == sum(v for k, v in counts.items() if k != "total")


def test_expected_counts_differ_per_user_and_archived_is_optional(site):
    admin, alice, bob = users(site)
    admin_counts = expected_counts(site, admin)
    assert (
        admin_counts["total"] > expected_counts(site, alice)["total"] > expected_counts(site, None)["total"]
    )
    with_archived = expected_counts(site, admin, include_archived=True)
    assert with_archived["space"] == admin_counts["space"] + 1
    assert with_archived["page"] > admin_counts["page"]
    ids = expected_ids(site, admin)
    assert "ARCH" not in ids["space"] and "ARCH" in expected_ids(site, admin, include_archived=True)["space"]
    assert by_title(site, "Alice Private Notes").id not in ids["page"]
    assert by_title(site, "Engineering Leads").id in ids["page"]


def test_expected_counts_for_a_space_list(site):
    admin = site.user_by_username("admin")
    only = expected_counts(site, admin, space_keys=["ENG", "PUB"])
    ids = expected_ids(site, admin, space_keys=["ENG", "PUB"])
    assert only["space"] == 2 and ids["space"] == ["ENG", "PUB"]
    assert all(site.content(c).space_key in ("ENG", "PUB") for c in ids["page"] + ids["comment"])
    every = expected_counts(site, admin)
    assert expected_counts(site, admin, space_keys=["*"]) == every
    eng, pub = (expected_counts(site, admin, space_keys=[k]) for k in ("ENG", "PUB"))
    assert only["total"] == eng["total"] + pub["total"] < every["total"]
    with pytest.raises(KeyError, match="NOPE"):
        expected_counts(site, admin, space_keys=["ENG", "NOPE"])


def test_data_center_nested_group_members_inherit_access(dc_site, cloud_site):
    engineering = dc_site.group_by_name("engineering")
    developers = dc_site.group_by_name("developers")
    assert engineering.member_groups == [developers.id]
    dev = dc_site.user(developers.members[0])
    assert dev.id not in engineering.members
    assert dev.id in dc_site.group_member_ids(engineering.id)
    assert engineering.id in dc_site.groups_of(dev.id)
    assert dc_site.direct_groups_of(dev.id) == dc_site.groups_of(dev.id) - {engineering.id}
    assert can_view(dc_site, dev, by_title(dc_site, "Leads Hiring Budget"))
    assert cloud_site.group_by_name("developers") is None
    assert all(not g.member_groups for g in cloud_site.groups.values())
