"""Rotation policy, pure: metadata + policy + now + what was already sent → a decision.

Safety first: only a secret whose type has an automatic policy is ever rotated; a secret
with unclear metadata is reported and left alone; a forced run never rotates a
notify-only type (encryption keys: a human rotates them, with re-encryption).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from jobs.core.digits import is_ascii_digits
from jobs.core.model import iso
from jobs.secret_rotation.model import (
    CURRENT,
    LAST_ROTATED,
    PENDING,
    ROLLBACKS,
    ROLLED_BACK_AT,
    ROTATED_BY,
    ManagedSecret,
)


class Rules(Protocol):
    """One type's policy (settings.RotationPolicy satisfies it)."""

    max_age_days: float
    notify_before_days: float
    auto_rotate: bool


class Status(enum.StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"  # inside the notice window: the owner is warned once
    DUE = "due"  # rotated this run
    FORCED = "forced"  # rotated this run because the run was forced
    MANUAL_DUE_SOON = "manual_due_soon"
    MANUAL_OVERDUE = "manual_overdue"  # notify-only type past its age: a human must rotate it
    INVALID = "invalid"  # unclear metadata: reported, never rotated
    BACKING_OFF = "backing_off"  # due, but its last rotation was rolled back: retried later


ROTATE = frozenset({Status.DUE, Status.FORCED})


@dataclass(frozen=True)
class Decision:
    secret: ManagedSecret
    status: Status
    reason: str
    last_rotated: datetime | None = None
    due_at: datetime | None = None
    warning: str | None = None  # the owner warning due now (its key), if any
    reconcile: Mapping[str, str] = field(default_factory=dict)  # custom metadata to write back


def decide(
    secret: ManagedSecret,
    policies: Mapping[str, Rules],
    now: datetime,
    force: bool = False,
    warned: Mapping[str, datetime] | None = None,
) -> Decision:
    problem = _unclear(secret, policies)
    if problem:
        return Decision(secret, Status.INVALID, problem)
    rules = policies[secret.type]
    current = secret.current_version
    last_rotated, reconcile = _clock(secret, current)
    due_at = last_rotated + timedelta(days=rules.max_age_days)
    notify_at = due_at - timedelta(days=rules.notify_before_days)
    age = f"{(now - last_rotated).days} days old (max {rules.max_age_days:g})"

    def decision(status: Status, reason: str, warn: bool = False) -> Decision:
        key = f"{status}@{iso(due_at)}" if warn and not (warned or {}).get(f"{status}@{iso(due_at)}") else None
        return Decision(secret, status, reason, last_rotated, due_at, key, reconcile)

    if not rules.auto_rotate:
        if now >= due_at:
            return decision(Status.MANUAL_OVERDUE, f"{age}; this type is rotated by hand")
        if now >= notify_at:
            return decision(Status.MANUAL_DUE_SOON, f"{age}; rotate it by hand before {iso(due_at)}", warn=True)
        return decision(Status.OK, age)
    retry_at = _retry_at(secret)
    if (force or now >= due_at) and retry_at is not None and now < retry_at:
        times = secret.metadata.get(ROLLBACKS, "1").strip()
        return decision(
            Status.BACKING_OFF, f"{age}; rolled back {times} time(s) in a row: retried from {iso(retry_at)}"
        )
    if force:
        return decision(Status.FORCED, f"{age}; forced run")
    if now >= due_at:
        return decision(Status.DUE, age)
    if now >= notify_at:
        return decision(Status.DUE_SOON, f"{age}; rotated automatically from {iso(due_at)}", warn=True)
    return decision(Status.OK, age)


def _unclear(secret: ManagedSecret, policies: Mapping[str, Rules]) -> str | None:
    """Why the metadata cannot be trusted to rotate this secret, if it cannot."""
    if not secret.type:
        return "no `type` in the custom metadata: not managed until it has one"
    if secret.type not in policies:
        return f"type {secret.type!r} has no policy (known: {', '.join(sorted(policies))})"
    pending = secret.metadata.get(PENDING, "")
    if pending:
        return (
            f"version {pending} was left pending by an interrupted rotation with no journal entry: "
            "check its consumers and set or remove pending_version by hand"
        )
    if secret.current_version not in secret.created:
        return f"current version {secret.current_version} is deleted or destroyed"
    return None


def _clock(secret: ManagedSecret, current: int) -> tuple[datetime, dict[str, str]]:
    """When the current value was made, and the metadata that must be written to say so.

    A version newer than the recorded one was written outside the job: it is adopted (its
    consumers may not have it; that is what the next rotation fixes). A missing or
    unreadable `last_rotated` falls back to the version's creation time.
    """
    if current < secret.latest_version and secret.latest_version in secret.created:
        latest = secret.latest_version
        made = secret.created[latest]
        return made, {CURRENT: str(latest), LAST_ROTATED: iso(made), ROTATED_BY: "external write"}
    recorded = _parse(secret.metadata.get(LAST_ROTATED, ""))
    if recorded is not None:
        return recorded, ({} if CURRENT in secret.metadata else {CURRENT: str(current)})
    made = secret.created[current]
    return made, {CURRENT: str(current), LAST_ROTATED: iso(made)}


def _retry_at(secret: ManagedSecret) -> datetime | None:
    """After n rollbacks in a row the next attempt waits 2**(n-1) days: each one writes two
    versions, and a consumer that keeps refusing must not wear KV's history away."""
    rolled_back = _parse(secret.metadata.get(ROLLED_BACK_AT, ""))
    if rolled_back is None:
        return None
    count = secret.metadata.get(ROLLBACKS, "").strip()
    times = min(int(count), 10) if is_ascii_digits(count) else 1
    return rolled_back + timedelta(days=2 ** max(times - 1, 0))


def _parse(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
