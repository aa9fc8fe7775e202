"""The `/gitlab-push` route (PLACEHOLDER of the skeleton)."""

from __future__ import annotations

from typing import Any


def respond(event: dict[str, Any], **_: Any) -> dict[str, Any]:
    return {"statusCode": 404, "body": "not built yet"}
