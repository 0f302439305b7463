"""The site generator: determinism, sizes, shapes and the fixed scenarios tests rely on."""

import pytest

from fixtures.confluence import attachments as files
from fixtures.confluence.expected import document_counts
from fixtures.confluence.generator import SIZES, GeneratorError, generate_site
from fixtures.confluence.model import (
    ADMIN_EMAIL,
    ADMIN_PAT,
    ARCHIVED,
    DRAFT,
    FOLDER,
    INLINE,
    SPACE_ARCHIVED,
    SPACE_PERSONAL,
    TRASHED,
    iso,
)


def fingerprint(site):
    """Everything observable about a site, as plain data."""
    users = [
        (u.id, u.username, u.display_name, u.email, u.email_visible, u.active, u.account_type)
        for u in site.users_sorted()
    ]
    groups = [(g.id, g.name, tuple(g.members)) for g in site.groups_sorted()]
    spaces = [
        (
            s.id,
            s.key,
            s.name,
            s.type,
            s.status,
            s.homepage_id,
            tuple((p.operation, p.target_type, p.subject_type, p.subject_id) for p in s.permissions),
        )
        for s in site.spaces_sorted()
    ]
    contents = []
    for c in site.iter_contents():
        contents.append(
            (
                c.id,
                c.type,
                c.title,
                c.space_key,
                c.status,
                iso(c.created),
                c.version.number,
                iso(c.version.when),
                tuple(c.labels),
                getattr(c, "parent_id", None),
                getattr(c, "container_id", None),
                getattr(c, "file_size", None),
                c.read_restriction and (tuple(c.read_restriction.users), tuple(c.read_restriction.groups)),
                site.body_of(c),
            )
        )
    return users, groups, spaces, contents


def test_same_seed_gives_identical_site():
    assert fingerprint(generate_site("small", seed=3)) == fingerprint(generate_site("small", seed=3))


