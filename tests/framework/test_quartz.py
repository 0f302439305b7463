from datetime import UTC, datetime, timedelta

import pytest

from connectors.services.quartz import InvalidSchedule, QuartzSchedule, due_time, quartz_to_croniter

MONDAY = datetime(2026, 11, 23, 11, 0, 7, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    "quartz, cron",
    [
        ("0 0 0 * * ?", "0 0 0 * * *"),
        ("0 0 12 ? * 2-6", "0 0 12 * * 1-5"),
        ("0 0 12 ? * MON-FRI", "0 0 12 * * 1-5"),
        ("0 0 12 ? * 1,7", "0 0 12 * * 0,6"),
        ("0 0 12 ? * 6L", "0 0 12 * * L5"),
        ("0 0 12 ? * 2#1", "0 0 12 * * 1#1"),
        ("0 0/15 * * * ?", "0 0-59/15 * * * *"),
        ("0 0 0 1 * ? 2027", "0 0 0 1 * * 2027"),
    ],
)
def test_translation(quartz, cron):
    assert quartz_to_croniter(quartz) == cron


@pytest.mark.parametrize(
    "quartz, expected_next",
    [
        ("0 0 0 * * ?", datetime(2026, 11, 24, 0, 0, tzinfo=UTC)),
        ("*/5 * * * * ?", datetime(2026, 11, 23, 11, 0, 10, tzinfo=UTC)),
        ("0 0/15 * * * ?", datetime(2026, 11, 23, 11, 15, tzinfo=UTC)),
        # Quartz SUN=1: the next Sunday after Monday 23rd is the 29th
        ("0 30 10 ? * 1", datetime(2026, 11, 29, 10, 30, tzinfo=UTC)),
        # MON=2 at 12:00 — later the same Monday
        ("0 0 12 ? * 2", datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
        ("0 0 12 ? * SAT", datetime(2026, 11, 28, 12, 0, tzinfo=UTC)),
        # last Friday (6L) of November 2026 is the 27th
        ("0 0 12 ? * 6L", datetime(2026, 11, 27, 12, 0, tzinfo=UTC)),
        ("0 0 0 1 * ? 2027", datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_next_fire_time_in_utc(quartz, expected_next):
    assert QuartzSchedule(quartz).next_after(MONDAY) == expected_next


def test_latest_includes_an_exact_fire_time():
    at = datetime(2026, 11, 23, 11, 0, 0, tzinfo=UTC)
    assert QuartzSchedule("0 0 * * * ?").latest_at_or_before(at) == at


@pytest.mark.parametrize(
    "quartz, fragment",
    [
        ("0 0 * * *", "expected 6 or 7 fields"),
        ("", "empty"),
        ("0 0 12 15 * 2", "either day-of-month or day-of-week"),
        ("0 0 12 ? * 8", "day-of-week '8' must be 1-7"),
        ("0 0 12 ? * 0", "day-of-week '0' must be 1-7"),
        ("0 0 12 15W * ?", "'W' (nearest weekday) is not supported"),
        ("0 0 25 * * ?", "'0 0 25 * * ?'"),
        ("0 0 12 ? * 2#9", "'#' must be followed by 1-5"),
    ],
)
def test_invalid_expressions_name_the_problem(quartz, fragment):
    with pytest.raises(InvalidSchedule) as info:
        QuartzSchedule(quartz)
    assert fragment in str(info.value)


def test_due_time_once_per_fire_time():
    expr = "0 * * * * ?"  # every minute
    now = datetime(2026, 11, 23, 11, 0, 20, tzinfo=UTC)
    due = due_time(expr, now, None, catch_up=60)
    assert due == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    # recorded → not due again until the next minute
    assert due_time(expr, now + timedelta(seconds=5), due, catch_up=60) is None
    assert due_time(expr, now + timedelta(seconds=45), due, catch_up=60) == due + timedelta(minutes=1)


def test_due_time_does_not_replay_old_fire_times():
    expr = "0 0 0 * * ?"  # midnight
    now = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert due_time(expr, now, None, catch_up=60) is None
    just_after = datetime(2026, 11, 23, 0, 0, 30, tzinfo=UTC)
    assert due_time(expr, just_after, None, catch_up=60) == datetime(2026, 11, 23, tzinfo=UTC)
