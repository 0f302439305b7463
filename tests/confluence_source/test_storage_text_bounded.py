"""Storage format → text with a cap and bounded memory (issue 11, defect 4): a body parsed piece
by piece gives exactly the text of the whole tree, the cap cuts it, and no huge tree is built."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from connectors.sources.confluence import storage_text
from connectors.sources.confluence.storage_text import storage_to_text
from connectors.sources.confluence.storage_tree import Builder, next_cut

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.xml"))


def whole(storage: str, **options) -> str:
    """Today's conversion: one tree of the whole body (bodies under STREAM_ABOVE)."""
    return storage_text.StorageTextConverter(**options).convert(storage)


def streamed(storage: str, piece: int, monkeypatch, **options) -> str:
    monkeypatch.setattr(storage_text, "STREAM_ABOVE", 0)
    monkeypatch.setattr(storage_text, "PIECE_CHARS", piece)
    try:
        return storage_text.StorageTextConverter(**options).convert(storage)
    finally:
        monkeypatch.undo()


def mock_bodies(count: int = 40) -> list[str]:
    generator = pytest.importorskip("fixtures.confluence.generator")
    site = generator.generate_site(flavor="cloud", data_size="small", seed=1)
    ids = site.content_ids("page")[:count] + site.content_ids("blogpost")[:10]
    return [site.body_of(site.content(content_id)) for content_id in ids]


def test_pieces_are_cut_before_a_tag_unless_text_may_be_split():
    body = "<p>a &amp; b</p>" * 50 + "tail" + "x" * 500
    cuts = [0]
    while cuts[-1] < len(body):
        cuts.append(next_cut(body, cuts[-1], 10, split_text=False))
    assert cuts[-1] == len(body) and len(cuts) > 10
    assert all(body[cut] == "<" for cut in cuts[1:-1])
    assert next_cut(body, 800, 10, split_text=True) == 810  # a long run of text: cut anyway
    assert next_cut(body, 800, 10, split_text=False) == len(body)


@pytest.mark.parametrize("piece", [1, 7, 300])
@pytest.mark.parametrize("name", CASES)
def test_streamed_golden_bodies_give_the_same_text(name, piece, monkeypatch):
    source = (GOLDEN / f"{name}.xml").read_text(encoding="utf-8")
    expected = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n")
    assert streamed(source, piece, monkeypatch) == expected == whole(source)
    assert streamed(source, piece, monkeypatch, inline_images=False) == whole(source, inline_images=False)


@pytest.mark.parametrize("piece", [5, 64, 4096])
def test_streamed_mock_bodies_give_the_same_text(piece, monkeypatch):
    for body in mock_bodies():
        assert streamed(body, piece, monkeypatch) == whole(body)


def test_streamed_odd_markup_gives_the_same_text(monkeypatch):
    cases = [
        "<p>open <strong>never closed <table><tr><td>x",
        "<div>" * 3000 + "deep text" + "</div>" * 3000,
        "<div>" * 2000 + "unclosed deep",
        "</p>stray<p>a<!-- c -->b</p><![CDATA[raw]]>&amp;&#65;&nbsp;end",
        "<ac:link><ri:page ri:content-title='T'/></ac:link><ac:parameter>x</ac:parameter>",
        "<ac:structured-macro ac:name='toc'><p>dropped</p></ac:structured-macro><pre>  a\n\n  b </pre>",
        "<script>if (a < b) {}</script><p>after</p>" + "<p>\n\n</p>" * 5 + "text   with   spaces",
    ]
    for body in cases:
        for piece in (7, 50):
            assert streamed(body, piece, monkeypatch) == whole(body), (body[:60], piece)


def test_random_fragments_give_the_same_text(monkeypatch):
    parts = [
        "<p>", "</p>", "<div>", "</div>", "<table><tr><td>", "</td><td>", "</td></tr></table>", "word ",
        "  ", "\n", "&amp;", "<br/>", "<ac:structured-macro ac:name='info'><ac:rich-text-body>",
        "</ac:rich-text-body></ac:structured-macro>", "<pre>", "</pre>", "<ul><li>", "</li></ul>",
        "<a href='http://x'>", "</a>", "<ac:parameter ac:name='title'>T</ac:parameter>", "<h1>", "</h1>",
        "<![CDATA[x < y]]>", "<!-- note -->", "<ac:emoticon ac:name='smile'/>",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(300):
        body = "".join(rng.choice(parts) for _ in range(rng.randint(1, 60)))
        for piece in (1, 9):
            assert streamed(body, piece, monkeypatch) == whole(body), body


@pytest.mark.parametrize("stream", [False, True])
def test_the_cap_cuts_the_text_and_says_so_by_one_more_character(stream, monkeypatch):
    body = "".join(f"<p>line {i} of the body</p>" for i in range(2000))
    full = whole(body)
    if stream:
        monkeypatch.setattr(storage_text, "STREAM_ABOVE", 0)
        monkeypatch.setattr(storage_text, "PIECE_CHARS", 100)
    cut = storage_to_text(body, max_chars=1000)
    assert cut == full[:1001]  # more than max_chars: the caller knows it was cut
    assert storage_to_text(body, max_chars=len(full)) == full  # exactly at the cap: not cut
    one_long_line = "<p>" + "word " * 50_000 + "</p>"
    assert storage_to_text(one_long_line, max_chars=10) == whole(one_long_line)[:11]


def test_a_huge_body_never_builds_a_large_tree(monkeypatch):
    """Nodes held at once stay bounded (counted, not timed) for flat and for nested bodies."""
    peaks = []
    original = Builder.feed

    def feed(self, data):
        original(self, data)
        peaks.append(_tree_size(self.root))

    monkeypatch.setattr(Builder, "feed", feed)
    flat = "<p>paragraph with some words</p>" * 40_000  # 1.3 MB
    layout = (
        "<ac:layout><ac:layout-section><ac:layout-cell>"
        + flat
        + "</ac:layout-cell></ac:layout-section></ac:layout>"
    )
    table = "<table><tbody>" + "<tr><td>a</td><td>b</td></tr>" * 60_000 + "</tbody></table>"
    one_paragraph = "<p>" + "lorem ipsum dolor " * 100_000 + "</p>"
    for body in (flat, layout, table, one_paragraph):
        peaks.clear()
        text = storage_to_text(body)
        assert text
        assert max(peaks) < storage_text.HOLD_NODES * 1.5, max(peaks)
    assert storage_to_text(flat) == whole(flat)  # the flat and layout bodies keep their exact text
    assert storage_to_text(layout) == whole(layout)
    assert storage_to_text(one_paragraph) == whole(one_paragraph)
    assert storage_to_text(one_paragraph, max_chars=1000) == whole(one_paragraph)[:1001]


def _tree_size(root) -> int:
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += 1
        if not isinstance(node, str):
            stack.extend(node.children)
    return count
