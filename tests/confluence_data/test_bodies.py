"""Storage-format bodies: Confluence constructs, well-formed XHTML, unique tokens, determinism."""

import re

import pytest
from lxml import etree

from fixtures.confluence.bodies import render_body, search_token, storage_to_text
from fixtures.confluence.generator import generate_site
from fixtures.confluence.model import User

ENTITIES = '<!ENTITY nbsp "&#160;"><!ENTITY rsquo "&#8217;"><!ENTITY mdash "&#8212;">'


def parse_storage(body):
    """Parse a storage body the way Confluence's own XHTML is parsed (ac/ri namespaces, entities)."""
    doc = (
        f"<!DOCTYPE root [{ENTITIES}]>"
        '<root xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier">'
        f"{body}</root>"
    )
    return etree.fromstring(doc.encode("utf-8"), etree.XMLParser(resolve_entities=True, no_network=True))


def rich_items(site):
    return [c for c in site.iter_contents() if c.type in ("page", "blogpost")]


def test_every_body_is_well_formed_and_carries_its_unique_token(cloud_site):
    for item in list(cloud_site.iter_contents())[:400]:
        body = cloud_site.body_of(item)
        if item.type in ("folder", "attachment"):
            assert body == ""
            continue
        parse_storage(body)
        token = search_token(item.id)
        assert re.search(rf"\b{token}\b", storage_to_text(body))


def test_tokens_are_unique_across_the_site(cloud_site):
    seen = {}
    for item in rich_items(cloud_site)[:200]:
        text = storage_to_text(cloud_site.body_of(item))
        for token in re.findall(r"\btok\d+\b", text):
            seen.setdefault(token, set()).add(item.id)
    assert all(len(ids) == 1 for ids in seen.values())


@pytest.mark.parametrize(
    "pattern",
    [
        r"<h1>",
        r"<table",
        r'ac:name="code".*<ac:plain-text-body><!\[CDATA\[',
        r'ac:name="(info|note|warning|tip)".*<ac:rich-text-body>',
        r'ac:name="expand"',
        r'ac:name="toc"',
        r'ac:name="jira"',
        r"<ri:page ri:content-title=",
        r"<ri:attachment ri:filename=",
        r"<ri:user ri:account-id=",
        r"<ac:image[^>]*><ri:attachment",
        r"<ac:image[^>]*><ri:url ri:value=",
        r"<ac:task-list><ac:task>",
        r"<ac:emoticon ac:name=",
        r"<ac:layout><ac:layout-section.*<ac:layout-cell>",
        r'ac:name="status"',
        r'<time datetime="\d{4}-\d{2}-\d{2}" />',
        r"&amp;|&lt;|&nbsp;|&rsquo;",
        r"[\u3040-\u30ff]",  # Japanese
        r"[\u0370-\u03ff]",  # Greek
        r"[\u0600-\u06ff]",  # Arabic
    ],
)
def test_bodies_use_the_confluence_constructs(cloud_bodies, pattern):
    assert any(re.search(pattern, body, re.S) for body in cloud_bodies), pattern


@pytest.fixture(scope="module")
def cloud_bodies(cloud_site):
    return [cloud_site.body_of(item) for item in rich_items(cloud_site)]


def test_data_center_bodies_link_users_by_userkey(dc_site):
    bodies = "".join(dc_site.body_of(item) for item in rich_items(dc_site)[:50])
    assert "ri:userkey=" in bodies and "ri:account-id=" not in bodies


def test_rendering_is_deterministic_and_does_not_depend_on_other_content():
    first = generate_site("small", seed=5)
    second = generate_site("small", seed=5)
    page = rich_items(first)[10]
    twin = second.content(page.id)
    # renaming another page does not change this body
    other = rich_items(second)[11]
    other.title = "Renamed elsewhere"
    # nor does adding users (mentions are drawn from the first users only)
    second.add_user(User(id="new-user", username="zed", display_name="Zed", email="zed@example.com"))
    assert render_body(first, page) == render_body(second, twin)


def test_storage_to_text_keeps_cdata_and_decodes_entities():
    body = (
        '<p>a &amp; b&nbsp;c</p><ac:structured-macro ac:name="code"><ac:parameter ac:name="language">py'
        "</ac:parameter><ac:plain-text-body><![CDATA[x < 1]]></ac:plain-text-body></ac:structured-macro>"
    )
    assert storage_to_text(body) == "a & b c x < 1"  # no-break spaces collapse too


def test_comment_bodies_are_short_paragraphs(cloud_site):
    comment = next(cloud_site.iter_contents("comment"))
    body = cloud_site.body_of(comment)
    assert body.startswith("<p>") and search_token(comment.id) in body and len(body) < 2000


def test_fast_draws_are_the_stock_draws():
    import random

    from fixtures.confluence import bodies

    for seed in range(50):
        fast, stock = bodies._Draws(seed), random.Random(seed)
        for a, b in ((1, 1), (0, 1), (2, 4), (1, 999), (15, 40), (0, 10_000), (2023, 2025), (1, 64)):
            assert fast.randint(a, b) == stock.randint(a, b)
        for seq in (bodies.WORDS, bodies.PANELS, ("x",), bodies.NON_LATIN):
            assert fast.choice(seq) == stock.choice(seq)
        assert bodies._sentence(fast, 17) == " ".join(stock.choices(bodies.WORDS, k=17)).capitalize() + "."
        assert fast.random() == stock.random()


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_rendered_bytes_match_rendering_with_stock_random(flavor, monkeypatch):
    import random

    from fixtures.confluence import bodies

    site = generate_site("small", seed=3, flavor=flavor)
    fast = [render_body(site, c) for c in site.iter_contents()]
    monkeypatch.setattr(bodies, "_Draws", random.Random)
    monkeypatch.setattr(
        bodies, "_sentence", lambda rng, n: " ".join(rng.choices(bodies.WORDS, k=n)).capitalize() + "."
    )
    assert [render_body(site, c) for c in site.iter_contents()] == fast
