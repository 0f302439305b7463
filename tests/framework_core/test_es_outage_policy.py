"""connectors.es.outage: which failures are retried, the time bound, bounded logging."""

from __future__ import annotations

import asyncio
import logging

import pytest
from elastic_transport import TlsError
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout

from connectors.errors import ElasticsearchUnavailable
from connectors.es.outage import OutagePolicy, no_answer
from tests.framework_core.fake_es import api_error

LOGGER = logging.getLogger("tests.outage")


def test_what_counts_as_no_answer():
    assert no_answer(EsConnectionError("refused")).startswith("ConnectionError: ")
    assert no_answer(ConnectionTimeout("slow")) == no_answer(TimeoutError()) == "no answer in time"
    assert [no_answer(api_error(status)) for status in (429, 502, 503, 504)] == [
        "status 429",
        "status 502",
        "status 503",
        "status 504",
    ]
    for never in (api_error(400), api_error(401), api_error(404), api_error(500), TlsError("bad cert")):
        assert no_answer(never) is None


async def test_retries_until_elasticsearch_answers_and_logs_once_each_way(caplog):
    failures = [EsConnectionError("refused")] * 5 + [api_error(503)] * 5
    calls = []

    async def request():
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "ok"

    caplog.set_level(logging.INFO, "tests.outage")
    policy = OutagePolicy(60, 0.001, LOGGER)
    assert await policy.call("a test request", request) == "ok"
    assert len(calls) == 11
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert len(messages) == 2  # bounded: one line when it starts, one when it ends
    assert messages[0][0] == "WARNING" and messages[0][1].startswith(
        "Elasticsearch does not answer a test request (ConnectionError: "
    )
    assert messages[0][1].endswith("; retrying for up to 60s")
    assert messages[1][0] == "INFO" and messages[1][1].startswith(
        "Elasticsearch answers a test request again after"
    )


async def test_a_long_outage_logs_again_at_most_once_per_log_every(caplog):
    failures = [EsConnectionError("refused")] * 4

    async def request():
        if failures:
            raise failures.pop(0)
        return "ok"

    caplog.set_level(logging.WARNING, "tests.outage")
    await OutagePolicy(60, 0.001, LOGGER, log_every=0).call("x", request)
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "Elasticsearch does not answer x",
        "Elasticsearch still does not answer x after 0s",
        "Elasticsearch still does not answer x after 0s",
        "Elasticsearch still does not answer x after 0s",
    ]


async def test_a_frozen_elasticsearch_is_given_up_at_the_bound_not_after_a_request_timeout():
    calls = []

    async def never_answers():
        calls.append(1)
        await asyncio.Event().wait()  # accepted, never answered

    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ElasticsearchUnavailable) as info:
        await OutagePolicy(0.3, 0.001, LOGGER).call("a frozen request", never_answers)
    assert loop.time() - started >= 0.3
    assert str(info.value).endswith("(elasticsearch.outage_timeout is 0.3s; last error: no answer in time)")
    assert len(calls) == 1  # the one attempt was cut at the bound


async def test_errors_retrying_cannot_fix_pass_through_at_once():
    for error in (api_error(400), api_error(500), TlsError("certificate verify failed")):
        calls = []

        async def request(error=error, calls=calls):
            calls.append(1)
            raise error

        with pytest.raises(type(error)):
            await OutagePolicy(60, 0.001, LOGGER).call("x", request)
        assert len(calls) == 1


async def test_abort_stops_the_retries_at_once():
    calls = []

    async def request():
        calls.append(1)
        raise EsConnectionError("refused")

    with pytest.raises(ElasticsearchUnavailable):
        await OutagePolicy(60, 0.001, LOGGER).call("x", request, abort=lambda: len(calls) >= 2)
    assert len(calls) == 2


def test_the_outage_settings_reach_the_sink_from_the_config():
    from connectors.config_schema import DEFAULTS
    from connectors.sync.plumbing import default_plumbing
    from connectors.sync.settings import ServiceSettings

    defaults = ServiceSettings.from_config({})
    assert (defaults.outage_timeout, defaults.retry_interval, defaults.request_timeout) == (180, 1, 60)
    documented = DEFAULTS["elasticsearch"]
    assert (documented["outage_timeout"], documented["retry_interval"], documented["request_timeout"]) == (
        180,
        1,
        60,
    )
    settings = ServiceSettings.from_config(
        {
            "elasticsearch": {
                "outage_timeout": 42,
                "retry_interval": 0.5,
                "request_timeout": 7,
                "bulk": {"max_retries": 1},
            }
        }
    )
    sink = default_plumbing().make_sink(None, "idx", None, settings.sink_options(), LOGGER)
    assert (sink.outage.timeout, sink.outage.retry_interval, sink.outage.cap) == (42, 0.5, 5)
    assert sink.max_retries == 1 and settings.request_timeout == 7
