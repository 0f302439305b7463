"""Schedules in the UI: Kibana's frequency picker, and checks through the service's own parser.

Validation and the next run times come from :mod:`connectors.services.quartz` (what the connector
service evaluates), so the page never accepts an expression the service would refuse. This module
adds the picker: :func:`build` writes the expression Kibana's picker writes, :func:`frequency_of`
infers the picker's frequency back from an expression the way Kibana does.
"""

from __future__ import annotations

import datetime as dt

from connectors.services.quartz import InvalidSchedule, QuartzSchedule

FREQUENCIES = ["minute", "hour", "day", "week", "month", "year"]
LOOKAHEAD_YEARS = 5


class CronError(ValueError):
    """An invalid expression or picker choice; the message says what is wrong."""


_RANGES = (
    ("seconds", 0, 59),
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
)


def _range_problem(expression: str) -> str | None:
    """Name the field of an out-of-range number (clearer than the evaluator's message)."""
    for (name, low, high), part in zip(_RANGES, expression.split()[:5], strict=False):
        for item in part.split(","):
            base = item.split("/")[0]
            for token in base.split("-"):
                if token.isdigit() and not low <= int(token) <= high:
                    return f"{expression!r}: {name} value {token} is out of range {low}-{high}"
    return None


def validate(expression: str) -> str | None:
    """The problem with an expression (as the service would see it), or None when it is valid."""
    if isinstance(expression, str) and (problem := _range_problem(expression)):
        return problem
    try:
        schedule = QuartzSchedule(expression)
        schedule.next_after(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    except InvalidSchedule as exc:
        return str(exc)
    except Exception as exc:  # croniter raises several error types for impossible dates
        return f"{expression!r} never fires ({exc})"
    return None


def next_runs(expression: str, after: dt.datetime, count: int = 3) -> list[dt.datetime]:
    """The next ``count`` fire times strictly after ``after``, in UTC (within a few years)."""
    schedule = QuartzSchedule(expression)
    horizon = after + dt.timedelta(days=366 * LOOKAHEAD_YEARS)
    runs: list[dt.datetime] = []
    moment = after
    while len(runs) < count:
        try:
            moment = schedule.next_after(moment)
        except Exception:
            break
        if moment > horizon:
            break
        runs.append(moment)
    return runs


# -- Kibana's frequency picker -------------------------------------------------------------


def build(frequency: str, minute: int = 0, hour: int = 0, day: int = 1, date: int = 1, month: int = 1) -> str:
    """The expression Kibana's picker writes (``day`` is the Quartz weekday 1=SUN … 7=SAT)."""
    if frequency == "minute":
        return "0 * * * * ?"
    if frequency == "hour":
        return f"0 {minute} * * * ?"
    if frequency == "day":
        return f"0 {minute} {hour} * * ?"
    if frequency == "week":
        return f"0 {minute} {hour} ? * {day}"
    if frequency == "month":
        return f"0 {minute} {hour} {date} * ?"
    if frequency == "year":
        return f"0 {minute} {hour} {date} {month} ?"
    raise CronError(f"unknown frequency '{frequency}' (one of {', '.join(FREQUENCIES)})")


def frequency_of(expression: str) -> str:
    """Infer the picker's frequency the way Kibana does."""
    parts = expression.split()
    if len(parts) < 6:
        return "day"
    _sec, minute, hour, dom, month, _dow = parts[:6]
    if minute == "*" or "," in minute:
        return "minute"
    if hour == "*":
        return "hour"
    if dom == "*":
        return "day"
    if dom == "?":
        return "week"
    if month == "*":
        return "month"
    return "year"


def picker_fields(expression: str) -> dict[str, object]:
    """The picker's selects for an expression it can show exactly, else ``{"custom": True}``."""
    frequency = frequency_of(expression)
    parts = expression.split()
    result: dict[str, object] = {
        "frequency": frequency,
        "minute": 0,
        "hour": 0,
        "day": 1,
        "date": 1,
        "month": 1,
    }
    if len(parts) >= 6:
        for key, text in (("minute", parts[1]), ("hour", parts[2]), ("date", parts[3]), ("month", parts[4])):
            if text.isdigit():
                result[key] = int(text)
        if parts[5].isdigit():
            result["day"] = int(parts[5])
    try:
        exact = build(frequency, **{k: int(v) for k, v in result.items() if k != "frequency"})
    except (CronError, ValueError):
        exact = ""
    result["custom"] = exact != " ".join(parts)
    return result
