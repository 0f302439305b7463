"""Advanced rules: JSON-schema validation, remote CQL validation, and syncing from CQL results."""

from __future__ import annotations

import pytest

from connectors.filtering import Filter, validate_filtering

from . import site
from .fake import FakeConfluence
from .test_datasource import collect, make_source


@pytest.fixture
async def fake():
    async with FakeConfluence() as server:
        yield server


def snippet(value):
    return Filter({"rules": [], "advanced_snippet": {"value": value}})


@pytest.mark.parametrize(
    "value,message",
    [
        ({"query": "type=page"}, "advanced_rules: must be array"),
        ([{"query": 3}], "advanced_rules[0].query: must be string"),
        ([{"query": "type=page"}, {"cql": "x"}], "advanced_rules[1]"),
        ([{"query": ""}], "advanced_rules[0].query"),
        ([{"query": "type=page", "extra": 1}], "advanced_rules[0]"),
    ],
)
async def test_schema_errors_name_the_rule(fake, value, message):
    source = make_source(fake)
    result = await validate_filtering(snippet(value), source)
    await source.close()
    assert result["state"] == "invalid"
    assert message in " ".join(m for e in result["errors"] for m in e["messages"])
    assert fake.calls == []  # the remote check runs only on a well-formed snippet


async def test_remote_validation_shows_confluences_error_by_index(fake):
    site.install(fake, cloud=True)
    source = make_source(fake)
    result = await validate_filtering(
        snippet([{"query": "type=page"}, {"query": "syntax error here"}]), source
    )
    await source.close()
    assert result["state"] == "invalid"
    text = " ".join(m for e in result["errors"] for m in e["messages"])
    assert "advanced_rules[1]" in text and "Could not parse cql : syntax error here" in text
    assert [c.param("limit") for c in fake.calls_to("/rest/api/content/search")] == ["1", "1"]


async def test_valid_rules(fake):
    site.install(fake, cloud=True)
    source = make_source(fake)
    result = await validate_filtering(snippet([{"query": "type=page and space=ENG"}]), source)
    await source.close()
    assert result == {"state": "valid", "errors": []}


async def test_sync_from_cql_replaces_spaces_and_brings_children(fake):
    seen = site.install(fake, cloud=True)
    rules = [{"query": 'type = page and space = "ENG"'}, {"query": "type = page and id in (100)"}]
    docs, lazies = await collect(make_source(fake, spaces="OPS"), snippet(rules))
    assert {d for d in docs if d.startswith("page-")} == {"page-100", "page-101", "page-102", "page-103"}
    assert "space-10" in docs and "space-20" not in docs  # the matched content's space, not `spaces`
    assert {"attachment-400", "attachment-402", "attachment-403", "comment-300", "comment-302"} <= set(docs)
    assert "blogpost-200" not in docs and "page-600" not in docs
    assert docs["attachment-400"]["container_id"] == "100" and lazies["attachment-400"] is not None
    assert seen["cql"][:2] == [rules[0]["query"], rules[1]["query"]]


async def test_cql_sync_respects_toggles(fake):
    site.install(fake, cloud=True)
    rules = [{"query": 'type = page and space = "ENG"'}]
    docs, _ = await collect(
        make_source(fake, index_page_attachments=False, index_page_comments=False), snippet(rules)
    )
    assert not any(d.startswith(("attachment-", "comment-")) for d in docs)
    assert fake.calls_to("/rest/api/content/100/child/attachment") == []


def test_queries_reads_only_well_formed_snippets():
    from connectors.errors import InvalidFilteringError
    from connectors.sources.confluence.rules import queries

    assert queries([{"query": " type = page "}]) == ["type = page"]
    assert queries({"query": "type = page"}) == ["type = page"]
    for bad in ("type = page", [{"query": ""}], [{"cql": "x"}], [3]):
        with pytest.raises(InvalidFilteringError, match="advanced_rules"):
            queries(bad)
