"""Confluence storage format (XHTML with ``ac:``/``ri:`` elements) to clean plain text.

Rules:

* block elements (paragraphs, headings, list items, ...) become lines; empty lines are dropped
  (except inside code blocks, which are kept verbatim);
* tables keep one line per row, cells joined by `` | ``;
* code blocks (``code`` / ``noformat`` macros, ``<pre>``) keep their text verbatim, line breaks included;
* macros with a body (panel, info, note, warning, tip, expand, details, ...) keep their body,
  and their ``title`` parameter as a line; other macro parameters are dropped;
* navigation and embedded-query macros (toc, jira, children, pagetree, ...) are dropped;
* links become their text (or the linked page/attachment title when they have none);
* images become ``[image: name]`` when inline images are indexed, nothing otherwise;
* entities are resolved, ``&nbsp;`` becomes a space; no markup is left.

Parsing uses Python's ``html.parser`` (which keeps ``ac:`` tag names and the ``CDATA`` sections
that hold code and link bodies) into the small tree of :mod:`.storage_tree`, built as bs4's
``html.parser`` builder builds its tree but about three times cheaper.

Bounded text and memory (``max_chars``, the connector's ``max_body_chars``):

* the text is at most ``max_chars`` characters; :func:`storage_to_text` then returns one more
  (``max_chars + 1``) so the caller can tell the body was cut, and the conversion stops there;
* a body longer than :data:`STREAM_ABOVE` characters is never held as a whole tree: it is fed
  to the parser in pieces of about :data:`PIECE_CHARS` and every finished element whose ancestors only pass their children
  through (blocks, inline elements, layouts, skipped elements) is converted and dropped at once.
  Elements with their own rule (tables, macros, links, code, tasks, …) are kept whole until they
  end, the text being the same as from the whole tree; one that grows past
  :data:`HOLD_NODES` nodes is converted as a plain block from then on (its text kept, its table
  or macro layout lost) so that no body, whatever its shape, builds a large tree.
"""

from __future__ import annotations

import re

from connectors.sources.confluence.storage_tree import Builder, Element, next_cut, parse

DROPPED_MACROS = frozenset(
    {
        "toc",
        "toc-zone",
        "jira",
        "jiraissues",
        "children",
        "pagetree",
        "pagetreesearch",
        "recently-updated",
        "contentbylabel",
        "content-by-label",
        "livesearch",
        "anchor",
        "attachments",
        "gallery",
        "profile",
        "blog-posts",
        "create-from-template",
        "index",
        "include",
        "excerpt-include",
        "status",
        "roadmap",
        "viewfile",
        "view-file",
        "widget",
        "space-details",
        "tasks-report-macro",
        "page-index",
    }
)
CODE_MACROS = frozenset({"code", "noformat"})
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "hr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "caption",
        "ac:layout",
        "ac:layout-section",
        "ac:layout-cell",
        "ac:task-list",
        "ac:task",
        "ac:rich-text-body",
        "ac:structured-macro",
        "ac:macro",
        "ac:adf-extension",
    }
)
SKIPPED_TAGS = frozenset(
    {
        "script",
        "style",
        "ac:parameter",
        "ac:emoticon",
        "ac:placeholder",
        "ac:task-id",
        "ac:task-status",
        "ac:task-uuid",
        "ac:inline-comment-marker-ref",  # the marker's text is kept through its children below
        "ri:user",
        "ri:space",
        "ri:shortcut",
        "ri:url",
        "ri:page",
        "ri:blog-post",
        "ri:attachment",
        "ac:adf-fallback",
    }
)
TITLE_MACROS = frozenset(
    {"panel", "expand", "details", "info", "note", "warning", "tip", "ui-expand", "section"}
)

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")

#: bodies longer than this (characters of storage format) are parsed piece by piece
STREAM_ABOVE = 256 * 1024
#: characters fed to the parser at a time when streaming
PIECE_CHARS = 64 * 1024
#: nodes one element still open may hold before it is converted as a plain block
HOLD_NODES = 100_000
#: pending inline text (characters) compacted at once while streaming
_COMPACT_ABOVE = 64 * 1024


