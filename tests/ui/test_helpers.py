"""Small pieces: readable Elasticsearch errors, formatting, the session store."""

import datetime as dt

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, AsyncElasticsearch, ConnectionError, NotFoundError

from connectors.es import errors as es_errors
from connectors.ui import render
from connectors.ui.sessions import Session, SessionStore
from connectors.ui.settings import UiSettings


def _api_error(status, body, cls=ApiError):
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "localhost", 9200),
    )
    return cls(message="raw", meta=meta, body=body)


def test_es_errors_are_one_readable_sentence():
    body = {
        "error": {
            "root_cause": [{"type": "x", "reason": "index [a] already used by connector [b]"}],
            "type": "x",
            "reason": "index [a] already used by connector [b]",
        },
        "status": 400,
    }
    assert es_errors.describe(_api_error(400, body)) == (
        "Elasticsearch refused the request: index [a] already used by connector [b]"
    )
    forbidden = _api_error(
        403, {"error": {"type": "security_exception", "reason": "action [x] is unauthorized"}}
    )
    assert es_errors.describe(forbidden) == "You are not allowed to do this: action [x] is unauthorized"
    missing = _api_error(
        404,
        {"error": {"type": "resource_not_found_exception", "reason": "connector [x] missing"}},
        NotFoundError,
    )
    assert es_errors.describe(missing) == "Not found: connector [x] missing"
    assert es_errors.describe(_api_error(500, "oops")) == "Elasticsearch refused the request: raw"
    assert "cannot be reached" in es_errors.describe(ConnectionError("boom"))


def test_formatting():
    job = {"started_at": "2026-11-23T10:00:00Z", "completed_at": "2026-11-23T10:02:05Z"}
    assert render.job_duration(job) == "2m 5s"
    assert render.job_duration({"started_at": None}) == "--"
    assert render.fmt_time("2026-11-23T10:00:00.123+00:00") == "2026-11-23 10:00:00 UTC"
    assert render.fmt_time(None) == "--"
    assert render.fmt_volume(0.5) == "512.0 KiB" and render.fmt_volume(3) == "3.00 MiB"
    assert render.fmt_number(1234567) == "1,234,567"
    assert render.sync_badge("completed") == ("Sync complete", "success")
    assert render.sync_badge("canceling") == ("Canceling sync", "warning")
    assert render.fmt_duration(3 * 3600 + 61) == "3h 1m"
    assert render.job_volume({"indexed_document_volume": 0, "indexed_document_count": 118}) == "< 1 MiB"
    assert render.job_volume({"indexed_document_volume": 0, "indexed_document_count": 0}) == "0 MiB"
    assert render.job_volume({"indexed_document_volume": 2, "indexed_document_count": 9}) == "2.00 MiB"


def test_settings_from_config():
    settings = UiSettings.from_config(
        {
            "elasticsearch": {"host": "https://es:9200/"},
            "sources": {"confluence": "a:B"},
            "ui": {"page_size": 5},
        }
    )
    assert settings.es_host == "https://es:9200"
    assert settings.service_types() == ["confluence"]
    assert settings.page_size == 5
    assert UiSettings.from_config(None).es_host == "http://localhost:9200"


async def test_session_store_is_bounded_and_expires():
    store = SessionStore(max_sessions=2, idle_seconds=60)
    sessions = [
        Session(
            id=f"s{i}", client=AsyncElasticsearch("http://127.0.0.1:9"), username="u", security_enabled=False
        )
        for i in range(3)
    ]
    for session in sessions:
        store.add(session)
    assert len(store) == 2
    assert store.get("s0") is None and store.get("s2") is sessions[2]
    sessions[1].last_used -= 120
    assert store.get("s1") is None
    assert len(store) == 1
    assert sessions[0].csrf_token != sessions[2].csrf_token
    await store.close()
    assert len(store) == 0


def test_next_runs_render_in_utc():
    assert render.iso(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) == "2026-01-01T00:00:00+00:00"
