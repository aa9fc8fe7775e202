"""From secrets, decisions and interrupted operations to the plan. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jobs.core.job import Action, Finding, Plan, Severity
from jobs.secret_rotation.policy import ROTATE, Decision, Status, iso

SEVERITY = {
    Status.OK: Severity.OK,
    Status.DUE_SOON: Severity.INFO,
    Status.DUE: Severity.INFO,
    Status.FORCED: Severity.INFO,
    Status.MANUAL_DUE_SOON: Severity.WARNING,
    Status.MANUAL_OVERDUE: Severity.CRITICAL,
    Status.INVALID: Severity.WARNING,
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
    counts: Counter[str] = Counter()
    for d in decisions:
        s = d.secret
        counts[str(d.status)] += 1
        details: dict[str, Any] = {
            "path": s.path,
            "type": s.type or None,
            "status": str(d.status),
            "owner": s.owner or None,
            "version": s.current_version,
            "last_rotated": iso(d.last_rotated) if d.last_rotated else None,
            "due_at": iso(d.due_at) if d.due_at else None,
            "targets": list(targets.get(s.path, ())),
        }
        plan.findings.append(Finding("secret_rotation", SEVERITY[d.status], s.resource, d.reason, details))
        params = {"path": s.path, "type": s.type, "version": s.latest_version}
        if s.path in resuming:
            plan.findings.append(
                Finding("rotation_interrupted", Severity.WARNING, s.resource, "a crash interrupted its rotation", {})
            )
            plan.actions.append(
                Action(
                    "resume",
                    s.resource,
                    "finish or roll back the interrupted rotation",
                    params={**params, "rotate_after": d.status in ROTATE},
                    details={"type": s.type},
                )
            )
            continue
        if d.reconcile and d.status not in ROTATE:  # a rotation writes the metadata anyway
            plan.actions.append(
                Action(
                    "reconcile",
                    s.resource,
                    "custom metadata behind the versions: " + ", ".join(sorted(d.reconcile)),
                    params={"path": s.path, "custom": {**s.metadata, **d.reconcile}},
                    destructive=False,
                )
            )
        if d.status in ROTATE:
            plan.actions.append(Action("rotate", s.resource, d.reason, params=params, details={"type": s.type}))
        if d.warning and "@" in s.owner:
            owners[s.owner].append({**details, "resource": s.resource, "key": d.warning, "reason": d.reason})
    found = {d.secret.path for d in decisions}
    for path in sorted(set(targets) - found):
        plan.findings.append(
            Finding(
                "target_without_secret",
                Severity.WARNING,
                f"vault:{mount}/{path}",
                "targets name a secret that is not under the managed paths",
                {"targets": list(targets[path])},
            )
        )
    for owner, entries in sorted(owners.items()):
        plan.actions.append(
            Action(
                "notify",
                f"owner:{owner}",
                f"{len(entries)} secret(s) due soon",
                params={"owner": owner, "entries": entries},
                details={"resources": [e["resource"] for e in entries]},
                destructive=False,
            )
        )
    plan.summary.update(
        rotating=sum(a.kind == "rotate" for a in plan.actions),
        interrupted=len(resuming & found),
        **{status: counts[str(status)] for status in Status},
    )
    return plan
