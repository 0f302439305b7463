"""ConfluenceDataSource against the scripted site: flavours, toggles, filters, size cap, errors."""

from __future__ import annotations

import pytest

from connectors.configuration import DataSourceConfiguration
from connectors.errors import ConfigurationError, SourceUnreachable, SyncError
from connectors.sources.confluence.client import Backoff
from connectors.sources.confluence.datasource import ConfluenceDataSource

from . import site
from .fake import FakeConfluence, Reply, error


@pytest.fixture
async def fake():
    async with FakeConfluence() as server:
        yield server


def make_source(fake, *, flavour="cloud", **values) -> ConfluenceDataSource:
    if flavour == "cloud":
        base = {"data_source": "confluence_cloud", "confluence_url": fake.origin}
        base |= {"account_email": "ann@example.com", "api_token": "s3cr3t-tok"}
    elif flavour == "dc-pat":
        base = {"data_source": "confluence_data_center", "confluence_url": fake.base}
        base |= {"data_center_auth_method": "personal_access_token", "data_center_token": "s3cr3t-pat"}
    elif flavour == "dc-basic":
        base = {"data_source": "confluence_data_center", "confluence_url": fake.base}
        base |= {
            "data_center_auth_method": "basic",
            "data_center_username": "ann",
            "data_center_password": "s3cr3t-pw",
        }
    else:
        base = {
            "data_source": "confluence_server",
            "confluence_url": fake.base,
            "username": "ann",
            "password": "s3cr3t-pw",
        }
    base |= values
    config = DataSourceConfiguration({key: {"value": value} for key, value in base.items()})
    return ConfluenceDataSource(config, client_options={"backoff": Backoff(0, 0)})


async def collect(source, filtering=None):
    docs = {}
    lazies = {}
    try:
        async for doc, lazy in source.get_docs(filtering):
            assert doc["_id"] not in docs, f"duplicate {doc['_id']}"
            if lazy is not None and doc["type"] != "attachment":
                # bodies are converted lazily (only for new or changed documents): do what the sink does
                extra = await lazy(doit=True, timestamp=doc["_timestamp"])
                assert extra["_id"] == doc["_id"] and extra["_timestamp"] == doc["_timestamp"]
                doc = {**doc, **extra}
            docs[doc["_id"]] = doc
            lazies[doc["_id"]] = lazy
    finally:
        await source.close()
    return docs, lazies


FULL = {
    "space-10", "space-20", "page-100", "page-101", "page-102", "page-103", "blogpost-200", "folder-500",
    "comment-300", "comment-301", "comment-302", "attachment-400", "attachment-401", "attachment-402",
    "attachment-403", "page-600",
}  # fmt: skip


async def test_cloud_full_sync_documents(fake):
    seen = site.install(fake, cloud=True)
    docs, lazies = await collect(make_source(fake))
    assert set(docs) == FULL
    page = docs["page-101"]
    assert page["type"] == "page" and page["title"] == "Child" and page["body"] == "child body"
    assert page["url"] == fake.origin + "/wiki/spaces/ENG/pages/101/Child"
    assert page["space_key"] == "ENG" and page["space_name"] == "Engineering"
    assert (
        page["ancestors"] == [{"id": "100", "title": "Home", "type": "page"}] and page["parent_id"] == "100"
    )
    assert page["author"] == "Ann Lee" and page["last_modifier"] == "Bob Roe" and page["version"] == 3
    assert (
        page["_timestamp"] == "2024-03-01T10:00:00.000Z" and page["created_at"] == "2024-02-10T10:00:00.000Z"
    )
    assert docs["page-100"]["labels"] == ["runbook"]
    assert docs["space-10"]["body"] == "Engineering space" and docs["space-10"]["space_key"] == "ENG"
    comment = docs["comment-302"]
    assert comment["container_id"] == "101" and comment["parent_comment_id"] == "300"
    assert docs["attachment-400"]["filename"] == "notes.txt" and docs["attachment-400"]["size"] == len(
        site.NOTES
    )
    assert await lazies["page-100"](doit=False) is None  # the body conversion is lazy too
    # Cloud: spaces through v2; content through CQL paged by cursor (no start parameter).
    assert fake.calls_to("/api/v2/spaces") and not fake.calls_to("/rest/api/space")
    assert all("start" not in c.query for c in fake.calls_to("/rest/api/content/search"))
    assert any("metadata.labels" in e for e in seen["expand"])


