"""Headers, media types, the root endpoints and unknown endpoints."""

import pytest
from elasticsearch import AsyncElasticsearch, BadRequestError


async def test_product_header_and_compat_media_type_echoed(http):
    headers = {"Accept": "application/vnd.elasticsearch+json; compatible-with=8"}
    async with http.get("/", headers=headers) as resp:
        assert resp.status == 200
        assert resp.headers["X-Elastic-Product"] == "Elasticsearch"
        assert resp.headers["Content-Type"] == "application/vnd.elasticsearch+json;compatible-with=8"
        assert (await resp.json())["version"]["number"].startswith("9.")
    async with http.get("/") as resp:
        assert resp.headers["Content-Type"].startswith("application/json")


async def test_unsupported_compat_version_is_a_400(http):
    headers = {"Accept": "application/vnd.elasticsearch+json; compatible-with=7"}
    async with http.get("/", headers=headers) as resp:
        body = await resp.json()
    assert resp.status == 400
    assert body["error"]["type"] == "media_type_header_exception"
    assert resp.headers["X-Elastic-Product"] == "Elasticsearch"


async def test_head_root_and_cluster_health(es_client, http):
    async with http.head("/") as resp:
        assert resp.status == 200
        assert resp.headers["X-Elastic-Product"] == "Elasticsearch"
    health = await es_client.cluster.health()
    assert health["status"] == "green"
    assert health["number_of_nodes"] == 1


async def test_unknown_endpoint_answers_an_elasticsearch_error_naming_it(http):
    async with http.get("/_nonexistent_api") as resp:
        body = await resp.json()
    assert resp.status == 400
    assert body["error"]["type"] == "illegal_argument_exception"
    assert "/_nonexistent_api" in body["error"]["reason"]
    async with http.post("/idx/_unknown_thing") as resp:
        body = await resp.json()
    assert resp.status == 400
    assert "/idx/_unknown_thing" in body["error"]["reason"] and "POST" in body["error"]["reason"]


async def test_cat_indices_text_and_json(es_client):
    await es_client.index(index="cat-a", id="1", document={"x": 1}, refresh=True)
    await es_client.indices.create(index="cat-b")
    text = await es_client.cat.indices(v=True)
    lines = str(text).strip().splitlines()
    assert lines[0].split()[:3] == ["health", "status", "index"]
    rows = await es_client.cat.indices(format="json")
    by_name = {r["index"]: r for r in rows}
    assert by_name["cat-a"]["docs.count"] == "1"
    assert by_name["cat-b"]["docs.count"] == "0"


async def test_malformed_json_body_is_a_400_with_position(http):
    async with http.post(
        "/idx/_search", data=b'{"query": {', headers={"Content-Type": "application/json"}
    ) as resp:
        body = await resp.json()
    assert resp.status == 400
    assert body["error"]["type"] == "x_content_parse_exception"
    assert body["error"]["reason"].startswith("[1:")


async def test_filter_path_applies_to_any_response(es_client):
    await es_client.index(index="fp", id="1", document={"a": 1}, refresh=True)
    got = await es_client.search(index="fp", filter_path="hits.hits._id")
    assert got.body == {"hits": {"hits": [{"_id": "1"}]}}


async def test_client_version_check_passes_with_a_fresh_client(es_standin):
    async with AsyncElasticsearch(es_standin.url) as client:
        with pytest.raises(BadRequestError):
            await client.search(index="x", query={"no_such_query": {}})


async def test_port_in_use_is_reported_and_cleaned_up(es_standin, tmp_path):
    from fixtures.elasticsearch import EsStandin

    second = EsStandin(port=es_standin.port, data_dir=str(tmp_path))
    with pytest.raises(OSError):
        await second.start()
    assert second.store.journal._fd is None  # journal closed again


def test_cli_rejects_half_credentials_and_bad_port(capsys):
    from fixtures.elasticsearch.__main__ import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--username", "u"])
    assert "--username and --password go together" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["--port", "70000"])
    assert "--port must be between 0 and 65535" in capsys.readouterr().err
    args = parse_args(["--port", "0", "--api-key", "k"])
    assert (args.host, args.port, args.api_key) == ("127.0.0.1", 0, "k")


def test_cli_reports_an_unusable_data_dir(tmp_path, capsys):
    from fixtures.elasticsearch.__main__ import main

    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--port", "0", "--data-dir", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err
    assert "cannot use" in err and "Not a directory" in err
