import textwrap
from pathlib import Path

import pytest

from connectors.config import (
    DEFAULTS,
    SCHEMA,
    env_var_for,
    leaf_paths,
    load_config,
    redact_config,
    with_defaults,
)
from connectors.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path, text, name="config.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path, text, env=None):
    with pytest.raises(ConfigurationError) as err:
        load_config(write(tmp_path, text), env=env or {})
    return err.value.messages


def test_shipped_config_yml_is_valid_and_shows_the_defaults():
    assert load_config(REPO / "config.yml", env={}, use_dotenv=False) == with_defaults({})


def test_docs_config_md_documents_every_key():
    doc = (REPO / "docs" / "CONFIG.md").read_text()
    for path in leaf_paths():
        assert f"`{'.'.join(path)}`" in doc, ".".join(path)


def test_empty_file_and_no_file_give_defaults(tmp_path):
    assert load_config(write(tmp_path, ""), env={}) == DEFAULTS
    assert load_config(None, env={}, use_dotenv=False) == DEFAULTS
    assert DEFAULTS["sources"]["confluence"] == "connectors.sources.confluence:ConfluenceDataSource"


def test_values_merge_over_defaults(tmp_path):
    config = load_config(
        write(
            tmp_path,
            """
            elasticsearch:
              host: https://es:9200
              bulk: {chunk_size: 50}
            service:            # an empty section keeps its defaults
            connectors:
              - {connector_id: c1, service_type: confluence}
            """,
        ),
        env={},
    )
    assert config["elasticsearch"]["host"] == "https://es:9200"
    assert config["elasticsearch"]["bulk"]["chunk_size"] == 50
    assert config["elasticsearch"]["bulk"]["queue_max_size"] == 1024
    assert config["service"] == DEFAULTS["service"]
    assert config["connectors"] == [{"connector_id": "c1", "service_type": "confluence"}]


def test_every_problem_is_reported_with_its_key_path(tmp_path):
    messages = problems(
        tmp_path,
        """
        elasticsearch:
          hots: http://typo:9200
          verify_certs: maybe
          bulk:
            chunk_size: abc
            queue_max_mem_mb: 0
        service:
          log_level: LOUD
          idling: -1
        ui:
          port: 70000
        connectors:
          - connector_id: a
          - service_type: confluence
            connector_id: ""
        sources:
          confluence: not a class path
        extra: 1
        """,
    )
    assert messages == [
        "elasticsearch.verify_certs: must be a boolean (true or false), got 'maybe'",
        "elasticsearch.bulk.chunk_size: must be an integer, got 'abc'",
        "elasticsearch.bulk.queue_max_mem_mb: must be greater than 0, got 0",
        "elasticsearch.hots: unknown key (allowed here: api_key, bulk, ca_certs, host, max_retries, outage_timeout, "
        "password, request_timeout, retry_interval, retry_on_timeout, username, verify_certs)",
        "service.idling: must be greater than 0, got -1",
        "service.log_level: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'",
        "ui.port: must be at most 65535, got 70000",
        "connectors[0].service_type: missing required value",
        "connectors[1].connector_id: must not be empty",
        "sources.confluence: must look like 'package.module:ClassName', got 'not a class path'",
        "extra: unknown key (allowed here: connectors, elasticsearch, service, sources, ui)",
    ]


def test_error_text_has_a_title_and_one_line_per_problem(tmp_path):
    with pytest.raises(ConfigurationError) as err:
        load_config(write(tmp_path, "service: {heartbeat: soon, idling: later}"), env={})
    assert str(err.value).splitlines() == [
        "Invalid configuration (2 problems):",
        "service.idling: must be a number, got 'later'",
        "service.heartbeat: must be a number, got 'soon'",
    ]


def test_wrong_section_types(tmp_path):
    assert problems(tmp_path, "elasticsearch: 5\nconnectors: {a: 1}\n") == [
        "elasticsearch: must be a mapping, got 5",
        "connectors: must be a list, got a mapping",
    ]
    assert problems(tmp_path, "elasticsearch: {host: 5}") == [
        "elasticsearch.host: must be a URL or a list of URLs, got 5"
    ]
    assert problems(tmp_path, "- a\n- b\n") == [
        f"{tmp_path / 'config.yml'}: the top level must be a mapping of sections, got a list"
    ]


def test_duplicate_connector_ids_and_password_without_username(tmp_path):
    assert problems(
        tmp_path,
        """
        elasticsearch: {password: pw}
        connectors:
          - {connector_id: a, service_type: confluence}
          - {connector_id: a, service_type: confluence}
        """,
    ) == [
        "connectors[1].connector_id: 'a' is already used by connectors[0]",
        "elasticsearch.username: required when elasticsearch.password is set",
    ]


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigurationError) as err:
        load_config(tmp_path / "nope.yml", env={})
    assert err.value.messages == [f"{tmp_path / 'nope.yml'}: configuration file not found"]
    with pytest.raises(ConfigurationError) as err:
        load_config(write(tmp_path, "service:\n  idling: [1\n"), env={})
    assert err.value.messages[0].startswith(f"{tmp_path / 'config.yml'}: invalid YAML at line 3, column 1:")


