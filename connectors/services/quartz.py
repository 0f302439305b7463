"""Quartz cron expressions (as Kibana writes them) evaluated with croniter, in UTC.

Quartz: ``sec min hour day-of-month month day-of-week [year]``; ``?`` means "no specific value";
day-of-week counts 1-7 with SUN=1 (croniter: 0-6 with SUN=0); ``nL`` in day-of-week is "last
weekday n of the month" (croniter: ``Ln``); ``n#k`` is the k-th weekday n; ``a/b`` is "from a
every b". ``W`` (nearest weekday) and ``LW`` have no croniter equivalent and are refused with a
message saying so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from croniter import croniter

FIELD_NAMES = ("seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year")
FIELD_MAX = {"seconds": 59, "minutes": 59, "hours": 23, "day-of-month": 31, "month": 12, "day-of-week": 7}
DOW_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class InvalidSchedule(ValueError):
    """The cron expression cannot be evaluated; the message says which part and why."""


def _dow_number(token: str, expression: str) -> int:
    upper = token.upper()
    if upper in DOW_NAMES:
        return DOW_NAMES[upper]
    if not upper.isdigit() or not 1 <= int(upper) <= 7:
        raise InvalidSchedule(f"{expression!r}: day-of-week {token!r} must be 1-7 (SUN=1) or SUN-SAT")
    return int(upper)


def _convert_dow(value: str, expression: str) -> str:
    """Quartz day-of-week (1-7, SUN=1) → croniter (0-6, SUN=0)."""
    if value in ("*", "?"):
        return "*"
    parts = []
    for item in value.split(","):
        if item.endswith("L") and len(item) > 1:  # last <weekday> of the month
            parts.append(f"L{_dow_number(item[:-1], expression) - 1}")
            continue
        if "#" in item:
            day, _, nth = item.partition("#")
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise InvalidSchedule(f"{expression!r}: day-of-week {item!r}: '#' must be followed by 1-5")
            parts.append(f"{_dow_number(day, expression) - 1}#{nth}")
            continue
        step = ""
        if "/" in item:
            item, _, step_value = item.partition("/")
            if not step_value.isdigit():
                raise InvalidSchedule(f"{expression!r}: day-of-week step {step_value!r} is not a number")
            step = "/" + step_value
            if item in ("*", "?"):
                item = "1-7"
            elif "-" not in item:
                item = f"{item}-7"
        if "-" in item:
            start, _, end = item.partition("-")
            parts.append(f"{_dow_number(start, expression) - 1}-{_dow_number(end, expression) - 1}{step}")
        else:
            parts.append(f"{_dow_number(item, expression) - 1}{step}")
    return ",".join(parts)


def _convert_plain(value: str, name: str, expression: str) -> str:
    if value == "?":
        return "*"
    if "W" in value.upper() and name == "day-of-month":
        raise InvalidSchedule(
            f"{expression!r}: day-of-month {value!r}: 'W' (nearest weekday) is not supported"
        )
    if not re.fullmatch(r"[0-9A-Za-z*,/\-L]+", value):
        raise InvalidSchedule(f"{expression!r}: {name} {value!r} has characters cron does not allow")
    out = []
    for item in value.split(","):
        if "/" in item:
            start, _, step = item.partition("/")
            if start.isdigit():  # Quartz "a/b" = from a, every b
                item = f"{start}-{FIELD_MAX[name]}/{step}"
        out.append(item)
    return ",".join(out)


def quartz_to_croniter(expression: str) -> str:
    """Translate a Quartz expression into a seconds-first croniter expression."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidSchedule("the schedule interval is empty")
    fields = expression.split()
    if len(fields) not in (6, 7):
        raise InvalidSchedule(
            f"{expression!r}: expected 6 or 7 fields (seconds minutes hours day-of-month month "
            f"day-of-week [year]), got {len(fields)}"
        )
    dom, dow = fields[3], fields[5]
    if dom not in ("?", "*") and dow not in ("?", "*"):
        raise InvalidSchedule(
            f"{expression!r}: set either day-of-month or day-of-week, the other must be '?'"
        )
    converted = [
        _convert_plain(value, name, expression)
        for name, value in zip(FIELD_NAMES[:5], fields[:5], strict=True)
    ]
    converted.append(_convert_dow(dow, expression))
    if len(fields) == 7:
        converted.append(fields[6])
    return " ".join(converted)


class QuartzSchedule:
    """A parsed schedule: ``next_after(t)`` and ``latest_at_or_before(t)``, both UTC."""

    def __init__(self, expression: str):
        self.expression = expression
        self.cron = quartz_to_croniter(expression)
        try:
            croniter(self.cron, datetime(2000, 1, 1, tzinfo=UTC), second_at_beginning=True)
        except Exception as exc:  # croniter raises several error types
            raise InvalidSchedule(f"{expression!r}: {exc}") from exc

    def _iter(self, base: datetime) -> croniter:
        return croniter(self.cron, base.astimezone(UTC), second_at_beginning=True)

    def next_after(self, moment: datetime) -> datetime:
        return self._iter(moment).get_next(datetime).astimezone(UTC)

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The most recent fire time ≤ ``moment`` (``None`` if there is none)."""
        try:
            return self._iter(moment + timedelta(seconds=1)).get_prev(datetime).astimezone(UTC)
        except Exception:
            return None


def due_time(
    expression: str, now: datetime, last_scheduled: datetime | None, catch_up: float
) -> datetime | None:
    """The fire time a job should be created for now, or ``None``.

    A fire time is due when it is at or before ``now``, after the last recorded due time, and no
    older than ``catch_up`` seconds (a service that was down does not replay a backlog).
    """
    latest = QuartzSchedule(expression).latest_at_or_before(now)
    if latest is None:
        return None
    if last_scheduled is not None and latest <= last_scheduled:
        return None
    if (now - latest).total_seconds() > catch_up:
        return None
    return latest
