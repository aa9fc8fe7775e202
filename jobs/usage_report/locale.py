"""A report's language: labels, numbers, percents, sizes, dates, periods, Note sentences.

Pure and ours: the OS's `locale.setlocale` is process-global (a render pool rendering an English
and a French tenant side by side would race on it) and the image ships no locale data anyway.
The words live in `words/en.py` and `words/fr.py`; the formatting rules here:

| | en | fr |
|---|---|---|
| number | `1,234,567.8` | `1 234 567,8` (narrow no-break space U+202F) |
| percent | `12.3%` | `12,3 %` (U+202F before %) |
| date | `30 November 2026` | `30 novembre 2026`, `1er décembre 2026` |
| week | `Week 48, 23\u201329 November 2026` | `Semaine 48, du 23 au 29 novembre 2026` |

Nothing here returns "nan" or "inf": a missing or non-finite figure reads `n/a` / `n.d.`.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Final

from jobs.usage_report.model import Kpi, Note, Period
from jobs.usage_report.words import en, fr

#: how each KPI's value is written (model.KPIS names): a count, a share (0..1), MB or ms
KPI_UNITS: Final[dict[str, str]] = {
    **dict.fromkeys(("calls", "success", "failed", "apis", "applications", "users"), "count"),
    "error_rate": "share",
    **dict.fromkeys(("mb_in", "mb_out", "mb_total"), "mb"),
    **dict.fromkeys(("latency_avg", "latency_p50", "latency_p95", "latency_p99"), "ms"),
}

#: a name longer than this is shortened on the report (an API name can be 10 kB)
NAME_LIMIT: Final = 60

#: what a methods key may be called besides a definitions key
_ALIASES: Final = {"bytes_in": "mb_in", "bytes_out": "mb_out", "errors": "failed", "latency": "latency_avg"}
#: how long a Note's text value may be shown (a name: NAME_LIMIT)
TEXT_LIMITS: Final = {"problem": 240, "codes": 80, "locale": 40}
#: Note values that are counts (written as whole numbers)
_COUNTS: Final = frozenset({"quota", "used", "calls", "count", "limit"})


@dataclass(frozen=True)
class Words:
    months: tuple[str, ...]
    weekdays: tuple[str, ...]
    labels: Mapping[str, str]
    notes: Mapping[str, str]
    fields: Mapping[str, str]
    definitions: Mapping[str, str]


@dataclass(frozen=True)
class Style:
    group: str  # thousands separator
    decimal: str
    before_percent: str
    before_unit: str


class _Blank(dict[str, str]):
    """A Note missing a value still gives a sentence (`n/a` in the hole), never a KeyError."""

    def __init__(self, values: Mapping[str, str], blank: str) -> None:
        super().__init__(values)
        self.blank = blank

    def __missing__(self, key: str) -> str:
        return self.blank


@dataclass(frozen=True)
class Locale:
    code: str
    words: Words = field(repr=False)
    style: Style = field(repr=False)

    # -- words -------------------------------------------------------------------------------
    def label(self, key: str) -> str:
        """The word for `key` (a KPI name, a title, a table header, ...): KeyError when missing,
        so a test finds the missing word before a tenant does."""
        try:
            return self.words.labels[key]
        except KeyError:
            raise KeyError(f"no {self.code} label {key!r} (jobs/usage_report/words/{self.code}.py)") from None

    def text(self, key: str, **values: object) -> str:
        """A label with `{...}` holes filled (`page_of`, `mail_intro`, ...)."""
        return self.label(key).format(**values)

    def definition(self, metric: str) -> str:
        """What a metric means and how it is computed (the appendix); any methods key gets one."""
        found = self.words.definitions.get(_ALIASES.get(metric, metric))
        return found if found is not None else self.label("definition_generic")

    def display_name(self, name: str, limit: int = NAME_LIMIT) -> str:
        """An API or application name as shown: control characters blanked, `(unnamed)` for an
        empty one, shortened with `…` past `limit` characters (2 at least)."""
        limit = max(limit, 2)
        head = name.strip()[: limit + 64]  # a 10 kB name is shortened anyway: look at its start only
        shown = "".join(" " if unicodedata.category(c).startswith("C") else c for c in head).strip()
        if not shown:
            return self.label("unnamed")
        return shown if len(shown) <= limit else shown[: max(limit - 1, 1)] + "…"

    # -- numbers -----------------------------------------------------------------------------
    def number(self, value: float | None, decimals: int = 0) -> str:
        """`1,234,567.8` / `1 234 567,8`; `n/a` for None, NaN and infinities."""
        if value is None or not math.isfinite(value):
            return self.label("not_available")
        digits = f"{abs(value):,.{max(decimals, 0)}f}"
        whole, _, fraction = digits.partition(".")
        text = whole.replace(",", self.style.group) + (self.style.decimal + fraction if fraction else "")
        negative = value < 0 and any(c in "123456789" for c in digits)  # no "-0.0"
        return "-" + text if negative else text

    def parse_number(self, text: str) -> float:
        """The inverse of `number` (ValueError on anything else): what a reader of the CSV or
        the PDF would type back."""
        body = text.strip()
        sign = -1.0 if body.startswith("-") else 1.0
        body = body.removeprefix("-").replace(self.style.group, "")
        if self.style.decimal != "." and "." in body:
            raise ValueError(f"{text!r} is not a {self.code} number")
        return sign * float(body.replace(self.style.decimal, "."))

    def percent(self, value: float | None, decimals: int = 1) -> str:
        """A value already in percent: `12.3%` / `12,3 %`."""
        if value is None or not math.isfinite(value):
            return self.label("not_available")
        return self.number(value, decimals) + self.style.before_percent + "%"

    def share(self, fraction: float | None, decimals: int = 1) -> str:
        """A fraction 0..1 (error rate, completeness) as a percent."""
        return self.percent(None if fraction is None else fraction * 100, decimals)

    def _unit(self, value: float | None, decimals: int, unit: str) -> str:
        if value is None or not math.isfinite(value):
            return self.label("not_available")
        text = self.number(value, decimals)
        if value > 0 and not any(c in "123456789" for c in text):  # 0.004 MB is not "0.0 MB"
            text = "< " + self.number(10.0**-decimals, decimals)
        return text + self.style.before_unit + self.label(unit)

    def megabytes(self, value: float | None, decimals: int = 1) -> str:
        """`12.3 MB` / `12,3 Mo` (10^6 bytes); a tiny non-zero size reads `< 0.1 MB`."""
        return self._unit(value, decimals, "unit_mb")

    def milliseconds(self, value: float | None, decimals: int = 1) -> str:
        return self._unit(value, decimals, "unit_ms")

    def kpi(self, name: str, value: float | None) -> str:
        """A KPI's value written in its unit (KPI_UNITS): tiles, the mail, tables."""
        unit = KPI_UNITS[name]
        if unit == "share":
            return self.share(value)
        if unit == "mb":
            return self.megabytes(value)
        if unit == "ms":
            return self.milliseconds(value)
        return self.number(value)

    def unit(self, name: str) -> str:
        """A KPI's unit word (the CSV's unit column): `MB`, `ms`, `%`, or empty for a count."""
        return self.label("unit_" + KPI_UNITS[name])

    def change(self, kpi: Kpi, decimals: int = 1) -> str:
        """`▲ 12.3%`, `▼ 4.0%`, `=` (no change at this precision), `new` (nothing before), or ""
        for a KPI that is not compared (`Kpi.compared`: today's counts of the control plane)."""
        if not kpi.compared:
            return ""
        if kpi.value is None or not math.isfinite(kpi.value):
            return self.label("not_available")
        if kpi.previous is None or kpi.previous == 0:
            return self.label("new") if kpi.value > 0 else self.label("unchanged")
        change = kpi.change_percent
        if change is None or not math.isfinite(change):
            return self.label("not_available")
        if round(abs(change), decimals) == 0:
            return self.label("unchanged")
        arrow = "▲" if change > 0 else "▼"
        return arrow + self.style.before_unit + self.percent(abs(change), decimals)

    # -- dates -------------------------------------------------------------------------------
    def _day(self, day: dt.date) -> str:
        return self.label("first_of_month") if day.day == 1 else str(day.day)

    def date(self, day: dt.date) -> str:
        """`30 November 2026` / `30 novembre 2026` (`1er décembre 2026`)."""
        return f"{self._day(day)} {self.words.months[day.month - 1]} {day.year}"

    def period(self, period: Period) -> str:
        """Daily: the date. Weekly: `Week 48, 23-29 November 2026` (an en dash) / `Semaine 48,
        du 23 au 29 novembre 2026` (across months and years too)."""
        first = period.start.date()
        last = (period.end - dt.timedelta(microseconds=1)).date()
        if first == last:
            return self.date(first)
        if first.year != last.year:
            template = "week_across_years"
        elif first.month != last.month:
            template = "week_same_year"
        else:
            template = "week_same_month"
        return self.text(
            template,
            week=first.isocalendar()[1],
            first_day=self._day(first),
            first_month=self.words.months[first.month - 1],
            first_year=first.year,
            last_day=self._day(last),
            last_month=self.words.months[last.month - 1],
            last_year=last.year,
        )

    def axis(self, instant: dt.datetime, period: Period) -> str:
        """A chart's time tick: `14:00` over a day, `Mon 23` / `lun. 23` over a week."""
        if period.kind == "daily":
            return f"{instant.hour:02d}:{instant.minute:02d}"
        return f"{self.words.weekdays[instant.weekday()]} {instant.day}"

    # -- notes and mail ----------------------------------------------------------------------
    def note(self, note: Note) -> str:
        """The sentence a Note stands for, its values written in this language."""
        try:
            template = self.words.notes[note.key]
        except KeyError:
            raise KeyError(f"no {self.code} sentence for Note {note.key!r} (words/{self.code}.py)") from None
        values = {key: self._note_value(key, value, note.values) for key, value in note.values.items()}
        sentence = template.format_map(_Blank(values, self.label("not_available")))
        if note.values.get("window") == "previous" and "field" not in note.values:
            return self.text("previous_period_prefix", text=sentence)
        return sentence

    def _note_value(self, key: str, value: str | float, values: Mapping[str, str | float]) -> str:
        if isinstance(value, str):
            if key == "field":
                return self._field(value, values)
            if key in ("kind", "series"):
                known = self.words.fields.get(value) or self.words.labels.get(f"series_{value}")
                return known or self.display_name(value)
            if key == "date":
                return self.date(dt.date.fromisoformat(value))
            return self.display_name(value, TEXT_LIMITS.get(key, NAME_LIMIT)) if value.strip() else self.label("empty")
        if key == "percent":
            return self.percent(value)
        if key == "value" and not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("-∞" if value < 0 else "∞")
        return self.number(value, 0 if key in _COUNTS or float(value).is_integer() else 2)

    def _field(self, field: str, values: Mapping[str, str | float]) -> str:
        """`call count`, `call count of “orders”`, `call count (status code 200) of the previous period`."""
        word = self.words.fields.get(field, field)
        if "name" in values:
            word = self.text("field_with_name", field=word, name=self._shown(values["name"]))
        elif "code" in values:
            word = self.text("field_with_code", field=word, code=self._shown(values["code"], 12))
        return self.text("in_previous_period", text=word) if values.get("window") == "previous" else word

    def _shown(self, value: str | float, limit: int = NAME_LIMIT) -> str:
        return self.display_name(value, limit) if isinstance(value, str) else self.number(value)

    def subject(self, tenant_name: str, period: Period) -> str:
        """The mail's subject: `Acme: API usage report, 30 November 2026`."""
        return self.text("mail_subject", tenant=self.display_name(tenant_name), period=self.period(period))


