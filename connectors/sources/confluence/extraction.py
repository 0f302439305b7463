"""Text of attachment files (PDF, Word, Excel, PowerPoint, HTML, plain text), extracted off the
event loop in a small thread pool with a bounded number of jobs at a time.

:func:`extract_text` is synchronous and pure (bytes in, text out) so it can run in any pool;
:class:`TextExtractor` is the async front the data source uses.
"""

from __future__ import annotations

import asyncio
import io
import os
from concurrent.futures import Executor, ThreadPoolExecutor

from bs4 import BeautifulSoup

#: Extracted text is cut at this many characters (a bounded document size in the index).
MAX_TEXT_CHARS = 2_000_000

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
    soup = BeautifulSoup(data, "lxml")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup.get_text("\n")


_EXTRACTORS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "pptx": _pptx, "html": _html, "text": decode_text}


def extract_text(data: bytes, filename: str, media_type: str | None) -> str:
    """Plain text of a file; :class:`UnsupportedFileType` if no extractor fits.

    Other exceptions mean the file is damaged or not what its name says.
    """
    kind = kind_of(filename, media_type)
    if kind is None:
        raise UnsupportedFileType(f"no text extractor for {media_type or 'unknown type'} ({filename})")
    text = _EXTRACTORS[kind](data)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)[:MAX_TEXT_CHARS]


class TextExtractor:
    """Runs :func:`extract_text` in an executor, at most ``max_jobs`` at a time.

    The default executor is a thread pool of ``workers`` threads owned (and shut down) by this
    object; pass ``executor`` to use a process pool instead.
    """

    def __init__(self, *, workers: int = 2, max_jobs: int | None = None, executor: Executor | None = None):
        self._own_executor = executor is None
        self._executor = executor
        self._workers = workers
        self._jobs = asyncio.Semaphore(max_jobs or workers)

    def _get_executor(self) -> Executor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="extract")
        return self._executor

    async def extract(self, data: bytes, filename: str, media_type: str | None) -> str:
        async with self._jobs:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._get_executor(), extract_text, data, filename, media_type)

    def close(self) -> None:
        if self._own_executor and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
