"""From items and their history to the plan: findings for everything, one warning per owner,
deletions in dependency order. Pure: the same inputs give the same plan, dry run or not.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobs.core.job import Action, Finding, Plan, Severity
from jobs.ttl_teardown import snooze
from jobs.ttl_teardown.cost import Pricing, avoided, hourly
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.order import rank
from jobs.ttl_teardown.rules import Decision, History, Policy, Verdict, decide

QUOTA_USAGE: dict[str, Callable[[Item], float]] = {
    "ec2_instances": lambda i: 1.0 if i.type == "ec2:instance" else 0.0,
    "rds_databases": lambda i: 1.0 if i.type == "rds:instance" else 0.0,
    "s3_buckets": lambda i: 1.0 if i.type == "s3:bucket" else 0.0,
    "ebs_volumes_gb": lambda i: (i.sizing.size_gb or 0.0) if i.type == "ec2:volume" else 0.0,
    "k8s_namespaces": lambda i: 1.0 if i.type == "k8s:namespace" else 0.0,
}


@dataclass(frozen=True)
class Context:
    """Everything the plan depends on besides the items: pure data."""

    policy: Policy
    pricing: Pricing
    horizon_days: float
    quotas: Mapping[str, Mapping[str, float]]
    now: datetime
    snooze_key: bytes | None = None
    snooze_url: str | None = None
    snooze_hours: int = 72
    extension_days: tuple[int, ...] = (7, 14)


def violation_key(decision: Decision) -> str:
    """A violation notice is sent once per distinct set of problems."""
    digest = hashlib.sha256("\n".join(sorted(decision.violations)).encode()).hexdigest()[:16]
    return f"violation:{digest}"


def build(items: Sequence[Item], histories: Mapping[str, History], ctx: Context) -> Plan:
    decisions = [decide(i.resource, ctx.policy, histories.get(i.id, History()), ctx.now) for i in items]
    plan = Plan()
    warnings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    notices: dict[str, list[dict[str, Any]]] = defaultdict(list)
    deletions: list[tuple[Item, Decision, float | None]] = []
    for item, decision in zip(items, decisions, strict=True):
        dollars = avoided(hourly(item.type, item.sizing, ctx.pricing), ctx.horizon_days)
        plan.findings.extend(_findings(item, decision, dollars))
        owner = item.tag("owner")
        if decision.verdict is Verdict.WARN and decision.warning:
            warnings[owner].append(_warning_entry(item, decision, dollars, ctx))
        elif decision.violations and "@" in owner:
            key = violation_key(decision)
            if key not in histories.get(item.id, History()).warnings:
                notices[owner].append(
                    {"id": item.id, "name": item.name, "violations": list(decision.violations), "key": key}
                )
        elif decision.verdict is Verdict.DELETE and not item.details.get("asg"):
            deletions.append((item, decision, dollars))  # an Auto Scaling member goes with its group
    plan.findings.extend(_quota_findings(items, ctx.quotas))
    plan.actions.extend(_owner_actions("warn", warnings, "expiring soon"))
    plan.actions.extend(_owner_actions("notify_violations", notices, "with tag violations"))
    deletions.sort(key=lambda d: rank(d[0].type))
    plan.actions.extend(_deletion(item, decision, dollars) for item, decision, dollars in deletions)
    plan.summary.update(_summary(decisions, deletions, warnings, ctx.now))
    return plan


def _findings(item: Item, decision: Decision, dollars: float | None) -> list[Finding]:
    base: dict[str, Any] = {
        "type": item.type,
        "region": item.region,
        "name": item.name,
        "owner": item.tag("owner") or None,
        "project": item.tag("project") or None,
    }
    if decision.expires_at:
        base["expires_at"] = decision.expires_at.isoformat().replace("+00:00", "Z")
    found = []
    if decision.violations:
        details = {**base, "violations": list(decision.violations), "kept_reason": decision.reason}
        found.append(Finding("tag_violation", Severity.WARNING, item.id, "; ".join(decision.violations), details))
    else:
        level, message = _ttl_line(decision)
        details = {**base, "verdict": str(decision.verdict), "reason": decision.reason}
        if decision.verdict is Verdict.KEEP:
            details["kept_reason"] = decision.reason
        if decision.verdict is Verdict.DELETE:
            details["cost_avoided_usd"] = dollars
        found.append(Finding("ttl", level, item.id, message, details))
    if decision.mismatch:
        found.append(Finding("created_at_mismatch", Severity.INFO, item.id, decision.mismatch, base))
    return found


def _ttl_line(decision: Decision) -> tuple[Severity, str]:
    if decision.verdict is Verdict.KEEP:
        return Severity.OK, f"kept: {decision.reason}"
    if decision.verdict is Verdict.ALIVE:
        return Severity.OK, decision.reason
    if decision.verdict is Verdict.WARN:
        return Severity.INFO, f"{decision.reason}; owner warned"
    if decision.verdict is Verdict.EXPIRED_WAITING:
        return Severity.INFO, decision.reason
    return Severity.INFO, f"{decision.reason}; deleted"


def _warning_entry(item: Item, decision: Decision, dollars: float | None, ctx: Context) -> dict[str, Any]:
    assert decision.expires_at is not None
    owner = item.tag("owner")
    entry: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "type": item.type,
        "region": item.region,
        "expires_at": decision.expires_at.isoformat().replace("+00:00", "Z"),
        "key": decision.warning,
        "cost_avoided_usd": dollars,
        "extend": f"python -m jobs.ttl_teardown extend {item.id} --days {ctx.extension_days[0]} "
        f"--reason '...' --by {owner}",
    }
    if ctx.snooze_key and ctx.snooze_url:
        entry["snooze"] = {
            days: snooze.link(ctx.snooze_url, ctx.snooze_key, item.id, owner, days, ctx.now, ctx.snooze_hours)
            for days in ctx.extension_days
        }
    return entry


def _owner_actions(kind: str, by_owner: Mapping[str, list[dict[str, Any]]], what: str) -> list[Action]:
    return [
        Action(
            kind,
            f"owner:{owner}",
            f"{len(entries)} resource{'s' if len(entries) != 1 else ''} {what}",
            params={"owner": owner, "entries": entries},
            details={"resources": [e["id"] for e in entries]},
            destructive=False,
        )
        for owner, entries in sorted(by_owner.items())
        if owner
    ]


def _deletion(item: Item, decision: Decision, dollars: float | None) -> Action:
    return Action(
        "delete",
        item.id,
        decision.reason,
        params={"type": item.type, "region": item.region, "name": item.name, "details": dict(item.details)},
        details={
            "type": item.type,
            "project": item.tag("project"),
            "owner": item.tag("owner"),
            "cost_avoided_usd": dollars,
        },
    )


def _quota_findings(items: Sequence[Item], quotas: Mapping[str, Mapping[str, float]]) -> list[Finding]:
    usage: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in items:
        project = item.tag("project")
        if project:
            for metric, measure in QUOTA_USAGE.items():
                usage[project][metric] += measure(item)
    found = []
    for project, used in sorted(usage.items()):
        limits = {**quotas.get("default", {}), **quotas.get(project, {})}
        for metric, limit in sorted(limits.items()):
            if used[metric] > limit:
                message = f"{metric} {used[metric]:g} over the quota of {limit:g}"
                details = {"project": project, "metric": metric, "used": used[metric], "quota": limit}
                found.append(Finding("quota_exceeded", Severity.WARNING, f"project:{project}", message, details))
    return found


def _summary(
    decisions: Sequence[Decision], deletions: Sequence[Any], warnings: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    def expiring(hours: int) -> int:
        return sum(
            1
            for d in decisions
            if d.expires_at and d.verdict is not Verdict.KEEP and now <= d.expires_at <= now + timedelta(hours=hours)
        )

    return {
        "to_delete": len(deletions),
        "owners_warned": len([o for o in warnings if o]),
        "tag_violations": sum(1 for d in decisions if d.violations),
        "kept": sum(1 for d in decisions if d.verdict is Verdict.KEEP and not d.violations),
        "expiring_24h": expiring(24),
        "expiring_48h": expiring(48),
        "cost_avoided_usd": round(sum(d[2] or 0.0 for d in deletions), 2),
    }
