"""What a notification says, independent of the channel that carries it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class Message:
    """`severity` routes it; `dedup_key` ties a trigger to its later resolve (PagerDuty)."""

    severity: str  # critical | warning | info
    title: str
    body: str
    source: str = "secops-jobs"  # the job id
    fields: Mapping[str, str] = field(default_factory=dict)
    dedup_key: str | None = None
    attachments: tuple[Attachment, ...] = ()
    resolved: bool = False  # a "this is fixed" note rather than an alert
    recipients: tuple[str, ...] = ()  # e-mail addresses overriding the severity's list
    #: messages of one group (a job's unit, e.g. `repo:app`) are one message on a digest channel
    group: str | None = None

    @property
    def headline(self) -> str:
        prefix = "RESOLVED" if self.resolved else self.severity.upper()
        return f"[{prefix}] {self.title}"


_RANK = {"critical": 3, "warning": 2, "info": 1}
TOP = 10


def digest(messages: Sequence[Message]) -> Message:
    """Several messages for one chat/e-mail channel as one, so a bad day is one ping, not fifty."""
    if len(messages) == 1:
        return messages[0]
    if messages[0].group is not None:
        return group_digest(messages)
    first = messages[0]
    what = "resolved" if first.resolved else f"{first.severity} alerts"
    lines = [f"• {m.title}: {m.body.splitlines()[0] if m.body else ''}".rstrip(": ") for m in messages]
    return Message(
        severity=first.severity,
        title=f"{first.source}: {len(messages)} {what}",
        body="\n".join(lines),
        source=first.source,
        attachments=tuple(a for m in messages for a in m.attachments),
        resolved=first.resolved,
        recipients=first.recipients,
    )


def group_digest(messages: Sequence[Message]) -> Message:
    """The messages of one group (all with its `group`) as one: counts by severity and type,
    then the worst few, each by its title and masked form; at the worst severity."""
    ordered = sorted(messages, key=lambda m: (-_RANK.get(m.severity, 0), m.title))
    first = ordered[0]
    severities = _counts(m.severity for m in ordered)
    types = _counts(m.fields.get("type", "other") for m in ordered)
    lines = [f"By severity: {severities}", f"By type: {types}", "Top findings:"]
    for m in ordered[:TOP]:
        masked = m.fields.get("redacted")
        lines.append(f"• [{m.severity}] {m.title}" + (f" ({masked})" if masked else ""))
    if len(ordered) > TOP:
        lines.append(f"… and {len(ordered) - TOP} more")
    return Message(
        severity=first.severity,
        title=f"{first.group}: {len(ordered)} findings ({severities})",
        body="\n".join(lines),
        source=first.source,
        fields={"group": str(first.group), "findings": str(len(ordered))},
        dedup_key=f"{first.source}:{first.group}",
        attachments=tuple(a for m in ordered for a in m.attachments),
        resolved=first.resolved,
        recipients=first.recipients,
        group=first.group,
    )


def _counts(values: Iterable[str]) -> str:
    tally: dict[str, int] = {}
    for value in values:
        tally[value] = tally.get(value, 0) + 1
    return ", ".join(f"{count} {name}" for name, count in tally.items())
