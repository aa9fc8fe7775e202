"""The registry's five-field cron, converted for EventBridge Scheduler, fires at the same UTC
minutes: checked against the project's own scheduler (APScheduler, through
jobs.core.scheduler.cron_trigger) as the oracle, with AWS's six-field reading written here
from the EventBridge Scheduler documentation (weekdays 1-7 from Sunday, `?` meaning "any")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from jobs.core.deploy.aws_cron import scheduler_expression
from jobs.core.errors import ConfigError
from jobs.core.registry import JOBS
from jobs.core.scheduler import cron_trigger

AWS_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
AWS_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # 1-7
BOUNDS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "weekday": (0, 7)}
REGISTRY_CRONS = sorted({s.cron for spec in JOBS.values() for s in spec.schedules})


def aws_values(text: str, low: int, high: int, names: tuple[str, ...] = ()) -> set[int] | None:
    """One EventBridge cron field as the set it selects; None for `*` and `?` (any)."""
    if text in ("*", "?"):
        return None
    found: set[int] = set()
    for item in text.split(","):
        span, _, step = item.partition("/")
        first, _, last = span.partition("-")
        number = lambda t: names.index(t) + low if t in names else int(t)  # noqa: E731
        a = low if first == "*" else number(first)
        b = high if first == "*" or (step and not last) else number(last or first)
        found.update(range(a, b + 1, int(step or 1)))
    return found


def aws_fires(expression: str, at: datetime) -> bool:
    """Whether `cron(...)` fires at the UTC minute `at`."""
    assert expression.startswith("cron(") and expression.endswith(")")
    minute, hour, day, month, weekday, year = expression[5:-1].split()
    assert year == "*" and [day, weekday].count("?") == 1, expression
    fields = [
        (aws_values(minute, 0, 59), at.minute),
        (aws_values(hour, 0, 23), at.hour),
        (aws_values(day, 1, 31), at.day),
        (aws_values(month, 1, 12, AWS_MONTHS), at.month),
        (aws_values(weekday, 1, 7, AWS_DAYS), at.isoweekday() % 7 + 1),
    ]
    return all(values is None or value in values for values, value in fields)


def cron_fires(cron: str, at: datetime) -> tuple[bool, datetime | None]:
    """Whether the local scheduler fires at `at`, and its first fire at or after `at`."""
    following = cron_trigger(cron).get_next_fire_time(None, at)
    return following == at, following


@st.composite
def field(draw: st.DrawFn, name: str) -> str:
    low, high = BOUNDS[name]
    items = []
    for _ in range(draw(st.integers(1, 3))):
        a = draw(st.integers(low, high))
        b = draw(st.integers(a, high))
        step = draw(st.integers(1, high - low + 2))
        forms = [str(a), f"{a}-{b}", f"{a}-{b}/{step}", f"*/{step}", f"{a}/{step}"]
        items.append(draw(st.sampled_from(forms)))
    return ",".join(items)


@st.composite
def crons(draw: st.DrawFn) -> str:
    """Five-field lines the local scheduler reads, restricting at most one of the day fields."""
    minute, hour, month = (draw(st.just("*") | field(n)) for n in ("minute", "hour", "month"))
    day, weekday = "*", "*"
    restricted = draw(st.sampled_from(["neither", "day", "weekday"]))
    if restricted == "day":
        day = draw(field("day"))
    elif restricted == "weekday":
        weekday = draw(field("weekday"))
    return f"{minute} {hour} {day} {month} {weekday}"


instants = st.datetimes(datetime(2025, 1, 1), datetime(2031, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC)
)


def assert_same_minutes(cron: str, start: datetime) -> None:
    expression = scheduler_expression(cron)
    fires, following = cron_fires(cron, start)
    assert aws_fires(expression, start) == fires, (cron, expression, start)
    if following is not None:  # the next fire of the local scheduler is one on AWS too
        assert aws_fires(expression, following), (cron, expression, following)
        after, _ = cron_fires(cron, following + timedelta(minutes=1))
        assert aws_fires(expression, following + timedelta(minutes=1)) == after


@given(cron=crons(), start=instants)
@example(cron="0 2 * * 0", start=datetime(2026, 11, 29, 2, 0, tzinfo=UTC))  # a Sunday: cron 0, AWS SUN (1)
@example(cron="0 2 * * 7", start=datetime(2026, 11, 29, 2, 0, tzinfo=UTC))  # 7 is Sunday too
@example(cron="0 2 * * 1-5", start=datetime(2026, 11, 28, 2, 0, tzinfo=UTC))  # a Saturday: not MON-FRI
@example(cron="0 3 31 * *", start=datetime(2026, 12, 31, 3, 0, tzinfo=UTC))
def test_the_converted_expression_fires_at_the_same_minutes(cron: str, start: datetime) -> None:
    try:
        cron_trigger(cron)
    except ValueError:
        assume(False)  # a line the local scheduler refuses is no schedule of ours
    assert_same_minutes(cron, start)


@pytest.mark.parametrize("cron", REGISTRY_CRONS)
@given(start=instants)
def test_every_registry_cron_fires_at_the_same_minutes_on_aws(cron: str, start: datetime) -> None:
    assert_same_minutes(cron, start)


@given(cron=crons())
def test_exactly_one_day_field_is_a_question_mark_and_the_year_is_any(cron: str) -> None:
    fields = scheduler_expression(cron)[5:-1].split()
    assert len(fields) == 6 and fields[5] == "*"
    assert sorted([fields[2] == "?", fields[4] == "?"]) == [False, True]


#: weekday steps and ranges from Sunday, where APScheduler's own reading of the text differs
#: (Monday = 0, `0-7`, `*/2`): the local scheduler hands it value lists, so it agrees with cron
WEEKDAY_FORMS = [
    ("0 0 * * 1-5/2", "cron(0 0 ? * MON,WED,FRI *)"),
    ("0 0 * * */2", "cron(0 0 ? * SUN,TUE,THU,SAT *)"),
    ("0 0 * * 0-6/3", "cron(0 0 ? * SUN,WED,SAT *)"),
    ("0 0 * * 0-7", "cron(0 0 ? * SUN-SAT *)"),
    ("0 0 * * 0-5", "cron(0 0 ? * SUN-FRI *)"),
]


@pytest.mark.parametrize("cron", [cron for cron, _ in WEEKDAY_FORMS])
@given(start=instants)
def test_weekday_steps_and_ranges_from_sunday_fire_at_the_same_minutes_locally_and_on_aws(
    cron: str, start: datetime
) -> None:
    assert_same_minutes(cron, start)


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        *WEEKDAY_FORMS,
        ("0 6 * * *", "cron(0 6 * * ? *)"),
        ("0 2 * * 0", "cron(0 2 ? * SUN *)"),
        ("0 3 1 * *", "cron(0 3 1 * ? *)"),
        ("0 * * * *", "cron(0 * * * ? *)"),
        ("*/15 8-18 * * 1-5", "cron(0,15,30,45 8-18 ? * MON-FRI *)"),
        ("0 0 * * 5-7", "cron(0 0 ? * SUN,FRI-SAT *)"),
        ("30 4 1,15 jan,jul *", "cron(30 4 1,15 1,7 ? *)"),
        ("0 0 ? * 1", "cron(0 0 ? * MON *)"),  # `?` is "any", as the CronJob controller reads it
        ("5/10 * * * *", "cron(5,15,25,35,45,55 * * * ? *)"),  # `n/step`: from n to the end
    ],
)
def test_known_lines_read_as_aws_documents_them(cron: str, expected: str) -> None:
    assert scheduler_expression(cron) == expected


@pytest.mark.parametrize(
    "cron",
    ["0 4 1 * 1", "0 4 */2 * MON", "0 4 1-7 * 1-5", "* * * *", "0 0 * * * *", "60 * * * *", "0 24 * * *",
     "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "0 0 L * *", "0 0 * * 1#2", "5-1 * * * *",
     "*/0 * * * *", "1,,2 * * * *", "0 0 * * MON-"],
)  # fmt: skip
def test_a_line_aws_cannot_express_or_cron_cannot_read_is_refused_naming_it(cron: str) -> None:
    with pytest.raises(ConfigError) as caught:
        scheduler_expression(cron)
    assert str(caught.value).startswith(f"cron {cron!r}: ")


@given(st.text(alphabet="0123456789*/,-? LW#MONJAFRI", max_size=30))
def test_any_text_converts_or_is_refused_and_nothing_else(text: str) -> None:
    try:
        expression = scheduler_expression(text)
    except ConfigError:
        return
    fields = expression[5:-1].split()
    assert len(fields) == 6 and [fields[2], fields[4]].count("?") == 1