def test_different_seed_or_flavor_gives_different_site():
    base = fingerprint(generate_site("small", seed=3))
    assert fingerprint(generate_site("small", seed=4)) != base
    assert fingerprint(generate_site("small", seed=3, flavor="datacenter")) != base


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
@pytest.mark.parametrize("size", ["small", "medium"])
def test_document_count_within_ten_percent_of_target(size, flavor):
    counts = document_counts(generate_site(size, seed=1, flavor=flavor))
    target = SIZES[size]
    assert abs(counts["documents"] - target) <= target * 0.10, counts
    # every type is well represented
    assert counts["page"] > target * 0.3
    assert counts["blogpost"] > target * 0.05
    assert counts["comment"] > target * 0.2
    assert counts["attachment"] > target * 0.15


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"data_size": "huge"}, "data_size"),
        ({"flavor": "server"}, "flavor"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(GeneratorError, match=message):
        generate_site(**kwargs)


def test_page_trees_are_several_levels_deep(cloud_site):
    depths = [cloud_site.depth(p) for p in cloud_site.iter_contents("page")]
    assert max(depths) >= 6
    deep = [p for p in cloud_site.iter_contents("page") if p.title == "Deep Level 6"]
    assert len(deep) == 1
    titles = [a.title for a in cloud_site.ancestors(deep[0])]
    assert titles == ["Engineering Home"] + [f"Deep Level {i}" for i in range(1, 6)]
    # a good share of pages are not direct children of a homepage
    assert sum(1 for d in depths if d >= 2) > len(depths) * 0.3


def test_children_are_in_position_order(cloud_site):
    for space in cloud_site.spaces_sorted():
        home = cloud_site.content(space.homepage_id)
        kids = [cloud_site.content(c) for c in cloud_site.child_ids(home.id)]
        positions = [k.position for k in kids]
        assert positions == sorted(positions)
        assert all(k.parent_id == home.id for k in kids)


def test_spaces_include_personal_archived_and_anonymous(cloud_site):
    spaces = cloud_site.spaces
    assert {"ENG", "OPS", "HR", "PUB", "ARCH", "~admin", "~alice", "~bob"} <= set(spaces)
    assert spaces["ARCH"].status == SPACE_ARCHIVED
    assert spaces["~alice"].type == SPACE_PERSONAL
    assert spaces["~alice"].owner_id == cloud_site.user_by_username("alice").id
    anonymous = [s.key for s in spaces.values() if any(p.subject_type == "anonymous" for p in s.permissions)]
    assert anonymous == ["PUB"]
    for space in spaces.values():
        assert cloud_site.content(space.homepage_id).space_key == space.key


def test_default_identities_exist_with_credentials(cloud_site, dc_site):
    admin = cloud_site.user_by_username("admin")
    assert admin.email == ADMIN_EMAIL and admin.api_token == "changeme" and admin.site_admin
    assert admin.account_id and admin.id == admin.account_id and admin.user_key is None
    assert cloud_site.user_by_email("ADMIN@example.com") is admin
    dc_admin = dc_site.user_by_username("admin")
    assert dc_admin.password == "changeme" and dc_admin.personal_access_token == ADMIN_PAT
    assert dc_admin.user_key and dc_admin.id == dc_admin.user_key and dc_admin.account_id is None
    for site in (cloud_site, dc_site):
        assert site.user_by_username("alice") and site.user_by_username("bob")
        names = {g.name for g in site.groups.values()}
        assert {"confluence-administrators", "confluence-users", "engineering", "hr"} <= names


def test_some_emails_are_hidden_and_one_user_is_inactive(cloud_site):
    users = list(cloud_site.users.values())
    assert any(not u.email_visible for u in users)
    assert cloud_site.user_by_username("alice").email_visible
    assert sum(1 for u in users if not u.active) == 1
    assert any(u.account_type == "app" for u in users)


def test_statuses_comments_labels_and_folders(cloud_site, dc_site):
    statuses = {c.status for c in cloud_site.iter_contents("page")}
    assert {TRASHED, DRAFT, ARCHIVED, "current"} <= statuses
    comments = list(cloud_site.iter_contents("comment"))
    assert any(c.location == INLINE and c.resolution_status for c in comments)
    replies = [c for c in comments if c.parent_comment_id]
    assert replies
    for reply in replies:
        parent = cloud_site.content(reply.parent_comment_id)
        assert parent.container_id == reply.container_id
        assert reply.id in cloud_site.reply_ids(parent.id)
    assert "secret" in cloud_site.labels
    assert any("secret" in c.labels for c in cloud_site.iter_contents("page"))
    assert cloud_site.content_ids(FOLDER)
    assert not dc_site.content_ids(FOLDER)
    folder = cloud_site.content(cloud_site.content_ids(FOLDER)[0])
    assert all(cloud_site.content(c).type in ("page", "folder") for c in cloud_site.child_ids(folder.id))


def test_attachments_cover_every_kind_and_some_are_big(cloud_site):
    atts = list(cloud_site.iter_contents("attachment"))
    assert {a.kind for a in atts} == set(files.KINDS)
    big = [a for a in atts if a.file_size > 10 * 1024 * 1024]
    assert len(big) >= 3
    assert {a.kind for a in big} <= set(files.BIG_KINDS)
    for att in atts:
        assert att.media_type == files.MEDIA_TYPES[att.kind]
        assert att.file_name.endswith("." + att.kind)
        assert att.expected_text and f"tok{att.id}" in att.expected_text
        container = cloud_site.content(att.container_id)
        assert container.type in ("page", "blogpost") and container.space_key == att.space_key


def test_versions_and_timestamps_are_consistent(cloud_site):
    for c in cloud_site.iter_contents():
        assert c.version.number == len(c.history) + 1
        assert c.version.when >= c.created
        numbers = [v.number for v in c.history] + [c.version.number]
        assert numbers == list(range(1, len(numbers) + 1))
        container = cloud_site.container(c)
        if container is not None:
            assert c.created >= container.created


def test_command_line_prints_counts(capsys):
    import json

    from fixtures.confluence.generator import main

    assert main(["--size", "small", "--flavor", "datacenter", "--seed", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (
        report["stored"]["documents"] == document_counts(generate_site("small", 2, "datacenter"))["documents"]
    )
    assert report["visible"]["admin"]["total"] > report["visible"]["anonymous"]["total"] > 0


def test_identical_across_processes_with_different_hash_seeds():
    """Hash randomisation (set/dict order of strings) must not leak into the generated site."""
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[2]

    script = (
        "import hashlib\n"
        "from fixtures.confluence.generator import generate_site\n"
        "from tests.confluence_data.test_generator import fingerprint\n"
        "print(hashlib.sha256(repr(fingerprint(generate_site('small', seed=9))).encode()).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_some_titles_and_file_names_are_tricky(cloud_site):
    from urllib.parse import quote

    titles = [p.title for p in cloud_site.iter_contents("page")]
    names = [a.file_name for a in cloud_site.iter_contents("attachment")]
    assert any("/" in t and "?" in t and "#" in t for t in titles)
    assert any('"' in t for t in titles) and any("日本語" in t for t in titles)
    assert any("&" in n and "é" in n for n in names) and any("#" in n and "%" in n for n in names)
    assert any(quote(n) != n for n in names)
    # they stay unique per space and keep their real extension
    for space in cloud_site.spaces:
        page_titles = [cloud_site.content(c).title for c in cloud_site.space_content_ids(space, "page")]
        assert len(page_titles) == len(set(page_titles))
    assert all(n.rsplit(".", 1)[-1] in files.KINDS for n in names)


def _runnable_modules() -> list[str]:
    import pathlib

    package = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "confluence"
    names = sorted(p.stem for p in package.glob("*.py") if 'if __name__ == "__main__":' in p.read_text())
    return [f"fixtures.confluence.{n}" if n != "__main__" else "fixtures.confluence" for n in names]


def test_every_runnable_module_is_among_the_checked_ones():
    assert "fixtures.confluence.generator" in _runnable_modules()


@pytest.mark.parametrize("module", _runnable_modules())
def test_python_dash_m_starts_without_warnings(module):
    """``python -m fixtures.confluence.generator`` must not find itself imported by the package."""
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", module, "--help"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "usage:" in done.stdout
