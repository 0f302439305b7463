from connectors.configuration import FALSE_WORDS, TRUE_WORDS, DataSourceConfiguration
from connectors.ui import config_form

SCHEMA = {
    "auth": {"type": "category", "label": "Authentication", "order": 1},
    "data_source": {
        "label": "Confluence data source",
        "display": "dropdown",
        "options": [
            {"label": "Cloud", "value": "confluence_cloud"},
            {"label": "Server", "value": "confluence_server"},
            {"label": "Data Center", "value": "confluence_data_center"},
        ],
        "order": 1,
        "type": "str",
        "value": "confluence_cloud",
    },
    "username": {
        "label": "Username",
        "order": 2,
        "type": "str",
        "value": "admin",
        "depends_on": [{"field": "data_source", "value": "confluence_server"}],
    },
    "api_token": {
        "label": "API token",
        "order": 3,
        "type": "str",
        "sensitive": True,
        "value": "s3cr3t-token",
        "category": "auth",
    },
    "concurrent_downloads": {
        "label": "Maximum concurrent downloads",
        "display": "numeric",
        "order": 4,
        "type": "int",
        "value": 50,
        "default_value": 50,
        "required": False,
        "validations": [{"type": "less_than", "constraint": 101}],
        "ui_restrictions": ["advanced"],
    },
    "spaces": {"label": "Spaces", "display": "textarea", "order": 5, "type": "list", "value": "*"},
    "hidden_thing": {"label": "Hidden", "type": "str", "value": "", "ui_restrictions": ["hidden"]},
    "extract_full_html": {"label": "Crawler only", "type": "bool", "value": False},
    "use_text_extraction_service": {
        "label": "Use text extraction",
        "display": "toggle",
        "type": "bool",
        "value": False,
        "order": 6,
    },
}


def test_layout_follows_kibana_rules():
    form = config_form.build_form(SCHEMA)
    assert [s.label for s in form.sections] == ["", "Authentication"]
    assert [f.key for f in form.sections[0].fields] == [
        "data_source",
        "username",
        "spaces",
        "use_text_extraction_service",
    ]
    assert [f.key for f in form.sections[1].fields] == ["api_token"]
    assert [f.key for f in form.advanced] == ["concurrent_downloads"]
    assert "hidden_thing" not in form.by_key() and "extract_full_html" not in form.by_key()
    fields = form.by_key()
    assert fields["data_source"].widget == "radio"  # three options → radio group
    assert fields["api_token"].widget == "password"
    assert fields["use_text_extraction_service"].widget == "toggle"
    assert fields["username"].visible is False  # depends_on not met


def test_native_connectors_have_no_advanced_panel():
    assert config_form.build_form(SCHEMA, is_native=True).advanced == []


def test_sensitive_value_is_never_exposed():
    field = config_form.build_form(SCHEMA).by_key()["api_token"]
    assert field.display_value == "********"
    assert field.edit_value == ""
    assert field.value is None
    assert "s3cr3t" not in repr(field.__dict__.get("edit_value")) + field.display_value


def test_empty_sensitive_submission_keeps_the_stored_secret():
    result = config_form.check_submission(SCHEMA, {"data_source": "confluence_cloud", "api_token": ""})
    assert result.errors == {}
    assert "api_token" not in result.values
    assert result.values["data_source"] == "confluence_cloud"
    assert result.values["use_text_extraction_service"] is False


def test_clearing_a_required_secret_is_refused():
    result = config_form.check_submission(SCHEMA, {"api_token": "", "api_token__clear": "true"})
    assert result.errors == {"api_token": "API token is required"}


def test_out_of_range_number_and_non_integer_are_refused_with_field_messages():
    result = config_form.check_submission(SCHEMA, {"concurrent_downloads": "500"})
    assert "less than 101" in result.errors["concurrent_downloads"]
    result = config_form.check_submission(SCHEMA, {"concurrent_downloads": "many"})
    assert "must be an integer" in result.errors["concurrent_downloads"]
    result = config_form.check_submission(SCHEMA, {"concurrent_downloads": "20"})
    assert result.errors == {} and result.values["concurrent_downloads"] == 20


