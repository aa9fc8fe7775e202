"""The Notifier protocol and the NOTIFIERS table (lazily imported channels)."""

from __future__ import annotations

from typing import Any, Final, Protocol

from notifications.message import Message

#: channel name → "module:Class"; a channel's heavy client loads only when it is used
NOTIFIERS: Final[dict[str, str]] = {
    "slack": "notifications.slack:SlackNotifier",
    "email": "notifications.email:EmailNotifier",
    "pagerduty": "notifications.pagerduty:PagerDutyNotifier",
    "file": "notifications.file:FileNotifier",
}


class Notifier(Protocol):
    name: str
    #: True: one call per message (incidents, outbox); False: a digest per send is better
    per_message: bool

    def send(self, message: Message) -> None:
        """Deliver or raise TransientError (retried) / PermanentError (recorded)."""


def build_notifier(name: str, config: Any) -> Notifier:
    from jobs.core.registry import load_attr

    notifier: Notifier = load_attr(NOTIFIERS[name])(config)
    return notifier