async def test_unchanged_documents_cost_no_parsing(fake, monkeypatch):
    """Body text is produced by the lazy download, which the sink skips for unchanged documents."""
    site.install(fake, cloud=True)
    import connectors.sources.confluence.datasource as module

    calls = []
    monkeypatch.setattr(module, "storage_to_text", lambda storage, **kw: calls.append(storage) or "x")
    source = make_source(fake)
    pairs = [pair async for pair in source.get_docs()]
    await source.close()
    assert calls == [] and len(pairs) == len(FULL)
    page = next(doc for doc, _ in pairs if doc["_id"] == "page-100")
    assert page["body"] == ""


async def test_bodies_come_with_the_listing_not_per_document(fake):
    site.install(fake, cloud=True)
    await collect(make_source(fake))
    per_doc = [c.path for c in fake.calls if "/content/1" in c.path or "/content/2" in c.path]
    assert per_doc == []
    # 5 types x 2 spaces, one page each, and the trash (listed first, for the incremental cursor)
    assert len(fake.calls_to("/rest/api/content/search")) == 2 * 5 + 1


@pytest.mark.parametrize("flavour", ["dc-pat", "dc-basic", "server"])
async def test_data_center_and_server(fake, flavour):
    site.install(fake, cloud=False)
    docs, _ = await collect(make_source(fake, flavour=flavour))
    assert set(docs) == FULL - {"folder-500"}  # no folders on Data Center / Server
    assert docs["page-100"]["url"] == fake.base + "/spaces/ENG/pages/100/Home"
    assert fake.calls_to("/rest/api/space") and not fake.calls_to("/api/v2/spaces")
    assert all("start" in c.query for c in fake.calls_to("/rest/api/content/search"))
    header = fake.calls[0].headers["Authorization"]
    assert header.startswith("Bearer ") if flavour == "dc-pat" else header.startswith("Basic ")


TOGGLED = {
    "index_spaces": {"space-10", "space-20"},
    "index_pages": {"page-100", "page-101", "page-102", "page-103", "page-600"},
    "index_blogposts": {"blogpost-200"},
    "index_folders": {"folder-500"},
    "index_page_attachments": {"attachment-400", "attachment-402", "attachment-403"},
    "index_blogpost_attachments": {"attachment-401"},
    "index_page_comments": {"comment-300", "comment-302"},
    "index_blogpost_comments": {"comment-301"},
}


@pytest.mark.parametrize("toggle", sorted(TOGGLED))
async def test_each_toggle_removes_its_documents(fake, toggle):
    site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, **{toggle: False}))
    assert set(docs) == FULL - TOGGLED[toggle]


async def test_labels_toggle(fake):
    seen = site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, index_labels=False))
    assert docs["page-100"]["labels"] == []
    assert not any("metadata.labels" in e for e in seen["expand"])


async def test_attachment_size_cap_and_lazy_download(fake):
    seen = site.install(fake, cloud=True)
    docs, lazies = await collect(make_source(fake, max_attachment_size_mb=10))
    big = docs["attachment-401"]
    assert lazies["attachment-401"] is None and "exceeds the 10 MB" in big["content_skipped_reason"]
    assert seen["downloads"] == []  # nothing is downloaded until the sink asks
    source = make_source(fake)
    _, lazies = await collect(source)
    assert await lazies["attachment-400"](doit=False) is None
    result = await lazies["attachment-400"](doit=True, timestamp=docs["attachment-400"]["_timestamp"])
    await source.close()
    assert result == {
        "_id": "attachment-400",
        "_timestamp": docs["attachment-400"]["_timestamp"],
        "body": "Meeting notes\nsecond line",
    }
    assert seen["downloads"] == ["/wiki/download/attachments/100/notes.txt"]


