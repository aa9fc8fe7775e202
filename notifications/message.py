"""What a notification says, independent of the channel that carries it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    @property
    def headline(self) -> str:
        prefix = "RESOLVED" if self.resolved else self.severity.upper()
        return f"[{prefix}] {self.title}"


def digest(messages: Sequence[Message]) -> Message:
    """Several messages for one chat/e-mail channel as one, so a bad day is one ping, not fifty."""
    if len(messages) == 1:
        return messages[0]
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
