"""Reading the configuration into typed settings: URLs, credentials per flavour, dates, problems."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.configuration import DataSourceConfiguration
from connectors.sources.confluence.auth import BasicAuth, BearerAuth
from connectors.sources.confluence.config import default_configuration
from connectors.sources.confluence.settings import parse_when, read_settings


def settings(**values):
    config = DataSourceConfiguration({k: {"value": v} for k, v in values.items()})
    config.set_defaults(default_configuration())
    return read_settings(config)


CLOUD = {"data_source": "confluence_cloud", "account_email": "a@example.com", "api_token": "t"}


@pytest.mark.parametrize(
    "url,base",
    [
        ("https://acme.atlassian.net", "https://acme.atlassian.net/wiki"),
        ("https://acme.atlassian.net/", "https://acme.atlassian.net/wiki"),
        ("https://acme.atlassian.net/wiki/", "https://acme.atlassian.net/wiki"),
    ],
)
def test_cloud_base_url(url, base):
    assert settings(**CLOUD, confluence_url=url).base_url == base


def test_data_center_keeps_its_context_path():
    s = settings(
        data_source="confluence_data_center",
        confluence_url="https://wiki.example.com/confluence/",
        data_center_auth_method="personal_access_token",
        data_center_token="pat",
    )
    assert s.base_url == "https://wiki.example.com/confluence" and s.problems == ()
    assert isinstance(s.build_auth(), BearerAuth)


def test_defaults():
    s = settings(**CLOUD, confluence_url="https://acme.atlassian.net")
    assert s.problems == ()
    assert s.spaces == () and s.retry_count == 3 and s.concurrency == 50
    assert s.max_attachment_bytes == 10 * 1024 * 1024 and s.index_inline_images
    assert all(s.toggles.values()) and s.max_spaces is None and s.max_docs_per_space is None
    assert isinstance(s.build_auth(), BasicAuth)


@pytest.mark.parametrize(
    "values,message",
    [
        ({"confluence_url": "ftp://x"}, "not a valid http(s) URL"),
        ({"confluence_url": "https://x?a=1"}, "must not contain a query"),
        ({"confluence_url": ""}, "'Confluence URL' cannot be empty"),
        ({"api_token": ""}, "'Confluence Cloud API token' cannot be empty"),
        ({"spaces": "*, ENG"}, "either * or a list"),
        ({"include_page_ids": "12, abc"}, "'abc' is not a numeric Confluence ID"),
        (
            {"include_blogpost_ids": "5", "exclude_blogpost_ids": "5"},
            "Blog post IDs both included and excluded: 5",
        ),
        ({"modified_after": "2024-13-01"}, "'Modified after' '2024-13-01' is not a date"),
        (
            {"modified_after": "2024-05-02", "modified_before": "2024-05-01"},
            "'Modified after' must be earlier",
        ),
        ({"created_after": "2024-05-02", "modified_before": "2024-05-01"}, "earlier than 'Created after'"),
        ({"ssl_enabled": True, "ssl_ca": ""}, "'SSL certificate' cannot be empty"),
        ({"ssl_enabled": True, "ssl_ca": "hello"}, "must be a PEM certificate"),
        ({"spaces": "ENG", "exclude_spaces": "ENG"}, "nothing would be synced"),
        (
            {
                k: False
                for k in (
                    "index_spaces",
                    "index_pages",
                    "index_blogposts",
                    "index_page_attachments",
                    "index_blogpost_attachments",
                    "index_page_comments",
                    "index_blogpost_comments",
                    "index_folders",
                )
            },
            "Every content type is switched off",
        ),  # fmt: skip
    ],
)
def test_problems(values, message):
    s = settings(**{**CLOUD, "confluence_url": "https://acme.atlassian.net", **values})
    assert any(message in problem for problem in s.problems), s.problems


def test_server_and_dc_basic_need_their_own_credentials():
    s = settings(data_source="confluence_server", confluence_url="http://wiki")
    assert any("Confluence Server username" in p for p in s.problems)
    s = settings(data_source="confluence_data_center", confluence_url="http://wiki", data_center_username="u")
    assert any("Data Center password" in p for p in s.problems)


def test_parse_when():
    assert parse_when("2024-05-01") == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert parse_when("2024-05-01", end_of_day=True) == dt.datetime(
        2024, 5, 1, 23, 59, 59, 999999, tzinfo=dt.UTC
    )
    assert parse_when("2024-05-01T10:00:00+02:00") == dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)
    assert parse_when("2024-05-01T10:00:00") == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        parse_when("yesterday")


def test_extraction_time_limit_default_and_bad_values():
    s = settings(**CLOUD, confluence_url="https://acme.atlassian.net")
    assert s.extraction_timeout == 60.0
    assert (
        settings(
            **CLOUD, confluence_url="https://acme.atlassian.net", extraction_timeout_seconds=5
        ).extraction_timeout
        == 5.0
    )
    for bad in (0, -3):  # non-numbers are refused earlier, by the configuration layer
        s = settings(**CLOUD, confluence_url="https://acme.atlassian.net", extraction_timeout_seconds=bad)
        assert s.extraction_timeout == 60.0
        assert any(
            "'Time limit per attachment file (seconds)' must be a positive number" in p for p in s.problems
        ), bad
