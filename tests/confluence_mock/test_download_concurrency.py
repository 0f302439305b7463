"""Attachment downloads, 50 concurrent requests, determinism and the command line."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys

from fixtures.confluence.attachments import attachment_bytes
from fixtures.confluence.expected import expected_counts
from tests.confluence_mock.helpers import Api

SMALL = 2 * 1024 * 1024


def small_attachment(site):
    return next(
        c
        for c in site.contents.values()
        if c.type == "attachment" and c.status == "current" and c.file_size < SMALL and c.space_key == "ENG"
        and site.container(c).status == "current" and site.container(c).read_restriction is None
        and not any(a.read_restriction for a in site.ancestors(site.container(c)))
    )  # fmt: skip


async def download(http, url, headers):
    async with http.get(url, headers=headers) as resp:
        return resp.status, resp.headers, await resp.read()


async def test_cloud_download_links(http, confluence_cloud, cloud_admin):
    site = confluence_cloud.site
    att = small_attachment(site)
    meta = await cloud_admin.ok(f"/wiki/api/v2/attachments/att{att.id}")
    expected = attachment_bytes(att)
    headers = confluence_cloud.auth_headers()
    for link in (
        confluence_cloud.base_url + meta["downloadLink"],
        confluence_cloud.base_url + f"/download/attachments/{att.container_id}/{att.title}",
        confluence_cloud.base_url
        + f"/rest/api/content/{att.container_id}/child/attachment/{att.id}/download",
    ):
        status, resp_headers, data = await download(http, link, headers)
        assert status == 200, link
        assert resp_headers["Content-Type"].split(";")[0] == att.media_type
        assert int(resp_headers["Content-Length"]) == att.file_size == len(data)
        assert data == expected
    status, _, _ = await download(http, confluence_cloud.base_url + meta["downloadLink"], {})
    assert status == 404, "anonymous cannot see ENG attachments"
    bad_version = (
        confluence_cloud.base_url + f"/download/attachments/{att.container_id}/{att.title}?version=99"
    )
    assert (await download(http, bad_version, headers))[0] == 404


async def test_dc_download_via_v1_link(http, confluence_dc, dc_admin):
    att = small_attachment(confluence_dc.site)
    body = await dc_admin.ok(f"/rest/api/content/{att.id}")
    link = body["_links"]["download"]
    assert link.startswith(f"/download/attachments/{att.container_id}/")
    status, headers, data = await download(http, confluence_dc.url + link, confluence_dc.auth_headers())
    assert status == 200 and len(data) == att.file_size and data == attachment_bytes(att)


async def test_big_attachment_streams_with_exact_length(http, confluence_dc):
    site = confluence_dc.site
    big = min((c for c in site.contents.values() if c.type == "attachment" and c.file_size > 10 * 1024 * 1024),
              key=lambda c: c.file_size)  # fmt: skip
    url = confluence_dc.url + f"/download/attachments/{big.container_id}/{big.title}"
    digest = hashlib.sha256()
    total = 0
    async with http.get(url, headers=confluence_dc.auth_headers()) as resp:
        assert resp.status == 200 and int(resp.headers["Content-Length"]) == big.file_size
        async for chunk in resp.content.iter_chunked(1 << 20):
            digest.update(chunk)
            total += len(chunk)
    assert total == big.file_size


async def test_fifty_concurrent_requests(http, confluence_cloud):
    api = Api(http, confluence_cloud, confluence_cloud.auth_headers())
    paths = ["/wiki/api/v2/pages", "/wiki/rest/api/content/search?cql=type%3Dpage", "/wiki/api/v2/spaces",
             "/wiki/rest/api/content?expand=body.storage,ancestors", "/wiki/api/v2/attachments"]  # fmt: skip
    results = await asyncio.gather(*(api.get(paths[i % len(paths)]) for i in range(50)))
    assert [r[0] for r in results] == [200] * 50
    by_path: dict[str, list] = {}
    for i, (_, body, _) in enumerate(results):
        by_path.setdefault(paths[i % len(paths)], []).append(body)
    for bodies in by_path.values():
        assert all(b == bodies[0] for b in bodies), "concurrent answers are consistent"


async def test_same_seed_same_answers(http, confluence_factory):
    one = await confluence_factory(flavor="datacenter", seed=11)
    two = await confluence_factory(flavor="datacenter", seed=11)
    other = await confluence_factory(flavor="datacenter", seed=12)
    path = "/rest/api/content/search"
    params = {"cql": "type in (page, blogpost) order by title", "expand": "version", "limit": 200}

    async def fetch(mock):
        body = await Api(http, mock, mock.auth_headers()).ok(path, params)
        for item in body["results"]:  # the base URL contains the port, which differs
            item["_links"].pop("self", None)
        body.pop("_links")
        return json.dumps(body, sort_keys=True).replace(mock.url, "")

    first, second, third = await fetch(one), await fetch(two), await fetch(other)
    assert first == second
    assert first != third


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fixtures.confluence", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_expected_prints_counts():
    from fixtures.confluence.generator import generate_site

    result = run_cli("--expected", "--flavor", "datacenter", "--seed", "3", "--user", "bob")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    site = generate_site("small", 3, "datacenter")
    assert body["counts"] == expected_counts(site, site.user_by_username("bob"))
    assert body["user"] == "bob"


def test_cli_rejects_bad_arguments_without_traceback(capsys):
    from fixtures.confluence.__main__ import main

    for args, word in ((["--flavor", "server"], "--flavor"), (["--fault-rate", "1.5"], "--fault-rate"),
                       (["--rate-limit", "0"], "--rate-limit"), (["--port", "-1"], "--port")):  # fmt: skip
        try:
            code = main(args)
        except SystemExit as exc:  # argparse
            code = exc.code
        assert code == 2
        err = capsys.readouterr().err
        assert word in err and "Traceback" not in err
    assert main(["--expected", "--user", "ghost"]) == 2
    assert "ghost" in capsys.readouterr().err
