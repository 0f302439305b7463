"""_search and _count: queries, relevance, sorting, paging, aggregations, highlight, errors."""

import pytest
from elasticsearch import BadRequestError

BOOKS = [
    {
        "title": "The Quick Brown Fox",
        "author": "Ann Lee",
        "year": 2001,
        "price": 9.5,
        "tags": ["animal", "classic"],
        "published": "2001-03-04",
        "in_stock": True,
        "body": "A quick brown fox jumps over the lazy dog.",
    },
    {
        "title": "Lazy Dogs and Sleepy Cats",
        "author": "Bob Stone",
        "year": 1999,
        "price": 12.0,
        "tags": ["animal"],
        "published": "1999-12-31",
        "in_stock": False,
        "body": "Dogs sleep. Cats sleep more. Nobody is quick here.",
    },
    {
        "title": "Foxes of the North",
        "author": "Ann Lee",
        "year": 2015,
        "price": 20.0,
        "tags": ["nature"],
        "published": "2015-06-01",
        "in_stock": True,
        "body": "Arctic foxes survive the cold; the fox is clever.",
    },
    {
        "title": "Cooking for One",
        "author": "Cy Vance",
        "year": 2020,
        "tags": [],
        "published": "2020-01-15",
        "in_stock": True,
        "body": "Recipes without any animals at all.",
    },
    {
        "title": "Fox fox fox",
        "author": "Dee Fox",
        "year": 2010,
        "price": 5.0,
        "tags": ["animal", "humour"],
        "published": "2010-07-07",
        "in_stock": False,
        "body": "fox fox fox fox fox",
    },
]


@pytest.fixture
async def books(es_client):
    ops = []
    for n, book in enumerate(BOOKS, 1):
        ops += [{"index": {"_index": "books", "_id": str(n)}}, book]
    r = await es_client.bulk(operations=ops, refresh=True)
    assert not r["errors"]
    return es_client


async def ids(client, **kwargs):
    r = await client.search(index="books", size=100, **kwargs)
    return [h["_id"] for h in r["hits"]["hits"]]


async def test_match_all_total_and_count(books):
    r = await books.search(index="books")
    assert r["hits"]["total"] == {"value": 5, "relation": "eq"}
    assert (await books.count(index="books"))["count"] == 5
    assert (await books.count(index="books", query={"term": {"author.keyword": "Ann Lee"}}))["count"] == 2


async def test_term_terms_ids_exists(books):
    assert sorted(await ids(books, query={"term": {"author.keyword": "Ann Lee"}})) == ["1", "3"]
    assert await ids(books, query={"term": {"author.keyword": "ann lee"}}) == []
    assert sorted(await ids(books, query={"term": {"title": "fox"}})) == ["1", "5"]  # analysed tokens
    assert sorted(await ids(books, query={"terms": {"tags.keyword": ["nature", "humour"]}})) == ["3", "5"]
    assert sorted(await ids(books, query={"ids": {"values": ["2", "4", "99"]}})) == ["2", "4"]
    assert sorted(await ids(books, query={"bool": {"must_not": {"exists": {"field": "price"}}}})) == ["4"]
    assert sorted(await ids(books, query={"term": {"in_stock": True}})) == ["1", "3", "4"]
    assert await ids(books, query={"term": {"year": "2015"}}) == ["3"]


async def test_range_numbers_and_dates(books):
    assert sorted(await ids(books, query={"range": {"year": {"gte": 2001, "lt": 2015}}})) == ["1", "5"]
    assert sorted(await ids(books, query={"range": {"price": {"gt": 9.5}}})) == ["2", "3"]
    assert sorted(
        await ids(books, query={"range": {"published": {"gte": "2010-01-01", "lte": "2015-06-01"}}})
    ) == ["3", "5"]
    assert sorted(await ids(books, query={"range": {"published": {"lt": "2000-01-01||+1d/d"}}})) == ["2"]
    assert sorted(await ids(books, query={"range": {"published": {"gte": "now-100y"}}})) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


