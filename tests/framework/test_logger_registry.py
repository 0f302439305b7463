import io
import json
import logging

import pytest

from connectors import logger as logger_module
from connectors.configuration import DataSourceConfiguration
from connectors.errors import ConfigurationError
from connectors.logger import MASK, configure_logging, get_logger, redact, remember_secrets
from connectors.registry import SourceRegistry, load_class
from tests.framework.fake_source import FakeDataSource


@pytest.fixture
def stream():
    buffer = io.StringIO()
    configure_logging("DEBUG", stream=buffer)
    yield buffer
    configure_logging("INFO")


def test_lines_carry_connector_and_job_ids(stream):
    log = get_logger("sync", connector_id="c1").bind(job_id="j9")
    log.info("hello")
    line = stream.getvalue().strip()
    assert " INFO connectors.sync hello " in line
    assert "connector_id=c1" in line and "job_id=j9" in line


def test_json_lines():
    buffer = io.StringIO()
    configure_logging("INFO", json_lines=True, stream=buffer)
    try:
        get_logger("x", connector_id="c2", job_id="j2").warning("careful")
        record = json.loads(buffer.getvalue())
        assert record["message"] == "careful"
        assert record["connector_id"] == "c2" and record["job_id"] == "j2"
        assert record["log.level"] == "WARNING"
    finally:
        configure_logging("INFO")


def test_secret_pairs_masked_in_messages(stream):
    get_logger("x").info("connecting with password=hunter2 api_key=abc123 user=bob")
    text = stream.getvalue()
    assert "hunter2" not in text and "abc123" not in text
    assert "user=bob" in text and MASK in text


def test_redact_masks_sensitive_fields_and_secret_keys():
    config = {
        "elasticsearch": {"host": "h", "password": "p4ss", "api_key": "k"},
        "configuration": {
            "api_token": {"label": "API token", "sensitive": True, "value": "tok"},
            "url": {"label": "URL", "sensitive": False, "value": "http://x"},
        },
    }
    out = redact(config)
    assert out["elasticsearch"] == {"host": "h", "password": MASK, "api_key": MASK}
    assert out["configuration"]["api_token"]["value"] == MASK
    assert out["configuration"]["url"]["value"] == "http://x"
    assert config["elasticsearch"]["password"] == "p4ss"  # input untouched


def _job_with_snapshot(token: str) -> dict:
    """A sync job as stored: the connector's configuration is copied into ``connector``."""
    return {
        "status": "in_progress",
        "connector": {
            "id": "c1",
            "configuration": {
                "api_token": {"label": "API token", "sensitive": True, "value": token},
                "data_center_password": {"label": "Password", "value": token + "-unflagged"},
                "confluence_url": {"label": "URL", "sensitive": False, "value": "https://wiki"},
            },
        },
    }


def test_a_job_snapshot_logged_as_an_argument_is_redacted(stream):
    job = _job_with_snapshot("snapshot-token-1")
    get_logger("x").info("job %s", job)
    get_logger("x").info("jobs %s and %s", [job], "plain")
    text = stream.getvalue()
    assert "snapshot-token-1" not in text
    assert text.count(MASK) >= 4 and "https://wiki" in text and "plain" in text
    assert job["connector"]["configuration"]["api_token"]["value"] == "snapshot-token-1"  # untouched


def test_redact_masks_a_secret_keyed_field_without_the_sensitive_flag():
    out = redact(_job_with_snapshot("tok-abcdef"))
    configuration = out["connector"]["configuration"]
    assert configuration["api_token"]["value"] == MASK
    assert configuration["data_center_password"]["value"] == MASK
    assert configuration["confluence_url"]["value"] == "https://wiki"


QUOTED_TOKEN = 'remembered-"tok"-9'  # JSON escapes the quotes: masked before encoding


