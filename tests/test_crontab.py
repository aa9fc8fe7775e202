"""One reading of a cron line for the scheduler, the Lambda schedules and the alert intervals:
jobs.core.crontab. Its reading of adversarial text is a value set or a ValueError naming the line
(never another exception), and the local scheduler's triggers fire exactly at the minutes it
selects, day fields OR-ed when both are restricted, as the Kubernetes CronJob controller fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.core import crontab
from jobs.core.scheduler import cron_trigger

ITEM = st.one_of(
    st.integers(0, 70).map(str),
    st.tuples(st.integers(0, 70), st.integers(0, 70)).map(lambda t: f"{t[0]}-{t[1]}"),
    st.tuples(st.sampled_from(["*", "?", "0", "1", "5"]), st.integers(0, 9)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.sampled_from(["*", "?", "MON", "mon", "Jan", "sun-sat", "\uff11", "٣", "", "-", "1-", "L", "1#2", "*/", "7"]),
)
FIELD = st.lists(ITEM, min_size=1, max_size=3).map(",".join)
LINE = st.lists(FIELD, min_size=4, max_size=6).map(" ".join)


@given(LINE)
def test_any_text_is_a_reading_or_a_value_error_naming_the_line(line: str) -> None:
    try:
        cron = crontab.parse(line)
    except ValueError as exc:
        assert repr(line) in str(exc)
        return
    for values, low, high in ((cron.minutes, 0, 59), (cron.hours, 0, 23), (cron.days, 1, 31),
                              (cron.months, 1, 12), (cron.weekdays, 0, 6)):  # fmt: skip
        assert values and all(low <= v <= high for v in values)


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("  0\t2 * *  0 ", "0 2 * * 0"),
        ("0 2 * * 7", "0 2 * * 0"),
        ("0 2 * * SUN", "0 2 * * 0"),
        ("0 2 * JAN,jul mon-FRI", "0 2 * 1,7 1-5"),
        ("0 2 ? * *", "0 2 * * *"),
        ("5/20 * * * *", "5,25,45 * * * *"),
    ],
)
def test_spellings_of_one_schedule_read_the_same(variant: str, canonical: str) -> None:
    a, b = crontab.parse(variant), crontab.parse(canonical)
    assert (a.minutes, a.hours, a.days, a.months, a.weekdays) == (b.minutes, b.hours, b.days, b.months, b.weekdays)


@pytest.mark.parametrize(
    "line", ["0 0 * * \uff11", "0 0 ٣ * *", "0 0 * * 8", "0 0 0 * *", "*/0 * * * *", "5-1 * * * *"]
)
def test_digits_of_other_scripts_and_out_of_range_values_are_refused(line: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        crontab.parse(line)


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    part = st.one_of(
        st.integers(low, high).map(str),
        st.tuples(st.integers(low, high), st.integers(low, high)).map(lambda t: f"{min(t)}-{max(t)}"),
        st.tuples(st.sampled_from(["*", str(low)]), st.integers(1, 9)).map(lambda t: f"{t[0]}/{t[1]}"),
    )
    return st.one_of(st.just("*"), st.lists(part, min_size=1, max_size=3).map(",".join))


CRONS = st.tuples(
    st.integers(0, 59).map(str), st.integers(0, 23).map(str), _field(1, 31), _field(1, 12), _field(0, 7)
).map(" ".join)


def _selects(cron: crontab.Cron, at: datetime) -> bool:
    return at.minute in cron.minutes and at.hour in cron.hours and cron.fires_on(at.month, at.day, at.isoweekday() % 7)


@settings(max_examples=60, deadline=None)
@given(CRONS, st.datetimes(datetime(2026, 1, 1), datetime(2030, 12, 31)))
def test_the_scheduler_fires_next_at_the_first_minute_the_reading_selects(line: str, start: datetime) -> None:
    cron = crontab.parse(line)
    at = start.replace(second=0, microsecond=0, tzinfo=UTC)
    fired = cron_trigger(line).get_next_fire_time(None, at)
    day = at.replace(hour=cron.times[0] // 60, minute=cron.times[0] % 60)
    for _ in range(800):  # the first selected day within 800 days, at its first time at or after `at`
        for minutes in cron.times:
            candidate = day.replace(hour=minutes // 60, minute=minutes % 60)
            if candidate >= at and _selects(cron, candidate):
                assert fired == candidate, (line, at)
                return
        day += timedelta(days=1)
    assert fired is None or fired > day


@pytest.mark.parametrize(
    ("line", "weekdays", "day_any", "weekday_any"),
    [
        ("0 0 * * 1/2", {1, 3, 5}, True, False),  # an open weekday range ends on Saturday, not on 7
        ("0 0 * * 7/1", {0}, True, False),  # one starting at 7 is Sunday
        ("0 0 1 * */1", set(range(7)), False, True),  # a step of 1 keeps a star a star
        ("0 0 */1 * 1", {1}, True, False),
        ("0 0 1 * *,1", set(range(7)), False, True),  # any item that is a star makes the field "any"
        ("0 0 * * */2", {0, 2, 4, 6}, True, False),
    ],
)
def test_fields_read_as_the_cronjob_controller_reads_them(
    line: str, weekdays: set[int], day_any: bool, weekday_any: bool
) -> None:
    cron = crontab.parse(line)
    assert set(cron.weekdays) == weekdays
    assert (not cron.day_restricted, not cron.weekday_restricted) == (day_any, weekday_any)


@pytest.mark.parametrize("line", ["0 0 * * 7", "0 0 * * 0-7", "0 0 * * 5-7,1", "0 0 * * 7/1"])
def test_a_seven_for_sunday_reads_locally_and_is_named_before_a_cronjob_refuses_it(line: str) -> None:
    assert 0 in crontab.parse(line).weekdays
    assert "0-6" in (crontab.kubernetes_problem(line) or "")
    assert crontab.kubernetes_problem("0 0 * * 0,6") is None
