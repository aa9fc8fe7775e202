"""The rotation policy, pure: tables for each status, and properties for the safety rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.secret_rotation.model import ManagedSecret
from jobs.secret_rotation.policy import ROTATE, Status, decide
from jobs.secret_rotation.settings import SecretRotationSettings
from tests.reached import Reached

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
POLICIES = SecretRotationSettings().policies
MADE = NOW - timedelta(days=400)


def secret(age_days: float | None = 10, versions: int = 1, **custom: str) -> ManagedSecret:
    meta = {"type": "api_key", **custom}
    if age_days is not None:
        meta.setdefault("last_rotated", (NOW - timedelta(days=age_days)).isoformat())
    return ManagedSecret("secret", "apps/x", meta, versions, dict.fromkeys(range(1, versions + 1), MADE))


@pytest.mark.parametrize(
    ("kind", "age", "force", "status"),
    [
        ("api_key", 10, False, Status.OK),
        ("api_key", 24, False, Status.DUE_SOON),  # inside the 7-day notice before 30
        ("api_key", 30, False, Status.DUE),
        ("api_key", 10, True, Status.FORCED),
        ("db_password", 80, False, Status.DUE_SOON),
        ("db_password", 91, False, Status.DUE),
        ("service_account", 170, False, Status.DUE_SOON),
        ("encryption_key", 300, False, Status.OK),
        ("encryption_key", 310, False, Status.MANUAL_DUE_SOON),
        ("encryption_key", 400, False, Status.MANUAL_OVERDUE),
        ("encryption_key", 400, True, Status.MANUAL_OVERDUE),  # forced runs never touch notify-only types
    ],
)
def test_statuses(kind: str, age: float, force: bool, status: Status) -> None:
    assert decide(secret(age, type=kind), POLICIES, NOW, force).status is status


@pytest.mark.parametrize(
    ("custom", "why"),
    [
        ({"type": ""}, "no `type`"),
        ({"type": "ssh_key"}, "type 'ssh_key' has no policy"),
        ({"pending_version": "2"}, "left pending"),
        ({"current_version": "7"}, "current version 7 is deleted or destroyed"),
    ],
)
def test_unclear_metadata_is_reported_and_never_rotated(custom: dict[str, str], why: str) -> None:
    decision = decide(secret(400, **custom), POLICIES, NOW, force=True)
    assert decision.status is Status.INVALID and why in decision.reason


def test_each_notice_window_warns_once() -> None:
    first = decide(secret(24), POLICIES, NOW)
    assert first.warning and first.warning.startswith("due_soon@")
    again = decide(secret(24), POLICIES, NOW + timedelta(hours=1), warned={first.warning: NOW})
    assert again.status is Status.DUE_SOON and again.warning is None


def test_metadata_is_reconciled_with_the_versions() -> None:
    missing = decide(secret(None), POLICIES, NOW)  # no last_rotated: the version's creation time counts
    assert missing.status is Status.DUE and missing.last_rotated == MADE
    assert missing.reconcile["last_rotated"] == "2025-10-25T02:00:00Z" and missing.reconcile["current_version"] == "1"
    external = decide(secret(5, versions=3, current_version="2"), POLICIES, NOW)  # someone wrote v3 by hand
    assert external.reconcile["current_version"] == "3" and external.reconcile["rotated_by"] == "external write"
    assert external.status is Status.DUE  # v3 was made 400 days ago


#: every kind of type the policy meets: automatic, notify-only, none, unknown
KINDS = st.sampled_from([*POLICIES, "", "unknown"])
AGES = st.one_of(st.none(), st.floats(min_value=0, max_value=2000))
ROTATION_BRANCHES = ("rotated", "notify-only kept", "unclear metadata kept")


def check_only_automatic_types_with_clear_metadata_are_rotated(
    kinds: st.SearchStrategy[str] = KINDS, ages: st.SearchStrategy[float | None] = AGES
) -> None:
    """The property, run over `kinds` and `ages`; it fails if no case rotated, or none was
    kept back for being notify-only or for unclear metadata (it would hold vacuously)."""
    reached = Reached(*ROTATION_BRANCHES)

    @given(
        kind=kinds,
        age=ages,
        force=st.booleans(),
        pending=st.booleans(),
        current=st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
        versions=st.integers(min_value=1, max_value=4),
    )
    def holds(kind: str, age: float | None, force: bool, pending: bool, current: int | None, versions: int) -> None:
        custom = {"type": kind}
        if pending:
            custom["pending_version"] = str(versions)
        if current is not None:
            custom["current_version"] = str(current)
        decision = decide(secret(age, versions, **custom), POLICIES, NOW, force)
        if decision.status in ROTATE:
            reached("rotated")
            assert kind in POLICIES and POLICIES[kind].auto_rotate
            assert not pending and (current is None or 1 <= current <= versions)
        if kind in POLICIES and not POLICIES[kind].auto_rotate:
            reached("notify-only kept")
            assert decision.status not in ROTATE
        if decision.status is Status.INVALID and kind in POLICIES and POLICIES[kind].auto_rotate:
            reached("unclear metadata kept")

    holds()
    reached.check()


def test_only_automatic_types_with_clear_metadata_are_ever_rotated() -> None:
    check_only_automatic_types_with_clear_metadata_are_rotated()


@pytest.mark.parametrize(
    "kinds",
    [
        st.just("encryption_key"),  # notify-only: no case ever rotates
        st.sampled_from(["api_key", "db_password"]),  # automatic only: no case tests the notify-only rule
    ],
)
def test_the_rotation_property_fails_when_its_generator_misses_a_branch(kinds: st.SearchStrategy[str]) -> None:
    with pytest.raises(AssertionError, match="held vacuously"):
        check_only_automatic_types_with_clear_metadata_are_rotated(kinds)


#: digits Python's str.isdigit accepts that int() refuses or reads as another number
NOT_ASCII_DIGITS = st.sampled_from(["²", "³", "①", "٣", "\uff13", "߁", "1²", " 2", "2\n"])


@given(st.one_of(NOT_ASCII_DIGITS, st.text(max_size=6)), st.integers(1, 4))
def test_a_current_version_that_is_not_plain_ascii_digits_never_crashes_the_plan_and_is_not_trusted(
    recorded: str, versions: int
) -> None:
    """`²` passes str.isdigit() and then int() raises: one secret's metadata failed the
    whole run's plan. `٣` and a fullwidth 3 were read as 3. Only [0-9] names a version."""
    s = secret(versions=versions, current_version=recorded)
    decide(s, POLICIES, NOW)
    trusted = recorded.isascii() and recorded.isdigit()
    assert s.current_version == (int(recorded) if trusted else versions)
