"""Sign-in throttling: per username and per client address, sliding window, 429 + Retry-After."""

import asyncio
import logging

from aiohttp.test_utils import TestClient, TestServer

from connectors.ui import create_app
from connectors.ui.context import SIGN_IN_THROTTLE
from connectors.ui.settings import UiSettings
from connectors.ui.throttle import SignInThrottle
from tests.ui.conftest import UiClient, _standin_class


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock, users=3, addresses=10, window=60.0, max_keys=10_000) -> SignInThrottle:
    return SignInThrottle(users, addresses, window, max_keys=max_keys, clock=clock)


def test_a_username_is_refused_after_n_failures_until_the_oldest_leaves_the_window():
    clock = Clock()
    t = throttle(clock)
    for _ in range(3):
        assert t.check("alice", "10.0.0.1") is None
        t.failed("alice", "10.0.0.1")
        clock.now += 10
    refusal = t.check("Alice ", "10.0.0.2")  # same user, any case, any address
    assert refusal is not None and refusal.reason == "username"
    assert refusal.retry_after == 30  # the first failure (t=1000) leaves the window at t=1060
    assert "for this username" in refusal.message and "30 seconds" in refusal.message
    assert t.check("bob", "10.0.0.2") is None  # others are not affected
    clock.now = 1060.0
    assert t.check("alice", "10.0.0.1") is None  # sliding: one more attempt
    t.failed("alice", "10.0.0.1")
    assert t.check("alice", "10.0.0.1").retry_after == 10  # now the t=1010 failure counts


def test_an_address_is_refused_after_n_failures_whatever_the_usernames():
    clock = Clock()
    t = throttle(clock, users=100, addresses=4)
    for i in range(4):
        t.failed(f"user{i}", "10.0.0.9")
    refusal = t.check("someone-new", "10.0.0.9")
    assert refusal is not None and refusal.reason == "address"
    assert "from your address" in refusal.message
    assert t.check("", "10.0.0.9").reason == "address"  # API keys too
    assert t.check("someone-new", "10.0.0.10") is None


def test_success_clears_the_username_but_not_the_address():
    clock = Clock()
    t = throttle(clock, users=2, addresses=3)
    t.failed("alice", "10.0.0.1")
    t.failed("alice", "10.0.0.1")
    assert t.check("alice", None).reason == "username"
    t.failed("alice", "10.0.0.1")  # the attempt that succeeds is counted first...
    t.succeeded("alice", "10.0.0.1")  # ...then taken back
    assert t.check("alice", None) is None
    assert t.check("carol", "10.0.0.1") is None  # two failures from the address
    t.failed("bob", "10.0.0.1")
    assert t.check("carol", "10.0.0.1").reason == "address"  # three failures from the address


def test_attempts_count_before_the_answer_and_non_guesses_are_taken_back():
    clock = Clock()
    t = throttle(clock, users=2, addresses=10)
    assert t.attempt("alice", "10.0.0.1") is None
    assert t.attempt("alice", "10.0.0.1") is None
    assert t.attempt("alice", "10.0.0.1").reason == "username"  # two in flight: the third waits
    t.not_a_guess("alice", "10.0.0.1")  # Elasticsearch was unreachable for one of them
    assert t.attempt("alice", "10.0.0.1") is None
    assert len(t.addresses) == 1 and t.addresses.wait("10.0.0.1") == 0
    t.not_a_guess("nobody", None)  # nothing to take back: no error


