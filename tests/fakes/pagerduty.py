"""PagerDuty Events API v2: POST /v2/enqueue (developer.pagerduty.com, Events API v2).

202 {"status": "success", "message": "Event processed", "dedup_key": ...};
400 {"status": "invalid event", "message": "Event object is invalid", "errors": [...]};
429 when throttled.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.fakes.base import FakeServer, Request, Response

SEVERITIES = {"critical", "error", "warning", "info"}


class FakePagerDuty(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self.open_incidents: dict[str, dict[str, Any]] = {}
        self.route("POST", r"/v2/enqueue")(self._enqueue)

    @property
    def events_url(self) -> str:
        return f"{self.url}/v2/enqueue"

    def _enqueue(self, request: Request) -> Response:
        try:
            event = request.json()
        except ValueError:
            return Response(
                400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["JSON parse error"]}
            )
        errors = _validate(event)
        if errors:
            return Response(400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors})
        dedup_key = event.get("dedup_key") or uuid.uuid4().hex
        self.events.append(event)
        if event["event_action"] == "trigger":
            self.open_incidents[dedup_key] = event
        elif event["event_action"] == "resolve":
            self.open_incidents.pop(dedup_key, None)
        return Response(202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key})


def _validate(event: dict[str, Any]) -> list[str]:
    errors = []
    if not isinstance(event.get("routing_key"), str) or len(event["routing_key"]) != 32:
        errors.append("'routing_key' is invalid")
    action = event.get("event_action")
    if action not in {"trigger", "acknowledge", "resolve"}:
        errors.append("'event_action' is invalid")
    if action in {"acknowledge", "resolve"} and not event.get("dedup_key"):
        errors.append("'dedup_key' is required for acknowledge and resolve")
    if action == "trigger":
        payload = event.get("payload") or {}
        for key in ("summary", "source", "severity"):
            if not payload.get(key):
                errors.append(f"'payload.{key}' is missing or blank")
        if payload.get("severity") and payload["severity"] not in SEVERITIES:
            errors.append("'payload.severity' is invalid")
        if len(str(payload.get("summary", ""))) > 1024:
            errors.append("'payload.summary' is too long")
    return errors
