"""From secrets, their decisions and their interrupted operations to the plan. Pure: the
journal and the warnings come in the items, the instant as an argument, and each action
carries what `apply` needs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from jobs.core.model import Action, Finding, Plan, Severity, iso, owner_actions
from jobs.secret_rotation.actions import Notice, Reconcile, Resume, Rotate
from jobs.secret_rotation.model import Tracked
from jobs.secret_rotation.policy import ROTATE, Decision, Status

SEVERITY = {
    Status.OK: Severity.OK,
    Status.DUE_SOON: Severity.INFO,
    Status.DUE: Severity.INFO,
    Status.FORCED: Severity.INFO,
    Status.MANUAL_DUE_SOON: Severity.WARNING,
    Status.MANUAL_OVERDUE: Severity.CRITICAL,
    Status.INVALID: Severity.WARNING,
    Status.BACKING_OFF: Severity.WARNING,
}


def build(
    items: Sequence[Tracked],
    decisions: Sequence[Decision],
    targets: Mapping[str, Sequence[str]],
    mount: str,
    at: datetime,
) -> Plan:
    """`decisions[i]` is `items[i]`'s; `targets`: path → target names; `at`: the plan's instant."""
    plan = Plan()
    owners: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item, d in zip(items, decisions, strict=True):
        details = _details(d, targets)
        plan.findings.append(Finding("secret_rotation", SEVERITY[d.status], d.secret.resource, d.reason, details))
        if item.journal:
            plan.findings.append(
                Finding(
                    "rotation_interrupted",
                    Severity.WARNING,
                    d.secret.resource,
                    "an interrupted rotation is open (a crash, or a consumer out of reach)",
                )
            )
            plan.actions.append(_resume(d, item, at))
            continue
        plan.actions.extend(_secret_actions(d, at))
        if d.warning and "@" in d.secret.owner:
            owners[d.secret.owner].append({**details, "id": d.secret.resource, "key": d.warning, "reason": d.reason})
    found = {d.secret.path for d in decisions}
    plan.findings.extend(
        Finding(
            "target_without_secret",
            Severity.WARNING,
            f"vault:{mount}/{path}",
            "targets name a secret that is not under the managed paths",
            {"targets": list(targets[path])},
        )
        for path in sorted(set(targets) - found)
    )
    plan.actions.extend(_notices(owners, at))
    counts = Counter(d.status for d in decisions)
    plan.summary.update(
        rotating=sum(a.kind == "rotate" for a in plan.actions),
        interrupted=sum(bool(item.journal) for item in items),
        **{str(status): counts[status] for status in Status},
    )
    return plan


def _details(d: Decision, targets: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    s = d.secret
    return {
        "path": s.path,
        "type": s.type or None,
        "status": str(d.status),
        "owner": s.owner or None,
        "version": s.current_version,
        "last_rotated": iso(d.last_rotated) if d.last_rotated else None,
        "due_at": iso(d.due_at) if d.due_at else None,
        "targets": list(targets.get(s.path, ())),
    }


def _rotate(d: Decision, at: datetime) -> Rotate:
    s = d.secret
    return Rotate("rotate", s.resource, d.reason, details={"type": s.type}, at=at,
                  path=s.path, secret_type=s.type, version=s.latest_version)  # fmt: skip


def _resume(d: Decision, item: Tracked, at: datetime) -> Resume:
    """Finish or undo the interrupted rotation first; rotate afresh after it only if it had
    changed nothing and the secret is due."""
    s = d.secret
    return Resume(
        "resume", s.resource, "finish or roll back the interrupted rotation", details={"type": s.type}, at=at,
        path=s.path, secret_type=s.type, version=s.latest_version, entries=item.journal,
        rotate_after=d.status in ROTATE,
    )  # fmt: skip


def _secret_actions(d: Decision, at: datetime) -> list[Action]:
    s = d.secret
    if d.status in ROTATE:  # a rotation writes the metadata too
        return [_rotate(d, at)]
    if d.reconcile:
        reason = "custom metadata behind the versions: " + ", ".join(sorted(d.reconcile))
        custom = {**s.metadata, **d.reconcile}
        return [Reconcile("reconcile", s.resource, reason, destructive=False, at=at, path=s.path, custom=custom)]
    return []


def _notices(owners: Mapping[str, Sequence[Mapping[str, Any]]], at: datetime) -> list[Notice]:
    """One message per owner (the contract's `owner_actions`), typed."""
    return [
        Notice(a.kind, a.resource, a.reason, details=a.details, destructive=False, at=at,
               owner=a.params["owner"], entries=tuple(a.params["entries"]))
        for a in owner_actions("notify", owners, "secret", "due soon")
    ]  # fmt: skip
