"""Mutations: versions and timestamps as Confluence changes them, indexes and expected counts follow."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from fixtures.confluence import mutations as m
from fixtures.confluence.attachments import attachment_bytes
from fixtures.confluence.expected import expected_counts, expected_ids
from fixtures.confluence.model import CURRENT, TRASHED, UTC
from fixtures.confluence.permissions import can_view

T0 = dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def by_title(site, title):
    return next(c for c in site.iter_contents() if c.title == title)


def admin_counts(site):
    return expected_counts(site, site.user_by_username("admin"))


def test_create_page_and_blogpost_count_and_are_findable(fresh_site):
    site = fresh_site
    before = admin_counts(site)
    home = site.space("OPS").homepage_id
    page = m.create_page(site, space_key="OPS", title="New Runbook", parent_id=home, when=T0, by="alice")
    post = m.create_blogpost(site, space_key="OPS", title="News", body="<p>hello</p>", when=T0)
    after = admin_counts(site)
    assert after["page"] == before["page"] + 1 and after["blogpost"] == before["blogpost"] + 1
    assert page.version.number == 1 and page.version.when == T0 and page.created == T0
    assert page.created_by == site.user_by_username("alice").id
    assert site.child_ids(home)[-1] == page.id
    assert [a.id for a in site.ancestors(page)] == [home]
    assert site.body_of(post) == "<p>hello</p>"
    assert int(post.id) > int(page.id)


def test_duplicate_page_title_in_a_space_is_refused(fresh_site):
    with pytest.raises(m.MutationError, match="already exists in space ENG"):
        m.create_page(fresh_site, space_key="ENG", title="Engineering Leads")


def test_update_bumps_version_and_keeps_history(fresh_site):
    site = fresh_site
    page = by_title(site, "Release Checklist")
    old = page.version
    m.update_content(site, page.id, title="Release Checklist v2", body="<p>new</p>", when=T0, by="bob")
    assert page.version.number == old.number + 1 and page.version.when == T0
    assert page.last_modified == T0 and page.history[-1] is old
    assert page.title == "Release Checklist v2" and site.body_of(page) == "<p>new</p>"
    with pytest.raises(m.VersionConflict, match="current version is"):
        m.update_content(site, page.id, title="x", expected_version=page.version.number)
    m.update_content(site, page.id, title="y", expected_version=page.version.number + 1, when=T0)
    assert page.title == "y"


def test_trash_restore_purge_cycle(fresh_site):
    site = fresh_site
    admin = site.user_by_username("admin")
    leads = by_title(site, "Engineering Leads")
    child = by_title(site, "Leads Hiring Plan")
    atts = [site.contents[a] for a in site.attachment_ids(leads.id)]
    comments = site.comment_ids(leads.id)
    before = admin_counts(site)
    version = leads.version.number

    assert m.trash(site, leads.id, when=T0) == [leads.id]
    assert leads.status == TRASHED and leads.version.number == version
    # children move up to the trashed page's parent
    assert child.parent_id == leads.parent_id and child.status == CURRENT
    after = admin_counts(site)
    assert after["page"] == before["page"] - 1
    assert after["attachment"] == before["attachment"] - sum(1 for a in atts if a.status == CURRENT)
    assert after["comment"] == before["comment"] - len(comments)
    assert can_view(site, admin, child)  # no longer under the restricted page
    assert can_view(site, site.user_by_username("bob"), child)

    m.restore(site, leads.id)
    assert leads.status == CURRENT and admin_counts(site)["page"] == before["page"]

    with pytest.raises(m.MutationError, match="must be trashed"):
        m.purge(site, leads.id)
    m.trash(site, leads.id)
    removed = m.purge(site, leads.id)
    assert leads.id in removed and site.content(leads.id) is None
    assert all(site.content(a.id) is None for a in atts)
    assert all(site.content(c) is None for c in comments)
    assert leads.id not in site.space_content_ids("ENG", "page")


def test_trash_with_descendants(fresh_site):
    site = fresh_site
    level2 = by_title(site, "Deep Level 2")
    below = site.descendant_ids(level2.id)
    already = {c for c in below if site.content(c).status == TRASHED}
    trashed = m.trash(site, level2.id, with_descendants=True)
    assert set(trashed) == {level2.id, *below} - already and len(below) >= 4
    assert all(site.content(c).status == TRASHED for c in below)


def test_move_within_a_space_changes_ancestors_and_version(fresh_site):
    site = fresh_site
    page = by_title(site, "Deep Level 5")
    target = by_title(site, "Release Checklist")
    old_version = page.version.number
    m.move(site, page.id, parent_id=target.id, when=T0)
    assert page.parent_id == target.id and page.id in site.child_ids(target.id)
    assert [a.title for a in site.ancestors(page)] == ["Engineering Home", "Release Checklist"]
    assert page.version.number == old_version + 1 and page.last_modified == T0
    assert site.ancestors(by_title(site, "Deep Level 6"))[-1] is page
    with pytest.raises(m.MutationError, match="under itself"):
        m.move(site, target.id, parent_id=by_title(site, "Deep Level 6").id)


def test_move_to_another_space_takes_the_subtree_along(fresh_site):
    site = fresh_site
    leads = by_title(site, "Engineering Leads")
    subtree = [leads.id, *site.descendant_ids(leads.id)]
    followers = [f for p in subtree for f in site.attachment_ids(p) + site.comment_ids(p)]
    ops_home = site.space("OPS").homepage_id
    ops_before = len(site.space_content_ids("OPS", "page"))
    versions = {
        cid: (site.content(cid).version.number, site.content(cid).last_modified)
        for cid in subtree + followers
    }
    m.move(site, leads.id, space_key="OPS", parent_id=ops_home, when=T0)
    for cid in subtree + followers:
        item = site.content(cid)
        assert item.space_key == "OPS"
        if cid == leads.id:  # the moved page gets a version (assumed)
            assert item.last_modified == T0 and item.version.number == versions[cid][0] + 1
        else:  # what moved along with it does not (assumed): only its space and ancestors change
            assert (item.version.number, item.last_modified) == versions[cid]
    assert len(site.space_content_ids("OPS", "page")) == ops_before + len(subtree)
    assert not set(subtree) & set(site.space_content_ids("ENG", "page"))
    assert site.ancestors(site.content(subtree[-1]))[0].id == ops_home
    # the restriction moved with the tree
    assert not can_view(site, site.user_by_username("bob"), site.content(subtree[-1]))


def test_attachments_add_reupload_and_remove(fresh_site):
    site = fresh_site
    page = by_title(site, "Release Checklist")
    before = admin_counts(site)["attachment"]
    att = m.add_attachment(site, page.id, file_name="plan.pdf", text="Plan zebra42", when=T0, by="alice")
    assert att.version.number == 1 and att.media_type == "application/pdf"
    data = attachment_bytes(att)
    assert len(data) == att.file_size
    assert "Plan zebra42" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert admin_counts(site)["attachment"] == before + 1

    later = T0 + dt.timedelta(hours=1)
    again = m.add_attachment(site, page.id, file_name="plan.pdf", size=20_000, when=later)
    assert again is att and att.version.number == 2 and att.last_modified == later
    assert attachment_bytes(att) != data and len(attachment_bytes(att)) == 20_000

    m.remove_attachment(site, att.id)
    assert att.status == TRASHED and admin_counts(site)["attachment"] == before
    m.remove_attachment(site, att.id, purge_now=True)
    assert site.content(att.id) is None

    with pytest.raises(m.MutationError, match="file_name"):
        m.add_attachment(site, page.id, file_name="virus.exe")
    with pytest.raises(m.MutationError, match="size"):
        m.add_attachment(site, page.id, file_name="a.docx", size=10)


def test_comments_do_not_bump_the_container(fresh_site):
    site = fresh_site
    page = by_title(site, "Release Checklist")
    version = page.version.number
    before = admin_counts(site)["comment"]
    top = m.add_comment(site, page.id, body="<p>first</p>", when=T0)
    reply = m.add_comment(site, page.id, body="<p>reply</p>", parent_comment_id=top.id, when=T0)
    assert page.version.number == version
    assert reply.id in site.reply_ids(top.id) and admin_counts(site)["comment"] == before + 2
    m.update_content(site, reply.id, body="<p>edited</p>", when=T0)
    assert reply.version.number == 2
    removed = m.remove_comment(site, top.id)
    assert set(removed) == {top.id, reply.id} and admin_counts(site)["comment"] == before


def test_restrictions_change_visibility_without_new_versions(fresh_site):
    site = fresh_site
    alice = site.user_by_username("alice")
    page = by_title(site, "Release Checklist")
    version = page.version.number
    alice_before = expected_counts(site, alice)["page"]
    m.set_restrictions(site, page.id, operation="read", groups=["hr"])
    assert not can_view(site, alice, page) and page.version.number == version
    assert expected_counts(site, alice)["page"] < alice_before
    m.add_group_member(site, "hr", "alice")
    assert can_view(site, alice, page)
    m.remove_group_member(site, "hr", "alice")
    m.set_restrictions(site, page.id, operation="read")
    assert can_view(site, alice, page) and expected_counts(site, alice)["page"] == alice_before


def test_space_permissions_open_and_close_a_space(fresh_site):
    site = fresh_site
    assert "OPS" not in expected_ids(site, None)["space"]
    m.grant_space_permission(site, "OPS", subject_type="anonymous")
    assert "OPS" in expected_ids(site, None)["space"]
    assert m.revoke_space_permission(site, "OPS", subject_type="anonymous") == 1
    assert "OPS" not in expected_ids(site, None)["space"]
    bob = site.user_by_username("bob")
    bob_spaces = expected_ids(site, bob)["space"]
    assert "ENG" in bob_spaces
    m.revoke_space_permission(site, "ENG", subject_type="group", subject="confluence-users")
    assert expected_ids(site, bob)["space"] == [k for k in bob_spaces if k != "ENG"]
    assert expected_ids(site, bob)["page"] and not [
        p for p in expected_ids(site, bob)["page"] if site.content(p).space_key == "ENG"
    ]
    assert "ENG" in expected_ids(site, site.user_by_username("admin"))["space"]


def test_space_lifecycle(fresh_site):
    site = fresh_site
    space = m.create_space(
        site, key="NEW", name="New Team", readers=[{"subject_type": "group", "subject": "hr"}]
    )
    assert site.content(space.homepage_id).title == "New Team Home"
    bob = site.user_by_username("bob")
    assert "NEW" in expected_ids(site, bob)["space"]
    assert "NEW" not in expected_ids(site, site.user_by_username("alice"))["space"]
    m.set_space_status(site, "NEW", "archived")
    assert "NEW" not in expected_ids(site, bob)["space"]
    m.delete_space(site, "NEW")
    assert site.space("NEW") is None and site.content(space.homepage_id) is None


def test_apply_mutation_validates_payloads(fresh_site):
    site = fresh_site
    page = by_title(site, "Release Checklist")
    out = m.apply_mutation(
        site, {"op": "update", "id": page.id, "title": "T2", "when": "2026-01-05T10:00:00.000Z"}
    )
    assert out == {
        "op": "update",
        "id": page.id,
        "type": "page",
        "status": "current",
        "version": page.version.number,
    }
    assert page.last_modified == dt.datetime(2026, 1, 5, 10, tzinfo=UTC)
    cases = [
        ("not a dict", "JSON object", 400),
        ({"op": "explode"}, "unknown mutation op 'explode'", 400),
        ({"op": "update", "title": "x"}, r"missing required field\(s\) \['id'\]", 400),
        ({"op": "update", "id": page.id, "colour": "red"}, r"unknown field\(s\) \['colour'\]", 400),
        ({"op": "trash", "id": "424242"}, "no content with id '424242'", 404),
        (
            {"op": "update", "id": page.id, "title": "x", "when": "yesterday"},
            "'when' must be an ISO-8601",
            400,
        ),
        ({"op": "update", "id": page.id, "title": "x", "by": "nobody"}, "no user 'nobody'", 404),
        ({"op": "add_group_member", "group": "nope", "user": "bob"}, "no group 'nope'", 404),
    ]
    for payload, message, status in cases:
        with pytest.raises(m.MutationError, match=message) as info:
            m.apply_mutation(site, payload)
        assert info.value.status == status
    created = m.apply_mutation(site, {"op": "create_page", "space_key": "ENG", "title": "Via API"})
    assert site.content(created["id"]).title == "Via API"


def test_revision_counter_moves_on_every_change(fresh_site):
    site = fresh_site
    before = site.revision
    m.set_labels(site, by_title(site, "Release Checklist").id, ["Ops", "runbook"])
    assert site.revision > before
    assert by_title(site, "Release Checklist").labels == ["ops", "runbook"]
    assert site.label("ops") is not None


def test_attachment_sizes_follow_the_kind_limits(fresh_site):
    from fixtures.confluence.attachments import iter_attachment_bytes, size_limits

    site = fresh_site
    page = by_title(site, "Release Checklist")
    big = m.add_attachment(site, page.id, file_name="dump.txt", size=12 * 1024 * 1024, text="Big dump quokka")
    assert sum(len(c) for c in iter_attachment_bytes(big)) == big.file_size
    assert next(iter_attachment_bytes(big)).startswith(b"dump.txt\nBig dump quokka\n")
    mid = m.add_attachment(site, page.id, file_name="scan.png", size=2 * 1024 * 1024)
    assert len(attachment_bytes(mid)) == mid.file_size
    with pytest.raises(m.MutationError, match=r"docx file must be an integer in \[\d+, \d+\]"):
        m.add_attachment(site, page.id, file_name="big.docx", size=size_limits("docx")[1] + 1)
    with pytest.raises(m.MutationError, match="size"):
        m.add_attachment(site, page.id, file_name="x.txt", size=True)


def test_nesting_groups_is_data_center_only_and_refuses_cycles(fresh_site):
    site = fresh_site
    bob = site.user_by_username("bob")
    page = by_title(site, "Engineering Leads")
    if site.is_cloud:
        with pytest.raises(m.MutationError, match="only on Confluence Data Center"):
            m.apply_mutation(site, {"op": "add_subgroup", "group": "engineering", "subgroup": "hr"})
        return
    assert not can_view(site, bob, page)
    m.apply_mutation(site, {"op": "add_subgroup", "group": "engineering", "subgroup": "hr"})
    assert can_view(site, bob, page)  # bob is in hr, now nested in engineering
    with pytest.raises(m.MutationError, match="cycle"):
        m.apply_mutation(site, {"op": "add_subgroup", "group": "developers", "subgroup": "engineering"})
    m.apply_mutation(site, {"op": "remove_subgroup", "group": "engineering", "subgroup": "hr"})
    assert not can_view(site, bob, page)


def test_restore_keeps_the_version_unless_asked_for_a_new_one(fresh_site):
    site = fresh_site
    page = by_title(site, "Release Checklist")
    version, modified = page.version.number, page.last_modified
    m.trash(site, page.id, when=T0)
    m.restore(site, page.id, when=T0)
    assert page.status == CURRENT and (page.version.number, page.last_modified) == (version, modified)
    m.trash(site, page.id)
    later = T0 + dt.timedelta(minutes=3)
    m.restore(site, page.id, when=later, new_version=True)
    assert page.status == CURRENT and page.version.number == version + 1 and page.last_modified == later
    with pytest.raises(m.MutationError, match="new_version"):
        m.trash(site, page.id)
        m.restore(site, page.id, new_version="yes")


def test_labels_are_added_and_removed_without_a_version(fresh_site):
    site = fresh_site
    page = by_title(site, "Release Checklist")
    version, modified = page.version.number, page.last_modified
    m.add_labels(site, page.id, ["Zebra", "ops-only"])
    assert {"zebra", "ops-only"} <= set(page.labels)
    m.remove_labels(site, page.id, ["zebra", "never-there"])
    assert "zebra" not in page.labels and "ops-only" in page.labels
    assert (page.version.number, page.last_modified) == (version, modified)
    with pytest.raises(m.MutationError, match="labels"):
        m.add_labels(site, page.id, ["two words"])


def test_space_rename_changes_the_name_and_no_version(fresh_site):
    site = fresh_site
    before = {cid: c.version.number for cid, c in site.contents.items() if c.space_key == "ENG"}
    m.rename_space(site, "ENG", name="Engineering and Research")
    assert site.space("ENG").name == "Engineering and Research"
    assert {cid: site.contents[cid].version.number for cid in before} == before
    with pytest.raises(m.MutationError, match="'name'"):
        m.rename_space(site, "ENG", name=" ")
    with pytest.raises(m.NotFound):
        m.rename_space(site, "NOPE", name="x")


def test_new_ops_are_reachable_through_apply_mutation(fresh_site):
    site = fresh_site
    page = by_title(site, "Release Checklist")
    assert m.apply_mutation(site, {"op": "add_labels", "id": page.id, "labels": ["kiwi"]})["id"] == page.id
    assert "kiwi" in page.labels
    m.apply_mutation(site, {"op": "remove_labels", "id": page.id, "labels": ["kiwi"]})
    assert "kiwi" not in page.labels
    out = m.apply_mutation(site, {"op": "rename_space", "space_key": "OPS", "name": "Operations 2"})
    assert out["key"] == "OPS" and site.space("OPS").name == "Operations 2"


def test_move_without_a_version_when_asked(fresh_site):
    site = fresh_site
    page = by_title(site, "Deep Level 5")
    target = by_title(site, "Release Checklist")
    version, modified = page.version.number, page.last_modified
    m.apply_mutation(site, {"op": "move", "id": page.id, "parent_id": target.id, "new_version": False})
    assert page.parent_id == target.id and (page.version.number, page.last_modified) == (version, modified)
    with pytest.raises(m.MutationError, match="new_version"):
        m.move(site, page.id, parent_id=None, new_version="no")