async def test_prefix_wildcard(books):
    assert sorted(await ids(books, query={"prefix": {"author.keyword": "Ann"}})) == ["1", "3"]
    assert sorted(await ids(books, query={"prefix": {"title": "fox"}})) == ["1", "3", "5"]
    assert sorted(await ids(books, query={"wildcard": {"author.keyword": "*e?"}})) == ["1", "3"]
    assert sorted(
        await ids(books, query={"wildcard": {"author.keyword": {"value": "*FOX", "case_insensitive": True}}})
    ) == ["5"]


async def test_bool_clauses_and_minimum_should_match(books):
    q = {
        "bool": {
            "must": [{"match": {"body": "fox"}}],
            "filter": [{"term": {"in_stock": True}}],
            "must_not": [{"term": {"author.keyword": "Cy Vance"}}],
        }
    }
    assert sorted(await ids(books, query=q)) == ["1", "3"]
    q = {
        "bool": {
            "should": [
                {"term": {"tags.keyword": "animal"}},
                {"term": {"tags.keyword": "classic"}},
                {"term": {"tags.keyword": "humour"}},
            ],
            "minimum_should_match": 2,
        }
    }
    assert sorted(await ids(books, query=q)) == ["1", "5"]
    q = {"bool": {"filter": [{"range": {"year": {"gt": 2000}}}], "should": [{"match": {"title": "cooking"}}]}}
    assert sorted(await ids(books, query=q)) == ["1", "3", "4", "5"]  # should optional next to a filter
    r = await books.search(index="books", query={"bool": {"filter": {"match_all": {}}}})
    assert {h["_score"] for h in r["hits"]["hits"]} == {0.0}


