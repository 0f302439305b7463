"""Attachment files: real, readable by their libraries, exact sizes, deterministic, big ones streamed."""

import hashlib
import io
import zipfile

import docx
import openpyxl
import pptx
import pypdf
import pytest
from PIL import Image

from fixtures.confluence import attachment_big
from fixtures.confluence import attachments as files
from fixtures.confluence.model import Attachment


def first_of_kind(site, kind, big=False):
    for att in site.iter_contents("attachment"):
        if att.kind == kind and (att.file_size > files.BIG_THRESHOLD) == big:
            return att
    raise AssertionError(f"no {'big ' if big else ''}{kind} attachment in the site")


def extract_text(kind, data):
    if kind == "pdf":
        reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
        return " ".join(page.extract_text() for page in reader.pages)
    if kind == "docx":
        return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    if kind == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
        )
    if kind == "pptx":
        prs = pptx.Presentation(io.BytesIO(data))
        return "\n".join(s.text_frame.text for slide in prs.slides for s in slide.shapes if s.has_text_frame)
    if kind == "png":
        Image.open(io.BytesIO(data)).verify()  # chunk CRCs and structure
        img = Image.open(io.BytesIO(data))
        img.load()
        assert img.format == "PNG" and img.width > 0
        return img.text["Description"]
    if kind == "html":
        from bs4 import BeautifulSoup

        return BeautifulSoup(data, "lxml").get_text(" ")
    return data.decode("utf-8")


@pytest.mark.parametrize("kind", files.KINDS)
def test_each_kind_opens_with_its_library_and_holds_the_expected_text(cloud_site, kind):
    att = first_of_kind(cloud_site, kind)
    data = files.attachment_bytes(att)
    assert len(data) == att.file_size
    text = extract_text(kind, data)
    assert att.expected_text in " ".join(text.split())
    assert f"tok{att.id}" in text


@pytest.mark.parametrize("kind", files.KINDS)
def test_exact_size_at_both_ends_of_the_range(cloud_site, kind):
    att = first_of_kind(cloud_site, kind)
    for size in files.SIZE_RANGES[kind]:
        probe = Attachment(**{**_fields(att), "file_size": size, "id": str(int(att.id) + size)})
        data = files.attachment_bytes(probe)
        assert len(data) == size
        assert probe.expected_text in " ".join(extract_text(kind, data).split())


def _fields(att):
    return {name: getattr(att, name) for name in Attachment.__dataclass_fields__}


@pytest.mark.parametrize("kind", ["pdf", "docx", "xlsx", "pptx", "png"])
def test_bytes_are_reproducible_without_the_cache(cloud_site, kind):
    att = first_of_kind(cloud_site, kind)
    first = files.attachment_bytes(att)
    files.clear_cache()
    assert files.attachment_bytes(att) == first


def test_office_files_are_valid_zip_archives(cloud_site):
    for kind in ("docx", "xlsx", "pptx"):
        data = files.attachment_bytes(first_of_kind(cloud_site, kind))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            assert "[Content_Types].xml" in archive.namelist()


@pytest.mark.parametrize("kind", files.BIG_KINDS)
def test_big_files_stream_in_bounded_chunks_and_open(cloud_site, kind):
    att = first_of_kind(cloud_site, kind, big=True)
    assert att.file_size > 10 * 1024 * 1024
    total = 0
    digest = hashlib.sha256()
    for chunk in files.iter_attachment_bytes(att, chunk_size=1 << 20):
        assert 0 < len(chunk) <= 1 << 20
        total += len(chunk)
        digest.update(chunk)
    assert total == att.file_size
    data = files.attachment_bytes(att)
    assert hashlib.sha256(data).digest() == digest.digest()
    text = extract_text(kind, data[:4096] if kind == "txt" else data)
    assert att.expected_text in " ".join(text.split())
    if kind == "png":
        img = Image.open(io.BytesIO(data))
        assert img.size[0] == attachment_big.PNG_WIDTH and img.size[1] > 3000


def test_media_type_metadata_and_filename_kinds():
    assert files.kind_for_filename("Report.PDF") == "pdf"
    with pytest.raises(files.AttachmentError, match="exe"):
        files.kind_for_filename("setup.exe")


def test_a_size_too_small_for_the_content_is_a_clear_error(cloud_site):
    att = first_of_kind(cloud_site, "docx")
    probe = Attachment(**{**_fields(att), "file_size": 100, "id": "999999"})
    with pytest.raises(files.AttachmentError, match=r"999999.*at least"):
        files.attachment_bytes(probe)


def test_cache_is_bounded():
    cache = files._LruBytes(1000)
    for i in range(50):
        cache.put(("k", i), b"x" * 200)
    assert cache.used <= 1000
    assert cache.get(("k", 49)) is not None and cache.get(("k", 0)) is None


def test_a_download_in_progress_keeps_the_version_it_started_with(cloud_site):
    import copy

    att = copy.copy(first_of_kind(cloud_site, "txt", big=True))
    chunks = files.iter_attachment_bytes(att, chunk_size=1 << 20)
    first = next(chunks)
    original_size = att.file_size
    att.file_size += 5000  # a re-upload changes the live object mid-download
    att.seed += 1
    assert len(first) + sum(len(c) for c in chunks) == original_size
