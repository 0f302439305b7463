"""Authentication: basic and API key, 401 security_exception otherwise, secrets never logged."""

import base64
import logging

import pytest
from elasticsearch import AsyncElasticsearch, AuthenticationException

from fixtures.elasticsearch import EsStandin

SECRET = "s3cr3t-Pa55"
KEY = "key-id:key-secret-value"


@pytest.fixture
async def secured():
    async with EsStandin(port=0, username="elastic", password=SECRET, api_key=KEY) as es:
        yield es


async def test_basic_auth_accepted(secured):
    async with AsyncElasticsearch(secured.url, basic_auth=("elastic", SECRET)) as client:
        assert (await client.info())["tagline"] == "You Know, for Search"


async def test_api_key_accepted_raw_and_encoded(secured):
    async with AsyncElasticsearch(secured.url, api_key=("key-id", "key-secret-value")) as client:
        assert await client.ping()
    encoded = base64.b64encode(KEY.encode()).decode()
    async with AsyncElasticsearch(secured.url, api_key=encoded) as client:
        await client.indices.create(index="authed")


async def test_missing_credentials_401(secured):
    async with AsyncElasticsearch(secured.url) as client:
        with pytest.raises(AuthenticationException) as info:
            await client.info()
    err = info.value.body["error"]
    assert info.value.meta.status == 401
    assert err["type"] == "security_exception"
    assert "missing authentication credentials" in err["reason"]
    assert "WWW-Authenticate" in info.value.meta.headers


async def test_wrong_password_and_wrong_key_401_without_leaking_secrets(secured, caplog):
    caplog.set_level(logging.DEBUG)
    async with AsyncElasticsearch(secured.url, basic_auth=("elastic", "nope-wrong")) as client:
        with pytest.raises(AuthenticationException) as info:
            await client.search(index="x")
    assert "unable to authenticate user [elastic]" in info.value.body["error"]["reason"]
    assert "nope-wrong" not in str(info.value.body)
    async with AsyncElasticsearch(secured.url, api_key="bad-key") as client:
        with pytest.raises(AuthenticationException) as info:
            await client.info()
    assert info.value.body["error"]["type"] == "security_exception"
    assert SECRET not in caplog.text and "key-secret-value" not in caplog.text


async def test_half_configured_auth_is_refused():
    with pytest.raises(ValueError, match="username and password"):
        EsStandin(username="elastic")


async def test_security_authenticate_names_the_user(secured):
    async with AsyncElasticsearch(secured.url, basic_auth=("elastic", SECRET)) as client:
        who = await client.security.authenticate()
        assert who["username"] == "elastic" and who["authentication_type"] == "realm"
    async with AsyncElasticsearch(secured.url, api_key=("key-id", "key-secret-value")) as client:
        who = await client.security.authenticate()
        assert who["authentication_type"] == "api_key" and who["api_key"]["id"] == "key-id"
    async with AsyncElasticsearch(secured.url, basic_auth=("elastic", "wrong")) as client:
        with pytest.raises(AuthenticationException):
            await client.security.authenticate()
