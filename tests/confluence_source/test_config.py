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
        ({"include_page_ids": "12, abc"}, "'Page IDs to include' list values 'abc' should be of type int"),
        ({"include_page_ids": "12, -5"}, "'Page IDs to include': '-5' is not a numeric Confluence ID"),
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
            "'Time limit per attachment file (seconds)' must be greater than 0" in p for p in s.problems
        ), bad


# -- odd values name their field, never a raw error (issue 11, defect 6) --------------------------
GOOD = {**CLOUD, "confluence_url": "https://acme.atlassian.net"}
ODD_VALUES = [
    "", " ", "x" * 100_000, "-1", -1, 0, 10**30, 1e308, float("nan"), "nan", "ünïcødé", "日本", "\x00",
    "a\r\nX-Injected: 1", "a,,b, ,c", [" ", ""], ["a", " "], [1, None], None, True, {"a": 1},
    "https://u:pw@h/x?y#z", "http://[::1", "http://h:99999", "0001-01-01", "9999-12-31",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1" * 40, "12, -5", "2024-02-30", "*, ENG",
]  # fmt: skip


@pytest.mark.parametrize("key", list(default_configuration()))
def test_every_field_with_odd_values_gives_named_problems_only(key):
    from connectors.errors import ConfigurationError

    label = default_configuration()[key]["label"]
    for value in ODD_VALUES:
        values = {**GOOD, key: value}
        config = DataSourceConfiguration(
            {k: {**default_configuration()[k], "value": v} for k, v in values.items()}
        )
        config.set_defaults(default_configuration())
        try:
            s = read_settings(config)
        except ConfigurationError as exc:  # a value the form cannot read as its type
            problems = exc.messages
        else:
            problems = list(s.problems)
        for problem in problems:
            assert len(problem) < 500, (key, value, problem[:200])
            assert key != "confluence_url" or "pw@" not in problem, problem  # the URL's password
        if problems and key not in ("data_source", "cloud_auth_method") and not isinstance(value, bool):
            assert any(label in p or key in p or "nothing would be synced" in p for p in problems), (
                key,
                value,
                problems,
            )


@pytest.mark.parametrize(
    "values, expected",
    [
        (
            {"created_after": "0001-01-01", "created_before": "9999-12-31"},
            [
                "'Created after' '0001-01-01' is outside the supported range 1900-01-01 to 9998-12-31; leave it "
                "empty for no bound.",
                "'Created before' '9999-12-31' is outside the supported range 1900-01-01 to 9998-12-31; leave it "
                "empty for no bound.",
            ],
        ),
        (
            {"modified_after": "0001-01-01T00:00:00+01:00", "modified_before": "9999-12-31T23:59:59-01:00"},
            [
                "'Modified after' '0001-01-01T00:00:00+01:00' is outside the supported range 1900-01-01 to "
                "9998-12-31; leave it empty for no bound.",
                "'Modified before' '9999-12-31T23:59:59-01:00' is outside the supported range 1900-01-01 to "
                "9998-12-31; leave it empty for no bound.",
            ],
        ),
        (
            {"confluence_url": "https://user:pw@acme.atlassian.net"},
            [
                "'Confluence URL' must not contain a user name or password: enter them in the credential fields "
                "of the chosen authentication."
            ],
        ),
        ({"confluence_url": "http://[::1"}, ["'Confluence URL' 'http://[::1' is not a valid URL (Invalid IPv6 URL)."]),
        (
            {"confluence_url": "https://wiki:99999"},
            ["'Confluence URL' 'https://wiki:99999' is not a valid URL (Port out of range 0-65535)."],
        ),
        (
            {"api_token": "t" * 5000},
            ["'Confluence Cloud API token' is 5,000 characters long; at most 1,024 are allowed."],
        ),
        (
            {"api_token": "s3cret\nX-Injected: 1"},
            ["'Confluence Cloud API token' must not contain line breaks or other control characters."],
        ),
        ({"include_page_ids": "9" * 20}, [f"'Page IDs to include': '{'9' * 20}' is too large for a Confluence ID."]),
        ({"retry_count": 99}, ["'Retries per request' must be less than 11, got 99."]),
        ({"retry_count": -1}, ["'Retries per request' must be greater than -1, got -1."]),
        ({"max_attachment_size_mb": -5}, ["'Maximum attachment size (MB)' must be greater than 0, got -5."]),
        ({"max_num_of_spaces": 0}, ["'Maximum number of spaces' must be greater than 0, got 0."]),
        (
            {"spaces": "ENG, " + "K" * 300},
            ["'Confluence space keys': '" + "K" * 40 + "'… (300 characters) is 300 characters long; at most 255 are "
             "allowed."],
        ),
        ({"exclude_spaces": "A\x00B"}, ["'Space keys to exclude': 'A\\x00B' must not contain line breaks or other "
                                         "control characters."]),
        (
            {"confluence_url": "https://acme.atlassian.net/" + "p" * 3000},
            ["'Confluence URL' is 3,027 characters long; at most 2,048 are allowed."],
        ),
    ],
)  # fmt: skip
def test_values_that_used_to_fail_deep_down_are_named_problems(values, expected):
    assert list(settings(**{**GOOD, **values}).problems) == expected


