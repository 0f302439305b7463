"""storage_tree: the element tree storage_text walks, built as bs4's html.parser builder would."""

from __future__ import annotations

from connectors.sources.confluence.storage_text import storage_to_text
from connectors.sources.confluence.storage_tree import Element, parse


def names(element: Element) -> list[str]:
    return [e.name for e in element.elements()]


def test_void_and_self_closed_elements_have_no_children():
    root = parse('<p>a<br>b<img src="x.png">c<ri:page ri:content-title="T"/>d</p>')
    p = root.find("p")
    assert names(p) == ["br", "img", "ri:page"]
    assert all(not e.children for e in p.elements())
    assert p.get_text() == "abcd"


def test_end_tags_close_the_nearest_open_element_and_strays_are_ignored():
    root = parse("</p>stray<div><b>bold<i>it</div><p>next</p>")
    assert [c if isinstance(c, str) else c.name for c in root.children] == ["stray", "div", "p"]
    assert root.find("p").parent is root  # </div> closed b and i too
    assert root.find("i").find_parent("div") is root.find("div")


def test_cdata_is_text_and_comments_declarations_and_instructions_are_dropped():
    root = parse(
        "<!DOCTYPE html><!-- note --><?pi x?><ac:plain-text-body><![CDATA[x < y\n z]]></ac:plain-text-body>"
    )
    body = root.find("ac:plain-text-body")
    assert body.children == ["x < y\n z"]
    assert root.get_text() == "x < y\n z"


def test_attributes_lower_case_valueless_empty_last_duplicate_wins_entities_resolved():
    root = parse('<ac:Image AC:ALT="a &amp; b" hidden title="1" title="2"></ac:Image>')
    image = root.find("ac:image")
    assert image.attrs == {"ac:alt": "a & b", "hidden": "", "title": "2"}
    assert image.get("missing") is None and image["title"] == "2"


def test_find_find_all_and_get_text_follow_document_order():
    root = parse("<table><tr><td> a </td><td><table><tr><td>n</td></tr></table></td></tr></table>")
    outer = root.find("table")
    assert [r.find_parent("table") is outer for r in outer.find_all("tr")] == [True, False]
    assert outer.find("td", recursive=False) is None  # rows sit between
    assert outer.get_text("|", strip=True) == "a|n"
    assert outer.get_text() == " a n"


def test_entities_and_character_references_in_text():
    assert storage_to_text("<p>x &amp; y&nbsp;z &lt;tag&gt; &#233;</p>") == "x & y z <tag> é"


def test_deep_nesting_falls_back_to_plain_text():
    deep = "<div>" * 5000 + "deep text" + "</div>" * 5000
    assert storage_to_text(deep) == "deep text"


def test_searches_work_at_any_depth():
    from connectors.sources.confluence.storage_text import inline_image_names

    deep = "<div>" * 5000 + '<ac:image><ri:attachment ri:filename="a.png"/></ac:image>' + "</div>" * 5000
    assert inline_image_names(deep) == {"a.png"}
