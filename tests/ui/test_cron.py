import datetime as dt

import pytest

from connectors.ui import cron

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)  # a Monday


@pytest.mark.parametrize(
    ("frequency", "parts", "expected"),
    [
        ("minute", {}, "0 * * * * ?"),
        ("hour", {"minute": 15}, "0 15 * * * ?"),
        ("day", {"minute": 30, "hour": 2}, "0 30 2 * * ?"),
        ("week", {"minute": 0, "hour": 6, "day": 2}, "0 0 6 ? * 2"),
        ("month", {"minute": 5, "hour": 1, "date": 15}, "0 5 1 15 * ?"),
        ("year", {"minute": 0, "hour": 0, "date": 1, "month": 7}, "0 0 0 1 7 ?"),
    ],
)
def test_picker_writes_kibana_expressions_and_reads_them_back(frequency, parts, expected):
    expression = cron.build(frequency, **parts)
    assert expression == expected
    assert cron.validate(expression) is None
    assert cron.frequency_of(expression) == frequency
    fields = cron.picker_fields(expression)
    assert fields["custom"] is False
    assert {k: fields[k] for k in parts} == parts


def test_unknown_frequency_is_refused():
    with pytest.raises(cron.CronError, match="unknown frequency 'fortnight'"):
        cron.build("fortnight")


def test_expression_the_picker_cannot_show_is_custom():
    fields = cron.picker_fields("0 0/15 9-17 ? * MON-FRI")
    assert fields["custom"] is True


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty"),
        ("0 0 0 * *", "expected 6 or 7 fields"),
        ("0 0 0 * * 9", "day-of-week '9' must be 1-7"),
        ("0 0 25 * * ?", "hours"),
        ("0 0 0 31 2 ?", "never fires"),
    ],
)
def test_invalid_expressions_name_the_problem(expression, message):
    problem = cron.validate(expression)
    assert problem is not None
    assert message in problem


def test_next_runs_are_quartz_weekdays_in_utc():
    runs = cron.next_runs("0 30 2 ? * 2", NOW, 3)  # Quartz 2 = Monday
    assert runs == [
        dt.datetime(2026, 11, 30, 2, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 2, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 14, 2, 30, tzinfo=dt.UTC),
    ]
    assert all(run.weekday() == 0 for run in runs)


def test_next_runs_of_every_minute():
    runs = cron.next_runs("0 * * * * ?", NOW, 3)
    assert [r.minute for r in runs] == [1, 2, 3]