async def test_images_are_metadata_only_and_can_be_switched_off(fake):
    site.install(fake, cloud=True)
    docs, lazies = await collect(make_source(fake))
    assert (
        lazies["attachment-402"] is None
        and "no text extractor" in docs["attachment-402"]["content_skipped_reason"]
    )
    assert "[image: diagram.png]" in docs["blogpost-200"]["body"]
    docs, _ = await collect(make_source(fake, index_inline_images=False))
    assert "attachment-402" not in docs and "[image:" not in docs["blogpost-200"]["body"]


async def test_include_page_ids_brings_subtree_and_its_children_only(fake):
    seen = site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, include_page_ids="101"))
    pages = {d for d in docs if d.startswith("page-")}
    assert pages == {"page-101", "page-103"}
    assert "attachment-402" in docs and "attachment-400" not in docs and "attachment-403" not in docs
    assert "comment-302" in docs and "comment-300" not in docs
    assert "blogpost-200" in docs and "attachment-401" in docs  # blog posts are not scoped by page ids
    assert any("(id in (101) or ancestor in (101))" in q for q in seen["cql"])


async def test_exclude_page_ids_drops_subtree(fake):
    site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, exclude_page_ids="100"))
    assert {d for d in docs if d.startswith("page-")} == {"page-102", "page-600"}
    assert "attachment-403" in docs and "attachment-400" not in docs and "comment-302" not in docs


async def test_blogpost_id_filters(fake):
    site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, exclude_blogpost_ids="200"))
    assert "blogpost-200" not in docs and "comment-301" not in docs and "attachment-401" not in docs
    docs, _ = await collect(make_source(fake, include_blogpost_ids="999"))
    assert "blogpost-200" not in docs and "page-100" in docs


async def test_spaces_and_exclusions_and_max_spaces(fake):
    site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, spaces="OPS"))
    assert set(docs) == {"space-20", "page-600"}
    assert fake.calls_to("/api/v2/spaces")[-1].param("keys") == "OPS"
    docs, _ = await collect(make_source(fake, exclude_spaces="ENG"))
    assert set(docs) == {"space-20", "page-600"}
    docs, _ = await collect(make_source(fake, max_num_of_spaces=1))
    assert {d["space_key"] for d in docs.values()} == {"ENG"}


async def test_max_docs_per_space(fake):
    site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, max_num_of_docs_from_each_space=3))
    eng = [d for d in docs.values() if d["space_key"] == "ENG" and d["type"] != "space"]
    assert len(eng) == 3 and "page-600" in docs


async def test_max_docs_counts_only_documents_inside_the_date_window(fake):
    site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, created_after="2024-01-01", max_num_of_docs_from_each_space=3))
    eng = sorted(d for d, doc in docs.items() if doc["space_key"] == "ENG" and doc["type"] != "space")
    assert eng == ["page-100", "page-101", "page-103"]  # page-102 (created 2023) does not use up the budget


async def test_date_windows(fake):
    seen = site.install(fake, cloud=True)
    docs, _ = await collect(make_source(fake, created_after="2024-02-01"))
    assert "page-101" in docs and "page-100" not in docs and "page-102" not in docs
    assert any('created >= "2024-01-31"' in q for q in seen["cql"])
    docs, _ = await collect(make_source(fake, modified_before="2023-12-31"))
    assert {d for d in docs if d.startswith("page-")} == {"page-102"}
    docs, _ = await collect(make_source(fake, created_after="2023-01-01", created_before="2023-12-31"))
    assert {d for d in docs if d.startswith("page-")} == {"page-102"}


