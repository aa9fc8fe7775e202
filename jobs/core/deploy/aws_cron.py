"""The registry's five-field UTC cron as EventBridge Scheduler's six-field `cron(...)`.

The two dialects differ where a silent mistake costs a missed or doubled run: AWS numbers
weekdays 1-7 from Sunday (cron: 0-7, 0 and 7 both Sunday), wants `?` in exactly one of
day-of-month and day-of-week, and has a year field. So each field is parsed to the set of
values it selects and written back in the plain syntax both read the same way (numbers,
`a-b` runs, lists; weekdays as SUN-SAT names), never passed through as text. A line that
restricts both day-of-month and day-of-week is refused: cron ORs them, the project's own
scheduler (APScheduler) ANDs them, and AWS cannot express either.
"""

from __future__ import annotations

from typing import Final

from jobs.core.errors import ConfigError

#: (name, lowest, highest) of the five fields, in order
FIELDS: Final = (("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 0, 7))
MONTHS: Final = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
#: cron weekday number (0 = Sunday) -> the name AWS reads (and whose number there is +1)
WEEKDAYS: Final = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def scheduler_expression(cron: str) -> str:
    """`cron(minutes hours day-of-month month day-of-week year)` firing at exactly the UTC
    minutes `cron` does; ConfigError naming the line and the field that cannot be converted."""
    parts = cron.split()
    if len(parts) != 5:
        raise ConfigError(f"cron {cron!r}: expected five fields (minute hour day-of-month month day-of-week)")
    values = [_values(cron, text, field) for text, field in zip(parts, FIELDS, strict=True)]
    minute, hour, day, month, weekday = (
        None if text == "*" else found for text, found in zip(parts, values, strict=True)
    )
    if day is not None and weekday is not None:
        raise ConfigError(
            f"cron {cron!r}: restricts both day-of-month and day-of-week; EventBridge Scheduler "
            "takes one of them (cron would OR them, the local scheduler ANDs them): split it in two schedules"
        )
    weekday = None if weekday is None else {v % 7 for v in weekday}
    fields = [
        _runs(minute),
        _runs(hour),
        "?" if weekday is not None else _runs(day),
        _runs(month),
        "?" if weekday is None else _runs(weekday, WEEKDAYS),
        "*",
    ]
    return f"cron({' '.join(fields)})"


def _values(cron: str, text: str, field: tuple[str, int, int]) -> set[int]:
    """The values one field selects: lists of `*`, `n`, `a-b`, each optionally `/step`."""
    name, low, high = field
    found: set[int] = set()
    for item in text.split(","):
        span, slash, step_text = item.partition("/")
        try:
            step = int(step_text) if slash else 1
            first, last = (low, high) if span == "*" else _span(span, name)
        except ValueError:
            raise ConfigError(f"cron {cron!r}: {name} {item!r} is not a number, a range or a step") from None
        if step < 1 or not low <= first <= last <= high or (slash and span != "*" and "-" not in span):
            raise ConfigError(f"cron {cron!r}: {name} {item!r} is outside {low}-{high} or not a valid step")
        found.update(range(first, last + 1, step))
    return found


def _span(text: str, name: str) -> tuple[int, int]:
    first, dash, last = text.partition("-")
    a, b = _number(first, name), _number(last, name) if dash else None
    return a, a if b is None else b


def _number(text: str, name: str) -> int:
    """A number, or a month or weekday name as cron spells them (JAN, MON, case-insensitive)."""
    names = {"month": MONTHS, "day-of-week": WEEKDAYS}.get(name, ())
    upper = text.upper()
    if upper in names:
        return names.index(upper) + (1 if name == "month" else 0)
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _runs(values: set[int] | None, names: tuple[str, ...] = ()) -> str:
    """`*` for every value, else the sorted values with consecutive runs as `a-b`."""
    if values is None:
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