class _Full(Exception):
    """The text reached ``max_chars``: stop converting."""


class _Writer:
    """Collects text as lines: ``text`` appends inline words, ``newline`` ends the line.

    With ``max_chars`` it raises :class:`_Full` once the text it would return is longer; the
    text so far is then :meth:`result` (a prefix of the whole body's text).
    """

    def __init__(self, max_chars: int | None = None):
        self.lines: list[str] = []
        self._current: list[str] = []
        self._max = max_chars
        self._pending = 0  # characters in _current
        self._chars = 0  # len("\n".join(lines))
        self._leading = 0  # empty lines at the start (result() strips them)
        self._trailing = 0  # empty lines at the end (result() strips them)

    def text(self, value: str) -> None:
        if value:
            self._current.append(value)
            if self._max is not None:
                self._pending += len(value)
                if self._pending > _COMPACT_ABOVE:
                    self._compact()

    def newline(self) -> None:
        line = _SPACES.sub(" ", "".join(self._current)).strip()
        self._current = []
        self._pending = 0
        if line:
            self._add(line)

    def raw_lines(self, block: str) -> None:
        """Verbatim text (code): kept line by line, trailing spaces trimmed."""
        self.newline()
        for line in block.strip("\n").split("\n"):
            self._add(line.rstrip())
        self.newline()

    def result(self) -> str:
        self.newline()
        return "\n".join(self.lines).strip("\n")

    def _add(self, line: str) -> None:
        self._chars += len(line) + (1 if self.lines else 0)
        self.lines.append(line)
        if line:
            self._trailing = 0
        elif len(self.lines) == self._leading + 1:
            self._leading += 1
        else:
            self._trailing += 1
        if self._max is not None and self._chars - self._leading - self._trailing > self._max:
            raise _Full

    def _compact(self) -> None:
        """Collapse the pending inline text (same line as later); full if it alone is too long."""
        joined = _SPACES.sub(" ", "".join(self._current))
        self._current = [joined]
        self._pending = len(joined)
        room = self._max - (self._chars - self._leading - self._trailing)
        line = joined.strip()
        if len(line) > room:
            self._current = []
            self._add(line[: max(0, room) + 1])  # over the cap: raises _Full


