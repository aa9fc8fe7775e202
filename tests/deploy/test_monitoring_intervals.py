"""The interval a not-running alert waits twice of: the longest gap between firings, measured
over the whole calendar, on crons chosen to break a guess (weekends, the 31st, 29 February
across 2100, both day fields), and checked against APScheduler's firings on random crons."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.core.deploy.intervals import longest_gap, longest_gap_between, parse
from jobs.core.scheduler import cron_trigger

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("crons", "gap"),
    [
        (["0 6 * * *"], DAY),
        (["0 * * * *"], timedelta(hours=1)),
        (["* * * * *"], timedelta(minutes=1)),
        (["0 2 * * 0"], 7 * DAY),
        (["0 2 * * 7"], 7 * DAY),  # 7 is Sunday too
        (["0 2 * * sun"], 7 * DAY),
        (["30 2 * * 1-5"], 3 * DAY),  # Friday to Monday
        (["*/15 9-17 * * *"], timedelta(hours=15, minutes=15)),  # 17:45 to 09:00
        (["0 3 1 * *"], 31 * DAY),
        (["0 0 31 * *"], 61 * DAY),  # 31 May to 31 July
        (["0 0 29 2 *"], (date(2104, 2, 29) - date(2096, 2, 29)).days * DAY),  # 2100 is no leap year
        (["0 0 1 1 *"], 366 * DAY),
        (["0 0 1 jan,jul *"], 184 * DAY),
        (["0 12 13 * 5"], 7 * DAY),  # both day fields restricted: the 13th OR a Friday (Kubernetes, Vixie)
        (["0 12 */2 * 1"], 2 * DAY),  # a stepped `*/2` is a restriction: odd days OR Mondays
        (["0 2 * * 0", "0 3 1 * *"], 7 * DAY),  # secret-rotation: merged, a success of either counts
        (["0 2 * * *", "0 14 * * *"], timedelta(hours=12)),
        (["40/15 * * * *"], timedelta(minutes=45)),  # N/step is N-59/step: :40 :55, then :40
    ],
)
def test_the_longest_gap_of_crons_chosen_to_break_a_guess(crons: list[str], gap: timedelta) -> None:
    assert longest_gap(crons) == gap


def test_a_cron_that_never_fires_has_no_gap() -> None:
    assert longest_gap(["0 0 30 2 *"]) is None
    assert longest_gap(["0 0 31 4,6,9,11 *"]) is None


@pytest.mark.parametrize(
    "cron",
    ["61 * * * *", "* * *", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * * 13 *", "* * * * 8", "\uff11 * * * *"],
)
def test_a_line_that_is_no_cron_is_refused_naming_it(cron: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        parse(cron)


def _field(low: int, high: int, steps: bool = True) -> st.SearchStrategy[str]:
    number = st.integers(low, high).map(str)
    span = st.tuples(st.integers(low, high), st.integers(low, high)).map(lambda t: f"{min(t)}-{max(t)}")
    stepped = st.tuples(st.sampled_from(["*", str(low)]), st.integers(1, max(1, (high - low) // 2))).map(
        lambda t: f"{t[0]}/{t[1]}"
    )
    part = st.one_of(number, span, stepped) if steps else st.one_of(number, span)
    return st.one_of(st.just("*"), st.lists(part, min_size=1, max_size=3).map(",".join))


#: any day fields, weekday steps and ranges from Sunday included, and both day fields restricted
#: (cron fires on a day matching either): the local scheduler's triggers read lines as
#: jobs.core.crontab does, so APScheduler's firings are the oracle for every form
crons = st.tuples(
    st.lists(st.integers(0, 59), min_size=1, max_size=2, unique=True).map(lambda m: ",".join(map(str, m))),
    _field(0, 23),
    st.tuples(_field(1, 31), _field(0, 7)),
    _field(1, 12),
).map(lambda t: f"{t[0]} {t[1]} {t[2][0]} {t[3]} {t[2][1]}")

START = date(2027, 1, 1)
WINDOW = 45  # days


def apscheduler_gap(lines: list[str]) -> timedelta | None:
    """The same measure from APScheduler's own firings (the scheduler process's trigger)."""
    begin = datetime(START.year, START.month, START.day, tzinfo=UTC)
    end = begin + timedelta(days=WINDOW)
    fired: set[datetime] = set()
    for line in lines:
        trigger, at = cron_trigger(line), begin - timedelta(microseconds=1)
        while (at := trigger.get_next_fire_time(None, at + timedelta(microseconds=1))) is not None and at < end:
            fired.add(at)
    ordered = sorted(fired)
    gaps = [b - a for a, b in pairwise(ordered)]
    return max(gaps) if gaps else None


@settings(max_examples=30, deadline=None)
@given(st.lists(crons, min_size=1, max_size=2))
def test_the_gap_agrees_with_apschedulers_firings(lines: list[str]) -> None:
    assert longest_gap_between(lines, START, WINDOW) == apscheduler_gap(lines)


@settings(max_examples=15, deadline=None)
@given(st.lists(crons, min_size=2, max_size=3))
def test_merging_crons_never_lengthens_the_gap_and_order_does_not_matter(lines: list[str]) -> None:
    merged = longest_gap(lines)
    alone = [g for g in (longest_gap([line]) for line in lines) if g is not None]
    if merged is None:
        assert alone == []
        return
    assert merged <= min(alone)
    assert longest_gap(list(reversed(lines))) == merged
