# ruff: noqa: RUF001 - French typography and look-alike names are the point of these tests
"""A report's language: exact formats in English and French, a Note sentence for every key in
both, and properties over any input (no `nan`, no `inf`, no hole left in a sentence)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from jobs.usage_report import locale
from jobs.usage_report.model import KPIS, SERIES, Kpi, Note, Period

EN, FR = locale.LOCALES["en"], locale.LOCALES["fr"]
NNBSP, NBSP = "\u202f", "\u00a0"


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize("code", ["fr", "FR ", "fr_FR", "fr-CA", " Fr-fr ", "fr_FR.UTF-8", "fr_FR@euro", "fr\n"])
def test_every_spelling_of_french_is_french_without_a_note(code: str) -> None:
    assert locale.for_tenant(code) == (FR, None)


@pytest.mark.parametrize("code", ["en", "en-GB", "EN_us", "en_US.UTF-8", " en "])
def test_every_spelling_of_english_is_english_without_a_note(code: str) -> None:
    assert locale.for_tenant(code) == (EN, None)


@pytest.mark.parametrize(
    ("code", "shown"),
    [("", ""), ("   ", ""), (None, ""), ("de", "de"), ("français", "français"), ("x" * 100, "x" * 40)],
)
def test_an_unknown_or_empty_locale_is_english_and_a_note_says_so(code: str | None, shown: str) -> None:
    assert locale.for_tenant(code) == (EN, Note("locale_unknown", {"locale": shown}))


def test_the_unknown_locale_note_names_it_or_says_it_was_empty() -> None:
    assert (
        EN.note(locale.for_tenant("de")[1])
        == "The language \u201cde\u201d was not recognised: this report is in English."
    )  # type: ignore[arg-type]
    assert (
        EN.note(locale.for_tenant(" ")[1])
        == "The language \u201c(empty)\u201d was not recognised: this report is in English."
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "decimals", "en", "fr"),
    [
        (1234567.8, 1, "1,234,567.8", f"1{NNBSP}234{NNBSP}567,8"),
        (1234567.85, 0, "1,234,568", f"1{NNBSP}234{NNBSP}568"),
        (999.96, 1, "1,000.0", f"1{NNBSP}000,0"),
        (0, 0, "0", "0"),
        (0.5, 2, "0.50", "0,50"),
        (-1234.5, 1, "-1,234.5", f"-1{NNBSP}234,5"),
        (-0.04, 1, "0.0", "0,0"),  # no "-0.0"
        (1e15, 0, "1,000,000,000,000,000", NNBSP.join(["1"] + ["000"] * 5)),
        (None, 0, "n/a", "n.d."),
        (math.nan, 1, "n/a", "n.d."),
        (math.inf, 1, "n/a", "n.d."),
        (-math.inf, 0, "n/a", "n.d."),
    ],
)
def test_numbers_use_each_languages_separators(value: float | None, decimals: int, en: str, fr: str) -> None:
    assert (EN.number(value, decimals), FR.number(value, decimals)) == (en, fr)


@pytest.mark.parametrize(
    ("method", "value", "en", "fr"),
    [
        ("percent", 12.3, "12.3%", f"12,3{NNBSP}%"),
        ("percent", 100, "100.0%", f"100,0{NNBSP}%"),
        ("percent", math.nan, "n/a", "n.d."),
        ("share", 0.123, "12.3%", f"12,3{NNBSP}%"),
        ("share", None, "n/a", "n.d."),
        ("megabytes", 1234.56, "1,234.6 MB", f"1{NNBSP}234,6{NBSP}Mo"),
        ("megabytes", 0.004, "< 0.1 MB", f"< 0,1{NBSP}Mo"),
        ("megabytes", 0, "0.0 MB", f"0,0{NBSP}Mo"),
        ("megabytes", None, "n/a", "n.d."),
        ("milliseconds", 12.345, "12.3 ms", f"12,3{NBSP}ms"),
        ("milliseconds", math.inf, "n/a", "n.d."),
    ],
)
def test_percents_sizes_and_durations(method: str, value: float | None, en: str, fr: str) -> None:
    assert (getattr(EN, method)(value), getattr(FR, method)(value)) == (en, fr)


@pytest.mark.parametrize(
    ("kpi", "en", "fr"),
    [
        (Kpi(112.3, 100, 12.3), "▲ 12.3%", f"▲{NBSP}12,3{NNBSP}%"),
        (Kpi(96, 100, -4.0), "▼ 4.0%", f"▼{NBSP}4,0{NNBSP}%"),
        (Kpi(100, 100, 0.0), "=", "="),
        (Kpi(100.001, 100, 0.001), "=", "="),  # no change at the shown precision
        (Kpi(5, 0, None), "new", "nouveau"),
        (Kpi(5, None, None), "new", "nouveau"),
        (Kpi(0, 0, None), "=", "="),
        (Kpi(None, 5, None), "n/a", "n.d."),
        (Kpi(5, 3, None), "n/a", "n.d."),  # a change aggregate could not compute
        (
            Kpi(1e15, 1, 1e17),
            "▲ 100,000,000,000,000,000.0%",
            "▲" + NBSP + NNBSP.join(["100"] + ["000"] * 5) + f",0{NNBSP}%",
        ),
    ],
)
def test_changes_read_as_arrows_equal_or_new(kpi: Kpi, en: str, fr: str) -> None:
    assert (EN.change(kpi), FR.change(kpi)) == (en, fr)


@pytest.mark.parametrize(
    ("name", "value", "en", "fr"),
    [
        ("calls", 1234567.4, "1,234,567", f"1{NNBSP}234{NNBSP}567"),
        ("error_rate", 0.0123, "1.2%", f"1,2{NNBSP}%"),
        ("mb_total", 12.34, "12.3 MB", f"12,3{NBSP}Mo"),
        ("latency_p95", 250.0, "250.0 ms", f"250,0{NBSP}ms"),
        ("users", None, "n/a", "n.d."),
    ],
)
def test_a_kpi_is_written_in_its_unit(name: str, value: float | None, en: str, fr: str) -> None:
    assert (EN.kpi(name, value), FR.kpi(name, value)) == (en, fr)


@pytest.mark.parametrize(
    ("d", "en", "fr"),
    [
        (date(2026, 11, 30), "30 November 2026", "30 novembre 2026"),
        (date(2026, 12, 1), "1 December 2026", "1er décembre 2026"),
        (day(2026, 8, 15), "15 August 2026", "15 août 2026"),
        (date(2027, 2, 1), "1 February 2027", "1er février 2027"),
    ],
)
def test_dates(d: date, en: str, fr: str) -> None:
    assert (EN.date(d), FR.date(d)) == (en, fr)


@pytest.mark.parametrize(
    ("period", "en", "fr"),
    [
        (Period("daily", day(2026, 11, 30), day(2026, 12, 1)), "30 November 2026", "30 novembre 2026"),
        (
            Period("weekly", day(2026, 11, 23), day(2026, 11, 30)),
            "Week 48, 23\u201329 November 2026",
            "Semaine 48, du 23 au 29 novembre 2026",
        ),
        (
            Period("weekly", day(2026, 11, 30), day(2026, 12, 7)),
            "Week 49, 30 November \u2013 6 December 2026",
            "Semaine 49, du 30 novembre au 6 décembre 2026",
        ),
        (
            Period("weekly", day(2025, 12, 29), day(2026, 1, 5)),
            "Week 1, 29 December 2025 \u2013 4 January 2026",
            "Semaine 1, du 29 décembre 2025 au 4 janvier 2026",
        ),
        (
            Period("weekly", day(2027, 2, 1), day(2027, 2, 8)),
            "Week 5, 1\u20137 February 2027",
            "Semaine 5, du 1er au 7 février 2027",
        ),
    ],
)
def test_periods(period: Period, en: str, fr: str) -> None:
    assert (EN.period(period), FR.period(period)) == (en, fr)


def test_chart_ticks_are_hours_over_a_day_and_weekdays_over_a_week() -> None:
    daily, weekly = (
        Period("daily", day(2026, 11, 30), day(2026, 12, 1)),
        Period("weekly", day(2026, 11, 23), day(2026, 11, 30)),
    )
    at = datetime(2026, 11, 23, 14, tzinfo=UTC)
    assert (EN.axis(at, daily), EN.axis(at, weekly), FR.axis(at, weekly)) == ("14:00", "Mon 23", "lun. 23")


def test_the_mail_subject_names_tenant_and_period() -> None:
    period = Period("weekly", day(2026, 11, 23), day(2026, 11, 30))
    assert EN.subject("Acme", period) == "Acme: API usage report, Week 48, 23\u201329 November 2026"
    assert (
        FR.subject("Acme", period)
        == f"Acme{NBSP}: rapport d’utilisation des API, Semaine 48, du 23 au 29 novembre 2026"
    )


@pytest.mark.parametrize(
    ("note", "en", "fr"),
    [
        (
            Note("value_negative", {"field": "calls", "code": "200", "value": -5.0, "window": "previous"}),
            "The call count (status code 200) of the previous period was negative (-5), as after a counter reset: "
            "it was left out.",
            f"Valeur écartée, car négative (-5) comme après une remise à zéro du compteur{NBSP}: "
            "nombre d’appels (code de statut 200) de la période précédente.",
        ),
        (
            Note("value_invalid", {"field": "api_calls", "name": "orders", "value": math.nan}),
            "The call count of \u201corders\u201d was not a number (NaN): it was left out.",
            f"Valeur écartée, car ce n’était pas un nombre (NaN){NBSP}: nombre d’appels de «{NNBSP}orders{NNBSP}».",
        ),
        (
            Note("incomplete", {"percent": 87.5}),
            "Data covers 87.5% of the period: some samples are missing, figures may be low.",
            f"Les données couvrent 87,5{NNBSP}% de la période{NBSP}: des mesures manquent, les chiffres peuvent être sous-estimés.",
        ),
        (
            Note("quota_exceeded", {"quota": 1000000, "used": 1234567.0}),
            "The monthly quota of 1,000,000 calls is exceeded: 1,234,567 calls so far this month.",
            f"Le quota mensuel de 1{NNBSP}000{NNBSP}000 appels est dépassé{NBSP}: 1{NNBSP}234{NNBSP}567 appels depuis le début du mois.",
        ),
        (
            Note("quota_runs_out", {"date": "2026-12-12"}),
            "At this period’s rate, the monthly quota runs out on 12 December 2026.",
            "Au rythme de cette période, le quota mensuel sera épuisé le 12 décembre 2026.",
        ),
        (
            Note("latency_without_calls", {"window": "previous"}),
            "Previous period: Latency was recorded without any call: it was left out.",
            f"Période précédente{NBSP}: Une latence a été mesurée sans aucun appel{NBSP}: elle a été écartée.",
        ),
        (
            Note("name_empty", {"kind": "api", "count": 2}),
            "Some APIs have no name (2): they are listed as \u201c(unnamed)\u201d.",
            f"Des API sans nom (2) apparaissent comme «{NNBSP}(sans nom){NNBSP}».",
        ),
    ],
)
def test_note_sentences(note: Note, en: str, fr: str) -> None:
    assert (EN.note(note), FR.note(note)) == (en, fr)


def test_a_note_key_without_words_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="no fr sentence for Note 'nope'"):
        FR.note(Note("nope"))


def test_every_table_has_the_same_keys_in_both_languages() -> None:
    for table in ("labels", "notes", "fields", "definitions"):
        assert set(getattr(EN.words, table)) == set(getattr(FR.words, table)), table
    assert len(FR.words.months) == len(EN.words.months) == 12
    assert len(FR.words.weekdays) == len(EN.words.weekdays) == 7


@pytest.mark.parametrize("loc", [EN, FR], ids=["en", "fr"])
def test_every_kpi_and_series_has_a_label_a_unit_and_a_definition(loc: locale.Locale) -> None:
    for name in KPIS:
        assert loc.label(name) and loc.definition(name) != loc.label("definition_generic"), name
        loc.unit(name)
    for name in SERIES:
        assert loc.label(f"series_{name}")
        assert loc.definition(name) != loc.label("definition_generic"), name
    for name in ("quota", "completeness", "month_to_date_calls", "top_apis", "top_applications", "change"):
        assert loc.definition(name) != loc.label("definition_generic"), name
    assert loc.definition("something_new") == loc.label("definition_generic")


# -- properties -----------------------------------------------------------------------------
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**18), 10**18) | st.none()
#: tenant-written text (names, problems): no braces, and none of the letters of "nan" and "inf",
#: so a "nan" or a hole in a sentence can only come from the formatting
TEXT = st.text(st.characters(blacklist_characters="{}nNiIaAfF"), max_size=50) | st.sampled_from(
    ["", " ", "x" * 10_000, "Ça coûte", "\u0000\x1b[31m", "orders\u200b", "ｏｒｄｅｒｓ"]
)
NOTE_VALUE = TEXT | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**18), 10**18)
NOTE_VALUE_KEYS = ["field", "name", "code", "value", "window", "kind", "series", "percent", "count", "quota",
                   "used", "calls", "codes", "problem", "locale", "limit", "date"]  # fmt: skip
CODES = st.sampled_from(["en", "fr"])


@given(code=CODES, value=ANY_FLOAT, decimals=st.integers(0, 4))
@example(code="en", value=math.nan, decimals=1)
def test_no_number_ever_reads_nan_or_inf(code: str, value: float | None, decimals: int) -> None:
    loc = locale.LOCALES[code]
    for text in (
        loc.number(value, decimals),
        loc.percent(value, decimals),
        loc.megabytes(value),
        loc.milliseconds(value),
    ):
        assert "nan" not in text.lower() and "inf" not in text.lower() and "e+" not in text and "e-" not in text


@given(code=CODES, value=st.floats(-1e18, 1e18) | st.integers(-(10**15), 10**15), decimals=st.integers(0, 4))
@example(code="fr", value=-0.0001, decimals=2)
@example(code="fr", value=1234567.891, decimals=2)
@example(code="en", value=1234567.891, decimals=0)
def test_numbers_round_trip_in_both_languages(code: str, value: float, decimals: int) -> None:
    loc = locale.LOCALES[code]
    text = loc.number(value, decimals)
    assert loc.parse_number(text) == float(f"{value:.{decimals}f}")
    decimal, group = (".", ",") if loc is EN else (",", NNBSP)
    assert text.count(decimal) == (1 if decimals else 0)
    assert text.count(group) == (len(text.removeprefix("-").split(decimal)[0]) - 1) // 4


@given(
    code=CODES,
    previous=st.floats(1e-3, 1e15),
    ratio=st.floats(-1, 5) | st.floats(-0.02, 0.02) | st.sampled_from([0.0, -0.0005, 0.0005, -0.005, 0.005]),
)
@example(code="en", previous=100.0, ratio=0.0)
@example(code="fr", previous=100.0, ratio=-0.005)
def test_a_change_points_the_way_the_value_moved(code: str, previous: float, ratio: float) -> None:
    loc = locale.LOCALES[code]
    value = previous * (1 + ratio)
    change = (value - previous) / previous * 100
    text = loc.change(Kpi(value, previous, change))
    if round(abs(change), 1) == 0:
        assert text == "="
    else:
        assert text.startswith("▲" if value > previous else "▼")
        assert loc.parse_number(text[2:].removesuffix("%").rstrip(NNBSP)) == round(abs(change), 1)


@given(
    code=CODES,
    key=st.sampled_from(locale.NOTE_KEYS),
    values=st.dictionaries(st.sampled_from(NOTE_VALUE_KEYS), NOTE_VALUE, max_size=6),
)
@example(code="fr", key="value_invalid", values={"field": "api_calls", "name": "x" * 10_000, "value": math.inf})
@example(code="en", key="source_problem", values={"problem": "x" * 10_000})
def test_every_note_gives_a_clean_sentence_for_any_values(code: str, key: str, values: dict[str, str | float]) -> None:
    loc = locale.LOCALES[code]
    if "date" in values:
        values["date"] = "2026-12-12"  # a date is ISO text (aggregate writes it so)
    sentence = loc.note(Note(key, values))
    assert (
        sentence
        and "{" not in sentence
        and "x" * (max(locale.NAME_LIMIT, *locale.TEXT_LIMITS.values()) + 1) not in sentence
    )
    spelt = sentence.lower().replace("(nan)", "") if key in ("value_invalid",) else sentence.lower()
    assert "nan" not in spelt.replace("financ", "") and "inf" not in spelt and "e+" not in spelt


@given(code=CODES, name=TEXT | st.text(), limit=st.integers(2, 200))
def test_a_shown_name_is_short_printable_and_never_empty(code: str, name: str, limit: int) -> None:
    loc = locale.LOCALES[code]
    shown = loc.display_name(name, limit)
    assert shown.strip() and all(c.isprintable() or c.isspace() for c in shown)
    assert len(shown) <= limit or shown == loc.label("unnamed")