class StorageTextConverter:
    """Convert one storage-format document; ``inline_images`` keeps ``[image: …]`` markers;
    ``max_chars`` bounds the text (see the module docstring)."""

    def __init__(self, *, inline_images: bool = True, max_chars: int | None = None):
        self.inline_images = inline_images
        self.max_chars = max_chars if max_chars is None else max(0, int(max_chars))

    def convert(self, storage: str | None) -> str:
        if not storage or not storage.strip():
            return ""
        if len(storage) > STREAM_ABOVE:
            return self._convert_streamed(storage)
        soup = parse(storage)
        out = _Writer()
        try:
            self._children(soup, out)
        except RecursionError:
            # pathological nesting: fall back to an iterative text walk (structure rules lost)
            lines = (" ".join(line.split()) for line in soup.get_text("\n").splitlines())
            return self._cut("\n".join(line for line in lines if line))
        return self._cut(out.result())

    def _cut(self, text: str) -> str:
        return text if self.max_chars is None else text[: self.max_chars + 1]

    # -- streaming (bodies over STREAM_ABOVE) ----------------------------------------------
    def _convert_streamed(self, storage: str) -> str:
        builder = Builder()
        out = _Writer(self.max_chars)
        started: dict[int, str] = {}  # id(element streamed through) -> "skip" | "block" | "inline"
        try:
            start, end = 0, len(storage)
            while start < end:
                # text may arrive in several strings only where it is streamed, never in a kept element
                streamed = len(builder.open) == 1 or id(builder.open[-1]) in started
                cut = next_cut(storage, start, PIECE_CHARS, split_text=streamed)
                builder.feed(storage[start:cut])
                start = cut
                self._flush(builder, out, started)
            builder.close()
            self._flush(builder, out, started)
            # elements never closed end with the body, innermost first
            for depth in range(len(builder.open) - 1, 0, -1):
                element = builder.open[depth]
                if id(element) in started:
                    self._finish(element, started.pop(id(element)), out, started)
                    element.parent.children.pop()  # it is its parent's last child
            for child in builder.root.children:  # what is left was kept whole
                self._guarded(child, out)
        except _Full:
            pass
        return self._cut(out.result())

    def _flush(self, builder: Builder, out: _Writer, started: dict[int, str]) -> None:
        """Convert and drop the finished children along the open elements that pass theirs through."""
        opened = builder.open
        parent_mode = "inline"
        for depth, node in enumerate(opened):
            mode = started.get(id(node), "inline") if depth else "inline"
            if depth and id(node) not in started:
                mode = self._stream_mode(node, parent_mode, builder.created - builder.opened_at[depth])
                if mode is None:
                    return  # kept whole until it ends
                started[id(node)] = mode
                if mode == "block":
                    out.newline()
            still_open = opened[depth + 1] if depth + 1 < len(opened) else None
            children = node.children
            last = len(children) - 1 if children and children[-1] is still_open else len(children)
            for child in children[:last]:
                self._emit(child, mode, out, started)
            del children[:last]
            parent_mode = mode

    @staticmethod
    def _stream_mode(node: Element, parent_mode: str, held: int) -> str | None:
        """``skip``, ``block`` or ``inline`` for an element streamed through; ``None``: keep it whole."""
        name = node.name
        if parent_mode == "skip" or name in SKIPPED_TAGS and name not in _HANDLERS:
            return "skip"
        if name in _HANDLERS:
            return "block" if held > HOLD_NODES else None
        return "block" if name in BLOCK_TAGS else "inline"

    def _emit(self, child, mode: str, out: _Writer, started: dict[int, str]) -> None:
        """One finished child of an element streamed through in ``mode``."""
        if isinstance(child, Element) and id(child) in started:
            self._finish(child, started.pop(id(child)), out, started)
        elif mode != "skip":
            self._guarded(child, out)

    def _finish(self, node: Element, mode: str, out: _Writer, started: dict[int, str]) -> None:
        """The rest of an element streamed through, now ended (iterative: any depth)."""
        stack = [(node, mode, 0)]
        while stack:
            element, mode, index = stack.pop()
            children = element.children
            while index < len(children):
                child = children[index]
                index += 1
                if isinstance(child, Element) and id(child) in started:
                    stack.append((element, mode, index))
                    stack.append((child, started.pop(id(child)), 0))
                    break
                if mode != "skip":
                    self._guarded(child, out)
            else:
                element.children = []
                if mode == "block":
                    out.newline()

    def _guarded(self, node, out: _Writer) -> None:
        try:
            self._node(node, out)
        except RecursionError:  # pathological nesting inside one element: its plain text
            out.newline()
            for line in node.get_text("\n").splitlines():
                out.text(line)
                out.newline()

    # -- walking ---------------------------------------------------------------------------
    def _children(self, node: Element, out: _Writer) -> None:
        for child in node.children:
            self._node(child, out)

    def _node(self, node, out: _Writer) -> None:
        if isinstance(node, str):  # CDATA included
            out.text(node)
            return
        name = node.name
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, node, out)
            return
        if name in SKIPPED_TAGS:
            return
        if name in BLOCK_TAGS:
            out.newline()
            self._children(node, out)
            out.newline()
            return
        self._children(node, out)

    # -- handlers --------------------------------------------------------------------------
    def _br(self, node: Element, out: _Writer) -> None:
        out.newline()

    def _pre(self, node: Element, out: _Writer) -> None:
        out.raw_lines(node.get_text())

    def _table(self, node: Element, out: _Writer) -> None:
        out.newline()
        for row in node.find_all("tr"):
            if row.find_parent("table") is not node:
                continue  # rows of a nested table are written with that table
            cells = []
            for cell in row.find_all(["td", "th"], recursive=False):
                cell_out = _Writer()
                self._children(cell, cell_out)
                cells.append(" ".join(line for line in cell_out.result().split("\n") if line.strip()))
            if any(cells):
                out.text(" | ".join(cells))
                out.newline()
        out.newline()

    def _macro(self, node: Element, out: _Writer) -> None:
        macro = (node.get("ac:name") or "").lower()
        if macro in DROPPED_MACROS:
            return
        if macro in CODE_MACROS:
            body = node.find("ac:plain-text-body", recursive=False)
            if body is not None:
                out.raw_lines(body.get_text())
            return
        out.newline()
        if macro in TITLE_MACROS:
            for param in node.find_all("ac:parameter", recursive=False):
                if (param.get("ac:name") or "").lower() == "title" and param.get_text(strip=True):
                    out.text(param.get_text(" ", strip=True))
                    out.newline()
        for child in node.children:
            if isinstance(child, Element) and child.name == "ac:plain-text-body":
                out.raw_lines(child.get_text())
            elif isinstance(child, Element) and child.name == "ac:rich-text-body":
                self._children(child, out)
        out.newline()

    def _link(self, node: Element, out: _Writer) -> None:
        """``<ac:link>``: its body text, else the linked page/blog post/attachment title."""
        for body_name in ("ac:plain-text-link-body", "ac:link-body"):
            body = node.find(body_name, recursive=False)
            if body is not None and body.get_text(strip=True):
                out.text(body.get_text(" ", strip=True))
                return
        target = node.find(["ri:page", "ri:blog-post", "ri:attachment", "ri:space"], recursive=False)
        if target is not None:
            title = target.get("ri:content-title") or target.get("ri:filename") or target.get("ri:space-key")
            if title:
                out.text(title)
        # user mentions (ri:user) carry only an id: dropped

    def _anchor(self, node: Element, out: _Writer) -> None:
        before = len(out._current)
        self._children(node, out)
        if len(out._current) == before and node.get("href"):
            out.text(node["href"])  # a link with no text: keep where it pointed

    def _image(self, node: Element, out: _Writer) -> None:
        if not self.inline_images:
            return
        name = node.get("ac:alt") or node.get("alt") or node.get("ac:title")
        if not name:
            target = node.find(["ri:attachment", "ri:url"])
            if target is not None:
                name = target.get("ri:filename") or target.get("ri:value")
        if not name and node.name == "img":
            name = node.get("src")
        out.text(f" [image: {name or 'image'}] ")

    def _task(self, node: Element, out: _Writer) -> None:
        out.newline()
        body = node.find("ac:task-body", recursive=False)
        if body is not None:
            self._children(body, out)
        out.newline()


