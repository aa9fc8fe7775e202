"""From items and their history to the plan: findings for everything, one warning per owner,
deletions in dependency order. Pure: the same inputs give the same plan, dry run or not.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobs.core.model import Finding, Plan, Severity, iso
from jobs.ttl_teardown import quota, snooze
from jobs.ttl_teardown.actions import Deletion, owner_mails
from jobs.ttl_teardown.catalog import QUOTAS, rank
from jobs.ttl_teardown.cost import avoided
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.relations import related, settle
from jobs.ttl_teardown.rules import Decision, Policy, Verdict, decide


@dataclass(frozen=True)
class Context:
    """Everything the plan depends on besides the items: pure data."""

    policy: Policy
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


def build(items: Sequence[Item], ctx: Context) -> Plan:
    """Each item carries what earlier runs did for it (`history`) and its hourly price."""
    plan = Plan()
    warnings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    notices: dict[str, list[dict[str, Any]]] = defaultdict(list)
    deletions: list[tuple[Item, Decision, float | None]] = []
    tally = _Tally(ctx.now)
    decisions = [decide(item.resource, ctx.policy, item.history, ctx.now) for item in items]
    links = settle(items, decisions)
    names = {item.id: item.name for item in items} if links else {}
    for item, decision in zip(items, decisions, strict=True):
        tally.add(decision)
        verdict = decision.verdict
        dollars = None
        if verdict is Verdict.WARN or verdict is Verdict.DELETE:  # priced only where someone reads it
            dollars = avoided(item.hourly_usd, ctx.horizon_days)
        together = related(item.id, links, names) if links else []
        plan.findings.extend(_findings(item, decision, dollars, together))
        owner = item.tag("owner")
        if verdict is Verdict.WARN and decision.warning:
            warnings[owner].append(_warning_entry(item, decision, dollars, ctx, together))
        elif decision.violations and "@" in owner:
            key = violation_key(decision)
            if key not in item.history.warnings:
                notices[owner].append(
                    {"id": item.id, "name": item.name, "violations": list(decision.violations), "key": key}
                )
        elif verdict is Verdict.DELETE:
            deletions.append((item, decision, dollars))
    plan.findings.extend(quota.findings(items, QUOTAS, ctx.quotas))
    plan.actions.extend(owner_mails("warn", warnings, "expiring soon", ctx.now))
    plan.actions.extend(owner_mails("notify_violations", notices, "with tag violations", ctx.now))
    deletions.sort(key=lambda d: rank(d[0].type))
    plan.actions.extend(_deletion(item, decision, dollars, ctx.now) for item, decision, dollars in deletions)
    plan.summary.update(
        to_delete=len(deletions),
        owners_to_warn=len([o for o in warnings if o]),
        **tally.counts,
        cost_avoided_usd=round(sum(d[2] or 0.0 for d in deletions), 2),
    )
    return plan


class _Tally:
    """The summary's counts, gathered in the one pass over the decisions."""

    def __init__(self, now: datetime) -> None:
        self.now, self.in_24h, self.in_48h = now, now + timedelta(hours=24), now + timedelta(hours=48)
        self.counts = dict.fromkeys(("tag_violations", "kept", "expiring_24h", "expiring_48h"), 0)

    def add(self, decision: Decision) -> None:
        counts = self.counts
        if decision.violations:
            counts["tag_violations"] += 1
        elif decision.verdict is Verdict.KEEP:
            counts["kept"] += 1
        elif decision.expires_at and self.now <= decision.expires_at <= self.in_48h:
            counts["expiring_48h"] += 1
            if decision.expires_at <= self.in_24h:
                counts["expiring_24h"] += 1


def _findings(item: Item, decision: Decision, dollars: float | None, together: list[str]) -> list[Finding]:
    resource = item.resource
    tags, rid = resource.normalised, resource.id
    details: dict[str, Any] = {
        "type": resource.type,
        "region": item.region,
        "name": item.name,
        "owner": tags.get("owner") or None,
        "project": tags.get("project") or None,
    }
    if decision.expires_at:
        details["expires_at"] = iso(decision.expires_at)
    if together:
        details["related"] = together
    found = []
    mismatch = (
        [Finding("created_at_mismatch", Severity.INFO, rid, decision.mismatch, dict(details))]
        if decision.mismatch
        else []
    )
    if decision.violations:
        details.update(violations=list(decision.violations), kept_reason=decision.reason)
        found.append(Finding("tag_violation", Severity.WARNING, rid, "; ".join(decision.violations), details))
    else:
        level, message = _ttl_line(decision)
        details.update(verdict=str(decision.verdict), reason=decision.reason)
        if decision.verdict is Verdict.KEEP:
            details["kept_reason"] = decision.reason
        if decision.verdict is Verdict.DELETE:
            details["cost_avoided_usd"] = dollars
        found.append(Finding("ttl", level, rid, message, details))
    return found + mismatch


def _ttl_line(decision: Decision) -> tuple[Severity, str]:
    """What the plan decided, never what happened: the action's outcome says that."""
    if decision.verdict is Verdict.KEEP:
        return Severity.OK, f"kept: {decision.reason}"
    if decision.verdict is Verdict.ALIVE:
        return Severity.OK, decision.reason
    if decision.verdict is Verdict.WARN:
        return Severity.INFO, f"{decision.reason}; owner warning due"
    if decision.verdict is Verdict.EXPIRED_WAITING:
        return Severity.INFO, decision.reason
    return Severity.INFO, f"{decision.reason}; due for deletion"


def _warning_entry(
    item: Item, decision: Decision, dollars: float | None, ctx: Context, together: list[str]
) -> dict[str, Any]:
    assert decision.expires_at is not None
    owner = item.tag("owner")
    entry: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "type": item.type,
        "region": item.region,
        "expires_at": iso(decision.expires_at),
        "key": decision.warning,
        "cost_avoided_usd": dollars,
        "related": together,
        "extend": f"python -m jobs.ttl_teardown extend {item.id} --days {ctx.extension_days[0]} "
        f"--reason '...' --by {owner}",
    }
    if ctx.snooze_key and ctx.snooze_url:
        entry["snooze"] = {
            days: snooze.link(ctx.snooze_url, ctx.snooze_key, item.id, owner, days, ctx.now, ctx.snooze_hours)
            for days in ctx.extension_days
        }
    return entry


def _deletion(item: Item, decision: Decision, dollars: float | None, now: datetime) -> Deletion:
    return Deletion(
        "delete",
        item.id,
        decision.reason,
        details={
            "type": item.type,
            "project": item.tag("project"),
            "owner": item.tag("owner"),
            "cost_avoided_usd": dollars,
        },
        at=now,
        target=item.target(),
    )
