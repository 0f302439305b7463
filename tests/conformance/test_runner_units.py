"""The YAML runner's own semantics (paths, stash, assertions, gates), without a server."""

from __future__ import annotations

import pytest

from .assertions import MISSING, AssertionFailure, Stash, check, lookup, split_path
from .lists import ListFormatError, read_skips
from .runner import Deployment, GateSkip, check_static_gates, version_in_ranges
from .yaml_suite import YamlTest, discover


def test_paths_split_on_unescaped_dots_and_index_lists():
    stash = Stash()
    body = {"a.b": {"c": [10, {"d": 1}]}, "x": {"": 0}}
    assert split_path(r"a\.b.c.1.d") == ["a.b", "c", "1", "d"]
    assert split_path("tables.0.") == ["tables", "0"]  # trailing dot ignored, as in Java
    assert lookup(body, r"a\.b.c.1.d", stash) == 1
    assert lookup(body, r"a\.b.c.5", stash) is MISSING
    assert lookup(body, "", stash) is body


def test_stash_substitutes_whole_values_embedded_strings_and_path_parts():
    stash = Stash()
    stash.set("id", "abc")
    stash.set("n", 3)
    assert stash.resolve({"k": "$id", "l": ["${id}-x", "$n"]}) == {"k": "abc", "l": ["abc-x", 3]}
    assert lookup({"nodes": {"abc": 7}}, "nodes.$id", stash) == 7
    with pytest.raises(AssertionFailure, match="no value named 'missing'"):
        stash.resolve("$missing")


@pytest.mark.parametrize(
    ("kind", "spec", "body"),
    [
        ("match", {"a": 1}, {"a": 1.0}),
        ("match", {"a": "/^ab\\s*c # comment\n$/"}, {"a": "abc"}),
        ("match", {"a": None}, {}),
        ("length", {"a": 2}, {"a": {"x": 1, "y": 2}}),
        ("is_true", "a", {"a": "yes"}),
        ("is_false", "a", {"a": 0}),
        ("is_false", "b", {"a": 1}),
        ("gte", {"a": 2}, {"a": 2}),
        ("lt", {"a": 3}, {"a": 2}),
        ("contains", {"a": {"name": "x"}}, {"a": [{"name": "y"}, {"name": "x", "v": 1}]}),
        ("exists", "a", {"a": 0}),
        ("not_exists", "b", {"a": 0}),
        ("close_to", {"a": {"value": 1.0, "error": 0.01}}, {"a": 1.005}),
        ("is_after", {"a": "2024-01-01T00:00:00Z"}, {"a": "2024-01-01T00:00:00.001Z"}),
    ],
)
def test_assertions_that_hold(kind, spec, body):
    check(kind, spec, body, Stash())  # check() is the assertion: it raises AssertionFailure (next test)


@pytest.mark.parametrize(
    ("kind", "spec", "body", "message"),
    [
        ("match", {"a": 1}, {"a": True}, "match 'a': expected 1, actual True"),
        ("match", {"a": [1, 2]}, {"a": [1]}, "match 'a': expected [1, 2], actual [1]"),
        ("match", {"a": "x"}, {}, "match 'a': expected 'x', actual <missing>"),
        ("length", {"a": 1}, {"a": []}, "length 'a': expected length 1, actual 0 ([])"),
        ("is_true", "a", {"a": ""}, "is_true 'a': actual value ''"),
        ("is_false", "a", {"a": "x"}, "is_false 'a': actual value 'x'"),
        ("gt", {"a": 2}, {"a": 2}, "gt 'a': 2 is not gt 2"),
        (
            "is_after",
            {"a": "2024-01-01T00:00:00Z"},
            {"a": "2024-01-01T00:00:00Z"},
            "is_after 'a': '2024-01-01T00:00:00Z' is not after '2024-01-01T00:00:00Z'",
        ),
    ],
)
def test_assertions_that_fail_name_path_and_values(kind, spec, body, message):
    with pytest.raises(AssertionFailure) as err:
        check(kind, spec, body, Stash())
    assert str(err.value) == message


