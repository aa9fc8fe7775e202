"""Severity routing: every message reaches every channel of its route, or is recorded.

One failing channel never blocks the others; transient errors are retried with
bounded backoff, permanent ones are recorded at once.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from jobs.core import redact
from jobs.core.errors import PermanentError, TransientError
from jobs.core.retry import RetryPolicy, call_with_retry
from notifications.base import Notifier
from notifications.message import Message, digest

log = logging.getLogger("secops.notifications")


@dataclass
class Delivery:
    sent: list[str] = field(default_factory=list)  # channels that delivered something
    errors: list[tuple[str, str]] = field(default_factory=list)  # (channel, what went wrong)
    delivered: set[int] = field(default_factory=set)  # messages every channel of their route took


class Router:
    def __init__(
        self,
        routes: Mapping[str, Sequence[str]],
        notifiers: Mapping[str, Notifier],
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.routes, self.notifiers, self.sleep = routes, notifiers, sleep
        self.retry = retry or RetryPolicy(attempts=3, base_delay=1.0, max_delay=30.0)

    def deliver(self, messages: Sequence[Message]) -> Delivery:
        """Send each message to every channel of its severity's route.

        A message counts as delivered only when all of them took it, so a pager that
        failed is tried again next run even though the e-mail went out.
        """
        result = Delivery()
        per_channel: dict[str, list[int]] = defaultdict(list)
        for index, message in enumerate(messages):
            for channel in self.routes.get(message.severity, ()):
                per_channel[channel].append(index)
        failed: set[int] = set()
        for channel, indexes in per_channel.items():
            notifier = self.notifiers[channel]
            for message, batch in self._batches(notifier, [messages[i] for i in indexes], indexes):
                if self._send(channel, notifier, message, result):
                    if channel not in result.sent:
                        result.sent.append(channel)
                else:
                    failed.update(batch)
        routed = {i for indexes in per_channel.values() for i in indexes}
        result.delivered = routed - failed
        return result

    @staticmethod
    def _batches(notifier: Notifier, messages: list[Message], indexes: list[int]) -> list[tuple[Message, list[int]]]:
        if notifier.per_message:
            return [(m, [i]) for m, i in zip(messages, indexes, strict=True)]
        groups: dict[tuple[str, bool, tuple[str, ...], str | None], list[int]] = defaultdict(list)
        for pos, m in enumerate(messages):  # a group's messages are one, whatever their severities
            groups[(m.severity if m.group is None else "", m.resolved, m.recipients, m.group)].append(pos)
        return [
            (digest([messages[p] for p in positions]), [indexes[p] for p in positions]) for positions in groups.values()
        ]

    def _send(self, channel: str, notifier: Notifier, message: Message, result: Delivery) -> bool:
        try:
            call_with_retry(lambda: notifier.send(message), self.retry, self.sleep)
            return True
        except Exception as exc:  # noqa: BLE001 - any channel bug is recorded, never allowed to stop the others
            detail = str(exc) if isinstance(exc, TransientError | PermanentError) else repr(exc)
            error = redact.scrub(f"{message.title}: {detail}")
            result.errors.append((channel, error))
            log.warning("notification_failed", extra={"fields": {"channel": channel, "error": error}})
            return False