def test_usernames_are_kept_as_keyed_hashes_and_memory_is_bounded():
    clock = Clock()
    t = throttle(clock, max_keys=50)
    typed = "correct horse battery staple"  # a password typed into the username field
    t.failed(typed, "10.0.0.1")
    assert typed not in repr(t.users._failures)
    for i in range(500):
        t.failed(f"user{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(t.users) == 50 and len(t.addresses) == 50
    clock.now += 61
    t.failed("late", None)
    assert len(t.users) == 50  # expired keys go when looked at; the bound always holds
    assert t.check("user499", None) is None


def test_a_limit_of_zero_turns_throttling_off():
    t = throttle(Clock(), users=0, addresses=0)
    for _ in range(100):
        t.failed("alice", "10.0.0.1")
    assert t.check("alice", "10.0.0.1") is None


def test_long_waits_read_in_minutes():
    clock = Clock()
    t = throttle(clock, users=1, window=900)
    t.failed("alice", None)
    assert t.check("alice", None).message.endswith("Try again in 15 minutes.")
    clock.now += 899
    assert t.check("alice", None).message.endswith("Try again in 1 second.")


async def test_the_sign_in_page_answers_429_with_retry_after_and_never_asks_elasticsearch(caplog):
    caplog.set_level(logging.DEBUG)
    async with _standin_class()(port=0, username="elastic", password="changeme") as es:
        settings = UiSettings(es_host=es.url, sign_in_max_failures=3, sign_in_window_seconds=60)
        async with TestClient(TestServer(create_app(settings=settings))) as client:
            clock = Clock()
            client.app[SIGN_IN_THROTTLE].set_clock(clock)
            ui = UiClient(client)
            await ui.get("/login")
            # a burst of parallel guesses: exactly three reach Elasticsearch, whatever the order
            answers = await asyncio.gather(
                *(ui.post("/login", {"username": "elastic", "password": "guess-number-x"}) for _ in range(8))
            )
            assert sorted(a.status for a in answers) == [401] * 3 + [429] * 5
            assert all("Wrong username" in a.body_text for a in answers if a.status == 401)
            # even the right password is refused now: guessing gains nothing
            refused = await ui.sign_in("elastic", "changeme")
            assert refused.status == 429
            assert refused.headers["Retry-After"] == "60"
            assert "Too many failed sign-in attempts for this username" in refused.body_text
            assert "Try again in 60 seconds." in refused.body_text
            assert 'value="elastic"' in refused.body_text  # the form is shown again, filled in
            assert (await ui.get("/connectors")).status == 303  # not signed in
            # the window slides: once the first failure is a minute old, the right password works
            clock.now += 60
            right = await ui.sign_in("elastic", "changeme")
            assert right.status == 303
            assert (await ui.get("/connectors")).status == 200
    text = caplog.text + "".join(ui.bodies)
    assert "changeme" not in caplog.text and "guess-number-x" not in text
    assert "sign-in throttled (username)" in caplog.text


async def test_unreachable_elasticsearch_does_not_count_as_a_failure():
    settings = UiSettings(es_host="http://127.0.0.1:9", sign_in_max_failures=1, sign_in_window_seconds=60)
    async with TestClient(TestServer(create_app(settings=settings))) as client:
        ui = UiClient(client)
        for _ in range(3):
            response = await ui.sign_in("a", "b")
            assert response.status == 401 and "cannot be reached" in response.body_text
        throttle = client.app[SIGN_IN_THROTTLE]
        assert len(throttle.users) == 0 and len(throttle.addresses) == 0


async def test_successful_sign_ins_do_not_use_up_the_address_limit():
    async with _standin_class()(port=0, username="elastic", password="changeme") as es:
        settings = UiSettings(es_host=es.url, sign_in_max_failures=2, sign_in_max_failures_per_address=2)
        async with TestClient(TestServer(create_app(settings=settings))) as client:
            ui = UiClient(client)
            for _ in range(5):
                assert (await ui.sign_in("elastic", "changeme")).status == 303
                await ui.get("/connectors")  # the session's CSRF token, to sign out
                assert (await ui.post("/logout")).status == 303
            assert (await ui.sign_in("elastic", "nope")).status == 401
            assert (await ui.sign_in("elastic", "changeme")).status == 303  # one failure: allowed


def test_settings_read_the_limits_from_the_ui_section():
    settings = UiSettings.from_config(
        {
            "ui": {
                "sign_in_max_failures": 7,
                "sign_in_max_failures_per_address": 70,
                "sign_in_window_seconds": 900,
            }
        }
    )
    assert (
        settings.sign_in_max_failures,
        settings.sign_in_max_failures_per_address,
        settings.sign_in_window_seconds,
    ) == (7, 70, 900)
    defaults = UiSettings.from_config({})
    assert (defaults.sign_in_max_failures, defaults.sign_in_window_seconds) == (5, 300)
