"""Secrets stay where they live: a full sync through the service and the UI copies none elsewhere.

Secrets live in the connector document (``configuration`` fields marked ``sensitive``) and in each
sync job's configuration snapshot (``connector.configuration`` in ``.elastic-connectors-sync-jobs``),
both system indices (docs/CONFIG.md, "Where secrets live"). This test runs what an operator runs:
the Elasticsearch stand-in with authentication, the mock Confluence with distinctive credentials,
``connectors run`` and ``connectors ui`` as processes at DEBUG with every logger captured; a user
signs in to the UI with the Elasticsearch password, types the Confluence secret into the
configuration form, starts a full sync and opens every page. Then every log line, every UI
response and every document of every non-system index is searched for each secret value (and the
encodings a leak would take: Basic and ApiKey headers). The secrets are asserted to be in the
connector document and the job snapshot, so a search that cannot find anything fails the test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import socket
import sys
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest
import yaml
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_scan

from fixtures.confluence import ConfluenceMock
from fixtures.confluence.api_state import IdentityOverrides
from fixtures.elasticsearch import EsStandin
from tests.framework.e2e_support import WAIT, until

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CONNECTOR_ID = "secret-wiki"
INDEX = "search-secret-wiki"
ES_USER = "elastic"
ES_PASSWORD = "Es-Pa55word-7f3c91d2"
ES_KEY_ID = "svc-key-4b1e"
ES_KEY_SECRET = "Es-ApiKey-Secret-0a9d6e55"
CF_EMAIL = "admin@example.com"
CF_TOKEN = "Cf-ApiToken-5d2a8be4c1"
DC_USER = "admin"
DC_PASSWORD = "Dc-Pa55word-e81f07aa"
DC_PAT = "Dc-PersonalToken-93b7c0f1e2"
CSRF_INPUT = re.compile(r'name="_csrf" value="([^"]+)"')

# Every logger at DEBUG, into a file: the connectors logger (which does not propagate) keeps its
# own handler on stderr; everything else (elasticsearch, aiohttp, asyncio, ...) lands in the root one.
# Only the client's wire trace (``elastic_transport.node``, which does not propagate either and
# prints whole request bodies when a handler is attached to it) stays off, as in production.
_LAUNCH = """
import logging, sys
handler = logging.FileHandler(sys.argv[1], encoding="utf-8")
handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.DEBUG)
from connectors.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _encodings(*pairs: tuple[str, str]) -> list[str]:
    """Header forms a leaked credential would take (Basic user:secret, ApiKey id:secret)."""
    return [base64.b64encode(f"{a}:{b}".encode()).decode() for a, b in pairs]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Child:
    """``python -m connectors <argv>`` with every log record at DEBUG in ``<name>.log`` + ``.out``."""

    def __init__(self, workdir: Path, name: str, argv: list[str], env: dict[str, str]):
        self.records = workdir / f"{name}.log"
        self.output = workdir / f"{name}.out"
        self.argv = argv
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> Child:
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", **self.env)
        self._out = self.output.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _LAUNCH, str(self.records), *self.argv,
            cwd=str(REPO), env=env, stdout=self._out, stderr=self._out,
        )  # fmt: skip
        return self

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), WAIT)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._out.close()

    def text(self) -> str:
        parts = [p.read_text(errors="replace") for p in (self.records, self.output) if p.exists()]
        return "\n".join(parts)


class Browser:
    """A signed-in UI user: follows the CSRF token and keeps every body received."""

    def __init__(self, session: aiohttp.ClientSession, url: str):
        self.session, self.url, self.csrf = session, url, ""
        self.bodies: list[str] = []

    async def request(self, method: str, path: str, **kwargs) -> tuple[int, str, str]:
        async with self.session.request(method, self.url + path, allow_redirects=False, **kwargs) as resp:
            text = await resp.text()
        self.bodies.append(text)
        self.bodies.append(json.dumps(dict(resp.headers)))
        match = CSRF_INPUT.search(text)
        if match:
            self.csrf = match.group(1)
        return resp.status, text, resp.headers.get("Location", "")

    async def get(self, path: str) -> str:
        status, text, _ = await self.request("GET", path)
        assert status == 200, f"GET {path}: {status} {text[:500]}"
        return text

    async def post(self, path: str, data: dict | list) -> str:
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        status, text, location = await self.request("POST", path, data=[*pairs, ("_csrf", self.csrf)])
        assert status == 303, f"POST {path}: {status} {text[:2000]}"
        return location