def test_environment_overrides(tmp_path):
    env = {
        "CONNECTORS_ELASTICSEARCH_HOST": "http://from-env:9200",
        "CONNECTORS_ELASTICSEARCH_BULK_CHUNK_SIZE": "25",
        "CONNECTORS_ELASTICSEARCH_VERIFY_CERTS": "false",
        "CONNECTORS_ELASTICSEARCH_API_KEY": "k3y",
        "CONNECTORS_SERVICE_LOG_LEVEL": "DEBUG",
        "CONNECTORS_UNRELATED": "ignored",
    }
    config = load_config(write(tmp_path, "elasticsearch: {host: http://file:9200}"), env=env)
    assert config["elasticsearch"]["host"] == "http://from-env:9200"
    assert config["elasticsearch"]["bulk"]["chunk_size"] == 25
    assert config["elasticsearch"]["verify_certs"] is False
    assert config["elasticsearch"]["api_key"] == "k3y"
    assert config["service"]["log_level"] == "DEBUG"
    assert env_var_for("elasticsearch.bulk.chunk_size") == "CONNECTORS_ELASTICSEARCH_BULK_CHUNK_SIZE"


def test_bad_environment_value_is_reported_by_key_path(tmp_path):
    assert problems(tmp_path, "", env={"CONNECTORS_ELASTICSEARCH_BULK_CHUNK_SIZE": "lots"}) == [
        "elasticsearch.bulk.chunk_size (from CONNECTORS_ELASTICSEARCH_BULK_CHUNK_SIZE): must be an integer, "
        "got 'lots'"
    ]


def test_dotenv_file_is_read_and_process_env_wins(tmp_path):
    (tmp_path / ".env").write_text(
        "CONNECTORS_ELASTICSEARCH_PASSWORD=from-dotenv\nCONNECTORS_ELASTICSEARCH_USERNAME=u\n"
    )
    path = write(tmp_path, "")
    assert load_config(path, env={})["elasticsearch"]["password"] == "from-dotenv"
    env = {"CONNECTORS_ELASTICSEARCH_PASSWORD": "from-process"}
    assert load_config(path, env=env)["elasticsearch"]["password"] == "from-process"
    assert load_config(path, env={}, use_dotenv=False)["elasticsearch"]["password"] is None


def test_redact_config_masks_secrets_only():
    config = with_defaults(
        {
            "elasticsearch": {"username": "u", "password": "pw", "api_key": "key"},
            "connectors": [{"connector_id": "c", "service_type": "confluence", "api_key": "ck"}],
        }
    )
    safe = redact_config(config)
    text = repr(safe)
    assert "pw" not in text.replace("password", "") and "'key'" not in text and "'ck'" not in text
    assert safe["elasticsearch"]["password"] == "********"
    assert safe["elasticsearch"]["username"] == "u"
    assert safe["connectors"][0]["api_key"] == "********"
    assert config["elasticsearch"]["password"] == "pw"  # the input is untouched


def test_source_check_interval_default_and_validation(tmp_path):
    assert DEFAULTS["service"]["source_check_interval"] == 300
    assert (
        load_config(write(tmp_path, "service: {source_check_interval: 60}"), env={})["service"][
            "source_check_interval"
        ]
        == 60
    )
    assert problems(tmp_path, "service: {source_check_interval: 0}") == [
        "service.source_check_interval: must be greater than 0, got 0"
    ]


def test_ui_sign_in_throttling_keys_default_and_validation(tmp_path):
    ui = load_config(write(tmp_path, "ui: {sign_in_max_failures: 0}"), env={})["ui"]
    assert ui["sign_in_max_failures"] == 0  # 0 turns the per-username limit off
    assert ui["sign_in_max_failures_per_address"] == 20 and ui["sign_in_window_seconds"] == 300
    assert problems(tmp_path, "ui: {sign_in_max_failures_per_address: -1, sign_in_window_seconds: 0}") == [
        "ui.sign_in_max_failures_per_address: must be at least 0, got -1",
        "ui.sign_in_window_seconds: must be at least 1, got 0",
    ]


# -- values that passed the schema and failed later (issue 11, defect 5) -------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("service: {idling: .nan}", "service.idling: must be a finite number, got nan"),
        ("service: {idling: 1.0e+400}", "service.idling: must be a finite number, got inf"),
        ("service: {heartbeat: .inf}", "service.heartbeat: must be a finite number, got inf"),
        (
            "service: {job_idle_threshold: .nan}",
            "service.job_idle_threshold: must be a finite number, got nan",
        ),
        ("elasticsearch: {request_timeout: -.inf}", "elasticsearch.request_timeout: must be a finite number"),
        (
            "elasticsearch: {bulk: {chunk_size: .inf}}",
            "elasticsearch.bulk.chunk_size: must be a finite number",
        ),
        ("service: {idling: 360000}", "service.idling: must be at most 3600, got 360000"),
        (
            "elasticsearch: {bulk: {max_concurrency: 100000}}",
            "elasticsearch.bulk.max_concurrency: must be at most 64",
        ),
    ],
)
def test_numbers_must_be_finite_and_in_range(tmp_path, text, expected):
    messages = problems(tmp_path, text)
    assert len(messages) == 1 and messages[0].startswith(expected), messages


