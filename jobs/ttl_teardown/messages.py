"""What owners read: one message listing their resources, deadlines, cost and how to extend."""

from __future__ import annotations

from datetime import datetime, timedelta

from jobs.core.model import iso
from jobs.ttl_teardown.actions import OwnerMail
from jobs.ttl_teardown.settings import TtlTeardownSettings
from notifications.message import Message


def _money(value: float | None) -> str:
    return "cost unknown" if value is None else f"${value:,.2f}"


def deadline(expires_at: str, now: datetime, notice_hours: int) -> str:
    """When the resource goes, as the owner can act on it. A deadline already past is not
    "deleted from then on": this warning is the first for it, and the deletion waits for
    the notice (rules.decide), so name the first instant a run may delete it."""
    expires = datetime.fromisoformat(expires_at)
    if expires > now:
        return f"ttl ends {expires_at}, deleted from then on"
    earliest = iso(now + timedelta(hours=notice_hours))
    return f"ttl already ended on {expires_at}; due for deletion on the first run after {earliest}"


def owner_message(action: OwnerMail, cfg: TtlTeardownSettings) -> Message:
    """The owner's mail, dated by the plan's instant (the action's `at`)."""
    owner, entries, now = action.owner, action.entries, action.at
    if action.kind == "warn":
        title = f"{len(entries)} of your non-production resources will be deleted"
        lines = [
            f"- {e['name']} ({e['type']}{', ' + e['region'] if e.get('region') else ''}): "
            f"{deadline(e['expires_at'], now, cfg.notice_hours)}; "
            f"{_money(e.get('cost_avoided_usd'))} over {cfg.cost.horizon_days:g} days"
            + (f"; goes with {', '.join(e['related'])}" if e.get("related") else "")
            for e in entries
        ]
        lines.append("")
        lines.append(
            f"To keep one longer (up to {cfg.extension.max_count} times, {cfg.extension.max_total_days} days in all):"
        )
        for e in entries:
            lines.append(f"  {e['extend']}")
            for days, link in (e.get("snooze") or {}).items():
                lines.append(f"  or extend {e['name']} by {days} days: {link}")
    else:
        title = f"{len(entries)} of your resources have tag problems and will not be cleaned up"
        lines = [f"- {e['name']}: {'; '.join(e['violations'])}" for e in entries]
        lines.append("")
        lines.append(
            "Fix the tags (environment, owner, project, cost-center, ttl, created_at, auto-teardown, data-class)."
        )
    return Message(
        severity="warning",
        title=title,
        body="\n".join(lines),
        source="ttl-teardown",
        fields={"owner": owner, "resources": str(len(entries))},
        dedup_key=f"ttl-teardown:{action.kind}:{owner}",
        recipients=(owner,),
    )
