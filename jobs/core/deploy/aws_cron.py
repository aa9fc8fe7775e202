"""The registry's five-field UTC cron as EventBridge Scheduler's six-field `cron(...)`.

The two dialects differ where a silent mistake costs a missed or doubled run: AWS numbers
weekdays 1-7 from Sunday (cron: 0-7, 0 and 7 both Sunday), wants `?` in exactly one of
day-of-month and day-of-week, and has a year field. So each field is read to the set of values
it selects (jobs.core.crontab, the one reading every generator and the local scheduler share)
and written back in the plain syntax both read the same way (numbers, `a-b` runs, lists;
weekdays as SUN-SAT names), never passed through as text. A line that restricts both
day-of-month and day-of-week is refused: cron fires on a day matching either, which AWS's one
day field cannot express.
"""

from __future__ import annotations

from typing import Final

from jobs.core import crontab
from jobs.core.errors import ConfigError

#: cron weekday number (0 = Sunday) -> the name AWS reads (and whose number there is +1)
WEEKDAYS: Final = tuple(day.upper() for day in crontab.WEEKDAYS)


def scheduler_expression(cron: str) -> str:
    """`cron(minutes hours day-of-month month day-of-week year)` firing at exactly the UTC
    minutes `cron` does; ConfigError naming the line and the field that cannot be converted."""
    try:
        parsed = crontab.parse(cron)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if parsed.either_day:
        raise ConfigError(
            f"cron {cron!r}: restricts both day-of-month and day-of-week; EventBridge Scheduler "
            "takes one of them (cron fires on a day matching either): split it in two schedules"
        )
    fields = [
        _runs(parsed.minutes, 0, 59),
        _runs(parsed.hours, 0, 23),
        "?" if parsed.weekday_restricted else _runs(parsed.days) if parsed.day_restricted else "*",
        _runs(parsed.months, 1, 12),
        _runs(parsed.weekdays, names=WEEKDAYS) if parsed.weekday_restricted else "?",
        "*",
    ]
    return f"cron({' '.join(fields)})"


def _runs(values: frozenset[int], low: int = 0, high: int = -1, names: tuple[str, ...] = ()) -> str:
    """`*` for every value of `low..high`, else the sorted values with consecutive runs as `a-b`
    (a restricted day field is written out even when it selects every day: it stays the one
    day field AWS reads)."""
    if high >= low and values == frozenset(range(low, high + 1)):
        return "*"
    ordered = sorted(values)
    runs: list[list[int]] = []
    for value in ordered:
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    spell = (lambda v: names[v]) if names else str
    return ",".join(spell(r[0]) if len(r) == 1 else f"{spell(r[0])}-{spell(r[-1])}" for r in runs)
