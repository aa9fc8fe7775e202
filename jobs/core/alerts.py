"""Alert state decisions: new, escalated, repeated, resolved. Pure; the runner acts on them.

The same finding at the same severity is not re-sent inside its severity's repeat
window (measured as cadence.elapsed does, so a daily run that starts a little early still
repeats a 24 h alert); a worse severity is sent at once; a finding that is gone sends a resolve.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs.core.cadence import elapsed
from jobs.core.model import Finding, Severity
from jobs.core.state.alerts import AlertRecord
from notifications.message import Message


class Change(enum.StrEnum):
    NEW = "new"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    REPEAT = "repeat"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class AlertDecision:
    key: str
    change: Change
    finding: Finding | None  # None when resolved
    previous: AlertRecord | None


def decide_alerts(
    findings: Iterable[Finding],
    previous: Mapping[str, AlertRecord],
    now: datetime,
    repeat_after_hours: Mapping[Any, float | None],
    resolve_missing: bool,
) -> list[AlertDecision]:
    """What to send now. `resolve_missing` is False when the inventory was incomplete,
    so a source that failed to answer never reads as "everything fixed"."""
    current: dict[str, Finding] = {}
    for finding in findings:
        if finding.severity is Severity.OK or finding.accepted:
            continue
        held = current.get(finding.alert_key)
        if held is None or finding.severity.rank > held.severity.rank:
            current[finding.alert_key] = finding
    decisions: list[AlertDecision] = []
    for key, finding in current.items():
        prev = previous.get(key)
        change = _change(finding, prev, now, repeat_after_hours)
        if change is not None:
            decisions.append(AlertDecision(key, change, finding, prev))
    if resolve_missing:
        decisions.extend(
            AlertDecision(key, Change.RESOLVED, None, prev) for key, prev in previous.items() if key not in current
        )
    return decisions


def _change(
    finding: Finding, prev: AlertRecord | None, now: datetime, repeat_after_hours: Mapping[Any, float | None]
) -> Change | None:
    if prev is None:
        return Change.NEW
    before = Severity(prev.severity)
    if finding.severity.rank > before.rank:
        return Change.ESCALATED
    if finding.severity.rank < before.rank:
        return Change.DEESCALATED
    window = repeat_after_hours.get(str(finding.severity))
    if window is not None and elapsed(prev.last_sent_at, now, window):
        return Change.REPEAT
    return None


def message_for(job_id: str, decision: AlertDecision, group: str | None = None) -> Message:
    dedup_key = f"{job_id}:{decision.key}"
    if decision.finding is None:
        assert decision.previous is not None
        return Message(
            severity=decision.previous.severity,
            title=decision.previous.title,
            body="No longer found in the latest run.",
            source=job_id,
            dedup_key=dedup_key,
            resolved=True,
        )
    finding = decision.finding
    body = finding.message
    if decision.change is Change.ESCALATED and decision.previous:
        body += f" (was {decision.previous.severity})"
    elif decision.change is Change.DEESCALATED and decision.previous:
        body += f" (improved from {decision.previous.severity})"
    return Message(
        severity=str(finding.severity),
        title=f"{finding.resource}: {finding.message}",
        body=body,
        source=job_id,
        fields=_fields(finding),
        dedup_key=dedup_key,
        group=group,
    )


def _fields(finding: Finding) -> dict[str, str]:
    fields = {"resource": finding.resource, "type": finding.type}
    for key, value in finding.details.items():
        if isinstance(value, str | int | float | bool):
            fields[key] = str(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            fields[key] = ", ".join(value) or "-"
    return fields


def record_after_send(decision: AlertDecision, now: datetime) -> AlertRecord | None:
    """The state to keep once `decision` was delivered (None: forget the key)."""
    if decision.finding is None:
        return None
    first = decision.previous.first_sent_at if decision.previous else now
    title = f"{decision.finding.resource}: {decision.finding.message}"
    return AlertRecord(str(decision.finding.severity), title, first, now)
