"""How long a job may go without a run: the longest gap between consecutive firings of its crons.

An alert "no success for 2x the interval" needs the interval each job is really scheduled at,
and a cron's gaps are not uniform: `0 2 * * 1-5` waits three days over a weekend, `0 0 31 * *`
61 days from May to July, `0 0 29 2 *` eight years across 2100. So the gap is measured, not
guessed: every firing over one Gregorian cycle (400 years, after which dates and weekdays repeat
exactly), wrapping round to the cycle's first firing. Several crons of the same kind of run are
one schedule: a success of any of them resets the clock, so their firings are merged.

Cron lines are read by jobs.core.crontab, as the Kubernetes CronJob controller (robfig/cron) that
fires the deployed jobs reads them, and as the local scheduler's triggers are built. Pure: no clock.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from typing import Final

from jobs.core.crontab import Cron, parse

#: 400 Gregorian years: the calendar, weekdays included, repeats exactly after this many days
CYCLE_DAYS: Final = 146_097
CYCLE_START: Final = date(2000, 1, 1)
_DAY_MINUTES: Final = 1440


def _key(month: int, day: int, weekday: int) -> int:
    return ((month - 1) * 31 + day - 1) * 7 + weekday


#: how many (month, day, weekday) keys there are
_KEYS: Final = _key(12, 31, 6) + 1


@cache
def _calendar(start: date, days: int) -> array[int]:
    """Each day's (month, day, weekday) as one small int, so a cron's match is a table lookup."""
    keys = array("H")
    ordinal = start.toordinal()
    for offset in range(days):
        d = date.fromordinal(ordinal + offset)
        keys.append(_key(d.month, d.day, d.isoweekday() % 7))
    return keys


@cache
def _present(start: date, days: int) -> frozenset[int]:
    return frozenset(_calendar(start, days))


def _matches(cron: Cron) -> bytes:
    table = bytearray(_KEYS)
    for month in cron.months:
        for day in range(1, 32):
            for weekday in range(7):
                table[_key(month, day, weekday)] = cron.fires_on(month, day, weekday)
    return bytes(table)


@dataclass(frozen=True)
class _Day:
    """The firings of one day's set of crons: first and last minute and the widest gap inside."""

    first: int
    last: int
    inner: int


def _day(times: Sequence[int]) -> _Day:
    ordered = sorted(set(times))
    inner = max((b - a for a, b in pairwise(ordered)), default=0)
    return _Day(ordered[0], ordered[-1], inner)


def _scan(crons: Sequence[Cron], start: date, days: int) -> tuple[int, int, int] | None:
    """(first firing, last firing, longest gap between two), in minutes from `start`."""
    timed = [c for c in crons if c.times]
    tables = [_matches(c) for c in timed]
    masks = [sum(1 << i for i, table in enumerate(tables) if table[key]) for key in range(_KEYS)]
    calendar = _calendar(start, days)
    seen = {masks[key] for key in _present(start, days)}
    if len(seen) == 1 and (mask := seen.pop()):  # the same firings every day: one day says it all
        shape = _day([t for i, c in enumerate(timed) if mask >> i & 1 for t in c.times])
        overnight = _DAY_MINUTES - shape.last + shape.first if days > 1 else 0
        return shape.first, (days - 1) * _DAY_MINUTES + shape.last, max(shape.inner, overnight)
    on_days = [(index, masks[key]) for index, key in enumerate(calendar) if masks[key]]
    if not on_days:
        return None
    shapes = {
        m: _day([t for i, c in enumerate(timed) if m >> i & 1 for t in c.times]) for m in set(dict(on_days).values())
    }
    first = on_days[0][0] * _DAY_MINUTES + shapes[on_days[0][1]].first
    last, widest = first, 0
    for index, mask in on_days:
        shape = shapes[mask]
        at = index * _DAY_MINUTES
        widest = max(widest, at + shape.first - last, shape.inner)
        last = at + shape.last
    return first, last, widest


def longest_gap(crons: Sequence[str]) -> timedelta | None:
    """The longest wait between consecutive firings of `crons` merged, over the whole calendar;
    None when they never fire (`0 0 30 2 *`). ValueError for a line that is not a cron."""
    found = _scan([parse(c) for c in crons], CYCLE_START, CYCLE_DAYS)
    if found is None:
        return None
    first, last, widest = found
    wrapped = CYCLE_DAYS * _DAY_MINUTES + first - last  # round to the next cycle's first firing
    return timedelta(minutes=max(widest, wrapped))


def longest_gap_between(crons: Sequence[str], start: date, days: int) -> timedelta | None:
    """The same over `days` days from `start` only (no wrap-around): what a test compares with
    another cron implementation's firings; None when fewer than two firings fall in the window."""
    found = _scan([parse(c) for c in crons], start, days)
    if found is None or found[0] == found[1]:
        return None
    return timedelta(minutes=found[2])