def test_a_long_value_is_quoted_capped():
    s = settings(**GOOD, include_page_ids="x" * 100_000)
    assert s.problems == (
        "'Page IDs to include' list values '" + "x" * 80 + "'… (100,000 characters) should be of type int.",
    )


@pytest.mark.parametrize(
    "values, field",
    [
        ({"created_after": "0001-01-01", "created_before": "9999-12-31"}, "'Created after'"),
        ({"modified_after": "0001-01-01", "modified_before": "9999-12-31"}, "'Modified after'"),
        (
            {"confluence_url": "URL-WITH-CREDENTIALS"},
            "'Confluence URL' must not contain a user name or password",
        ),
    ],
)
async def test_validate_config_and_a_sync_start_name_the_field(values, field):
    from connectors.errors import ConfigurationError

    from . import site
    from .fake import FakeConfluence
    from .test_datasource import collect, make_source

    async with FakeConfluence() as fake:
        site.install(fake, cloud=True)
        if values.get("confluence_url") == "URL-WITH-CREDENTIALS":
            values = {"confluence_url": fake.origin.replace("http://", "http://user:pw@")}
        for stage in ("validate_config", "sync"):
            source = make_source(fake, **values)
            try:
                with pytest.raises(ConfigurationError) as info:
                    await (source.validate_config() if stage == "validate_config" else collect(source))
            finally:
                await source.close()
            assert field in str(info.value) and "pw@" not in str(info.value), (stage, str(info.value))
        assert fake.calls == []  # refused before any request


# -- one statement of each limit: the form's field specs (issue 12) -------------------------------
@pytest.mark.parametrize("value, ok", [(-1, False), (0, True), (10, True), (11, False)])
def test_retry_count_range_is_the_forms_for_the_service_and_the_ui(value, ok):
    from connectors.ui.config_form import check_submission

    s = settings(**GOOD, retry_count=value)
    assert (s.problems == ()) is ok, s.problems
    assert s.retry_count == (value if ok else 3)  # a refused value reads as the form's default
    form = default_configuration()
    submitted = {
        "data_source": "confluence_cloud",
        **{k: str(v) for k, v in GOOD.items()},
        "retry_count": str(value),
    }
    errors = check_submission(form, submitted).errors
    assert ("retry_count" in errors) is not ok
    if not ok:
        assert errors["retry_count"] == s.problems[0]  # the same message in the UI and the service


def test_settings_follow_the_forms_limits_instead_of_restating_them():
    form = default_configuration()
    form["retry_count"]["validations"] = [{"type": "less_than", "constraint": 6}]
    form["concurrent_downloads"]["validations"] = [{"type": "greater_than", "constraint": 4}]
    config = DataSourceConfiguration(
        {k: {"value": v} for k, v in {**GOOD, "retry_count": 7, "concurrent_downloads": 3}.items()}
    )
    config.set_defaults(form)
    assert read_settings(config).problems == (
        "'Retries per request' must be less than 6, got 7.",
        "'Maximum concurrent requests' must be greater than 4, got 3.",
    )


def test_a_value_of_the_wrong_type_is_a_named_problem_not_an_exception():
    s = settings(**GOOD, retry_count="many", max_num_of_spaces="ten", index_pages="maybe")
    assert s.problems == (
        "'Retries per request' must be an integer, got 'many'.",
        "'Maximum number of spaces' must be an integer, got 'ten'.",
        "'Index pages' must be true or false, got 'maybe'.",
    )
    assert s.retry_count == 3 and s.max_spaces is None and s.on("index_pages")


def test_the_source_merges_its_defaults_once(monkeypatch):
    from connectors.sources.confluence import datasource

    calls = []
    real = datasource.default_configuration

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(datasource, "default_configuration", counted)
    source = datasource.ConfluenceDataSource(DataSourceConfiguration({"api_token": {"value": "t"}}))
    assert calls == [1]
    assert source.configuration["retry_count"] == 3
