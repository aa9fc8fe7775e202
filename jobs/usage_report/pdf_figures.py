"""Figures fitted to a width without ever cutting a digit: a smaller size first, then a compact
form with three significant digits (`1.23 G`, `4.20 TB` / `4,20 To`), never an ellipsis.

A cut number reads as another number (`1,000,000,0…` looks like a million): on page 1 a tenant
with 10^12 calls must read its figures whole or rounded, never clipped.
"""

from __future__ import annotations

import math

from jobs.usage_report.locale import KPI_UNITS, Locale
from jobs.usage_report.pdf_text import width

#: decimal prefixes of the compact form, by power of 1000
PREFIXES = ("", "k", "M", "G", "T", "P", "E", "Z", "Y")
#: the unit prefixes after mega (a megabyte figure scales to GB, TB... / Go, To...)
BYTE_PREFIXES = ("M", "G", "T", "P", "E", "Z", "Y")


def compact(words: Locale, value: float | None, unit: str = "count") -> str:
    """`value` with three significant digits and a decimal prefix: `1.23 G` (calls), `4.20 TB`
    (a figure in MB scaled up), `12.3 k ms`; the plain form for a value under 1000 or none."""
    if value is None or not math.isfinite(value) or abs(value) < 1000 or unit == "share":
        return _plain(words, value, unit)
    power = min(int(math.log10(abs(value)) // 3), len(PREFIXES) - 1)
    scaled = value / 1000.0**power
    if round(abs(scaled), 2 - int(math.log10(abs(scaled)))) >= 1000 and power + 1 < len(PREFIXES):
        power, scaled = power + 1, scaled / 1000  # 999,999 is 1.00 M, not 1000 k
    decimals = max(0, 2 - math.floor(math.log10(max(abs(scaled), 1.0))))
    digits = words.number(scaled, decimals)
    gap = words.style.before_unit
    if unit == "mb" and power < len(BYTE_PREFIXES):
        return digits + gap + BYTE_PREFIXES[power] + words.label("unit_mb")[1:]
    suffix = PREFIXES[power] + (" " + words.label("unit_ms") if unit == "ms" else "")
    return digits + gap + suffix


def _plain(words: Locale, value: float | None, unit: str) -> str:
    if unit == "share":
        return words.share(value)
    if unit == "mb":
        return words.megabytes(value)
    return words.milliseconds(value) if unit == "ms" else words.number(value)


def kpi_forms(words: Locale, name: str, value: float | None) -> tuple[str, str]:
    """A KPI's value in full (`words.kpi`) and in its compact form."""
    return words.kpi(name, value), compact(words, value, KPI_UNITS[name])


def fitted(full: str, short: str, font: str, size: float, room: float, floor: float) -> tuple[str, float]:
    """The text to draw and its size: `full` at the largest size from `size` down to `floor`
    that fits `room`, else `short` likewise, else `short` at `floor` (a figure is never cut)."""
    for text in (full, short):
        current = size
        while current >= floor:
            if width(text, font, current) <= room:
                return text, current
            current -= 0.5
    return short, floor
