"""TLS is always verified; the configured CA is added to the trusted ones, never replaces checks."""

from __future__ import annotations

import ssl

import pytest

from connectors.configuration import DataSourceConfiguration
from connectors.errors import ConfigurationError, SourceUnreachable
from connectors.sources.confluence.datasource import ConfluenceDataSource
from tests.plugins.tls import loopback_certificate, make_certificate, needs_openssl

from .fake import FakeConfluence

pytestmark = needs_openssl


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (its own CA)."""
    return loopback_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def other_certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls-other"), "other")


@pytest.fixture
async def https_fake(certificate):
    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    async with FakeConfluence(context="", ssl_context=context) as server:
        server.route("/rest/api/space", lambda call: {"results": [], "_links": {}})
        yield server


def source(url: str, **values) -> ConfluenceDataSource:
    base = {
        "data_source": "confluence_server",
        "confluence_url": url,
        "username": "u",
        "password": "p",
        "retry_count": 0,
    } | values
    return ConfluenceDataSource(DataSourceConfiguration({k: {"value": v} for k, v in base.items()}))


async def test_untrusted_certificate_is_refused_with_a_hint(https_fake):
    src = source(https_fake.base)
    with pytest.raises(SourceUnreachable, match="TLS") as info:
        await src.ping()
    await src.close()
    assert "SSL certificate" in str(info.value)
    assert https_fake.calls == []


async def test_configured_ca_is_trusted(https_fake, certificate):
    _, cert = certificate
    src = source(https_fake.base, ssl_enabled=True, ssl_ca=cert.read_text())
    await src.ping()
    await src.close()
    assert len(https_fake.calls) == 1


async def test_wrong_ca_still_fails(https_fake, other_certificate):
    _, other_cert = other_certificate
    src = source(https_fake.base, ssl_enabled=True, ssl_ca=other_cert.read_text())
    with pytest.raises(SourceUnreachable, match="TLS"):
        await src.ping()
    await src.close()


async def test_garbage_ca_is_a_configuration_error(https_fake):
    src = source(
        https_fake.base, ssl_enabled=True, ssl_ca="-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----"
    )
    with pytest.raises(ConfigurationError, match="SSL certificate"):
        await src.ping()
    await src.close()
