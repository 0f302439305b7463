"""The content browser's query building and result shaping (pure functions)."""

from urllib.parse import parse_qs

from connectors.ui import content_search as cs

FIELDS = {"type": "type", "space": "space.keyword"}


def test_text_query_is_all_words_or_everything():
    assert cs.text_query("") == {"match_all": {}}
    query = cs.text_query("release notes")["simple_query_string"]
    assert query["query"] == "release notes" and query["default_operator"] == "and" and query["lenient"]
    assert query["fields"] == cs.SEARCH_FIELDS


def test_facet_fields_pick_the_keyword_form_of_the_first_candidate():
    mapping = {
        "search-a": {"mappings": {"properties": {"type": {"type": "keyword"}}}},
        "search-b": {
            "mappings": {
                "properties": {
                    "space_name": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
                    "space_key": {"type": "keyword"},
                    "title": {"type": "text"},
                }
            }
        },
    }
    assert cs.facet_fields(mapping) == {"type": "type", "space": "space_name.keyword"}
    assert cs.facet_fields({"x": {"mappings": {"properties": {"type": {"type": "text"}}}}}) == {}


def test_page_search_filters_after_aggregating_and_pages():
    search = cs.page_search("wiki", {"type": "Page", "space": "", "other": "x"}, FIELDS, page=3)
    assert search["post_filter"] == {"bool": {"filter": [{"term": {"type": "Page"}}]}}
    assert search["aggs"] == {
        "type": {"terms": {"field": "type", "size": cs.FACET_SIZE}},
        "space": {"terms": {"field": "space.keyword", "size": cs.FACET_SIZE}},
    }
    assert (search["from_"], search["size"]) == (20, cs.PAGE_SIZE)
    assert search["highlight"] == cs.HIGHLIGHT and "body" not in search["source_includes"]
    bare = cs.page_search("", {"type": "Page"}, {}, page=1)
    assert bare["post_filter"] is None and bare["aggs"] is None and bare["highlight"] is None
    assert bare["query"] == {"match_all": {}} and bare["from_"] == 0


def test_type_totals_need_a_type_field():
    assert cs.type_totals_search({"space": "space"}) is None
    assert cs.type_totals_search(FIELDS) == {
        "size": 0,
        "aggs": {"type": {"terms": {"field": "type", "size": cs.FACET_SIZE}}},
    }


def test_results_facets_and_links_from_an_answer():
    body = {
        "hits": {
            "total": {"value": 42},
            "hits": [
                {
                    "_id": "p1",
                    "_source": {"title": "T", "type": "Page", "url": "javascript:x", "space": "DEV"},
                    "highlight": {"body": [f"a {cs.MARK_START}hit{cs.MARK_END}  b"]},
                },
                {"_id": "p2", "_source": {"url": "https://wiki/p2", "ancestors": ["Root"]}},
            ],
        },
        "aggregations": {"type": {"buckets": [{"key": "Page", "doc_count": 3}]}},
    }
    assert cs.hits_total(body) == 42 and cs.hits_total({}) == 0
    first, second = cs.results(body)
    assert (first["title"], first["url"], first["snippet"]) == (
        "T",
        None,
        [("a ", False), ("hit", True), (" b", False)],
    )
    assert first["breadcrumb"] == [{"title": "DEV", "url": None}]
    assert (second["title"], second["url"], second["breadcrumb"]) == (
        "p2",
        "https://wiki/p2",
        [{"title": "Root", "url": None}],
    )
    facets = cs.facets(body, {"type": "type"}, {"type": "", "space": "OPS"}, "q1")
    (page,) = facets["type"]
    assert (page["key"], page["count"], page["selected"]) == ("Page", 3, False)
    assert parse_qs(page["url"][1:]) == {"space": ["OPS"], "q": ["q1"], "type": ["Page"]}
    clear = cs.clear_links({"type": "Page", "space": "OPS"}, "q1")
    assert parse_qs(clear["space"][1:]) == {"type": ["Page"], "q": ["q1"]}
    assert cs.per_type(body) == {"Page": 3} and cs.per_type(None) == {}
