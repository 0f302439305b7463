"""Plain text of files (PDF, Word, Excel, PowerPoint, HTML, plain text): bytes in, text out.

Synchronous and pure, and deliberately light to import (the standard library only): it is what
the extraction worker processes load (see :mod:`connectors.extraction.worker_pool`), so each
parser library is imported only when a file of its type arrives. Any source can use it.

The text is bounded by the caller's ``max_chars`` (a connector's body cap): extraction stops
joining lines once the text is longer and returns ``max_chars + 1`` characters, so the caller can
tell the file's text was cut, and no more than that crosses back from a worker process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import os

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "application/x-yaml")
_TEXT_EXTENSIONS = {
    ".txt", ".md", ".csv", ".tsv", ".json", ".xml", ".yaml", ".yml", ".log", ".ini", ".cfg",
    ".py", ".js", ".ts", ".java", ".go", ".rb", ".sh", ".sql", ".properties", ".rst",
}  # fmt: skip


class UnsupportedFileType(ValueError):
    """No extractor for this file type (images, archives, ...)."""


def kind_of(filename: str, media_type: str | None) -> str | None:
    """``pdf``, ``docx``, ``xlsx``, ``pptx``, ``html``, ``text`` or ``None`` (unsupported)."""
    ext = os.path.splitext(filename or "")[1].lower()
    media = (media_type or "").lower().split(";")[0].strip()
    if ext == ".pdf" or media == "application/pdf":
        return "pdf"
    if ext == ".docx" or media.endswith("wordprocessingml.document"):
        return "docx"
    if ext in (".xlsx", ".xlsm") or media.endswith("spreadsheetml.sheet"):
        return "xlsx"
    if ext == ".pptx" or media.endswith("presentationml.presentation"):
        return "pptx"
    if ext in (".html", ".htm", ".xhtml") or media in ("text/html", "application/xhtml+xml"):
        return "html"
    if ext in _TEXT_EXTENSIONS or media.startswith(_TEXT_TYPES):
        return "text"
    return None


def decode_text(data: bytes) -> str:
    """Decode text bytes: BOMs honoured, then UTF-8, then Windows-1252 (never fails)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "").strip() for page in reader.pages)


def _docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)


def _xlsx(data: bytes) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines = []
    try:
        for sheet in workbook.worksheets:
            lines.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                cells = ["" if value is None else str(value) for value in row]
                if any(cells):
                    lines.append(" | ".join(cells).rstrip(" |"))
    finally:
        workbook.close()
    return "\n".join(lines)


def _pptx(data: bytes) -> str:
    from pptx import Presentation

    presentation = Presentation(io.BytesIO(data))
    lines = []
    for slide in presentation.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                lines.extend(p.text for p in shape.text_frame.paragraphs)
            if getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _html(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup.get_text("\n")


_EXTRACTORS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "pptx": _pptx, "html": _html, "text": decode_text}


def extract_text(data: bytes, filename: str, media_type: str | None, max_chars: int | None = None) -> str:
    """Plain text of a file; :class:`UnsupportedFileType` if no extractor fits.

    With ``max_chars``, at most ``max_chars + 1`` characters (more than ``max_chars``: the text
    was cut). Other exceptions mean the file is damaged or not what its name says.
    """
    kind = kind_of(filename, media_type)
    if kind is None:
        raise UnsupportedFileType(f"no text extractor for {media_type or 'unknown type'} ({filename})")
    text = _EXTRACTORS[kind](data)
    lines = (" ".join(line.split()) for line in text.splitlines())
    if max_chars is None:
        return "\n".join(line for line in lines if line)
    return bounded_join((line for line in lines if line), max(0, int(max_chars)) + 1)


def bounded_join(lines, limit: int) -> str:
    """``"\\n".join(lines)[:limit]``, reading no more lines than it needs."""
    kept: list[str] = []
    size = -1
    for line in lines:
        kept.append(line)
        size += len(line) + 1
        if size >= limit:
            break
    return "\n".join(kept)[:limit]


def extract_text_in_worker(
    data: bytes, filename: str, media_type: str | None, max_chars: int | None = None
) -> str:
    """:func:`extract_text` as the extraction worker processes run it: after each file the memory
    its parser used goes back to the operating system, so a worker's RSS stays near its idle size
    (parsers build large trees, and glibc keeps freed memory in the process otherwise).

    Reference counting has freed the parser's objects by then; no ``gc.collect()``, which costs
    tens of milliseconds per file once the parser libraries are loaded."""
    try:
        return extract_text(data, filename, media_type, max_chars)
    finally:
        del data
        _trim_heap()


_LIBC = None


def _trim_heap() -> None:
    """``malloc_trim(0)`` where the C library has it (glibc); nothing elsewhere."""
    global _LIBC
    if _LIBC is None:
        name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(name) if name else False
        except OSError:
            libc = False
        _LIBC = libc if libc and hasattr(libc, "malloc_trim") else False
    if _LIBC:
        _LIBC.malloc_trim(0)