def test_dependent_field_is_checked_only_when_visible():
    hidden = config_form.check_submission(SCHEMA, {"data_source": "confluence_cloud", "username": ""})
    assert "username" not in hidden.errors
    shown = config_form.check_submission(SCHEMA, {"data_source": "confluence_server", "username": ""})
    assert shown.errors["username"] == "Username is required"


def test_dropdown_value_must_be_an_option():
    result = config_form.check_submission(SCHEMA, {"data_source": "elsewhere"})
    assert "should be one of" in result.errors["data_source"]


def test_regex_and_included_in_validations():
    schema = {
        "region": {
            "label": "Region",
            "type": "str",
            "value": "eu",
            "validations": [{"type": "included_in", "constraint": ["eu", "us"]}],
        },
        "key": {
            "label": "Key",
            "type": "str",
            "value": "AB",
            "validations": [{"type": "regex", "constraint": "[A-Z]+"}],
        },
        "ids": {
            "label": "Ids",
            "type": "list",
            "value": "1,2",
            "validations": [{"type": "list_type", "constraint": "int"}],
        },
    }
    result = config_form.check_submission(schema, {"region": "mars", "key": "ab1", "ids": "1, x"})
    assert set(result.errors) == {"region", "key", "ids"}
    assert config_form.check_submission(schema, {"region": "us", "key": "XY", "ids": "3, 4"}).errors == {}


def test_kibana_typing():
    assert config_form.coerce({"type": "int"}, " 42 ") == 42
    assert config_form.coerce({"type": "int"}, "4.5") == "4.5"
    assert config_form.coerce({"type": "int"}, str(2**60)) == str(2**60)
    assert config_form.coerce({"type": "bool"}, "true") is True
    assert config_form.coerce({"type": "list"}, "a, b") == "a, b"


def test_depends_on_uses_strict_equality():
    spec = {"depends_on": [{"field": "flag", "value": True}]}
    assert config_form.is_visible(spec, {"flag": True})
    assert not config_form.is_visible(spec, {"flag": "true"})
    assert not config_form.is_visible({"depends_on": [{"field": "n", "value": 1}]}, {"n": True})


def test_document_level_security_toggle_needs_the_feature():
    schema = {
        "use_document_level_security": {"label": "DLS", "display": "toggle", "type": "bool", "value": True}
    }
    assert config_form.build_form(schema, dls_feature=False).is_empty
    assert not config_form.build_form(schema, dls_feature=True).is_empty
    # hidden, so not submitted as "unchecked": the stored value is kept
    assert config_form.check_submission(schema, {}, dls_feature=False).values == {}
    assert config_form.check_submission(schema, {}, dls_feature=True).values == {
        "use_document_level_security": False
    }


def test_view_mode_shows_option_labels_and_switch_states():
    fields = config_form.build_form(SCHEMA).by_key()
    assert fields["data_source"].display_value == "Cloud"
    assert fields["use_text_extraction_service"].display_value == "Off"
    assert fields["spaces"].display_value == "*"


def test_view_mode_groups_the_digits_of_integers_and_the_form_keeps_them_plain():
    schema = {"max_body_chars": {"label": "Max body", "type": "int", "display": "numeric", "value": 1000000}}
    field = config_form.build_form(schema).by_key()["max_body_chars"]
    assert field.display_value == "1,000,000"
    assert field.edit_value == "1000000"


def test_booleans_read_as_the_service_reads_them():
    """One truthy set (connectors.configuration.parse_bool): "y" and "t" are true in the form too."""
    for word in TRUE_WORDS | {" Y ", "T", "On"}:
        assert config_form.coerce({"type": "bool"}, word) is True, word
        service = DataSourceConfiguration({"flag": {"type": "bool", "value": word}})
        assert service["flag"] is True, word
    for word in FALSE_WORDS | {"", "maybe"}:
        assert config_form.coerce({"type": "bool"}, word) is False, word
