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
"""

from __future__ import annotations

import re

from connectors.sources.confluence.storage_tree import Element, parse

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


class _Writer:
    """Collects text as lines: ``text`` appends inline words, ``newline`` ends the line."""

    def __init__(self):
        self.lines: list[str] = []
        self._current: list[str] = []

    def text(self, value: str) -> None:
        if value:
            self._current.append(value)

    def newline(self) -> None:
        line = _SPACES.sub(" ", "".join(self._current)).strip()
        self._current = []
        if line:
            self.lines.append(line)

    def raw_lines(self, block: str) -> None:
        """Verbatim text (code): kept line by line, trailing spaces trimmed."""
        self.newline()
        for line in block.strip("\n").split("\n"):
            self.lines.append(line.rstrip())
        self.newline()

    def result(self) -> str:
        self.newline()
        return "\n".join(self.lines).strip("\n")


class StorageTextConverter:
    """Convert one storage-format document; ``inline_images`` keeps ``[image: …]`` markers."""

    def __init__(self, *, inline_images: bool = True):
        self.inline_images = inline_images

    def convert(self, storage: str | None) -> str:
        if not storage or not storage.strip():
            return ""
        soup = parse(storage)
        out = _Writer()
        try:
            self._children(soup, out)
        except RecursionError:
            # pathological nesting: fall back to an iterative text walk (structure rules lost)
            lines = (" ".join(line.split()) for line in soup.get_text("\n").splitlines())
            return "\n".join(line for line in lines if line)
        return out.result()

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


def storage_to_text(storage: str | None, *, inline_images: bool = True) -> str:
    """Plain text of a storage-format body (see the module docstring for the rules)."""
    return StorageTextConverter(inline_images=inline_images).convert(storage)


__all__ = ["StorageTextConverter", "inline_image_names", "storage_to_text"]
