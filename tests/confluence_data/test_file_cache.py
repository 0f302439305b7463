"""Generated attachment files cached on disk: same bytes, generated once, never stale or partial."""

from __future__ import annotations

import os

import pytest

from fixtures.confluence.attachments import attachment_bytes
from fixtures.confluence.file_cache import FileCache, remove_orphans
from fixtures.confluence.generator import generate_site
from fixtures.confluence.mutations import add_attachment


@pytest.fixture(scope="module")
def site():
    return generate_site("small", 1, "cloud")


def _attachment(site, kind: str):
    return next(
        c
        for c in site.contents.values()
        if c.type == "attachment" and c.kind == kind and c.file_size < 1024 * 1024
    )


def _read(cache: FileCache, att, chunk_size: int = 4096) -> bytes:
    return b"".join(cache.chunks(att, chunk_size))


def _files(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("kind", ["docx", "pdf", "png", "txt"])
def test_second_read_comes_from_disk_with_the_same_bytes(tmp_path, site, kind):
    att = _attachment(site, kind)
    cache = FileCache(tmp_path / "files")
    first = _read(cache, att)
    assert first == attachment_bytes(att) and len(first) == att.file_size
    assert (cache.stored, cache.hits) == (1, 0)
    assert cache.path_for(att).read_bytes() == first
    assert _read(cache, att) == first
    assert (cache.stored, cache.hits) == (1, 1)
    assert cache.used == att.file_size


def test_a_download_cut_short_leaves_no_file(tmp_path, site):
    att = _attachment(site, "docx")
    cache = FileCache(tmp_path / "files")
    chunks = cache.chunks(att, 1024)
    assert len(next(chunks)) == 1024
    chunks.close()  # the client went away
    assert _files(cache.directory) == [] and cache.used == 0 and cache.stored == 0
    assert _read(cache, att) == attachment_bytes(att)
    assert _files(cache.directory) == [cache.path_for(att).name]


def test_a_new_version_of_a_file_is_a_new_cache_entry(tmp_path):
    site = generate_site("small", 1, "cloud")
    att = _attachment(site, "txt")
    cache = FileCache(tmp_path / "files")
    old = _read(cache, att)
    old_path, old_size = cache.path_for(att), att.file_size
    container = site.container(att)
    new = add_attachment(site, container.id, file_name=att.title, size=old_size + 10, text="fresh words")
    assert new.id == att.id  # a new version of the same attachment (updated in place)
    assert cache.path_for(new) != old_path
    fresh = _read(cache, new)
    assert fresh != old and len(fresh) == old_size + 10 and b"fresh words" in fresh
    assert cache.stored == 2 and cache.hits == 0


def test_files_beyond_the_bound_are_streamed_but_not_kept(tmp_path, site):
    att = _attachment(site, "pdf")
    cache = FileCache(tmp_path / "files", max_bytes=att.file_size - 1)
    assert _read(cache, att) == attachment_bytes(att)
    assert _read(cache, att) == attachment_bytes(att)
    assert cache.stored == 0 and cache.hits == 0 and _files(cache.directory) == []


def test_a_private_directory_is_removed_and_a_given_one_is_kept_and_reused(tmp_path, site):
    att = _attachment(site, "xlsx")
    private = FileCache()
    _read(private, att)
    directory = private.directory
    assert directory.exists()
    private.close()
    assert not directory.exists()

    given = FileCache(tmp_path / "kept")
    data = _read(given, att)
    given.close()
    again = FileCache(tmp_path / "kept")
    assert _read(again, att) == data
    assert again.hits == 1 and again.stored == 0 and again.used == att.file_size


def test_a_negative_bound_is_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        FileCache(max_bytes=-1)


def test_private_directories_of_dead_processes_are_removed(tmp_path):
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    orphan = tmp_path / f"confluence-mock-files-{dead_pid}-abc"
    orphan.mkdir()
    (orphan / "x.bin").write_bytes(b"x")
    mine = tmp_path / f"confluence-mock-files-{os.getpid()}-def"
    mine.mkdir()
    unrelated = tmp_path / "confluence-mock-files-nopid"
    unrelated.mkdir()
    assert remove_orphans(tmp_path) == [orphan]
    assert not orphan.exists() and mine.exists() and unrelated.exists()
