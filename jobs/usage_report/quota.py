"""The monthly call quota seen from one period: pure.

The quota is a month's; a period is a day or a week, which may straddle two months. So the
period's allowance is shared out per day: each day of the period gets `quota / days of its
month`. Month to date counts from the first of the month the period ends in; the forecast runs
the period's calls per day forward from the period's end until the quota is used up, and says
nothing (None) when that is not before the month ends.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime, time, timedelta

from jobs.usage_report.model import Note, Period, Quota
from jobs.usage_report.period import month_end
from jobs.usage_report.values import Checker, ratio

#: a quota above this (a PostgreSQL bigint holds 9.2e18) is a typo, not a contract; it is also
#: where floats stop counting calls exactly
MAX_QUOTA = 2**53


def allowance(monthly: int, period: Period) -> float:
    """The quota pro rata for the period: the sum over its days of quota / days in that month."""
    day = period.start
    shares: list[float] = []
    while day < period.end:
        shares.append(monthly / calendar.monthrange(day.year, day.month)[1])
        day += timedelta(days=1)
    return math.fsum(shares)


def runs_out_on(monthly: int, period: Period, calls: float | None, month_to_date: float) -> datetime | None:
    """The day (midnight UTC) the quota runs out at the period's daily rate; None when it does
    not this month (or the rate is 0, or it already has)."""
    per_day = ratio(calls, period.days)
    if not per_day or month_to_date >= monthly:
        return None
    days_left = (monthly - month_to_date) / per_day
    horizon = (month_end(period) - period.end).total_seconds() / 86400
    if not days_left < horizon:  # also catches an infinite or NaN quotient
        return None
    return datetime.combine((period.end + timedelta(days=days_left)).date(), time(0), tzinfo=UTC)


def quota(
    monthly: int | None, period: Period, calls: float | None, month_to_date_raw: float | None
) -> tuple[Quota | None, list[Note]]:
    """The quota block of a report and what it must say; None when the tenant has no quota
    (nothing to show) or an unusable one (0, negative: a Note says so)."""
    if monthly is None:
        return None, []
    if isinstance(monthly, bool) or not isinstance(monthly, int) or monthly <= 0 or monthly > MAX_QUOTA:
        shown = float(monthly) if isinstance(monthly, int) and abs(monthly) <= MAX_QUOTA else str(monthly)[:100]
        return None, [Note("quota_invalid", {"quota": shown})]
    check = Checker()
    month_to_date = check.count("month_to_date_calls", month_to_date_raw)
    if month_to_date is None:
        check.note("month_to_date_missing")
    share = allowance(monthly, period)
    exceeded = month_to_date is not None and month_to_date > monthly
    forecast = None if month_to_date is None else runs_out_on(monthly, period, calls, month_to_date)
    found = Quota(
        monthly=monthly,
        period_allowance=share,
        period_used_percent=check.finite("calls", ratio(calls, share, 100)),
        month_to_date_calls=month_to_date,
        month_used_percent=check.finite("month_to_date_calls", ratio(month_to_date, monthly, 100)),
        runs_out_on=forecast,
        exceeded=exceeded,
    )
    if exceeded:
        check.note("quota_exceeded", quota=monthly, used=month_to_date or 0.0)
    if forecast is not None:
        check.note("quota_runs_out", date=forecast.date().isoformat())
    return found, check.notes