@pytest.mark.parametrize("json_lines", [False, True])
def test_remembered_secrets_are_masked_in_fstrings_and_tracebacks(json_lines):
    buffer = io.StringIO()
    configure_logging("DEBUG", json_lines=json_lines, stream=buffer)
    try:
        DataSourceConfiguration(_job_with_snapshot(QUOTED_TOKEN)["connector"]["configuration"])
        remember_secrets({"elasticsearch": {"host": "h", "password": "es-pass-remembered"}})
        log = get_logger("x")
        snapshot = _job_with_snapshot(QUOTED_TOKEN)
        log.info(f"configuration is {snapshot!r} via es-pass-remembered")
        try:
            raise ValueError(f"bad credential {QUOTED_TOKEN}-unflagged")
        except ValueError:
            log.exception("failed")
        text = buffer.getvalue()
        for leaked in (QUOTED_TOKEN, json.dumps(QUOTED_TOKEN)[1:-1], "es-pass-remembered"):
            assert leaked not in text
        assert "ValueError: bad credential" in text and "https://wiki" in text
    finally:
        configure_logging("INFO")


def test_short_values_are_not_remembered(stream):
    remember_secrets({"password": "abc"})
    get_logger("x").info("abc is an ordinary word")
    assert "abc is an ordinary word" in stream.getvalue()


def test_remembered_secrets_are_bounded_oldest_dropped(stream, monkeypatch):
    monkeypatch.setattr(logger_module, "MAX_KNOWN_SECRETS", 2)
    for value in ("first-secret-1", "second-secret-2", "third-secret-3"):
        remember_secrets({"password": value})
    get_logger("x").info("first-secret-1 second-secret-2 third-secret-3")
    text = stream.getvalue()
    assert "first-secret-1" in text and "second-secret-2" not in text and "third-secret-3" not in text


def test_registry_loads_lazily_and_caches():
    registry = SourceRegistry({"fake": "tests.framework.fake_source:FakeDataSource"})
    assert "fake" in registry and registry.service_types == ["fake"]
    assert registry.get("fake") is FakeDataSource
    assert registry.get("fake") is FakeDataSource


def test_registry_unknown_type_names_known_ones():
    registry = SourceRegistry({"fake": "tests.framework.fake_source:FakeDataSource"})
    with pytest.raises(ConfigurationError) as info:
        registry.get("jira")
    assert "'jira'" in str(info.value) and "fake" in str(info.value)


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("nocolon", "expected 'module:Class'"),
        ("", "expected 'module:Class'"),
        ("not_a_module_xyz:Thing", "cannot import module 'not_a_module_xyz'"),
        ("logging:NoSuchThing", "has no attribute 'NoSuchThing'"),
    ],
)
def test_load_class_errors(spec, fragment):
    with pytest.raises(ConfigurationError) as info:
        load_class(spec, "sources.x")
    assert str(info.value).startswith("sources.x: ")
    assert fragment in str(info.value)


def test_load_class_dotted_form():
    assert load_class("logging.Logger") is logging.Logger


def test_check_all_reports_each_failure():
    registry = SourceRegistry(
        {"a": "nope_module:X", "b": "logging:Nope", "c": "tests.framework.fake_source:FakeDataSource"}
    )
    problems = registry.check_all()
    assert len(problems) == 2
    assert problems[0].startswith("sources.a:") and problems[1].startswith("sources.b:")


async def test_task_context_reaches_other_loggers(stream):
    import asyncio

    from connectors.logger import set_task_context

    async def job():
        set_task_context(connector_id="c7", job_id="j7")
        await asyncio.create_task(inner())

    async def inner():
        logging.getLogger("connectors.es.sink").info("bulk sent")

    await asyncio.create_task(job())
    logging.getLogger("connectors.es.sink").info("outside")
    lines = stream.getvalue().splitlines()
    assert "connector_id=c7" in lines[0] and "job_id=j7" in lines[0]
    assert "job_id" not in lines[1]
