"""Index APIs: create/exists/get/delete, mappings (explicit and dynamic), settings, aliases, refresh."""

import pytest
from elasticsearch import BadRequestError, NotFoundError


async def test_create_with_settings_mappings_aliases(es_client):
    r = await es_client.indices.create(
        index="books",
        settings={"number_of_shards": 1, "refresh_interval": "5s"},
        mappings={"properties": {"title": {"type": "text"}, "isbn": {"type": "keyword"}}},
        aliases={"library": {}},
    )
    assert r.body == {"acknowledged": True, "shards_acknowledged": True, "index": "books"}
    assert await es_client.indices.exists(index="books")
    assert await es_client.indices.exists(index="library")
    assert not await es_client.indices.exists(index="nothing-here")
    got = await es_client.indices.get(index="books")
    assert got["books"]["aliases"] == {"library": {}}
    assert got["books"]["mappings"]["properties"]["isbn"] == {"type": "keyword"}
    assert got["books"]["settings"]["index"]["refresh_interval"] == "5s"
    assert got["books"]["settings"]["index"]["number_of_shards"] == "1"


async def test_create_twice_is_resource_already_exists(es_client):
    await es_client.indices.create(index="dup")
    with pytest.raises(BadRequestError) as info:
        await es_client.indices.create(index="dup")
    assert info.value.body["error"]["type"] == "resource_already_exists_exception"
    assert info.value.body["error"]["index"] == "dup"


@pytest.mark.parametrize("name", ["UPPER", "_under", "with space", "a*b", "with#hash"])
async def test_invalid_index_names(es_client, name):
    with pytest.raises(BadRequestError) as info:
        await es_client.indices.create(index=name)
    assert info.value.body["error"]["type"] == "invalid_index_name_exception"


async def test_unknown_field_type_is_mapper_parsing_exception(es_client):
    with pytest.raises(BadRequestError) as info:
        await es_client.indices.create(index="bad", mappings={"properties": {"x": {"type": "strng"}}})
    assert info.value.body["error"]["type"] == "mapper_parsing_exception"
    assert "[strng]" in info.value.body["error"]["reason"] and "[x]" in info.value.body["error"]["reason"]
    assert not await es_client.indices.exists(index="bad")


async def test_delete_index_and_404s(es_client):
    await es_client.indices.create(index="gone")
    assert (await es_client.indices.delete(index="gone"))["acknowledged"] is True
    with pytest.raises(NotFoundError) as info:
        await es_client.indices.delete(index="gone")
    assert info.value.body["error"]["type"] == "index_not_found_exception"
    with pytest.raises(NotFoundError):
        await es_client.indices.get(index="gone")


