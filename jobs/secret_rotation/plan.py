"""From secrets, decisions and interrupted operations to the plan. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jobs.core.model import Action, Finding, Plan, Severity, iso, owner_actions
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
    decisions: Sequence[Decision],
    interrupted: Iterable[str],
    targets: Mapping[str, Sequence[str]],
    mount: str,
) -> Plan:
    """`interrupted`: paths with an open journal; `targets`: path → target names."""
    plan = Plan()
    resuming = set(interrupted)
    owners: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in decisions:
        details = _details(d, targets)
        plan.findings.append(Finding("secret_rotation", SEVERITY[d.status], d.secret.resource, d.reason, details))
        if d.secret.path in resuming:
            plan.findings.append(
                Finding(
                    "rotation_interrupted",
                    Severity.WARNING,
                    d.secret.resource,
                    "an interrupted rotation is open (a crash, or a consumer out of reach)",
                )
            )
            plan.actions.append(_resume(d))
            continue
        plan.actions.extend(_secret_actions(d))
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
    plan.actions.extend(owner_actions("notify", owners, "secret", "due soon"))
    counts = Counter(d.status for d in decisions)
    plan.summary.update(
        rotating=sum(a.kind == "rotate" for a in plan.actions),
        interrupted=len(resuming & found),
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


def _params(d: Decision) -> dict[str, Any]:
    return {"path": d.secret.path, "type": d.secret.type, "version": d.secret.latest_version}


def _resume(d: Decision) -> Action:
    """Finish or undo the interrupted rotation first; rotate afresh after it only if it had
    changed nothing and the secret is due."""
    params = {**_params(d), "rotate_after": d.status in ROTATE}
    reason = "finish or roll back the interrupted rotation"
    return Action("resume", d.secret.resource, reason, params=params, details={"type": d.secret.type})


def _secret_actions(d: Decision) -> list[Action]:
    s = d.secret
    if d.status in ROTATE:  # a rotation writes the metadata too
        return [Action("rotate", s.resource, d.reason, params=_params(d), details={"type": s.type})]
    if d.reconcile:
        reason = "custom metadata behind the versions: " + ", ".join(sorted(d.reconcile))
        params = {"path": s.path, "custom": {**s.metadata, **d.reconcile}}
        return [Action("reconcile", s.resource, reason, params=params, destructive=False)]
    return []
