import asyncio
import socket
import ssl
import sys

import pytest
from aiohttp import web

from connectors.errors import ConfigurationError, ElasticsearchUnavailable
from connectors.es.client import client_options, create_client, wait_for_es
from connectors.es.mappings import DEFAULT_MAPPINGS, content_mappings, ensure_content_index
from tests.framework_core.fake_es import FakeEs
from tests.plugins.tls import loopback_certificate, make_certificate, needs_openssl


def test_client_options_api_key_wins_and_hosts_are_normalised():
    options = client_options({"host": "http://es:9200/", "api_key": "abc", "username": "u", "password": "p"})
    assert options["hosts"] == ["http://es:9200"]
    assert options["api_key"] == "abc" and "basic_auth" not in options
    # the transport retries nothing that waits: statuses and timeouts belong to connectors.es.outage
    assert options["retry_on_status"] == () and options["retry_on_timeout"] is False
    assert options["max_retries"] == 0 and options["request_timeout"] == 60.0


def test_client_options_basic_auth_tls_and_lists(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    options = client_options(
        {
            "host": ["https://a:9200", "https://b:9200"],
            "username": "elastic",
            "password": "pw",
            "ca_certs": str(ca),
            "verify_certs": True,
            "request_timeout": 5,
            "max_retries": 2,
            "retry_on_timeout": False,
        }
    )
    assert options["hosts"] == ["https://a:9200", "https://b:9200"]
    assert options["basic_auth"] == ("elastic", "pw")
    assert options["ca_certs"] == str(ca) and options["verify_certs"] is True
    assert (
        options["request_timeout"] == 5.0
        and options["max_retries"] == 2
        and options["retry_on_timeout"] is False
    )
    insecure = client_options({"host": "https://a:9200", "verify_certs": False})
    assert insecure["verify_certs"] is False and insecure["ssl_show_warn"] is False


def test_client_options_refuse_a_bad_host_or_a_missing_ca_file_by_key():
    with pytest.raises(ConfigurationError) as info:
        client_options({"host": ["http://a:9200", "ftp://x"], "ca_certs": "/nonexistent.pem"})
    assert info.value.messages == [
        "elasticsearch.host: must be an absolute URL starting with http:// or https://, got 'ftp://x'",
        "elasticsearch.ca_certs: file '/nonexistent.pem' does not exist "
        f"(working directory {__import__('os').getcwd()})",
    ]


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


async def serve(handler, ssl_context=None):
    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=ssl_context)
    await site.start()
    return runner, f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"


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
    assert mappings["properties"]["_allow_access_control"] == {
        "type": "keyword",
        "fields": {"keyword": {"type": "keyword"}},  # Elastic's DLS template asks the sub-field
    }
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


# -- TLS: a certificate that does not verify fails at once (issue 11, defect 5) -------------------
@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("es-tls")
    key, cert = loopback_certificate(folder)
    _, other = make_certificate(folder, "other")
    return key, cert, other


@pytest.fixture
async def https_es(certificates):
    key, cert, _ = certificates
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    calls = []

    async def info(request):
        calls.append(1)
        return web.json_response({"version": {"number": "9.0.0"}}, headers=ES_HEADERS)

    runner, url = await serve(info, ssl_context=context)
    yield url, calls
    await runner.cleanup()


class RecordingLogger:
    def __init__(self):
        self.lines = []

    def warning(self, message):
        self.lines.append(message)


@needs_openssl
@pytest.mark.parametrize("with_other_ca", [False, True])
async def test_untrusted_certificate_fails_at_once_naming_ca_certs(https_es, certificates, with_other_ca):
    url, calls = https_es
    section = {"host": url, "max_retries": 0} | ({"ca_certs": str(certificates[2])} if with_other_ca else {})
    client = create_client(section)
    logger = RecordingLogger()
    try:
        with pytest.raises(ElasticsearchUnavailable) as failure:
            await wait_for_es(client, 120, retry_interval=0.01, logger=logger)
    finally:
        await client.close()
    message = str(failure.value)
    assert message.startswith(
        f"Elasticsearch at {url}: certificate verify failed (self-signed certificate): "
    )
    if with_other_ca:
        assert message.endswith(
            "the CA in elasticsearch.ca_certs is not the one that signed the server's certificate"
        )
    else:
        assert message.endswith("add the CA with elasticsearch.ca_certs")
    assert logger.lines == []  # no "not reachable yet; retrying": it failed on the first attempt
    assert calls == []  # the handshake failed: no request reached the server


@needs_openssl
async def test_the_right_ca_is_trusted(https_es, certificates):
    url, calls = https_es
    client = create_client({"host": url, "max_retries": 0, "ca_certs": str(certificates[1])})
    try:
        assert (await wait_for_es(client, 30, retry_interval=0.05))["version"]["number"] == "9.0.0"
    finally:
        await client.close()
    assert calls == [1]


@needs_openssl
async def test_connectors_run_exits_at_once_on_an_untrusted_certificate(https_es, tmp_path):
    url, _ = https_es
    path = tmp_path / "config.yml"
    path.write_text(f"elasticsearch:\n  host: {url}\n  max_retries: 0\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "connectors", "run", "-c", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 60)  # a hang guard, not a timing target
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = err.decode()
    assert proc.returncode == 1, text
    assert "not reachable yet" not in text and "Traceback" not in text
    assert (
        "certificate verify failed (self-signed certificate): add the CA with elasticsearch.ca_certs" in text
    )
