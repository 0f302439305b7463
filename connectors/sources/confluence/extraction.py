"""Text of attachment files (PDF, Word, Excel, PowerPoint, HTML, plain text), extracted off the
event loop in worker processes (:mod:`.worker_pool`), a bounded number of jobs at a time.

:func:`extract_text` is synchronous and pure (bytes in, text out);
:class:`TextExtractor` is the async front the data source uses. Never run the office parsers
in threads: python-docx and python-pptx share one module-global lxml parser that is not
thread-safe (concurrent use crashes the interpreter).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable

from bs4 import BeautifulSoup

from connectors.sources.confluence.worker_pool import DEFAULT_TIMEOUT, ProcessRunner

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
    """Runs :func:`extract_text` (or ``function``, a picklable module-level function with the
    same signature) in worker processes; see :class:`~.worker_pool.ProcessRunner` for the pool
    size, the bound on jobs in flight, the per-file ``timeout`` and crash handling.

    A file that crashes its worker raises :class:`~.worker_pool.WorkerCrashed`, one over the
    time limit :class:`~.worker_pool.WorkerTimedOut`; the caller records either as an extraction
    failure of that one file. :meth:`close` stops the workers.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        max_jobs: int | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        function: Callable[[bytes, str, str | None], str] = extract_text,
    ):
        self._runner = ProcessRunner(workers=workers, max_jobs=max_jobs, timeout=timeout)
        self._function = function

    @property
    def runner(self) -> ProcessRunner:
        return self._runner

    async def extract(self, data: bytes, filename: str, media_type: str | None) -> str:
        return await self._runner.run(self._function, data, filename, media_type)

    def close(self) -> None:
        self._runner.close()