async def test_match_relevance_is_bm25_like(books):
    r = await books.search(index="books", query={"match": {"body": "fox"}})
    hits = r["hits"]["hits"]
    assert [h["_id"] for h in hits][0] == "5"  # highest term frequency, short field
    scores = [h["_score"] for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert r["hits"]["max_score"] == scores[0]
    assert await ids(books, query={"match": {"body": {"query": "quick dog", "operator": "and"}}}) == ["1"]
    both = await ids(books, query={"match": {"body": "quick lazy"}})
    assert both[0] == "1" and set(both) == {"1", "2"}  # both terms outrank one


async def test_multi_match_simple_query_string_and_q(books):
    r = await ids(books, query={"multi_match": {"query": "fox", "fields": ["title^3", "body"]}})
    assert r[0] == "5" and set(r) == {"1", "3", "5"}
    assert sorted(
        await ids(books, query={"simple_query_string": {"query": "fox -arctic", "fields": ["body"]}})
    ) == ["1", "5"]
    assert sorted(await ids(books, query={"simple_query_string": {"query": '"lazy dog" | recipes'}})) == [
        "1",
        "4",
    ]
    assert sorted(
        await ids(books, query={"simple_query_string": {"query": "coo*", "fields": ["title"]}})
    ) == ["4"]
    assert sorted(await ids(books, q="author:ann")) == ["1", "3"]
    assert await ids(books, query={"match_phrase": {"body": "lazy dog"}}) == ["1"]


async def test_sort_fields_missing_score_and_doc(books):
    r = await books.search(index="books", sort=[{"price": "desc"}], size=5)
    assert [h["_id"] for h in r["hits"]["hits"]] == ["3", "2", "1", "5", "4"]  # missing last
    assert r["hits"]["hits"][0]["sort"] == [20.0] and r["hits"]["hits"][0]["_score"] is None
    r = await books.search(index="books", sort=[{"price": {"order": "asc", "missing": "_first"}}])
    assert [h["_id"] for h in r["hits"]["hits"]][:2] == ["4", "5"]
    r = await books.search(index="books", sort=["author.keyword", {"year": "desc"}])
    assert [h["_id"] for h in r["hits"]["hits"]] == ["3", "1", "2", "4", "5"]
    assert r["hits"]["hits"][0]["sort"] == ["Ann Lee", 2015]
    r = await books.search(index="books", sort=["_doc"])
    assert [h["_id"] for h in r["hits"]["hits"]] == ["1", "2", "3", "4", "5"]
    r = await books.search(index="books", sort=[{"published": "asc"}], size=1)
    assert r["hits"]["hits"][0]["sort"] == [946598400000]


async def test_sort_on_text_field_is_refused_like_elasticsearch(books):
    with pytest.raises(BadRequestError) as info:
        await books.search(index="books", sort=["title"])
    assert "Fielddata is disabled on [title]" in info.value.body["error"]["reason"]


async def test_from_size_and_search_after(books):
    first = await books.search(index="books", sort=[{"year": "asc"}], size=2)
    assert [h["_id"] for h in first["hits"]["hits"]] == ["2", "1"]
    page2 = await books.search(index="books", sort=[{"year": "asc"}], size=2, from_=2)
    assert [h["_id"] for h in page2["hits"]["hits"]] == ["5", "3"]
    after = await books.search(
        index="books", sort=[{"year": "asc"}], size=2, search_after=first["hits"]["hits"][-1]["sort"]
    )
    assert [h["_id"] for h in after["hits"]["hits"]] == ["5", "3"]
    with pytest.raises(BadRequestError) as info:
        await books.search(index="books", sort=[{"year": "asc"}], search_after=[1, 2])
    assert "search_after has 2 value(s) but sort has 1" in info.value.body["error"]["reason"]
    with pytest.raises(BadRequestError) as info:
        await books.search(index="books", from_=9995, size=10)
    assert "Result window is too large" in info.value.body["error"]["reason"]


async def test_track_total_hits_variants(books):
    r = await books.search(index="books", track_total_hits=2)
    assert r["hits"]["total"] == {"value": 2, "relation": "gte"}
    r = await books.search(index="books", track_total_hits=False)
    assert "total" not in r["hits"]
    r = await books.search(index="books", rest_total_hits_as_int=True)
    assert r["hits"]["total"] == 5


async def test_source_filtering_in_search(books):
    r = await books.search(index="books", query={"ids": {"values": ["1"]}}, source_includes=["title", "year"])
    assert r["hits"]["hits"][0]["_source"] == {"title": "The Quick Brown Fox", "year": 2001}
    r = await books.search(
        index="books", query={"ids": {"values": ["1"]}}, source={"excludes": ["body", "tags"]}
    )
    assert set(r["hits"]["hits"][0]["_source"]) == {
        "title",
        "author",
        "year",
        "price",
        "published",
        "in_stock",
    }
    r = await books.search(index="books", query={"ids": {"values": ["1"]}}, source=False)
    assert "_source" not in r["hits"]["hits"][0]


async def test_terms_and_value_count_aggregations(books):
    r = await books.search(
        index="books",
        size=0,
        aggs={
            "by_author": {
                "terms": {"field": "author.keyword"},
                "aggs": {"n": {"value_count": {"field": "year"}}},
            },
            "priced": {"value_count": {"field": "price"}},
            "tags": {"terms": {"field": "tags.keyword", "size": 1}},
            "stock": {"terms": {"field": "in_stock"}},
        },
    )
    aggs = r["aggregations"]
    assert r["hits"]["hits"] == []
    assert aggs["by_author"]["buckets"][0] == {"key": "Ann Lee", "doc_count": 2, "n": {"value": 2}}
    assert [b["key"] for b in aggs["by_author"]["buckets"][1:]] == ["Bob Stone", "Cy Vance", "Dee Fox"]
    assert aggs["priced"] == {"value": 4}
    assert aggs["tags"]["buckets"] == [{"key": "animal", "doc_count": 3}]
    assert aggs["tags"]["sum_other_doc_count"] == 3
    assert aggs["stock"]["buckets"][0] == {"key": 1, "key_as_string": "true", "doc_count": 3}
    with pytest.raises(BadRequestError) as info:
        await books.search(index="books", aggs={"bad": {"terms": {"field": "title"}}})
    assert "Fielddata is disabled" in info.value.body["error"]["reason"]


async def test_highlight_on_text_fields(books):
    r = await books.search(
        index="books", query={"match": {"body": "fox"}}, highlight={"fields": {"body": {}}}, size=10
    )
    by_id = {h["_id"]: h for h in r["hits"]["hits"]}
    assert by_id["1"]["highlight"]["body"] == ["A quick brown <em>fox</em> jumps over the lazy dog."]
    r = await books.search(
        index="books",
        query={"multi_match": {"query": "arctic", "fields": ["title", "body"]}},
        highlight={"fields": {"*": {}}, "pre_tags": ["["], "post_tags": ["]"]},
    )
    assert r["hits"]["hits"][0]["highlight"] == {
        "body": ["[Arctic] foxes survive the cold; the fox is clever."]
    }


async def test_point_in_time_sees_a_frozen_view(books):
    pit = await books.open_point_in_time(index="books", keep_alive="1m")
    await books.index(index="books", id="6", document={"title": "New"}, refresh=True)
    await books.delete(index="books", id="1", refresh=True)
    seen, after = [], None
    while True:
        kwargs = {"search_after": after} if after else {}
        r = await books.search(
            pit={"id": pit["id"], "keep_alive": "1m"}, sort=[{"year": "asc"}], size=2, **kwargs
        )
        assert r["pit_id"] == pit["id"]
        hits = r["hits"]["hits"]
        if not hits:
            break
        seen += [h["_id"] for h in hits]
        after = hits[-1]["sort"]
        assert len(after) == 2  # implicit _shard_doc tiebreaker
    assert seen == ["2", "1", "5", "3", "4"]
    closed = await books.close_point_in_time(id=pit["id"])
    assert closed["succeeded"] is True and closed["num_freed"] == 1
    from elasticsearch import NotFoundError

    with pytest.raises(NotFoundError) as info:
        await books.search(pit={"id": pit["id"]}, sort=["_shard_doc"])
    assert info.value.body["error"]["type"] == "search_context_missing_exception"


async def test_scroll_pages_through_everything(books):
    r = await books.search(index="books", scroll="1m", size=2, sort=["_doc"])
    seen = [h["_id"] for h in r["hits"]["hits"]]
    sid = r["_scroll_id"]
    while True:
        r = await books.scroll(scroll_id=sid, scroll="1m")
        if not r["hits"]["hits"]:
            break
        seen += [h["_id"] for h in r["hits"]["hits"]]
    assert seen == ["1", "2", "3", "4", "5"]
    assert (await books.clear_scroll(scroll_id=sid))["num_freed"] == 1


async def test_delete_by_query_and_update_by_query(books):
    r = await books.delete_by_query(index="books", query={"term": {"in_stock": False}}, refresh=True)
    assert (r["deleted"], r["total"], r["failures"]) == (2, 2, [])
    assert (await books.count(index="books"))["count"] == 3
    r = await books.update_by_query(
        index="books",
        query={"term": {"author.keyword": "Ann Lee"}},
        script={"source": "ctx._source.year++"},
        refresh=True,
    )
    assert r["updated"] == 2
    doc = await books.get(index="books", id="3")
    assert (doc["_source"]["year"], doc["_version"]) == (2016, 2)
    r = await books.update_by_query(index="books", query={"ids": {"values": ["4"]}})
    assert r["updated"] == 1 and (await books.get(index="books", id="4"))["_version"] == 2


@pytest.mark.parametrize(
    ("body", "etype", "fragment"),
    [
        ({"query": {"no_such": {}}}, "parsing_exception", "unknown query [no_such]"),
        ({"query": {"term": {"a": 1, "b": 2}}}, "parsing_exception", "doesn't support multiple fields"),
        ({"query": {"bool": {"musts": []}}}, "parsing_exception", "[bool] query does not support [musts]"),
        ({"query": {"match": {"a": {"qry": "x"}}}}, "parsing_exception", "does not support [qry]"),
        ({"query": {"range": {"year": {"gte": "abc"}}}}, "query_shard_exception", "abc"),
        ({"query": {"match_all": {}}, "sizes": 3}, "parsing_exception", "[sizes]"),
        ({"sort": [{"year": {"order": "up"}}]}, "parsing_exception", "unknown order [up]"),
        ({"aggs": {"x": {"histogramz": {"field": "year"}}}}, "parsing_exception", "Unknown aggregation type"),
        ({"query": {"script": {"script": "true"}}}, "illegal_argument_exception", "not supported"),
    ],
)
async def test_bad_query_dsl_is_a_clear_400(books, body, etype, fragment):
    with pytest.raises(BadRequestError) as info:
        await books.perform_request(
            "POST",
            "/books/_search",
            body=body,
            headers={"content-type": "application/json", "accept": "application/json"},
        )
    assert info.value.body["error"]["type"] == etype
    assert fragment in info.value.body["error"]["reason"]


async def test_search_missing_index_and_wildcards(books):
    from elasticsearch import NotFoundError

    with pytest.raises(NotFoundError):
        await books.search(index="nope")
    r = await books.search(index="nope*")
    assert r["hits"]["total"]["value"] == 0
    r = await books.search(index="boo*,nope*")
    assert r["hits"]["total"]["value"] == 5
    r = await books.search(index="nope", ignore_unavailable=True)
    assert r["hits"]["hits"] == []


async def test_point_in_time_search_after_may_omit_the_implicit_tiebreaker(books):
    pit = await books.open_point_in_time(index="books", keep_alive="1m")
    r = await books.search(pit={"id": pit["id"]}, sort=[{"year": "desc"}], size=2, search_after=[2015])
    assert [h["_id"] for h in r["hits"]["hits"]] == ["5", "1"]


async def test_ranked_results_cache_respects_url_query_parameters(books):
    both = await books.search(index="books", q="author:ann author:bob", default_operator="AND")
    either = await books.search(index="books", q="author:ann author:bob")
    assert both["hits"]["total"]["value"] == 0
    assert either["hits"]["total"]["value"] == 3


async def test_count_min_score_and_terminate_after_validation(books):
    low = await books.count(index="books", q="body:fox", min_score=0.0001)
    high = await books.count(index="books", q="body:fox", min_score=100)
    assert (low["count"], high["count"]) == (3, 0)
    with pytest.raises(BadRequestError) as info:
        await books.count(index="missing-index", terminate_after=-1)
    assert "terminateAfter must be > 0" in info.value.body["error"]["reason"]


async def test_stored_fields_and_docvalue_fields(books):
    r = await books.search(
        index="books",
        query={"ids": {"values": ["1"]}},
        stored_fields=["title"],
        docvalue_fields=["year", "published", "author.keyword"],
    )
    hit = r["hits"]["hits"][0]
    assert "_source" not in hit
    assert hit["fields"] == {
        "year": [2001],
        "published": ["2001-03-04T00:00:00.000Z"],
        "author.keyword": ["Ann Lee"],
    }


async def test_filter_path_with_double_wildcards(books):
    r = await books.search(
        index="books", size=1, sort=["_doc"], filter_path=["-**._source.body", "**._source"]
    )
    assert r.body == {"hits": {"hits": [{"_source": {k: v for k, v in BOOKS[0].items() if k != "body"}}]}}


async def test_fields_added_to_the_mapping_apply_only_to_documents_indexed_afterwards(es_client):
    await es_client.indices.create(index="nf", mappings={"properties": {"name": {"type": "keyword"}}})
    await es_client.index(index="nf", id="1", document={"name": "bob house"}, refresh=True)
    await es_client.indices.put_mapping(
        index="nf", properties={"name": {"type": "keyword", "fields": {"txt": {"type": "text"}}}}
    )
    query = {"match": {"name.txt": "bob"}}
    assert (await es_client.count(index="nf", query=query))["count"] == 0
    await es_client.update_by_query(index="nf", refresh=True)
    assert (await es_client.count(index="nf", query=query))["count"] == 1


async def test_msearch_answers_each_search_on_its_own(books):
    r = await books.msearch(
        searches=[
            {"index": "books"},
            {"query": {"term": {"author.keyword": "Ann Lee"}}, "size": 0},
            {"index": "missing-index"},
            {"query": {"match_all": {}}},
            {},
            {"query": {"no_such_query": {}}},
        ]
    )
    first, second, third = r["responses"]
    assert first["status"] == 200 and first["hits"]["total"]["value"] == 2
    assert second["status"] == 404 and second["error"]["type"] == "index_not_found_exception"
    assert third["status"] == 400 and third["error"]["type"] == "parsing_exception"


async def test_slices_partition_the_documents(books):
    seen = []
    for slice_id in range(3):
        r = await books.search(index="books", slice={"id": slice_id, "max": 3}, size=10)
        seen += [h["_id"] for h in r["hits"]["hits"]]
    assert sorted(seen) == ["1", "2", "3", "4", "5"]
    with pytest.raises(BadRequestError) as info:
        await books.search(index="books", slice={"id": 3, "max": 3})
    assert "max must be greater than id" in info.value.body["error"]["reason"]


async def test_sort_format_and_track_total_hits_validation(books):
    r = await books.search(
        index="books", sort=[{"published": {"order": "asc", "format": "strict_date_optional_time"}}], size=1
    )
    assert r["hits"]["hits"][0]["sort"] == ["1999-12-31T00:00:00.000Z"]
    after = await books.search(
        index="books",
        sort=[{"published": {"order": "asc"}}],
        size=1,
        search_after=["1999-12-31T00:00:00.000Z"],
    )
    assert after["hits"]["hits"][0]["_id"] == "1"
    with pytest.raises(BadRequestError) as info:
        await books.search(index="books", track_total_hits=-2)
    assert "must be positive or equals to -1" in info.value.body["error"]["reason"]


async def test_expired_point_in_time_and_scroll_are_gone(books):
    pit = await books.open_point_in_time(index="books", keep_alive="1nanos")
    from elasticsearch import NotFoundError

    with pytest.raises(NotFoundError) as info:
        await books.search(pit={"id": pit["id"]}, sort=["_shard_doc"])
    assert info.value.body["error"]["type"] == "search_context_missing_exception"
    r = await books.search(index="books", scroll="1nanos", size=1)
    with pytest.raises(NotFoundError):
        await books.scroll(scroll_id=r["_scroll_id"])
    with pytest.raises(BadRequestError) as info:
        await books.open_point_in_time(index="books", keep_alive="soon")
    assert "failed to parse setting [keep_alive]" in info.value.body["error"]["reason"]


async def test_alias_filters_apply_to_searches_through_the_alias(books):
    await books.indices.put_alias(
        index="books", name="ann-books", filter={"term": {"author.keyword": "Ann Lee"}}
    )
    assert sorted(await ids_of(books, "ann-books")) == ["1", "3"]
    assert len(await ids_of(books, "books")) == 5  # the index itself is not filtered
    assert len(await ids_of(books, "books,ann-books")) == 5
    pit = await books.open_point_in_time(index="ann-books", keep_alive="1m")
    r = await books.search(pit={"id": pit["id"]}, sort=["_shard_doc"])
    assert sorted(h["_id"] for h in r["hits"]["hits"]) == ["1", "3"]


async def ids_of(client, index):
    r = await client.search(index=index, size=100)
    return [h["_id"] for h in r["hits"]["hits"]]


async def test_alias_filters_apply_to_count(books):
    await books.indices.put_alias(index="books", name="cheap", filter={"range": {"price": {"lt": 10}}})
    assert (await books.count(index="cheap"))["count"] == 2


async def test_alias_filters_apply_to_delete_by_query(books):
    await books.indices.put_alias(index="books", name="old", filter={"range": {"year": {"lt": 2005}}})
    r = await books.delete_by_query(index="old", query={"match_all": {}}, refresh=True)
    assert r["deleted"] == 2
    assert sorted(await ids_of(books, "books")) == ["3", "4", "5"]


async def test_highlight_no_match_size_gives_the_start_of_the_field(books):
    r = await books.search(
        index="books",
        query={
            "simple_query_string": {
                "query": "cooking",
                "fields": ["title", "body"],
                "default_operator": "and",
            }
        },
        highlight={
            "pre_tags": ["\u0002"],
            "post_tags": ["\u0003"],
            "fields": {"body": {"fragment_size": 20, "number_of_fragments": 1, "no_match_size": 20}},
        },
    )
    assert r["hits"]["hits"][0]["highlight"] == {"body": ["Recipes without any"]}
    r = await books.search(
        index="books",
        query={"match": {"body": "arctic"}},
        highlight={"fields": {"body": {"fragment_size": 20, "number_of_fragments": 1, "no_match_size": 20}}},
    )
    assert "<em>Arctic</em>" in r["hits"]["hits"][0]["highlight"]["body"][0]
