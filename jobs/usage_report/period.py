"""Which period a run reports on: pure, from `now` and the kind (the runner owns the clock).

Daily is the previous whole UTC day; weekly the previous whole ISO week (Monday 00:00 to
Monday 00:00). A run at 01:00 on the 2nd reports the 1st; `--now` moves it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from jobs.usage_report.model import Period

KINDS = ("daily", "weekly")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def period_for(kind: str, now: datetime) -> Period:
    """The last whole period before `now` (UTC)."""
    today = now.astimezone(UTC).date()
    if kind == "daily":
        end = _midnight(today)
        return Period("daily", end - timedelta(days=1), end)
    if kind == "weekly":
        end = _midnight(today - timedelta(days=today.weekday()))
        return Period("weekly", end - timedelta(days=7), end)
    raise ValueError(f"period {kind!r}: expected one of {', '.join(KINDS)}")


def month_start(period: Period) -> datetime:
    """The first instant of the month the period's last day is in (month to date)."""
    last_day = (period.end - timedelta(microseconds=1)).date()
    return _midnight(last_day.replace(day=1))


def month_end(period: Period) -> datetime:
    """The first instant of the next month."""
    start = month_start(period).date()
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _midnight(following)
