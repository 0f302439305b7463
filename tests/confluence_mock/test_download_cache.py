"""Downloads through the mock: a file is generated once, then streamed from the disk cache."""

from __future__ import annotations

from urllib.parse import quote

from fixtures.confluence.attachments import attachment_bytes
from tests.confluence_mock.test_download_concurrency import download, small_attachment


async def test_second_download_is_served_from_the_cache_and_the_cache_goes_with_the_mock(
    http, confluence_factory
):
    mock = await confluence_factory(flavor="cloud")
    att = small_attachment(mock.site)
    url = f"{mock.url}/wiki/download/attachments/{att.container_id}/{quote(att.title)}"
    headers = mock.auth_headers()
    files = mock.state.files
    first = await download(http, url, headers)
    assert first[0] == 200 and first[2] == attachment_bytes(att)
    assert (files.stored, files.hits) == (1, 0)
    second = await download(http, url, headers)
    assert second[0] == 200 and second[2] == first[2]
    assert int(second[1]["Content-Length"]) == att.file_size
    assert (files.stored, files.hits) == (1, 1)
    directory = files.directory
    await mock.stop()
    assert not directory.exists()


async def test_a_given_cache_directory_is_shared_by_later_mocks(http, confluence_factory, tmp_path):
    cache_dir = tmp_path / "files"
    first = await confluence_factory(flavor="datacenter", file_cache=str(cache_dir))
    att = small_attachment(first.site)
    path = f"/download/attachments/{att.container_id}/{quote(att.title)}"
    status, _, data = await download(http, first.url + path, first.auth_headers())
    assert status == 200 and first.state.files.stored == 1
    await first.stop()
    assert cache_dir.is_dir()

    second = await confluence_factory(flavor="datacenter", file_cache=str(cache_dir))
    status, _, again = await download(http, second.url + path, second.auth_headers())
    assert status == 200 and again == data
    assert (second.state.files.stored, second.state.files.hits) == (0, 1)
