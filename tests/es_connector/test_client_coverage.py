"""Every method of the official client's ``client.connector`` namespace is served (2xx)."""

from __future__ import annotations

import pytest
from elasticsearch._async.client.connector import ConnectorClient

pytestmark = pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.GeneralAvailabilityWarning")


def _public_methods() -> set[str]:
    return {
        name
        for name, member in vars(ConnectorClient).items()
        if callable(member) and not name.startswith("_")
    }


async def test_every_connector_client_method_is_served(es):
    c = es.connector
    job_calls = []
    calls = {
        "put": lambda: c.put(connector_id="c1", index_name="content-a", service_type="confluence"),
        "post": lambda: c.post(index_name="search-other", service_type="confluence"),
        "get": lambda: c.get(connector_id="c1"),
        "list": lambda: c.list(size=10),
        "check_in": lambda: c.check_in(connector_id="c1"),
        "last_sync": lambda: c.last_sync(connector_id="c1", last_sync_status="completed"),
        "update_api_key_id": lambda: c.update_api_key_id(connector_id="c1", api_key_id="k"),
        "update_configuration": lambda: c.update_configuration(
            connector_id="c1", configuration={"host": {"label": "Host", "value": "x"}}
        ),
        "update_error": lambda: c.update_error(connector_id="c1", error="e"),
        "update_features": lambda: c.update_features(
            connector_id="c1", features={"incremental_sync": {"enabled": True}}
        ),
        "update_filtering": lambda: c.update_filtering(connector_id="c1", rules=[]),
        "update_filtering_validation": lambda: c.update_filtering_validation(
            connector_id="c1", validation={"state": "valid", "errors": []}
        ),
        "update_active_filtering": lambda: c.update_active_filtering(connector_id="c1"),
        "update_index_name": lambda: c.update_index_name(connector_id="c1", index_name="content-b"),
        "update_name": lambda: c.update_name(connector_id="c1", name="n"),
        "update_native": lambda: c.update_native(connector_id="c1", is_native=False),
        "update_pipeline": lambda: c.update_pipeline(
            connector_id="c1",
            pipeline={
                "name": "p",
                "extract_binary_content": True,
                "reduce_whitespace": True,
                "run_ml_inference": False,
            },
        ),
        "update_scheduling": lambda: c.update_scheduling(
            connector_id="c1", scheduling={"full": {"enabled": True, "interval": "0 0 * * * ?"}}
        ),
        "update_service_type": lambda: c.update_service_type(connector_id="c1", service_type="confluence"),
        "update_status": lambda: c.update_status(connector_id="c1", status="configured"),
        "sync_job_post": lambda: c.sync_job_post(id="c1", job_type="full"),
        "sync_job_get": lambda: c.sync_job_get(connector_sync_job_id=job_calls[0]),
        "sync_job_list": lambda: c.sync_job_list(connector_id="c1"),
        "sync_job_check_in": lambda: c.sync_job_check_in(connector_sync_job_id=job_calls[0]),
        "sync_job_claim": lambda: c.sync_job_claim(connector_sync_job_id=job_calls[0], worker_hostname="w"),
        "sync_job_update_stats": lambda: c.sync_job_update_stats(
            connector_sync_job_id=job_calls[0],
            deleted_document_count=0,
            indexed_document_count=1,
            indexed_document_volume=1,
        ),
        "sync_job_cancel": lambda: c.sync_job_cancel(connector_sync_job_id=job_calls[0]),
        "sync_job_error": lambda: c.sync_job_error(connector_sync_job_id=job_calls[0], error="worker lost"),
        "sync_job_delete": lambda: c.sync_job_delete(connector_sync_job_id=job_calls[0]),
        "delete": lambda: c.delete(connector_id="c1", delete_sync_jobs=True),
    }
    assert set(calls) == _public_methods(), "the client gained or lost a connector method: cover it here"
    for name, call in calls.items():
        response = await call()
        assert 200 <= response.meta.status < 300, (name, response.meta.status, response.body)
        if name == "sync_job_post":
            job_calls.append(response.body["id"])
