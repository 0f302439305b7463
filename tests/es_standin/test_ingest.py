"""Ingest pipelines: CRUD, simulate, processors on index and bulk, clear errors."""

import pytest
from elasticsearch import BadRequestError, NotFoundError

PIPELINE = [
    {"set": {"field": "source", "value": "confluence"}},
    {"set": {"field": "copy", "value": "{{title}}!"}},
    {"rename": {"field": "old_name", "target_field": "new_name", "ignore_missing": True}},
    {"lowercase": {"field": "title"}},
    {"remove": {"field": ["secret", "junk"], "ignore_missing": True}},
]


async def test_put_get_delete_pipeline(es_client):
    assert (await es_client.ingest.put_pipeline(id="p1", description="d", processors=PIPELINE))[
        "acknowledged"
    ]
    got = await es_client.ingest.get_pipeline(id="p1")
    assert got["p1"]["description"] == "d" and len(got["p1"]["processors"]) == 5
    assert "p1" in (await es_client.ingest.get_pipeline())
    await es_client.ingest.delete_pipeline(id="p1")
    with pytest.raises(NotFoundError):
        await es_client.ingest.get_pipeline(id="p1")
    with pytest.raises(NotFoundError):
        await es_client.ingest.delete_pipeline(id="p1")


async def test_pipeline_applied_on_index(es_client):
    await es_client.ingest.put_pipeline(id="p", processors=PIPELINE)
    await es_client.index(
        index="ing", id="1", pipeline="p", document={"title": "Hello WORLD", "old_name": 1, "secret": "x"}
    )
    src = (await es_client.get(index="ing", id="1"))["_source"]
    assert src == {"title": "hello world", "new_name": 1, "source": "confluence", "copy": "Hello WORLD!"}


async def test_default_pipeline_setting(es_client):
    await es_client.ingest.put_pipeline(id="up", processors=[{"uppercase": {"field": "t"}}])
    await es_client.indices.create(index="dp", settings={"index.default_pipeline": "up"})
    await es_client.index(index="dp", id="1", document={"t": "abc"})
    assert (await es_client.get(index="dp", id="1"))["_source"] == {"t": "ABC"}


async def test_unknown_processor_is_a_clear_400(es_client):
    with pytest.raises(BadRequestError) as info:
        await es_client.ingest.put_pipeline(id="bad", processors=[{"attachment": {"field": "data"}}])
    err = info.value.body["error"]
    assert err["type"] == "parse_exception"
    assert "No processor type exists with name [attachment]" in err["reason"]
    assert err["processor_type"] == "attachment"
    with pytest.raises(BadRequestError) as info:
        await es_client.ingest.put_pipeline(id="bad", processors=[{"rename": {"field": "a"}}])
    assert "[target_field] required property is missing" in info.value.body["error"]["reason"]
    with pytest.raises(BadRequestError) as info:
        await es_client.ingest.put_pipeline(
            id="bad", processors=[{"set": {"field": "a", "value": 1, "if": "ctx.x > 1"}}]
        )
    assert "[if] scripts are not supported" in info.value.body["error"]["reason"]


async def test_missing_pipeline_and_failing_processor(es_client):
    with pytest.raises(BadRequestError) as info:
        await es_client.index(index="x", id="1", document={"a": 1}, pipeline="does-not-exist")
    assert "pipeline with id [does-not-exist] does not exist" in info.value.body["error"]["reason"]
    await es_client.ingest.put_pipeline(
        id="strict", processors=[{"rename": {"field": "nope", "target_field": "b"}}]
    )
    r = await es_client.bulk(operations=[{"index": {"_index": "x", "_id": "1"}}, {"a": 1}], pipeline="strict")
    assert r["errors"] and r["items"][0]["index"]["status"] == 400
    assert "[nope]" in r["items"][0]["index"]["error"]["reason"]


