"""Content browser: search, facets, counts per type, safe links."""

from tests.ui.conftest import seed_connector

DOCS = [
    {
        "_id": "page-1",
        "type": "Page",
        "space": "DEV",
        "title": "Release checklist",
        "body": "Steps to ship a release of the platform safely.",
        "url": "https://wiki.example/pages/1",
        "ancestors": [{"title": "Engineering", "url": "https://wiki.example/pages/0"}],
        "_timestamp": "2026-11-01T10:00:00Z",
    },
    {
        "_id": "page-2",
        "type": "Page",
        "space": "OPS",
        "title": "On-call <guide>",
        "body": "What to do when <script>paged</script> at night.",
        "url": "javascript:alert(1)",
        "_timestamp": "2026-11-02T10:00:00Z",
    },
    {
        "_id": "blog-1",
        "type": "Blog post",
        "space": "DEV",
        "title": "Release notes 4.2",
        "body": "The release brings faster search.",
        "url": "https://wiki.example/blog/1",
        "_timestamp": "2026-11-03T10:00:00Z",
    },
]


async def _seed_content(admin):
    await seed_connector(admin)
    await admin.indices.create(
        index="search-wiki",
        mappings={
            "properties": {
                "type": {"type": "keyword"},
                "space": {"type": "keyword"},
                "title": {"type": "text"},
                "body": {"type": "text"},
                "url": {"type": "keyword"},
                "_timestamp": {"type": "date"},
            }
        },
    )
    for doc in DOCS:
        await admin.index(
            index="search-wiki", id=doc["_id"], document={k: v for k, v in doc.items() if k != "_id"}
        )
    await admin.indices.refresh(index="search-wiki")


async def test_missing_index_says_to_sync_first(ui, admin):
    await seed_connector(admin)
    page = await ui.get("/connectors/conf-1/content")
    assert page.status == 200 and "No content yet" in page.body_text


async def test_search_facets_and_counts(ui, admin):
    await _seed_content(admin)
    page = await ui.get("/connectors/conf-1/content")
    assert "3 results" in page.body_text
    assert "<strong>2</strong> Page" in page.body_text and "<strong>1</strong> Blog post" in page.body_text
    found = await ui.get("/connectors/conf-1/content?q=release")
    assert "2 results" in found.body_text
    assert "Release checklist" in found.body_text and "Release notes 4.2" in found.body_text
    assert 'href="https://wiki.example/pages/1"' in found.body_text
    assert "Engineering" in found.body_text  # breadcrumb
    assert "ship a <mark>release</mark> of" in found.body_text  # highlighted snippet
    assert "Steps to ship" in found.body_text
    faceted = await ui.get("/connectors/conf-1/content?q=release&type=Blog+post")
    assert "1 result" in faceted.body_text and "Release checklist" not in faceted.body_text
    spaced = await ui.get("/connectors/conf-1/content?space=OPS")
    assert "1 result" in spaced.body_text and "On-call" in spaced.body_text


async def test_untrusted_content_is_escaped_and_unsafe_links_dropped(ui, admin):
    await _seed_content(admin)
    page = await ui.get("/connectors/conf-1/content?q=paged")
    assert "On-call &lt;guide&gt;" in page.body_text
    assert "javascript:" not in page.body_text
    assert "&lt;script&gt;<mark>paged</mark>&lt;/script&gt;" in page.body_text
    assert "<script>paged" not in page.body_text
