"""The registry's five-field cron lines, read once, the way the Kubernetes CronJob controller
(robfig/cron) reads them: what every place that turns a schedule into something else starts
from (the local scheduler's triggers, EventBridge Scheduler's six fields, the alert rules'
intervals), so the three can never disagree on when a job runs.

Five fields (minute hour day-of-month month day-of-week), lists of `*`, `?`, `n`, `a-b`, each
optionally `/step` (`n/step` meaning `n-max/step`, where a weekday's max is 6, Saturday), month
and weekday names in any case. A day field is *restricted* unless one of its items is `*` or `?`
with no step or a step of 1 (a stepped `*/2` is restricted); when both day fields are restricted
a day matching either fires. The local scheduler also takes 7 for Sunday, as Vixie cron does;
the CronJob controller refuses it, so `kubernetes_problem` says so before a manifest is written.
Pure; a bad line is a ValueError naming the line and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

MONTHS: Final = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
#: (name, lowest, highest, names, the value of the first name, the end of an open range)
_FIELDS: Final = (
    ("minute", 0, 59, (), 0, 59),
    ("hour", 0, 23, (), 0, 23),
    ("day-of-month", 1, 31, (), 0, 31),
    ("month", 1, 12, MONTHS, 1, 12),
    ("day-of-week", 0, 7, WEEKDAYS, 0, 6),  # 7 (Sunday) only when written: `*` and `1/2` end at 6
)


@dataclass(frozen=True)
class Cron:
    """One parsed line: the values each field selects."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]  # 1..31
    months: frozenset[int]  # 1..12
    weekdays: frozenset[int]  # 0..6, Sunday = 0 (7 folded into 0)
    day_restricted: bool
    weekday_restricted: bool

    @property
    def either_day(self) -> bool:
        """Both day fields restricted: cron fires on a day matching either."""
        return self.day_restricted and self.weekday_restricted

    @property
    def times(self) -> tuple[int, ...]:
        """The minutes after midnight it fires at, sorted."""
        return tuple(sorted(h * 60 + m for h in self.hours for m in self.minutes))

    def fires_on(self, month: int, day: int, weekday: int) -> bool:
        """Whether it fires on that calendar day (weekday 0 = Sunday)."""
        if month not in self.months:
            return False
        if self.either_day:
            return day in self.days or weekday in self.weekdays
        return day in self.days and weekday in self.weekdays


def parse(text: str) -> Cron:
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"cron {text!r}: expected five fields (minute hour day-of-month month day-of-week)")
    values = [_field(text, part, spec) for part, spec in zip(fields, _FIELDS, strict=True)]
    minutes, hours, days, months, weekdays = values
    return Cron(
        text,
        minutes,
        hours,
        days,
        months,
        frozenset(w % 7 for w in weekdays),
        day_restricted=not _any(fields[2]),
        weekday_restricted=not _any(fields[4]),
    )


def _any(text: str) -> bool:
    """robfig/cron's star: an item `*` or `?` unstepped (or stepped by 1) makes the field "any"."""
    return any(
        span in ("*", "?") and step in ("", "1") for span, _, step in (i.partition("/") for i in text.split(","))
    )


def kubernetes_problem(text: str) -> str | None:
    """Why the CronJob controller would refuse a line the local scheduler reads, or None: it takes
    day-of-week 0-6 only (7 is "above maximum (6)")."""
    weekday = text.split()[4] if len(text.split()) == 5 else ""
    numbers = [n for item in weekday.split(",") for n in item.partition("/")[0].split("-")]
    if "7" in numbers:
        return f"cron {text!r}: the CronJob controller takes day-of-week 0-6: write 0 (or SUN) for Sunday, not 7"
    return None


def _field(cron: str, text: str, spec: tuple[str, int, int, Sequence[str], int, int]) -> frozenset[int]:
    name, low, high, names, first_name, open_end = spec
    found: set[int] = set()
    for item in text.split(","):
        span, slash, step_text = item.partition("/")
        try:
            step = _number(step_text, (), 0) if slash else 1
            if span in ("*", "?"):
                start, end = low, open_end
            else:
                first, dash, last = span.partition("-")
                start = _number(first, names, first_name)
                end = _number(last, names, first_name) if dash else (max(open_end, start) if slash else start)
        except ValueError:
            raise ValueError(f"cron {cron!r}: {name} {item!r} is not a number, a name, a range or a step") from None
        if step < 1 or not low <= start <= end <= high:
            raise ValueError(f"cron {cron!r}: {name} {item!r} is outside {low}-{high}, reversed or a zero step")
        found.update(range(start, end + 1, step))
    return frozenset(found)


def _number(text: str, names: Sequence[str], first_name: int) -> int:
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + first_name
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return int(text)
