"""Text of each file type (:mod:`connectors.extraction.file_text`), and the worker entry point."""

from __future__ import annotations

import io
import platform

import pytest
from pypdf.errors import PdfReadError

from connectors.extraction import file_text
from connectors.extraction.file_text import (
    UnsupportedFileType,
    decode_text,
    extract_text,
    kind_of,
)


def make_pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def make_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "cell a", "cell b"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(text: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    sheet.append(["item", "cost"])
    sheet.append([text, 42])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_pptx(text: str) -> bytes:
    from pptx import Presentation

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = text
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


CASES = {
    "report.pdf": ("application/pdf", make_pdf),
    "notes.docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", make_docx),
    "budget.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", make_xlsx),
    "deck.pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", make_pptx),
    "page.html": (
        "text/html",
        lambda t: f"<html><script>x()</script><body><p>{t}</p></body></html>".encode(),
    ),
    "readme.txt": ("text/plain", lambda t: t.encode("utf-8")),
}


@pytest.mark.parametrize("filename", sorted(CASES))
def test_extracts_each_type(filename):
    media_type, make = CASES[filename]
    text = extract_text(make("quarterly zebra forecast"), filename, media_type)
    assert "quarterly zebra forecast" in text
    assert "x()" not in text


def test_docx_tables_and_xlsx_rows_are_kept():
    assert "cell a | cell b" in extract_text(make_docx("t"), "a.docx", None)
    assert "Budget" in extract_text(make_xlsx("pens"), "b.xlsx", None) and "pens | 42" in extract_text(
        make_xlsx("pens"), "b.xlsx", None
    )


def test_text_decoding():
    assert decode_text("café".encode()) == "café"
    assert decode_text("\ufeffbom".encode()) == "bom"
    assert decode_text("hi".encode("utf-16")) == "hi"
    assert decode_text("caf\xe9".encode("cp1252")) == "café"


def test_unsupported_and_damaged():
    assert kind_of("photo.png", "image/png") is None
    with pytest.raises(UnsupportedFileType):
        extract_text(b"\x89PNG", "photo.png", "image/png")
    # a damaged file raises the parser's own error, not UnsupportedFileType: the data source records it
    with pytest.raises(PdfReadError) as info:
        extract_text(b"not a pdf", "broken.pdf", "application/pdf")
    assert not isinstance(info.value, UnsupportedFileType)


@pytest.mark.parametrize("filename", sorted(CASES))
def test_the_worker_entry_point_gives_the_same_text_and_trims_the_heap(filename, monkeypatch):
    trims = []
    monkeypatch.setattr(file_text, "_trim_heap", lambda: trims.append(1))
    media_type, make = CASES[filename]
    data = make("quarterly zebra forecast")
    assert file_text.extract_text_in_worker(data, filename, media_type) == extract_text(
        data, filename, media_type
    )
    assert trims == [1]
    with pytest.raises(UnsupportedFileType):
        file_text.extract_text_in_worker(b"\x89PNG", "photo.png", "image/png")
    assert trims == [1, 1]  # also after a failure


def test_heap_trim_is_safe_to_call_repeatedly(monkeypatch):
    import ctypes.util

    lookups = []
    find_library = ctypes.util.find_library
    monkeypatch.setattr(file_text, "_LIBC", None)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: lookups.append(name) or find_library(name))
    file_text._trim_heap()
    file_text._trim_heap()
    assert lookups == ["c"]  # looked up once, then reused
    assert bool(file_text._LIBC) == (platform.libc_ver()[0] == "glibc")  # malloc_trim only where glibc has it


def test_max_chars_bounds_the_text_with_one_more_character_to_tell_it_was_cut():
    data = "\n".join(f"line {i}" for i in range(100_000)).encode()
    whole = extract_text(data, "big.txt", "text/plain")
    assert len(whole) > 600_000  # no built-in cut any more: the caller's cap applies
    assert extract_text(data, "big.txt", "text/plain", max_chars=20) == whole[:21]
    assert extract_text(data, "big.txt", "text/plain", max_chars=len(whole)) == whole
    assert extract_text(b"short", "a.txt", None, max_chars=0) == "s"
