import pytest

from connectors.configuration import (
    DataSourceConfiguration,
    coerce,
    field,
    merge_configuration,
    missing_fields,
    plain_text,
    schema,
)
from connectors.errors import ConfigurationError


def make(**specs):
    return DataSourceConfiguration(schema(specs))


def test_field_helper_fills_protocol_defaults():
    spec = field("Port", type="int", default_value=443)
    assert spec["display"] == "numeric"
    assert spec["value"] == 443
    assert spec["required"] is True and spec["sensitive"] is False
    assert spec["depends_on"] == [] and spec["validations"] == [] and spec["options"] == []
    assert field("Flag", type="bool")["display"] == "toggle"
    assert field("Spaces", type="list")["display"] == "textarea"
    dropdown = field("Kind", options=["cloud", {"label": "Server", "value": "server"}])
    assert dropdown["display"] == "dropdown"
    assert dropdown["options"] == [
        {"label": "cloud", "value": "cloud"},
        {"label": "Server", "value": "server"},
    ]
    assert field("X", depends_on={"kind": "server"})["depends_on"] == [{"field": "kind", "value": "server"}]


def test_field_helper_rejects_bad_type_and_display():
    with pytest.raises(ValueError, match="type must be one of"):
        field("X", type="float")
    with pytest.raises(ValueError, match="display must be one of"):
        field("X", display="slider")
    with pytest.raises(ValueError, match="unknown validation type"):
        field("X", validations=[{"type": "between", "constraint": 1}])


def test_schema_numbers_order_by_position():
    s = schema({"a": field("A"), "b": field("B"), "c": field("C", order=10)})
    assert [s[k]["order"] for k in "abc"] == [1, 2, 10]


@pytest.mark.parametrize(
    "value,kind,expected",
    [
        ("a, b,,c ", "list", ["a", "b", "c"]),
        ("", "list", []),
        (None, "list", []),
        (["x ", "", "y"], "list", ["x", "y"]),
        ("12", "int", 12),
        (" 7 ", "int", 7),
        ("3.0", "int", 3),
        ("", "int", None),
        ("yes", "bool", True),
        ("Off", "bool", False),
        (1, "bool", True),
        (5, "str", "5"),
        (None, "str", ""),
    ],
)
def test_coerce(value, kind, expected):
    assert coerce(value, kind) == expected


def test_getitem_coerces_values():
    config = make(
        spaces=field("Spaces", type="list", value="ENG, OPS"),
        port=field("Port", type="int", value="8080"),
        ssl=field("SSL", type="bool", value="true"),
        url=field("URL", value="https://x"),
    )
    assert config["spaces"] == ["ENG", "OPS"]
    assert config["port"] == 8080
    assert config["ssl"] is True
    assert config["url"] == "https://x"
    assert config.get("nope", "d") == "d"
    with pytest.raises(KeyError):
        config["nope"]


def test_empty_optional_field_reads_default():
    config = make(retries=field("Retries", type="int", value="", default_value=3, required=False))
    assert config["retries"] == 3


def test_uncoercible_value_raises_configuration_error_naming_label():
    config = make(port=field("Port", type="int", value="abc"))
    with pytest.raises(ConfigurationError) as err:
        config["port"]
    assert err.value.messages == ["'Port' must be an integer, got 'abc'."]