async def test_listing_failure_fails_the_sync_naming_what(fake):
    site.install(fake, cloud=True)

    def broken(call):
        if "type = comment" in call.param("cql"):
            return error(500, "database on fire")
        return fake.v1_page([], call)

    fake.route("/rest/api/content/search", broken)
    with pytest.raises(SyncError, match=r"comments of space ENG.*database on fire"):
        await collect(make_source(fake, retry_count=1))


async def test_attachment_download_failure_names_attachment(fake):
    site.install(fake, cloud=True)
    fake.route("/download/attachments/100/notes.txt", lambda call: error(500, "disk"))
    source = make_source(fake, retry_count=0)
    _, lazies = await collect(source)
    with pytest.raises(SyncError, match="notes.txt"):
        await lazies["attachment-400"](doit=True)
    await source.close()


# -- configuration and ping -------------------------------------------------------------------
async def test_validate_config_reports_every_local_problem_at_once(fake):
    source = make_source(
        fake,
        confluence_url="not a url",
        api_token="",
        include_page_ids="1, 2",
        exclude_page_ids="2",
        created_after="2024-05-01",
        created_before="2024-01-01",
        spaces="ENG",
        exclude_spaces="ENG",
    )
    with pytest.raises(ConfigurationError) as info:
        await source.validate_config()
    text = str(info.value)
    for expected in (
        "'Confluence URL'",
        "Confluence Cloud API token",
        "Page IDs both included and excluded: 2",
        "'Created after' must be earlier",
        "Space keys both included and excluded: ENG",
    ):
        assert expected in text
    assert fake.calls == []


async def test_validate_config_lists_unknown_space_keys(fake):
    site.install(fake, cloud=True)
    with pytest.raises(ConfigurationError, match="Unknown space keys.*NOPE, GONE"):
        await make_source(fake, spaces="ENG, NOPE, GONE").validate_config()


async def test_validate_config_accepts_good_configuration(fake):
    site.install(fake, cloud=True)
    source = make_source(fake, spaces="ENG,OPS")
    await source.validate_config()  # raises ConfigurationError on any problem
    await source.close()
    # accepted after asking the site, not without looking: one probe, one lookup of the two keys
    assert [c.param("limit") for c in fake.calls_to("/rest/api/space")] == ["1"]
    assert [c.param("keys") for c in fake.calls_to("/api/v2/spaces")] == ["ENG,OPS"]


@pytest.mark.parametrize(
    "flavour,credential",
    [
        ("cloud", "Cloud account email and API token"),
        ("dc-pat", "Data Center personal access token"),
        ("dc-basic", "Data Center username and password"),
        ("server", "Server username and password"),
    ],
)
async def test_ping_401_names_the_credential(fake, flavour, credential):
    fake.route("/rest/api/space", lambda call: Reply(401, body="Unauthorized"))
    source = make_source(fake, flavour=flavour)
    with pytest.raises(SourceUnreachable, match=f"refused the {credential} \\(HTTP 401\\)") as info:
        await source.ping()
    await source.close()
    assert "s3cr3t" not in str(info.value)


async def test_ping_403_and_404(fake):
    fake.route("/rest/api/space", lambda call: error(403, "Current user not permitted to use Confluence"))
    source = make_source(fake)
    with pytest.raises(SourceUnreachable, match="HTTP 403: Current user not permitted"):
        await source.ping()
    fake.routes.clear()
    with pytest.raises(SourceUnreachable, match="No Confluence REST API found"):
        await source.ping()
    await source.close()


async def test_ping_unreachable_host():
    config = DataSourceConfiguration(
        {
            "data_source": {"value": "confluence_server"},
            "confluence_url": {"value": "http://127.0.0.1:9"},
            "username": {"value": "u"},
            "password": {"value": "p"},
            "retry_count": {"value": 0},
        }
    )
    source = ConfluenceDataSource(config)
    with pytest.raises(SourceUnreachable, match="Cannot reach Confluence Server at http://127.0.0.1:9"):
        await source.ping()
    await source.close()


