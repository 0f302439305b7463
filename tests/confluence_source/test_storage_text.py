"""Golden tests: storage format → clean text, on the constructs that are easy to get wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectors.sources.confluence.storage_text import inline_image_names, storage_to_text

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.xml"))
WORD = re.compile(r"\w+")  # words only: the two conversions space punctuation differently


@pytest.mark.parametrize("name", CASES)
def test_golden(name):
    source = (GOLDEN / f"{name}.xml").read_text(encoding="utf-8")
    expected = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n")
    assert storage_to_text(source) == expected


@pytest.mark.parametrize("name", CASES)
def test_no_markup_or_entities_left(name):
    text = storage_to_text((GOLDEN / f"{name}.xml").read_text(encoding="utf-8"))
    for leftover in ("ac:", "ri:", "&amp;", "&nbsp;", "CDATA", "<p>", "</"):
        assert leftover not in text, (name, leftover)


def test_images_dropped_when_inline_images_off():
    source = (GOLDEN / "links.xml").read_text(encoding="utf-8")
    text = storage_to_text(source, inline_images=False)
    assert "[image:" not in text and "See the docs" in text


def test_inline_image_names():
    source = (GOLDEN / "links.xml").read_text(encoding="utf-8")
    assert inline_image_names(source) == {"arch.png"}
    assert inline_image_names("<p>none</p>") == set()


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty(value):
    assert storage_to_text(value) == ""


def test_broken_markup_does_not_raise():
    assert storage_to_text("<p>open <strong>never closed <table><tr><td>x") == "open never closed\nx"


def test_matches_mock_generated_bodies():
    """Every word the mock's own reference conversion keeps is in ours (same rules, two codes)."""
    bodies = pytest.importorskip("fixtures.confluence.bodies")
    generator = pytest.importorskip("fixtures.confluence.generator")
    site = generator.generate_site(flavor="cloud", data_size="small", seed=1)
    checked = 0
    for content_id in site.content_ids("page")[:20]:
        storage = site.body_of(site.content(content_id))
        ours = storage_to_text(storage)
        assert bodies.search_token(content_id) in ours
        assert "CDATA" not in ours and "ac:" not in ours
        missing = set(WORD.findall(bodies.storage_to_text(storage))) - set(WORD.findall(ours))
        assert not missing, (content_id, sorted(missing))
        checked += 1
    assert checked == 20


def test_pathological_nesting_does_not_fail():
    deep = "<div>" * 3000 + "deep text" + "</div>" * 3000
    assert storage_to_text(f"<p>top</p>{deep}") == "top\ndeep text"
