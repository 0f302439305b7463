import socket

import pytest
from aiohttp import web

from connectors.errors import ConfigurationError, ElasticsearchUnavailable
from connectors.es.client import client_options, create_client, wait_for_es
from connectors.es.mappings import DEFAULT_MAPPINGS, content_mappings, ensure_content_index
from tests.framework_core.fake_es import FakeEs


def test_client_options_api_key_wins_and_hosts_are_normalised():
    options = client_options({"host": "http://es:9200/", "api_key": "abc", "username": "u", "password": "p"})
    assert options["hosts"] == ["http://es:9200"]
    assert options["api_key"] == "abc" and "basic_auth" not in options
    # the transport retries nothing that waits: statuses and timeouts belong to connectors.es.outage
    assert options["retry_on_status"] == () and options["retry_on_timeout"] is False
    assert options["max_retries"] == 0 and options["request_timeout"] == 60.0


def test_client_options_basic_auth_tls_and_lists():
    options = client_options(
        {
            "host": ["https://a:9200", "https://b:9200"],
            "username": "elastic",
            "password": "pw",
            "ca_certs": "/ca.pem",
            "verify_certs": True,
            "request_timeout": 5,
            "max_retries": 2,
            "retry_on_timeout": False,
        }
    )
    assert options["hosts"] == ["https://a:9200", "https://b:9200"]
    assert options["basic_auth"] == ("elastic", "pw")
    assert options["ca_certs"] == "/ca.pem" and options["verify_certs"] is True
    assert (
        options["request_timeout"] == 5.0
        and options["max_retries"] == 2
        and options["retry_on_timeout"] is False
    )
    insecure = client_options({"host": "https://a:9200", "verify_certs": False})
    assert insecure["verify_certs"] is False and insecure["ssl_show_warn"] is False


def test_username_without_password_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="elasticsearch.password: required"):
        client_options({"host": "http://es:9200", "username": "u"})


async def test_create_client_sends_the_api_key():
    client = create_client({"host": "http://es:9200", "api_key": "k3y"})
    try:
        assert client._headers["authorization"] == "ApiKey k3y"
    finally:
        await client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serve(handler):
    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, f"http://127.0.0.1:{port}"


ES_HEADERS = {"X-Elastic-Product": "Elasticsearch"}


async def test_wait_for_es_retries_until_it_answers():
    calls = []

    async def root(request):
        calls.append(1)
        if len(calls) < 3:
            return web.json_response({"error": "starting"}, status=503, headers=ES_HEADERS)
        return web.json_response(
            {"version": {"number": "9.0.0"}, "tagline": "You Know, for Search"}, headers=ES_HEADERS
        )

    runner, url = await serve(root)
    client = create_client({"host": url, "max_retries": 0})
    try:
        info = await wait_for_es(client, 60, retry_interval=0.01)
        assert info["version"]["number"] == "9.0.0" and len(calls) == 3
    finally:
        await client.close()
        await runner.cleanup()


async def test_wait_for_es_fails_at_once_on_bad_credentials():
    calls = []

    async def root(request):
        calls.append(1)
        return web.json_response({"error": "unauthorized"}, status=401, headers=ES_HEADERS)

    runner, url = await serve(root)
    client = create_client({"host": url, "max_retries": 0})
    try:
        with pytest.raises(ElasticsearchUnavailable, match="refused the credentials"):
            await wait_for_es(client, 60, retry_interval=0.01)
        assert len(calls) == 1
    finally:
        await client.close()
        await runner.cleanup()


async def test_wait_for_es_gives_up_at_the_deadline():
    url = f"http://127.0.0.1:{free_port()}"
    client = create_client({"host": url, "max_retries": 0, "request_timeout": 1})
    try:
        with pytest.raises(
            ElasticsearchUnavailable, match=rf"Elasticsearch at {url} did not answer within 0.3s"
        ):
            await wait_for_es(client, 0.3, retry_interval=0.05)
    finally:
        await client.close()


def test_content_mappings_merge_extra_properties():
    mappings = content_mappings({"space": {"type": "keyword"}})
    assert mappings["properties"]["space"] == {"type": "keyword"}
    assert mappings["properties"]["_timestamp"] == {"type": "date"}
    assert mappings["properties"]["_allow_access_control"] == {"type": "keyword"}
    assert mappings["properties"]["title"]["fields"]["keyword"]["type"] == "keyword"
    assert "space" not in DEFAULT_MAPPINGS["properties"]  # defaults untouched
    assert content_mappings({"properties": {"x": {"type": "long"}}})["properties"]["x"] == {"type": "long"}
    acl = content_mappings(access_control=True)
    assert acl["properties"]["identity"]["properties"]["email"] == {"type": "keyword"}


async def test_ensure_content_index_creates_once_then_adds_missing_properties():
    es = FakeEs()
    assert await ensure_content_index(es, "search-wiki", {"space": {"type": "keyword"}}) is True
    created = es.indices_created["search-wiki"]
    assert created["mappings"]["properties"]["space"] == {"type": "keyword"}
    assert created["settings"]["index"]["number_of_replicas"] == 0
    assert await ensure_content_index(es, "search-wiki", {"space": {"type": "keyword"}}) is False
    assert es.put_mappings == []
    assert await ensure_content_index(es, "search-wiki", {"labels": {"type": "keyword"}}) is False
    assert es.put_mappings == [{"labels": {"type": "keyword"}}]


async def test_ensure_content_index_uses_acl_mappings_for_acl_indices():
    es = FakeEs()
    await ensure_content_index(es, ".search-acl-filter-search-wiki")
    assert "identity" in es.indices_created[".search-acl-filter-search-wiki"]["mappings"]["properties"]