def test_default_configuration_is_a_sound_form():
    schema = ConfluenceDataSource.get_default_configuration()
    assert schema["api_token"]["sensitive"] and schema["data_center_token"]["sensitive"]
    assert schema["password"]["depends_on"] == [{"field": "data_source", "value": "confluence_server"}]
    assert schema["retry_count"]["value"] == 3 and schema["concurrent_downloads"]["value"] == 50
    assert schema["max_attachment_size_mb"]["value"] == 10
    assert [o["value"] for o in schema["data_source"]["options"]] == [
        "confluence_cloud",
        "confluence_server",
        "confluence_data_center",
    ]
    orders = [spec["order"] for spec in schema.values()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert "use_document_level_security" in schema


def test_concurrency_over_50_is_refused():
    config = DataSourceConfiguration(ConfluenceDataSource.get_default_configuration())
    config = DataSourceConfiguration(
        {
            **config.to_dict(),
            "concurrent_downloads": {**config.to_dict()["concurrent_downloads"], "value": 51},
        }
    )
    with pytest.raises(ConfigurationError, match="Maximum concurrent requests"):
        config.check_valid()


async def test_every_body_is_cut_at_max_body_chars_and_says_so(fake):
    site.install(fake, cloud=True)
    whole, _ = await collect(make_source(fake))
    assert all("body_truncated_reason" not in doc for doc in whole.values())  # the default cap: 1,000,000
    source = make_source(fake, max_body_chars=10)
    docs, lazies = await collect(source)
    attachment = await lazies["attachment-400"](doit=True, timestamp=docs["attachment-400"]["_timestamp"])
    await source.close()
    assert attachment["body"] == "Meeting no"  # of "Meeting notes\nsecond line", cut in the worker
    assert attachment["body_truncated_reason"] == "body text cut at 10 characters (max_body_chars)"
    cut = [doc for doc in docs.values() if doc["type"] in ("page", "blogpost", "comment")]
    assert cut and all(doc["body"] == whole[doc["_id"]]["body"][:10] for doc in cut)
    for doc in cut:
        longer = len(whole[doc["_id"]]["body"]) > 10
        assert ("body_truncated_reason" in doc) is longer, doc["_id"]
    assert any("body_truncated_reason" in doc for doc in cut)


@pytest.mark.parametrize("value", [0, -5])
def test_max_body_chars_must_be_a_positive_whole_number(fake, value):
    settings = make_source(fake, max_body_chars=value).settings
    assert any(
        "'Maximum body text per document (characters)' must be greater than 0" in p for p in settings.problems
    )


async def test_a_big_body_is_fetched_again_when_converted_not_kept_from_the_listing(fake, monkeypatch):
    from connectors.sources.confluence import datasource

    site.install(fake, cloud=True)
    whole, _ = await collect(make_source(fake))
    monkeypatch.setattr(datasource, "STREAM_ABOVE", 10)  # every body counts as big
    fetched = []

    def content(call):
        fetched.append(call.path.rsplit("/", 1)[-1])
        item = next(i for i in site.ALL if i["id"] == fetched[-1])
        return Reply(200, {"id": item["id"], "body": item["body"]})

    fake.route("/rest/api/content/100", content)
    source = make_source(fake, index_pages=True)
    pairs = []
    async for doc, lazy in source.get_docs():
        pairs.append((doc, lazy))
    page = next((doc, lazy) for doc, lazy in pairs if doc["_id"] == "page-100")
    # the lazy conversion keeps ids only, not the listing's storage body
    assert not any(isinstance(arg, str) and "<" in arg for arg in page[1].args), page[1].args
    assert fetched == []
    result = await page[1](doit=True)
    await source.close()
    assert fetched == ["100"] and result["body"] == whole["page-100"]["body"]
