"""Raw figures as sources hand them, checked before any arithmetic: pure.

Prometheus answers `NaN` for a quantile without observations and `+Inf` for a division by
zero; a counter reset seen by a plain subtraction gives a negative increase; a misbehaving
exporter can give anything. A report shows none of these: a bad value becomes None (the figure
reads `n/a`) and a Note naming the field, so the report says what was left out and why, and a
sum never turns into `inf` behind anybody's back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from jobs.usage_report.model import Note


class Checker:
    """Collects the Notes of one window's (or one source's) checks, in the order they were made."""

    def __init__(self, window: str = "current") -> None:
        self.window = window
        self.notes: list[Note] = []

    def note(self, key: str, **values: str | float) -> None:
        if self.window != "current":
            values["window"] = self.window
        self.notes.append(Note(key, values))

    def count(self, field: str, raw: object, **where: str) -> float | None:
        """A finite, non-negative figure, or None and a Note (NaN, infinity, negative, not a number)."""
        if raw is None:
            return None
        try:
            value = float(raw)  # type: ignore[arg-type]  # anything a source may have let through
        except OverflowError:  # an int beyond 1e308
            self.note("value_overflow", field=field, **where)
            return None
        except (TypeError, ValueError):
            self.note("value_invalid", field=field, value=str(raw)[:40], **where)
            return None
        if not math.isfinite(value):
            self.note("value_invalid", field=field, value=value, **where)
            return None
        if value < 0:
            self.note("value_negative", field=field, value=value, **where)
            return None
        return value

    def finite(self, field: str, value: float | None, **where: str) -> float | None:
        """The result of arithmetic on checked figures: None and a Note if it overflowed."""
        if value is None or math.isfinite(value):
            return value
        self.note("value_overflow", field=field, **where)
        return None

    def total(self, field: str, values: Iterable[float], **where: str) -> float | None:
        """An exact sum (math.fsum) of checked figures; None and a Note when it overflows."""
        try:
            return self.finite(field, math.fsum(values), **where)
        except OverflowError:  # fsum raises on an intermediate overflow
            self.note("value_overflow", field=field, **where)
            return None


def ratio(numerator: float | None, denominator: float | None, scale: float = 1.0) -> float | None:
    """numerator / denominator * scale; None when there is nothing to divide by. May be `inf`
    for extreme inputs: pass it through `Checker.finite`."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator * scale
