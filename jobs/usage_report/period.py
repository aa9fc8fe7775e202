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


def from_label(kind: str, label: str) -> Period:
    """The period a `Period.label` names (`2026-11-30` daily, `2026-W48` weekly): what a state
    row or an audit intent keeps, read back. ValueError when it names none."""
    if kind == "weekly":
        year, _, week = label.partition("-W")
        start = _midnight(date.fromisocalendar(int(year), int(week), 1))
        return Period("weekly", start, start + timedelta(days=7))
    if kind == "daily":
        start = _midnight(date.fromisoformat(label))
        return Period("daily", start, start + timedelta(days=1))
    raise ValueError(f"period {kind!r}: expected one of {', '.join(KINDS)}")
