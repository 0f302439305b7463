"""The oracle's comparator: planted differences are found, named and capped; none is tolerated
(a stale field on a document whose own version did not change is a difference like any other)."""

from __future__ import annotations

from fixtures.oracle_compare import VOLATILE_FIELDS, compare_docs

PAGE = {
    "_timestamp": "2026-01-01T00:00:00.000Z",
    "type": "page",
    "id": "1",
    "title": "Home",
    "version": 3,
    "ancestors": [{"id": "9", "title": "Root", "type": "page"}, {"id": "8", "title": "Mid", "type": "page"}],
    "labels": ["a"],
}


def test_identical_indices_are_equal():
    same = compare_docs({"page-1": dict(PAGE)}, {"page-1": dict(PAGE)})
    assert same.equal and same.total == 0 and (same.docs_a, same.docs_b) == (1, 1)
    assert "0 difference(s)" in same.report()


def test_a_planted_field_difference_is_reported_with_id_field_and_both_values():
    out = compare_docs({"page-1": {**PAGE, "title": "Planted"}}, {"page-1": dict(PAGE)})
    assert not out.equal and out.total == 1
    (diff,) = out.differences
    assert (diff.doc_id, diff.field, diff.a, diff.b) == ("page-1", "title", "Planted", "Home")
    assert 'page-1 title: A="Planted" B="Home"' in out.report()


def test_missing_documents_and_absent_fields_are_differences():
    a = {"page-1": {k: v for k, v in PAGE.items() if k != "labels"}, "page-2": dict(PAGE)}
    b = {"page-1": dict(PAGE), "page-3": dict(PAGE)}
    out = compare_docs(a, b)
    shown = {(d.doc_id, d.field): d.describe() for d in out.differences}
    assert set(shown) == {("page-1", "labels"), ("page-2", "<document>"), ("page-3", "<document>")}
    assert shown[("page-1", "labels")] == 'page-1 labels: A=<absent> B=["a"]'
    assert shown[("page-2", "<document>")] == 'page-2 <document>: A="present" B=<absent>'
    # a None value is not the same as an absent field
    assert compare_docs({"x": {"f": None}}, {"x": {}}).total == 1


def test_lists_are_reported_from_the_first_item_that_differs():
    moved = [PAGE["ancestors"][0], {"id": "7", "title": "Other", "type": "page"}]
    out = compare_docs({"page-1": {**PAGE, "ancestors": moved, "version": 4}}, {"page-1": dict(PAGE)})
    diff, version = out.differences
    assert diff.field == "ancestors[1:]" and diff.a == moved[1:] and diff.b == PAGE["ancestors"][1:]
    assert (version.field, version.a, version.b) == ("version", 4, 3)
    assert out.total == 2
    reordered = compare_docs({"x": {"labels": ["b", "a"]}}, {"x": {"labels": ["a", "b"]}})
    assert reordered.total == 1  # order matters: the builder sorts labels


def test_stale_unversioned_fields_on_an_unchanged_version_are_differences_too():
    stale = {**PAGE, "ancestors": PAGE["ancestors"][:1], "labels": []}  # same version and _timestamp
    out = compare_docs({"page-1": stale}, {"page-1": dict(PAGE)})
    assert not out.equal and out.total == 2 and dict(out.by_field) == {"ancestors": 1, "labels": 1}
    assert "of them the known" not in out.report()


def test_reports_are_capped_and_values_clipped():
    a = {f"page-{i}": {**PAGE, "title": "x" * 500} for i in range(80)}
    b = {f"page-{i}": dict(PAGE) for i in range(80)}
    out = compare_docs(a, b, limit=10)
    assert out.total == 80 and len(out.differences) == 10
    text = out.report(clip=40)
    assert "… and 70 more" in text and max(len(line) for line in text.splitlines()[1:]) < 200


def test_volatile_fields_are_skipped_and_the_default_list_is_empty():
    assert VOLATILE_FIELDS == {}  # every field of a document is deterministic today
    out = compare_docs({"x": {"a": 1, "t": 1}}, {"x": {"a": 1, "t": 2}}, volatile={"t": "test"})
    assert out.equal