def _words(module: ModuleType) -> Words:
    return Words(module.MONTHS, module.WEEKDAYS, module.LABELS, module.NOTES, module.FIELDS, module.DEFINITIONS)


#: the languages a report can be in; `en` is the default
LOCALES: Final[dict[str, Locale]] = {
    "en": Locale("en", _words(en), Style(",", ".", "", " ")),
    "fr": Locale("fr", _words(fr), Style("\u202f", ",", "\u202f", "\u00a0")),
}
DEFAULT: Final = "en"

#: every Note key a report may carry (aggregate emits only these; each language words them all)
NOTE_KEYS: Final = tuple(en.NOTES)


def normalise(code: str | None) -> str:
    """`"fr"`, `"FR "`, `"fr_FR"`, `"fr-CA"`, `"fr_FR.UTF-8@euro"` → `"fr"`: the language part,
    lower case (may be "" or a language we do not have)."""
    text = code.strip().lower() if isinstance(code, str) else ""
    for cut in (".", "@", "_", "-"):
        text = text.split(cut, 1)[0]
    return text.strip()


def for_tenant(code: str | None) -> tuple[Locale, Note | None]:
    """The tenant's language, or English and a Note saying its locale was not recognised
    (empty, unknown, garbage: the report says so rather than guessing)."""
    language = normalise(code)
    if language in LOCALES:
        return LOCALES[language], None
    shown = code.strip()[:40] if isinstance(code, str) else ""
    return LOCALES[DEFAULT], Note("locale_unknown", {"locale": shown})


def get(code: str) -> Locale:
    """A locale by code (a report's `locale`), English for anything unknown."""
    return for_tenant(code)[0]