def test_every_numeric_key_has_a_finite_upper_bound():
    from connectors.config_schema import MAXIMA, numeric_paths

    assert sorted(numeric_paths()) == sorted(MAXIMA)
    for dotted in numeric_paths():
        node = SCHEMA
        for key in dotted.split("."):
            node = node["properties"][key]
        assert 0 < node["maximum"] < float("inf"), dotted
        default = DEFAULTS
        for key in dotted.split("."):
            default = default[key]
        assert default is None or default <= node["maximum"], dotted
    doc = (REPO / "docs" / "CONFIG.md").read_text()
    for dotted, maximum in MAXIMA.items():  # the ranges table
        rows = [line for line in doc.splitlines() if line.startswith(f"| `{dotted}` |")]
        assert any(row.endswith(f" | {maximum} |") for row in rows), dotted


@pytest.mark.parametrize(
    "host, expected",
    [
        ("ftp://x", "elasticsearch.host: must be an absolute URL starting with http:// or https://, got 'ftp://x'"),
        ("localhost:9200", "got 'localhost:9200' (did you mean http://localhost:9200?)"),
        ("ht!tp://::::", "must be an absolute URL starting with http:// or https://, got 'ht!tp://::::'"),
        ("http://", "elasticsearch.host: must be an absolute URL"),
        ("http://:9200", "elasticsearch.host: must name a host"),
        ("http://es:99999", "elasticsearch.host: must be an absolute http:// or https:// URL, got 'http://es:99999' "
         "(Port out of range 0-65535)"),
        ("http://es:92a0", "elasticsearch.host: must be an absolute http:// or https:// URL"),
        ("http://[::1", "elasticsearch.host: must be an absolute http:// or https:// URL"),
        ("https://es:9200/?pretty", "elasticsearch.host: must not have a query or fragment"),
    ],
)  # fmt: skip
def test_host_must_be_an_http_url_with_a_host(tmp_path, host, expected):
    messages = problems(tmp_path, f"elasticsearch: {{host: '{host}'}}")
    assert len(messages) == 1 and messages[0].startswith("elasticsearch.host: "), messages
    assert expected in messages[0], messages


def test_host_list_items_are_checked_by_index_and_credentials_are_not_echoed(tmp_path):
    messages = problems(
        tmp_path, "elasticsearch: {host: ['https://a:9200', 'http://elastic:s3cret@b:9200', 'b:9200']}"
    )
    assert messages[0].startswith("elasticsearch.host[1]: must not contain a user name or password")
    assert messages[1].startswith("elasticsearch.host[2]: must be an absolute URL")
    assert len(messages) == 2 and "s3cret" not in " ".join(messages)
    ok = load_config(
        write(tmp_path, "elasticsearch: {host: ['https://a:9200', 'http://[::1]:9200/es']}"), env={}
    )
    assert ok["elasticsearch"]["host"][1] == "http://[::1]:9200/es"


def test_host_from_the_environment_is_checked_after_the_override_and_names_the_variable(tmp_path):
    assert problems(tmp_path, "", env={"CONNECTORS_ELASTICSEARCH_HOST": "[a"}) == [
        "elasticsearch.host (from CONNECTORS_ELASTICSEARCH_HOST, not valid YAML: read as text): must be an "
        "absolute URL starting with http:// or https://, got '[a'"
    ]
    assert problems(tmp_path, "", env={"CONNECTORS_ELASTICSEARCH_HOST": "[http://a:9200, ftp://b]"}) == [
        "elasticsearch.host[1] (from CONNECTORS_ELASTICSEARCH_HOST): must be an absolute URL starting with "
        "http:// or https://, got 'ftp://b'"
    ]
    assert problems(tmp_path, "", env={"CONNECTORS_SERVICE_IDLING": ".nan"}) == [
        "service.idling (from CONNECTORS_SERVICE_IDLING): must be a finite number, got nan"
    ]


def test_ca_certs_must_be_a_readable_file(tmp_path):
    missing = tmp_path / "nonexistent.pem"
    assert problems(tmp_path, f"elasticsearch: {{host: 'https://es:9200', ca_certs: '{missing}'}}") == [
        f"elasticsearch.ca_certs: file '{missing}' does not exist (working directory {Path.cwd()})"
    ]
    assert problems(tmp_path, f"elasticsearch: {{ca_certs: '{tmp_path}'}}") == [
        f"elasticsearch.ca_certs: '{tmp_path}' is not a file"
    ]
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    config = load_config(
        write(tmp_path, f"elasticsearch: {{host: 'https://es:9200', ca_certs: '{pem}'}}"), env={}
    )
    assert config["elasticsearch"]["ca_certs"] == str(pem)


def test_a_quoted_value_is_capped(tmp_path):
    messages = problems(tmp_path, f"service: {{log_level: '{'x' * 100_000}'}}")
    assert len(messages[0]) < 400 and "(100,000 characters)" in messages[0]