def test_version_ranges():
    assert version_in_ranges((9, 1, 0), "all")
    assert version_in_ranges((7, 1, 0), " - 7.2.99")
    assert not version_in_ranges((9, 1, 0), " - 8.11.99")
    assert version_in_ranges((9, 1, 0), "8.0.0 - 8.1.0, 9.0.0 - ")


def _test(steps, setup=(), requires=None):
    return YamlTest("x/y.yml", "t", list(steps), list(setup), [], requires or {})


def test_gates():
    stack = Deployment(version=(9, 1, 0))
    assert check_static_gates(_test([{"requires": {"cluster_features": ["gte_v8.12.0"]}}]), stack) == []
    with pytest.raises(GateSkip, match="serverless only"):
        check_static_gates(_test([], requires={"stack": False, "serverless": True}), stack)
    with pytest.raises(GateSkip, match="feature flag"):
        check_static_gates(_test([], requires={"stack": True, "feature_flag": "esql_views"}), stack)
    with pytest.raises(GateSkip, match="lacks features"):
        check_static_gates(_test([{"skip": {"features": ["node_selector"]}}]), stack)
    with pytest.raises(GateSkip, match="requires cluster features"):
        check_static_gates(_test([], setup=[{"requires": {"cluster_features": ["mapper.something"]}}]), stack)
    caps = [{"method": "GET", "path": "/", "capabilities": ["x"]}]
    spec = {"test_runner_features": ["capabilities"], "capabilities": caps}
    assert check_static_gates(_test([{"requires": spec}]), stack) == caps


def test_suite_discovery_finds_every_folder_with_unique_ids():
    tests = discover()
    ids = [t.id for t in tests]
    assert len(ids) == len(set(ids))
    assert {t.id.split("/")[0] for t in tests} == {"clients-tests", "entsearch-connector", "rest-api-spec"}
    assert any(t.id == "entsearch-connector/10_connector_put.yml::Create Connector" for t in tests)


def test_skip_list_requires_reasons(tmp_path):
    path = tmp_path / "skips.yml"
    path.write_text("skip:\n  a::b: ''\n")
    with pytest.raises(ListFormatError, match="needs a reason"):
        read_skips(path)


def test_catch_regexes_keep_whitespace_but_match_regexes_ignore_it():
    from .assertions import regex_matches

    assert regex_matches(
        "/cannot be negative, found \\[-5\\]/", "[size] cannot be negative, found [-5]", verbose=False
    )
    assert not regex_matches("/cannot be negative/", "cannotbenegative", verbose=False)
    assert regex_matches("/cannot be negative/", "cannotbenegative")  # COMMENTS flag, as in Java


async def test_reset_store_empties_the_store_in_place():
    from fixtures.elasticsearch import Store

    from .test_yaml_suite import reset_store

    store = Store()
    await store.index_doc("left-over", "1", {"a": 1}, refresh=True)
    await store.put_pipeline("p", {"processors": []})
    same = store
    reset_store(store)
    assert store is same
    assert not store.index_exists("left-over") and store.pipelines == {}


def test_checked_in_lists_name_only_existing_tests():
    from .lists import load

    lists = load()
    ids = {t.id for t in discover()}
    stale = sorted((set(lists.expected_pass) | set(lists.skip) | set(lists.xfail)) - ids)
    assert not stale, f"lists name tests that no longer exist: {stale[:5]}"


def test_catch_regexes_see_the_error_object_as_java_prints_it():
    from .executor import java_text

    error = {
        "root_cause": [{"type": "x", "reason": 'must be "auto"'}],
        "type": "x",
        "reason": 'must be "auto"',
    }
    assert java_text(error) == '{root_cause=[{type=x, reason=must be "auto"}], type=x, reason=must be "auto"}'
