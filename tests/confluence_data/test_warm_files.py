"""Filling a file cache ahead of a run: files land where a mock's FileCache looks for them."""

from __future__ import annotations

import pytest

from fixtures.confluence import warm_files
from fixtures.confluence.attachments import attachment_bytes
from fixtures.confluence.file_cache import FileCache


def test_warming_stores_missing_files_and_skips_present_ones(tmp_path):
    warm_files._init("small", 1, "cloud")
    site = warm_files._SITE
    ids = [a.id for a in warm_files._attachments(site) if a.file_size < 200_000][:3]
    assert len(ids) == 3
    assert warm_files._warm(str(tmp_path), ids) == (3, 0)
    assert warm_files._warm(str(tmp_path), ids) == (0, 3)
    cache = FileCache(tmp_path)  # what a mock started with --file-cache would use
    att = site.contents[ids[0]]
    assert b"".join(cache.chunks(att, 65536)) == attachment_bytes(att)
    assert cache.hits == 1 and cache.stored == 0


def test_the_directory_is_required(monkeypatch, capsys):
    monkeypatch.delenv("CONFLUENCE_MOCK_FILE_CACHE", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        warm_files.main([])
    assert exit_info.value.code == 2
    assert "give the cache directory" in capsys.readouterr().err


def test_jobs_must_be_positive(tmp_path, capsys):
    with pytest.raises(SystemExit):
        warm_files.main(["--dir", str(tmp_path), "--jobs", "0"])
    assert "--jobs must be at least 1" in capsys.readouterr().err
