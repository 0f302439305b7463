"""A small element tree of a storage-format body, built straight from Python's ``html.parser``.

:mod:`.storage_text` used to walk a BeautifulSoup tree; building that tree cost about three
quarters of each conversion (bs4 does much per element that a text conversion never reads), and
body conversion was most of the connector's CPU. This tree keeps only what the conversion reads
— names, attributes, children, parent — and is built the way bs4's ``html.parser`` builder builds
its own, so the text is the same:

* tag and attribute names are lower case (the parser's), a valueless attribute is ``""`` and the
  last of duplicate attributes wins;
* void elements (``br``, ``img``, ``hr``, …) and self-closed tags (``<ri:page … />``) have no
  children; an end tag closes the nearest open element of that name, and one that matches none
  is ignored;
* ``CDATA`` sections (code and link bodies) are text; comments, declarations and processing
  instructions are dropped; entities and character references are resolved.

Text nodes are plain ``str`` in ``children``.

:class:`Builder` can also be fed a body piece by piece (:func:`next_cut` cuts it just before a
``<``, so the parser reports exactly the same elements and text as for one ``feed``) while its
reader takes the finished children off the tree: the open elements are ``open`` (root first),
``created`` counts the nodes made so far and ``opened_at`` holds that count when each open
element was opened — how much tree an element that is still open holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

#: elements that never have content (bs4's HTMLTreeBuilder.empty_element_tags)
VOID_ELEMENTS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "menuitem", "meta",
        "param", "source", "track", "wbr", "basefont", "bgsound", "command", "frame", "image", "isindex",
        "nextid", "spacer",
    }
)  # fmt: skip


class Element:
    """One element: ``name``, ``attrs``, ``children`` (elements and strings) and ``parent``."""

    __slots__ = ("name", "attrs", "children", "parent")

    def __init__(self, name: str, attrs: dict[str, str], parent: Element | None):
        self.name = name
        self.attrs = attrs
        self.children: list[Element | str] = []
        self.parent = parent

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrs.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.attrs[key]

    def elements(self, recursive: bool = True) -> Iterator[Element]:
        """Child elements in document order (all descendants when ``recursive``)."""
        if not recursive:
            yield from (c for c in self.children if isinstance(c, Element))
            return
        stack: list[Element | str] = list(reversed(self.children))  # iterative: any depth
        while stack:
            node = stack.pop()
            if isinstance(node, Element):
                yield node
                stack.extend(reversed(node.children))

    def find(self, names: str | tuple[str, ...] | list[str], recursive: bool = True) -> Element | None:
        wanted = (names,) if isinstance(names, str) else tuple(names)
        return next((e for e in self.elements(recursive) if e.name in wanted), None)

    def find_all(self, names: str | tuple[str, ...] | list[str], recursive: bool = True) -> list[Element]:
        wanted = (names,) if isinstance(names, str) else tuple(names)
        return [e for e in self.elements(recursive) if e.name in wanted]

    def find_parent(self, name: str) -> Element | None:
        node = self.parent
        while node is not None and node.name != name:
            node = node.parent
        return node

    def strings(self) -> Iterator[str]:
        stack: list[Element | str] = list(reversed(self.children))
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                yield node
            else:
                stack.extend(reversed(node.children))

    def get_text(self, separator: str = "", strip: bool = False) -> str:
        if strip:
            return separator.join(s for s in (t.strip() for t in self.strings()) if s)
        return separator.join(self.strings())


class Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("[document]", {}, None)
        self.open: list[Element] = [self.root]
        self.opened_at: list[int] = [0]
        self.created = 0

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> Element:
        parent = self.open[-1]
        element = Element(tag, {k: "" if v is None else v for k, v in attrs}, parent)
        parent.children.append(element)
        self.created += 1
        return element

    def handle_starttag(self, tag, attrs):
        element = self._element(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.open.append(element)
            self.opened_at.append(self.created)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].name == tag:
                del self.open[depth:]
                del self.opened_at[depth:]
                return

    def handle_data(self, data):
        self.open[-1].children.append(data)
        self.created += 1

    def unknown_decl(self, data):
        if data.upper().startswith("CDATA["):
            self.open[-1].children.append(data[len("CDATA[") :])
            self.created += 1


def next_cut(storage: str, start: int, size: int, split_text: bool) -> int:
    """Where the piece of ``storage`` that starts at ``start`` ends: just before the first ``<``
    at least ``size`` characters on, so text is never split where one ``feed`` would not split
    it (``html.parser`` hands over a run of text when it meets the next ``<`` and waits for the
    rest of an unfinished tag or reference). With ``split_text`` (the caller does not mind a run
    of text arriving as several strings) a piece is never much longer than ``size``."""
    size = max(1, size)
    end = len(storage)
    if split_text:
        cut = storage.find("<", start + size, start + 2 * size)
        return cut if cut >= 0 else min(end, start + size)
    cut = storage.find("<", start + size)
    return cut if cut >= 0 else end


def parse(storage: str) -> Element:
    """The root element (``[document]``) of ``storage``."""
    builder = Builder()
    builder.feed(storage)
    builder.close()
    return builder.root
