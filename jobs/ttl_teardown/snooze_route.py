"""The `/snooze` route of the Lambda function URL: the links in warning e-mails.

GET shows what the link would do and a button; only POST extends. Mail scanners fetch
every link they see, and a GET that acted would extend everything they opened.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jobs.core.errors import ConfigError


def _page(status: int, title: str, text: str, form: str = "") -> dict[str, Any]:
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}</body></html>"
    )
    return {"statusCode": status, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": body}


def _params(event: dict[str, Any]) -> dict[str, str]:
    params = dict(event.get("queryStringParameters") or {})
    if event.get("body") and not event.get("isBase64Encoded"):
        params.update(dict(parse_qsl(str(event["body"]))))
    return {k: str(v) for k, v in params.items()}


def respond(
    event: dict[str, Any], now: datetime | None = None, clients: dict[str, Any] | None = None
) -> dict[str, Any]:
    from jobs.core.resolve import load_settings
    from jobs.ttl_teardown import snooze
    from jobs.ttl_teardown.extend import extend
    from jobs.ttl_teardown.lookup import ExtensionRefused

    now = now or datetime.now(UTC)
    try:
        settings = load_settings()
    except ConfigError:
        return _page(500, "Not available", "The teardown service is misconfigured; nothing was changed.")
    cfg = getattr(settings, "ttl_teardown")  # noqa: B009 - the section is added from the job registry
    if cfg.snooze.hmac_key is None:
        return _page(404, "Not available", "Snooze links are not enabled.")
    params = _params(event)
    ok, why = snooze.verify(params, cfg.snooze.hmac_key.get_secret_value().encode(), now)
    if not ok:
        return _page(403, "This link cannot be used", why + ". Nothing was changed.")
    what = f"Keep {params['r']} for {params['d']} more days (asked by {params['o']})."
    if event["requestContext"]["http"].get("method", "GET").upper() != "POST":
        form = f"<form method='post' action='?{html.escape(urlencode(params))}'><button>Extend</button></form>"
        return _page(200, "Extend this resource?", what, form)
    try:
        answer = extend(settings, params["r"], int(params["d"]), "snooze link", params["o"], now, clients)
    except ExtensionRefused as exc:
        return _page(409, "Not extended", str(exc))
    return _page(200, "Extended", f"{params['r']} now expires at {answer['expires_at']}.")