def test_check_valid_lists_every_problem_by_label():
    config = make(
        url=field("Confluence URL", value=""),
        port=field("Port", type="int", value="abc"),
        limit=field("Limit", type="int", value=200, validations=[{"type": "less_than", "constraint": 100}]),
        floor=field("Floor", type="int", value=1, validations=[{"type": "greater_than", "constraint": 5}]),
        ids=field("Ids", type="list", value="1,x", validations=[{"type": "list_type", "constraint": "int"}]),
        kind=field("Kind", value="bogus", validations=[{"type": "included_in", "constraint": ["a", "b"]}]),
        key=field("Key", value="abc1", validations=[{"type": "regex", "constraint": "[a-z]+"}]),
        flag=field("Flag", type="bool", value="maybe"),
        pick=field("Pick", options=["x", "y"], value="z"),
    )
    with pytest.raises(ConfigurationError) as err:
        config.check_valid()
    assert err.value.messages == [
        "'Confluence URL' cannot be empty.",
        "'Port' must be an integer, got 'abc'.",
        "'Limit' must be less than 100, got 200.",
        "'Floor' must be greater than 5, got 1.",
        "'Ids' list values 'x' should be of type int.",
        "'Kind' value 'bogus' should be one of a, b.",
        "'Key' value 'abc1' failed regex check [a-z]+.",
        "'Flag' must be true or false, got 'maybe'.",
        "'Pick' value 'z' should be one of x, y.",
    ]
    assert str(err.value).startswith("Invalid configuration:\n'Confluence URL' cannot be empty.")


def test_valid_configuration_passes():
    config = make(
        limit=field("Limit", type="int", value=50, validations=[{"type": "less_than", "constraint": 100}]),
        spaces=field(
            "Spaces",
            type="list",
            value="A,B",
            validations=[{"type": "included_in", "constraint": ["A", "B"]}],
        ),
        key=field("Key", value="abc", validations=[{"type": "regex", "constraint": "[a-z]+"}]),
        opt=field("Optional", value="", required=False),
    )
    config.check_valid()  # raises ConfigurationError listing every problem
    assert config.values() == {"limit": 50, "spaces": ["A", "B"], "key": "abc", "opt": ""}


def test_depends_on_hides_required_field():
    config = make(
        kind=field("Kind", options=["cloud", "server"], value="cloud"),
        user=field("Username", value="", depends_on={"kind": "server"}),
        token=field("Token", value="", depends_on={"kind": "cloud"}, sensitive=True),
    )
    with pytest.raises(ConfigurationError) as err:
        config.check_valid()
    assert err.value.messages == ["'Token' cannot be empty."]


def test_depends_on_compares_coerced_values():
    config = make(
        ssl=field("SSL", type="bool", value="true"),
        cert=field("Certificate", value="", depends_on=[{"field": "ssl", "value": True}]),
    )
    with pytest.raises(ConfigurationError, match="'Certificate' cannot be empty."):
        config.check_valid()


def test_depends_on_missing_field_is_reported():
    config = make(cert=field("Certificate", value="x", depends_on={"ssl": True}))
    with pytest.raises(ConfigurationError) as err:
        config.check_valid()
    assert err.value.messages == ["'Certificate' depends on configuration 'ssl', but it does not exist."]


def test_is_sensitive_and_redacted():
    config = make(token=field("Token", value="s3cret", sensitive=True), url=field("URL", value="u"))
    assert config.is_sensitive("token") and not config.is_sensitive("url")
    assert not config.is_sensitive("missing")
    assert config.redacted() == {"token": "********", "url": "u"}
    assert "s3cret" not in repr(config.redacted())
    assert "s3cret" not in repr(config) and "s3cret" not in repr(config.get_fields())
    assert "'u'" in repr(config)


def test_set_defaults_covers_missing_keys_and_types():
    config = DataSourceConfiguration({"port": {"label": "Port", "type": "str", "value": "9"}})
    config.set_defaults(
        schema({"port": field("Port", type="int"), "size": field("Size", type="int", value=5)})
    )
    assert config["port"] == 9
    assert config["size"] == 5
    assert "size" in config and config.keys() == ["port", "size"]


def test_plain_values_are_accepted():
    config = DataSourceConfiguration({"host": "h"})
    assert config["host"] == "h"
    assert config.get_field("host").label == "Host"


def test_merge_keeps_user_values_and_updates_specs():
    defaults = {
        "url": field("Confluence URL", tooltip="new tooltip"),
        "port": field("Port", type="int", default_value=443),
    }
    existing = {
        "url": {"label": "Old label", "value": "https://mine", "type": "str"},
        "obsolete": {"label": "Gone", "value": "x"},
    }
    merged = merge_configuration(defaults, existing)
    assert set(merged) == {"url", "port"}
    assert merged["url"]["value"] == "https://mine"
    assert merged["url"]["label"] == "Confluence URL"
    assert merged["url"]["tooltip"] == "new tooltip"
    assert merged["port"]["value"] == 443
    assert existing["url"]["label"] == "Old label"  # inputs untouched
    assert missing_fields(defaults, existing) == ["port"]


