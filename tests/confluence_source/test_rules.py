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


# -- limits: rule count, query length, duplicates, capped messages (issue 11, defect 7) ----------
def error_text(result) -> str:
    return " ".join(m for e in result["errors"] for m in e["messages"])


async def test_ten_thousand_identical_rules_make_no_request_and_one_error(fake):
    site.install(fake, cloud=True)
    source = make_source(fake)
    result = await validate_filtering(snippet([{"query": "type = page"}] * 10_000), source)
    await source.close()
    assert result["state"] == "invalid" and len(result["errors"]) == 1
    assert error_text(result) == (
        "advanced_rules: 10,000 rules; at most 100 are allowed (each is one CQL search: combine queries with OR)"
    )
    assert fake.calls_to("/rest/api/content/search") == [] and fake.calls == []


async def test_duplicate_rules_are_an_error_naming_both_indexes_before_any_request(fake):
    from connectors.sources.confluence.rules import MAX_RULES

    site.install(fake, cloud=True)
    source = make_source(fake)
    rules = [{"query": "type = page"}, {"query": "type = blogpost"}] + [{"query": " type = page "}] * (
        MAX_RULES - 2
    )
    result = await validate_filtering(snippet(rules), source)
    await source.close()
    assert result["state"] == "invalid" and len(result["errors"]) == 1
    assert error_text(result) == (
        "advanced_rules[2].query is the same as advanced_rules[0].query ('type = page'): remove the duplicate "
        "(97 more duplicate rules)"
    )
    assert fake.calls == []


async def test_a_two_megabyte_query_gives_a_bounded_error_and_no_request(fake):
    import json

    site.install(fake, cloud=True)
    source = make_source(fake)
    huge = 'type = page and title ~ "' + "x" * 2_000_000 + '"'
    result = await validate_filtering(snippet([{"query": "type = page"}, {"query": huge}]), source)
    await source.close()
    assert error_text(result) == (
        "advanced_rules[1].query: 2,000,026 characters; at most 4,000 are allowed (Confluence receives the query "
        "in a URL)"
    )
    assert len(json.dumps(result)) < 1000 and fake.calls == []


async def test_a_refused_query_and_confluences_answer_are_quoted_capped(fake):
    site.install(fake, cloud=True)  # answers 400 "Could not parse cql : <the whole query>"
    source = make_source(fake)
    long_query = "syntax error " + "y" * 3900
    result = await validate_filtering(snippet([{"query": long_query}]), source)
    await source.close()
    text = error_text(result)
    assert text.startswith("advanced_rules[0].query 'syntax error yyy") and "(3,913 characters)" in text
    assert "was refused by Confluence: Could not parse cql : syntax error" in text
    assert len(text) < 800 and len(fake.calls_to("/rest/api/content/search")) == 1


async def test_a_sync_with_rules_over_a_limit_fails_naming_the_rule(fake):
    from connectors.errors import InvalidFilteringError

    site.install(fake, cloud=True)
    with pytest.raises(
        InvalidFilteringError, match=r"^advanced_rules\[1\]\.query is the same as advanced_rules\[0\]"
    ):
        await collect(make_source(fake), snippet([{"query": "type = page"}, {"query": "type = page"}]))
    assert fake.calls_to("/rest/api/content/search") == []


async def test_basic_rule_messages_quote_values_capped_and_errors_are_counted_not_all_kept():
    import json

    from connectors.filtering.validation import MAX_ERRORS

    def rule(i, value):
        return {
            "id": f"r{i}",
            "policy": "include",
            "field": "title",
            "rule": "regex",
            "value": value,
            "order": i,
        }

    result = await validate_filtering({"rules": [rule(i, "(" + "z" * 900) for i in range(500)]})
    assert result["state"] == "invalid" and len(result["errors"]) == MAX_ERRORS
    # 500 bad regexes and 499 "semantically equal" rules, 20 of them kept
    assert result["errors"][-1]["messages"][-1] == "979 more problems are not shown."
    first = result["errors"][0]["messages"][0]
    assert first.startswith("Basic rule 1 (id: 'r0'): value '(zzz") and "(901 characters)" in first
    assert len(json.dumps(result)) < 20_000
    result = await validate_filtering({"rules": [rule(0, "(" + "z" * 2_000_000)]})
    assert result["errors"][0]["messages"] == [
        "Basic rule 1 (id: 'r0'): value must be shorter than or equal to 1000 characters."
    ]
