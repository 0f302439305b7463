"""Helpers that exist once and are imported everywhere else: mask and redaction
(connectors/secrets.py), Elasticsearch error text (connectors/es/errors.py)."""

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, BadRequestError

from connectors import config, configuration, logger, secrets
from connectors.errors import SyncError
from connectors.es import errors as es_errors
from connectors.es import sink
from connectors.services import scheduling
from connectors.sync import runner
from connectors.ui import config_form


def _api_error(cls, status, body):
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "localhost", 9200))
    return cls("raw", meta=meta, body=body)


def test_one_mask_and_one_redaction():
    assert logger.MASK is configuration.MASK is config_form.MASK is secrets.MASK
    assert logger.redact is secrets.redact
    raw = {"password": "pw", "user": "u", "field": {"sensitive": True, "value": "v"}, "api_key": ""}
    assert (
        config.redact_config(raw)
        == secrets.redact(raw)
        == {
            "password": secrets.MASK,
            "user": "u",
            "field": {"sensitive": True, "value": secrets.MASK},
            "api_key": "",
        }
    )


def test_one_elasticsearch_error_text():
    assert runner.error_message is scheduling.error_message is es_errors.error_message
    assert sink._api_error_text is es_errors.api_error_text
    body = {"error": {"type": "illegal_argument_exception", "reason": "bad field [x]"}}
    error = _api_error(BadRequestError, 400, body)
    assert es_errors.api_error_text(error) == "illegal_argument_exception: bad field [x]"
    assert (
        es_errors.error_message(error)
        == "BadRequestError (HTTP 400): illegal_argument_exception: bad field [x]"
    )
    assert es_errors.describe(error) == "Elasticsearch refused the request: bad field [x]"
    nested = {"error": {"type": "t", "root_cause": [{"reason": "deep"}]}}
    assert es_errors.error_reason(nested) == "deep"
    assert es_errors.api_error_text(_api_error(ApiError, 500, "text")) == "raw"


def test_error_message_of_other_exceptions():
    assert es_errors.error_message(SyncError("listing failed")) == "listing failed"
    assert es_errors.error_message(ValueError("x")) == "ValueError: x"
    assert es_errors.error_message(TimeoutError()) == "TimeoutError"
