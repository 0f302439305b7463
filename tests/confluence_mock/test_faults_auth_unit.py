"""Rate limiter, fault generators, fault specs, credentials and paging cursors (no server)."""

from __future__ import annotations

import pytest

from fixtures.confluence.api_paging import cursor_page, decode_cursor, encode_cursor
from fixtures.confluence.auth import CredentialStore, basic_header
from fixtures.confluence.faults import (
    RESET,
    STATUS,
    TRUNCATE,
    Fault,
    RandomFaults,
    RateLimiter,
    ScriptedFaults,
    parse_fault_spec,
)
from fixtures.confluence.serialize_errors import ApiError


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_refuses_with_retry_after():
    clock = FakeClock()
    limiter = RateLimiter(rate=2, burst=2, clock=clock)
    assert limiter.acquire("u")[0] and limiter.acquire("u")[0]
    allowed, retry_after, _ = limiter.acquire("u")
    assert not allowed and retry_after == 1
    assert limiter.acquire("other")[0], "buckets are per user"
    clock.now += 0.5  # one token back at 2/s
    assert limiter.acquire("u")[0]
    assert not limiter.acquire("u")[0]


def test_retry_after_rounds_up_to_whole_seconds_for_slow_rates():
    clock = FakeClock()
    limiter = RateLimiter(rate=0.25, burst=1, clock=clock)
    assert limiter.acquire("u")[0]
    allowed, retry_after, _ = limiter.acquire("u")
    assert not allowed and retry_after == 4


def test_rate_limiter_rejects_non_positive_rates():
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)


def test_random_faults_are_deterministic_from_the_seed_and_near_the_rate():
    a = [RandomFaults(0.2, seed=7).draw() for _ in range(1)]
    first = RandomFaults(0.2, seed=7)
    second = RandomFaults(0.2, seed=7)
    seq1 = [first.draw() for _ in range(2000)]
    seq2 = [second.draw() for _ in range(2000)]
    assert seq1 == seq2 and a[0] == seq1[0]
    failures = [f for f in seq1 if f is not None]
    assert 300 < len(failures) < 500
    kinds = {(f.kind, f.status) for f in failures}
    assert {(STATUS, 500), (STATUS, 502), (STATUS, 503), (STATUS, 504), (RESET, 0), (TRUNCATE, 0)} == kinds
    other = RandomFaults(0.2, seed=8)
    assert [other.draw() for _ in range(2000)] != seq1
    first.reset()
    assert [first.draw() for _ in range(50)] == seq1[:50]


def test_random_faults_validate_rate():
    with pytest.raises(ValueError, match="between 0.0 and 1.0"):
        RandomFaults(1.5, seed=1)
    assert RandomFaults(0.0, seed=1).draw() is None


def test_scripted_faults_match_path_and_method_and_count_down():
    faults = ScriptedFaults()
    faults.add(r"/pages", 2, Fault(STATUS, 503, 1), method="get")
    assert faults.take("POST", "/wiki/api/v2/pages") is None
    assert faults.take("GET", "/wiki/api/v2/spaces") is None
    assert faults.take("GET", "/wiki/api/v2/pages").status == 503
    assert faults.pending()[0]["remaining"] == 1
    assert faults.take("GET", "/wiki/api/v2/pages/1").status == 503
    assert faults.take("GET", "/wiki/api/v2/pages") is None
    assert faults.pending() == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([], "expected an object"),
        ({"path": "(", "status": 500}, "rules[0].path: invalid regular expression"),
        ({"status": 500, "count": 0}, "rules[0].count: expected a positive integer"),
        ({"status": 200}, "rules[0].status: expected an HTTP error status"),
        ({"fault": "explode"}, "rules[0].fault: expected one of"),
        ({"fault": "reset", "retry_after": -1}, "rules[0].retry_after"),
    ],
)
def test_fault_specs_are_validated_with_the_field_named(spec, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        parse_fault_spec(spec, "rules[0]")


def test_fault_spec_defaults_retry_after_for_429():
    path, count, fault, method = parse_fault_spec({"path": "/x", "status": 429, "count": 3})
    assert (path, count, fault, method) == ("/x", 3, Fault(STATUS, 429, 1), None)


def test_credentials_cloud_accepts_email_and_token_only():
    store = CredentialStore("cloud")
    store.add_basic("admin@example.com", "S3cret-tok", "acc-1")
    assert store.authenticate(basic_header("ADMIN@example.com", "S3cret-tok")).user_id == "acc-1"
    assert store.authenticate(None).anonymous
    for header in (
        basic_header("admin@example.com", "Wr0ng-x"),
        "Bearer S3cret-tok",
        "Basic !!!",
        "Digest x",
    ):
        with pytest.raises(ApiError) as err:
            store.authenticate(header)
        assert err.value.status == 401
        assert "WWW-Authenticate" in err.value.headers
        assert "Wr0ng-x" not in err.value.message and "S3cret-tok" not in err.value.message


def test_credentials_dc_accepts_password_and_pat():
    store = CredentialStore("datacenter")
    store.add_basic("admin", "changeme", "key-1")
    store.add_bearer("pat-1", "key-1")
    assert store.authenticate(basic_header("admin", "changeme")).scheme == "basic"
    assert store.authenticate("Bearer pat-1").scheme == "bearer"
    with pytest.raises(ApiError):
        store.authenticate("Bearer pat-2")


def test_cursor_survives_deletion_before_it():
    items = [str(i) for i in range(10)]
    first = cursor_page(items, None, 4, key=str)
    assert first.items == ["0", "1", "2", "3"]
    items.remove("1")  # deleted between two calls
    second = cursor_page(items, first.next_cursor, 4, key=str)
    assert second.items == ["4", "5", "6", "7"]
    items.remove("3")  # the cursor's own item disappears: fall back to the index
    third = cursor_page(items, second.next_cursor, 4, key=str)
    assert third.items == ["8", "9"] and third.next_cursor is None


def test_bad_cursor_is_a_400():
    assert decode_cursor(encode_cursor(3, "x")) == (3, "x")
    with pytest.raises(ApiError) as err:
        decode_cursor("not-a-cursor")
    assert err.value.status == 400
