"""Site indexes and helpers the server builds on: lookups, stable paging, login changes."""

import pytest

from fixtures.confluence.model import ids_after


def test_ids_after_pages_id_ordered_lists_and_survives_removed_cursors():
    ids = [str(i) for i in range(100, 200, 3)]
    assert ids_after(ids, None, 2) == ["100", "103"]
    assert ids_after(ids, "103", 2) == ["106", "109"]
    assert ids_after(ids, "104", 2) == ["106", "109"]  # cursor id no longer present
    assert ids_after(ids, "199", 5) == []


def test_ids_after_follows_position_ordered_lists():
    ids = ["50", "10", "40", "20"]
    assert ids_after(ids, "10", 2) == ["40", "20"]


def test_paging_a_space_visits_every_page_once(cloud_site):
    all_ids = cloud_site.space_content_ids("ENG", "page")
    seen, cursor = [], None
    while batch := ids_after(all_ids, cursor, 7):
        seen += batch
        cursor = batch[-1]
    assert seen == all_ids and len(set(seen)) == len(seen)


def test_lookups_by_every_identifier(cloud_site, dc_site):
    alice = cloud_site.user_by_username("alice")
    assert cloud_site.user_by_account_id(alice.account_id) is alice
    assert cloud_site.user_by_key("nope") is None
    dc_alice = dc_site.user_by_username("alice")
    assert dc_site.user_by_key(dc_alice.user_key) is dc_alice
    assert dc_site.user_by_account_id(dc_alice.user_key) is None
    eng = cloud_site.space("ENG")
    assert cloud_site.space_by_id(eng.id) is eng
    group = cloud_site.group_by_name("engineering")
    assert group.id in cloud_site.groups_of(alice.id)
    assert alice.id in group.members and group.members == sorted(group.members)


def test_update_user_login_keeps_indexes(fresh_site):
    admin = fresh_site.user_by_username("admin")
    fresh_site.update_user_login(admin.id, username="root", email="root@example.org")
    assert fresh_site.user_by_username("root") is admin and fresh_site.user_by_username("admin") is None
    assert fresh_site.user_by_email("ROOT@example.org") is admin
    with pytest.raises(ValueError, match="duplicate username 'alice'"):
        fresh_site.update_user_login(admin.id, username="alice")


def test_remove_content_reparents_children_and_cleans_indexes(fresh_site):
    site = fresh_site
    level3 = next(c for c in site.iter_contents("page") if c.title == "Deep Level 3")
    level4 = site.content(site.child_ids(level3.id)[0])
    site.remove_content(level3.id)
    assert level4.parent_id == level3.parent_id
    assert level4.id in site.child_ids(level3.parent_id)
    assert level3.id not in site.content_ids("page")