class _FormFields(HTMLParser):
    """The pairs a browser submits for ``<form id=form_id>`` (checked boxes, selected options)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.pairs = form_id, False, []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in a:
                self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.pairs.append((self._select, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.pairs.append((self._textarea, self._text))
            self._textarea = None


def submitted(html: str, form_id: str, values: dict) -> list[tuple[str, str]]:
    """What a user submits after typing ``values`` into the form as the page shows it."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return [(k, v) for k, v in parser.pairs if k not in values and k != "_csrf"] + list(values.items())


def _form(flavor: str, url: str) -> dict:
    if flavor == "cloud":
        return {
            "data_source": "confluence_cloud",
            "confluence_url": url,
            "cloud_auth_method": "api_token",
            "account_email": CF_EMAIL,
            "api_token": CF_TOKEN,
        }
    if flavor == "datacenter-pat":
        return {
            "data_source": "confluence_data_center",
            "confluence_url": url,
            "data_center_auth_method": "personal_access_token",
            "data_center_token": DC_PAT,
            "spaces": "*",
        }
    return {
        "data_source": "confluence_data_center",
        "confluence_url": url,
        "data_center_auth_method": "basic",
        "data_center_username": DC_USER,
        "data_center_password": DC_PASSWORD,
        "spaces": "*",
    }


async def _all_hits(es: AsyncElasticsearch) -> dict[str, list[dict]]:
    """Every document of every index whose name does not start with a dot."""
    names = [row["index"] for row in (await es.cat.indices(format="json", expand_wildcards="all")).body]
    out = {}
    for name in sorted(n for n in names if not n.startswith(".")):
        await es.indices.refresh(index=name)
        out[name] = [hit async for hit in async_scan(es, index=name, query={"query": {"match_all": {}}})]
    return out


#: flavour (the form's auth mode) -> (the secret, its configuration key, the mock's credentials)
MODES = {
    "cloud": (CF_TOKEN, "api_token", IdentityOverrides(api_token=CF_TOKEN)),
    "datacenter": (DC_PASSWORD, "data_center_password", IdentityOverrides(password=DC_PASSWORD)),
    "datacenter-pat": (DC_PAT, "data_center_token", IdentityOverrides(pat=DC_PAT)),
}