_HANDLERS = {
    "br": StorageTextConverter._br,
    "pre": StorageTextConverter._pre,
    "table": StorageTextConverter._table,
    "ac:structured-macro": StorageTextConverter._macro,
    "ac:macro": StorageTextConverter._macro,
    "ac:link": StorageTextConverter._link,
    "a": StorageTextConverter._anchor,
    "ac:image": StorageTextConverter._image,
    "img": StorageTextConverter._image,
    "ac:task": StorageTextConverter._task,
}


def inline_image_names(storage: str | None) -> set[str]:
    """Filenames of attachments shown as images in ``storage`` (``<ac:image><ri:attachment/>``)."""
    if not storage or "ac:image" not in storage:
        return set()
    soup = parse(storage)
    names = set()
    for image in soup.find_all("ac:image"):
        target = image.find("ri:attachment")
        if target is not None and target.get("ri:filename"):
            names.add(target["ri:filename"])
    return names


def storage_to_text(storage: str | None, *, inline_images: bool = True, max_chars: int | None = None) -> str:
    """Plain text of a storage-format body (see the module docstring for the rules); with
    ``max_chars``, at most ``max_chars + 1`` characters (more than ``max_chars``: it was cut)."""
    return StorageTextConverter(inline_images=inline_images, max_chars=max_chars).convert(storage)


__all__ = ["StorageTextConverter", "inline_image_names", "storage_to_text"]