async def test_simulate_stored_and_inline(es_client):
    await es_client.ingest.put_pipeline(id="p", processors=PIPELINE)
    r = await es_client.ingest.simulate(
        id="p", docs=[{"_index": "i", "_id": "1", "_source": {"title": "ABC"}}]
    )
    assert r["docs"][0]["doc"]["_source"]["title"] == "abc"
    assert r["docs"][0]["doc"]["_source"]["source"] == "confluence"
    r = await es_client.ingest.simulate(
        pipeline={
            "processors": [
                {"trim": {"field": "t"}},
                {"gsub": {"field": "t", "pattern": "\\s+", "replacement": "-"}},
            ]
        },
        docs=[{"_source": {"t": "  a  b c "}}],
    )
    assert r["docs"][0]["doc"]["_source"] == {"t": "a-b-c"}


async def test_mutate_processors(es_client):
    await es_client.ingest.put_pipeline(
        id="m",
        processors=[
            {"split": {"field": "s", "separator": "-"}},
            {"join": {"field": "j", "separator": "."}},
            {"convert": {"field": "c", "type": "integer"}},
            {"convert": {"field": "b", "type": "boolean"}},
            {"html_strip": {"field": "h", "target_field": "h_text"}},
            {"set": {"field": "copy", "copy_from": "missing", "ignore_empty_value": True}},
            {"set": {"field": "copy2", "copy_from": "s"}},
        ],
    )
    await es_client.index(
        index="mut",
        id="1",
        pipeline="m",
        document={
            "s": "a-b-c",
            "j": ["1", 2, True],
            "c": ["1", "0x10"],
            "b": "TRUE",
            "h": "<p>Hi <b>there</b> &amp; you</p>",
        },
    )
    src = (await es_client.get(index="mut", id="1"))["_source"]
    assert src["s"] == ["a", "b", "c"] and src["copy2"] == ["a", "b", "c"]
    assert src["j"] == "1.2.true"
    assert src["c"] == [1, 16] and src["b"] is True
    assert src["h_text"] == "\nHi there & you\n"
    assert "copy" not in src
    with pytest.raises(BadRequestError) as info:
        await es_client.index(
            index="mut", id="2", pipeline="m", document={"s": "x", "j": [], "c": "nope", "b": "1", "h": ""}
        )
    assert "unable to convert [nope] to integer" in info.value.body["error"]["reason"]


async def test_validation_errors_carry_the_processor_tag_and_summary_lists_ids(es_client):
    with pytest.raises(BadRequestError) as info:
        await es_client.ingest.put_pipeline(id="t", processors=[{"set": {"tag": "my-tag"}}])
    cause = info.value.body["error"]["root_cause"][0]
    assert (cause["processor_tag"], cause["property_name"]) == ("my-tag", "field")
    await es_client.ingest.put_pipeline(id="t", description="described", processors=[])
    assert (await es_client.ingest.get_pipeline(id="t", summary=True)).body == {"t": {}}


def test_whitespace_squeeze_fast_path_matches_the_regex():
    """The managed pipeline's ``\\s+`` → " " gsub takes a fast path; it must give exactly what
    ``re.sub`` gives, for every whitespace character Python's ``\\s`` knows, at both ends too."""
    import random
    import re
    import sys

    from fixtures.elasticsearch.ingest_values import gsub

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]
    assert len(spaces) > 6  # Unicode whitespace, not only ASCII
    rng = random.Random(7)
    alphabet = spaces + list("ab\u00e9\ufffd")
    samples = ["", " ", "  ", "a", " a ", "\u00a0a\u2003b\n"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(3000)]
    for text in samples:
        assert gsub(r"\s+", " ", text) == re.sub(r"\s+", " ", text), repr(text)


def test_gsub_java_group_references():
    from fixtures.elasticsearch.ingest_values import gsub

    assert gsub("(a)(b)", "$2$1", "xaby") == "xbay"
    assert gsub(r"\s+", "_", " a  b ") == "_a_b_"


@pytest.mark.parametrize(
    ("processor", "option"),
    [
        ({"gsub": {"field": "a", "pattern": "(", "replacement": ""}}, "pattern"),
        ({"split": {"field": "a", "separator": "["}}, "separator"),
    ],
)
async def test_invalid_regular_expression_is_refused_naming_the_option(es_client, processor, option):
    with pytest.raises(BadRequestError) as caught:
        await es_client.ingest.put_pipeline(id="bad-regex", processors=[processor])
    assert f"[{option}] invalid regular expression" in str(caught.value)