async def test_dynamic_mapping_records_types_like_elasticsearch(es_client):
    await es_client.index(
        index="dyn",
        id="1",
        document={
            "title": "Some text",
            "count": 3,
            "ratio": 0.5,
            "ok": True,
            "when": "2024-05-01T10:00:00Z",
            "day": "2024-05-01",
            "owner": {"name": "ann", "age": 40},
            "tags": ["a", "b"],
            "nothing": None,
        },
    )
    props = (await es_client.indices.get_mapping(index="dyn"))["dyn"]["mappings"]["properties"]
    assert props["title"] == {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    assert props["count"] == {"type": "long"}
    assert props["ratio"] == {"type": "float"}
    assert props["ok"] == {"type": "boolean"}
    assert props["when"] == {"type": "date"}
    assert props["day"] == {"type": "date"}
    assert props["owner"]["properties"]["age"] == {"type": "long"}
    assert props["tags"]["type"] == "text"
    assert "nothing" not in props


async def test_value_that_does_not_fit_the_mapping_is_rejected(es_client):
    await es_client.indices.create(index="typed", mappings={"properties": {"n": {"type": "long"}}})
    with pytest.raises(BadRequestError) as info:
        await es_client.index(index="typed", id="1", document={"n": "not a number"})
    assert info.value.body["error"]["type"] == "document_parsing_exception"
    assert "[n]" in info.value.body["error"]["reason"]


async def test_strict_and_false_dynamic(es_client):
    await es_client.indices.create(
        index="strict", mappings={"dynamic": "strict", "properties": {"a": {"type": "keyword"}}}
    )
    with pytest.raises(BadRequestError) as info:
        await es_client.index(index="strict", id="1", document={"a": "x", "b": "y"})
    assert info.value.body["error"]["type"] == "strict_dynamic_mapping_exception"
    await es_client.indices.create(
        index="loose", mappings={"dynamic": False, "properties": {"a": {"type": "keyword"}}}
    )
    await es_client.index(index="loose", id="1", document={"a": "x", "b": "y"}, refresh=True)
    props = (await es_client.indices.get_mapping(index="loose"))["loose"]["mappings"]["properties"]
    assert list(props) == ["a"]
    assert (await es_client.get(index="loose", id="1"))["_source"]["b"] == "y"


async def test_put_mapping_merges_and_refuses_type_changes(es_client):
    await es_client.indices.create(index="m", mappings={"properties": {"a": {"type": "keyword"}}})
    await es_client.indices.put_mapping(index="m", properties={"b": {"type": "long"}})
    props = (await es_client.indices.get_mapping(index="m"))["m"]["mappings"]["properties"]
    assert props == {"a": {"type": "keyword"}, "b": {"type": "long"}}
    with pytest.raises(BadRequestError) as info:
        await es_client.indices.put_mapping(index="m", properties={"a": {"type": "long"}})
    assert "cannot be changed from type [keyword] to [long]" in info.value.body["error"]["reason"]


async def test_aliases_put_get_update_delete(es_client):
    await es_client.indices.create(index="al-1")
    await es_client.indices.create(index="al-2")
    await es_client.indices.put_alias(index="al-1", name="current")
    assert (await es_client.indices.get_alias(name="current")).body == {"al-1": {"aliases": {"current": {}}}}
    await es_client.indices.update_aliases(
        actions=[
            {"remove": {"index": "al-1", "alias": "current"}},
            {"add": {"index": "al-2", "alias": "current"}},
        ]
    )
    assert list((await es_client.indices.get_alias(name="current")).body) == ["al-2"]
    await es_client.index(index="current", id="x", document={"v": 1})
    assert (await es_client.get(index="al-2", id="x"))["found"]
    await es_client.indices.delete_alias(index="al-2", name="current")
    assert not await es_client.indices.exists_alias(name="current")


async def test_refresh_reports_shards(es_client):
    await es_client.indices.create(index="r1")
    r = await es_client.indices.refresh(index="r1")
    assert (r["_shards"]["successful"], r["_shards"]["failed"]) == (1, 0)  # one primary, refreshed
    with pytest.raises(NotFoundError):
        await es_client.indices.refresh(index="missing-index")


async def test_delete_never_expands_aliases(es_client):
    await es_client.indices.create(index="real", aliases={"nick": {}})
    await es_client.indices.create(index="other")
    with pytest.raises(BadRequestError) as info:
        await es_client.indices.delete(index="nick")
    assert "matches an alias" in info.value.body["error"]["reason"]
    await es_client.indices.delete(index="nic*")  # wildcards do not match aliases
    await es_client.indices.delete(index="nick,other", ignore_unavailable=True)
    assert await es_client.indices.exists(index="real")
    assert not await es_client.indices.exists(index="other")
    with pytest.raises(NotFoundError):
        await es_client.indices.delete(index="nothing*", allow_no_indices=False)


async def test_alias_routing_expands_and_types_in_put_mapping_are_refused(es_client):
    await es_client.indices.create(index="ar", aliases={"r": {"routing": "b"}})
    props = (await es_client.indices.get_alias(name="r"))["ar"]["aliases"]["r"]
    assert props == {"index_routing": "b", "search_routing": "b"}
    with pytest.raises(BadRequestError) as info:
        await es_client.indices.put_mapping(index="ar", body={"_doc": {"properties": {}}})
    assert info.value.body["error"]["reason"] == "Types cannot be provided in put mapping requests"
    with pytest.raises(BadRequestError) as info:
        await es_client.indices.create(index="sd", settings={"soft_deletes.enabled": False})
    assert "soft-deletes disabled is no longer supported" in info.value.body["error"]["reason"]


async def test_index_stats_count_operations(es_client):
    await es_client.indices.create(index="st")
    await es_client.bulk(
        operations=[
            {"create": {"_index": "st", "_id": "1"}},
            {"f": "x"},
            {"create": {"_index": "st", "_id": "2"}},
            {"f": "y"},
        ],
        refresh=True,
    )
    await es_client.update(index="st", id="1", doc={"f": "x"})  # noop
    await es_client.delete(index="st", id="2", refresh=True)
    await es_client.search(index="st")
    stats = (await es_client.indices.stats(index="st"))["indices"]["st"]["primaries"]
    assert stats["indexing"]["index_total"] == 2
    assert stats["indexing"]["noop_update_total"] == 1
    assert stats["indexing"]["delete_total"] == 1
    assert stats["docs"]["count"] == 1
    assert stats["search"]["query_total"] == 1
    assert stats["store"]["size_in_bytes"] == len(
        '{"f": "x"}'
    )  # the stand-in's size: JSON of the sources left