@pytest.mark.parametrize("flavor", list(MODES))
async def test_a_full_sync_copies_no_secret_outside_the_system_indices(tmp_path, flavor):
    secret, key, overrides = MODES[flavor]
    secrets = (
        [ES_PASSWORD, ES_KEY_SECRET, secret]
        + _encodings(
            (ES_USER, ES_PASSWORD), (ES_KEY_ID, ES_KEY_SECRET), (CF_EMAIL, CF_TOKEN), (DC_USER, DC_PASSWORD)
        )
        + [f"Bearer {DC_PAT}"]
    )
    api_key = base64.b64encode(f"{ES_KEY_ID}:{ES_KEY_SECRET}".encode()).decode()
    async with (
        EsStandin(port=0, username=ES_USER, password=ES_PASSWORD, api_key=f"{ES_KEY_ID}:{ES_KEY_SECRET}") as es_server,
        ConfluenceMock(flavor=flavor.split("-")[0], data_size="small", seed=3, overrides=overrides) as mock,
        AsyncElasticsearch(es_server.url, basic_auth=(ES_USER, ES_PASSWORD), request_timeout=30) as es,
    ):  # fmt: skip
        config = tmp_path / "config.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "elasticsearch": {"host": es_server.url, "request_timeout": 30, "retry_interval": 0.2},
                    "service": {
                        "idling": 0.2,
                        "heartbeat": 0.5,
                        "log_level": "DEBUG",
                        "progress_interval": 1,
                    },
                    "connectors": [{"connector_id": CONNECTOR_ID, "service_type": "confluence"}],
                }
            )
        )
        await es.connector.put(
            connector_id=CONNECTOR_ID, index_name=INDEX, service_type="confluence", name="Secret wiki"
        )
        # The service gets its API key from the environment, as docs/CONFIG.md recommends.
        service = await Child(tmp_path, "service", ["run", "-c", str(config)],
                              {"CONNECTORS_ELASTICSEARCH_API_KEY": api_key}).start()  # fmt: skip
        port = _free_port()
        ui = await Child(tmp_path, "ui", ["ui", "-c", str(config), "--port", str(port)], {}).start()
        try:
            await until(lambda: _status(es, "needs_configuration"), what="the service to write the schema")
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
                browser = Browser(session, f"http://127.0.0.1:{port}")
                await until(lambda: _healthy(session, browser.url), what="the UI to listen")
                await browser.get("/login")
                await browser.post("/login", {"username": ES_USER, "password": ES_PASSWORD, "api_key": ""})
                page = f"/connectors/{CONNECTOR_ID}"
                form = await browser.get(page + "/configuration")
                await browser.post(
                    page + "/configuration", submitted(form, "config-form", _form(flavor, mock.url))
                )
                connected = await until(lambda: _status(es, "connected"), what="the connector to connect")
                assert connected["status"] == "connected", connected.get("error")
                job_page = await browser.post(page + "/sync", {"job_type": "full"})
                job_id = job_page.rstrip("/").rsplit("/", 1)[1]
                job = await until(lambda: _job_done(es, job_id), WAIT * 2, what=f"job {job_id} to end")
                assert job["status"] == "completed", job.get("error")
                assert job["indexed_document_count"] > 0
                for path in ("/connectors", page, page + "/configuration", page + "/scheduling",
                             page + "/sync-rules", page + "/jobs", page + f"/jobs/{job_id}",
                             page + f"/jobs/{job_id}/live", page + "/content",
                             f"/api{page}/state", f"/api{page}/jobs/{job_id}"):  # fmt: skip
                    await browser.get(path)
        finally:
            await service.stop()
            await ui.stop()

        # -- where the secrets are: the connector document and the job's snapshot ----------------
        connector = (await es.get(index=".elastic-connectors", id=CONNECTOR_ID)).body["_source"]
        assert connector["configuration"][key]["value"] == secret
        assert connector["configuration"][key]["sensitive"] is True
        stored_job = (await es.get(index=".elastic-connectors-sync-jobs", id=job_id)).body["_source"]
        assert stored_job["connector"]["configuration"][key]["value"] == secret

        # -- where they are not: logs, UI responses, content indices ------------------------------
        logs = {"service": service.text(), "ui": ui.text()}
        assert "DEBUG" in logs["service"] and CONNECTOR_ID in logs["service"]  # the capture works
        assert "signed in: elastic" in logs["ui"]
        hits = await _all_hits(es)
        assert len(hits.get(INDEX, [])) == job["indexed_document_count"]
        places = {f"{name} log": text for name, text in logs.items()}
        places["UI responses"] = "\n".join(browser.bodies)
        for name, docs in hits.items():
            places[f"index {name}"] = json.dumps([d["_source"] for d in docs], ensure_ascii=False)
        leaks = [
            f"{value!r} in {where}" for value in secrets for where, text in places.items() if value in text
        ]
        assert not leaks, leaks


async def _status(es: AsyncElasticsearch, status: str):
    doc = (await es.connector.get(connector_id=CONNECTOR_ID)).body
    return doc if doc.get("status") in (status, "error") else None


async def _job_done(es: AsyncElasticsearch, job_id: str):
    job = (await es.connector.sync_job_get(connector_sync_job_id=job_id)).body
    return job if job["status"] in ("completed", "error", "canceled", "suspended") else None


async def _healthy(session: aiohttp.ClientSession, url: str) -> bool:
    async with session.get(url + "/healthz") as resp:
        return resp.status == 200