# -- text limits, the declared spec, the one way to build a source (issue 12) -------------------
def test_plain_text_limits_are_worded_and_never_quote_the_value():
    config = make(
        token=field("Token", sensitive=True, value="s3cret" * 300, validations=[plain_text(1024)]),
        user=field("User", value="bob\r\nX-Injected: 1", validations=[plain_text(1024)]),
        keys=field("Keys", type="list", value="OK, " + "K" * 300, validations=[plain_text(255)]),
        fine=field("Fine", value="résumé 日本", validations=[plain_text(10)]),
    )
    assert config.problems() == {
        "token": ["'Token' is 1,800 characters long; at most 1,024 are allowed."],
        "user": ["'User' must not contain line breaks or other control characters."],
        "keys": [
            "'Keys': '" + "K" * 40 + "'… (300 characters) is 300 characters long; at most 255 are allowed."
        ],
    }
    assert "s3cret" not in repr(config.problems())
    # stored as the protocol's own kind of validation, so Elasticsearch keeps it
    assert plain_text(5) == {"type": "regex", "constraint": "[^\\x00-\\x1f\\x7f]{0,5}"}


def test_the_declared_spec_wins_over_a_stored_one_but_the_value_is_kept():
    stored = DataSourceConfiguration(
        {"retries": {"label": "old label", "type": "str", "value": "8", "validations": []}}
    )
    stored.set_defaults(
        schema(
            {
                "retries": field(
                    "Retries", type="int", value=3, validations=[{"type": "less_than", "constraint": 6}]
                )
            }
        )
    )
    assert stored["retries"] == 8
    assert stored.problems() == {"retries": ["'Retries' must be less than 6, got 8."]}


def test_a_required_key_the_connector_lacks_is_reported():
    config = DataSourceConfiguration({})
    config.set_defaults(schema({"url": field("URL"), "opt": field("Optional", required=False)}))
    assert config.problems() == {"url": ["'URL' cannot be empty."]}


def test_registry_builds_a_configured_source_merging_the_defaults_once():
    from connectors.registry import SourceRegistry
    from connectors.source import BaseDataSource

    calls = []

    class Counted(BaseDataSource):
        @classmethod
        def get_default_configuration(cls):
            calls.append(1)
            return schema({"port": field("Port", type="int", value=443), "host": field("Host")})

    import sys
    import types

    module = types.ModuleType("counted_source_for_test")
    module.Counted = Counted
    sys.modules[module.__name__] = module
    try:
        source = SourceRegistry({"counted": "counted_source_for_test:Counted"}).build(
            "counted", {"host": {"label": "Host", "value": "h"}}
        )
    finally:
        del sys.modules[module.__name__]
    assert isinstance(source, Counted) and calls == [1]
    assert source.configuration["port"] == 443 and source.configuration["host"] == "h"


def test_error_message_is_one_readable_line():
    from connectors.errors import SyncError
    from connectors.es.errors import error_message

    assert error_message(SyncError("listing failed")) == "listing failed"
    assert error_message(ValueError("bad")) == "ValueError: bad"
    assert error_message(TimeoutError()) == "TimeoutError"


def test_a_sensitive_value_is_never_quoted_by_a_failed_validation():
    config = make(
        token=field(
            "Token",
            sensitive=True,
            value="s3cret-Value",
            validations=[{"type": "regex", "constraint": "[a-z]+"}],
        ),
        key=field("Key", value="Abc", validations=[{"type": "regex", "constraint": "[a-z]+"}]),
    )
    assert config.problems() == {
        "token": ["'Token' fails its regex check [a-z]+."],
        "key": ["'Key' value 'Abc' failed regex check [a-z]+."],
    }
