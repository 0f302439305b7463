"""The Elasticsearch client the service builds does not walk the call stack on every beta API call."""

from __future__ import annotations

import os

from elasticsearch.compat import warn_stacklevel

from connectors.es.client import STACKLEVEL_ENV, create_client


async def test_create_client_turns_off_the_per_call_stack_walk(monkeypatch):
    monkeypatch.setenv(STACKLEVEL_ENV, "placeholder")  # recorded, so the original state comes back
    monkeypatch.delenv(STACKLEVEL_ENV)
    assert warn_stacklevel() > 0  # the walk runs by default
    client = create_client({"host": "http://127.0.0.1:9"})
    await client.close()
    assert os.environ[STACKLEVEL_ENV] == "1"
    assert warn_stacklevel() == 0  # the client's own check of the variable: no inspect.stack()


async def test_an_explicit_setting_wins(monkeypatch):
    monkeypatch.setenv(STACKLEVEL_ENV, "0")
    client = create_client({"host": "http://127.0.0.1:9"})
    await client.close()
    assert os.environ[STACKLEVEL_ENV] == "0"
