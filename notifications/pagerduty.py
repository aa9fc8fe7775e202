"""PagerDuty Events API v2: trigger and resolve, tied together by dedup_key."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from jobs.core.digits import is_ascii_digits
from jobs.core.errors import PermanentError, TransientError
from notifications.message import Message
from notifications.settings import PagerDutySettings

_SEVERITY = {"critical": "critical", "warning": "warning", "info": "info"}


def event_for(message: Message, config: PagerDutySettings) -> dict[str, Any]:
    dedup_key = message.dedup_key or hashlib.sha256(f"{message.source}:{message.title}".encode()).hexdigest()
    event: dict[str, Any] = {
        "routing_key": config.routing_key.get_secret_value(),
        "event_action": "resolve" if message.resolved else "trigger",
        "dedup_key": dedup_key[:255],
    }
    if not message.resolved:
        event["payload"] = {
            "summary": message.title[:1024],
            "source": config.source,
            "severity": _SEVERITY.get(message.severity, "error"),
            "component": message.source,
            "custom_details": {"body": message.body, **dict(message.fields)},
        }
        event["client"] = "secops-jobs"
    return event


class PagerDutyNotifier:
    name = "pagerduty"
    per_message = True  # one incident per finding, so each resolves on its own

    def __init__(self, config: PagerDutySettings) -> None:
        self.config = config

    def send(self, message: Message) -> None:
        try:
            with httpx.Client(timeout=self.config.timeout_seconds) as client:
                response = client.post(self.config.events_url, json=event_for(message, self.config))
        except httpx.TransportError as exc:
            raise TransientError(f"pagerduty unreachable: {type(exc).__name__}") from None
        if response.status_code == 202:
            return
        detail = _error_text(response)
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After")
            raise TransientError(detail, float(retry_after) if retry_after and is_ascii_digits(retry_after) else None)
        raise PermanentError(detail)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        errors = "; ".join(body.get("errors") or []) or body.get("message", "")
    except ValueError:
        errors = response.text[:200]
    return f"pagerduty HTTP {response.status_code}: {errors}"
