"""The `/snooze` route of the Lambda function URL: the links in warning e-mails.

Anyone on the internet can reach it, and a signed link is all it checks, so it does as little
as it can for a caller it has not verified, in this order: GET or POST only (405); the link's
six fields from the query (GET) or from a form body of at most MAX_BODY bytes (POST; 413), each
once, canonical and nothing else (400); the settings, loaded once per cold start (503 "not
configured", also without a key of 32 bytes); the signature (403) and the expiry (410). Only
then is the state DB or the inventory read.

GET shows what the link would do and a button (mail scanners fetch every link they see, and a
GET that acted would extend everything they opened), or, once the link was used, what it did.
POST extends, once: the link's signature is recorded with the extension in one transaction, a
second use answers 409 "already used", and success answers 303 to the link's GET, so a refresh
of the result page shows it again instead of posting again. A refusal says "not found" or
"cannot extend now"; what the inventory or the rules said goes to the logs.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from jobs.core import http_route, logs, redact
from jobs.core.errors import ConfigError, PermanentError, StateUnavailable, TransientError
from jobs.core.http_route import Refused
from jobs.core.model import iso
from jobs.core.settings import Settings
from jobs.ttl_teardown import snooze
from jobs.ttl_teardown.settings import TtlTeardownSettings

log = logging.getLogger("secops.ttl_teardown.snooze")

#: a form of six fields, the longest resource and address percent-encoded, fits well within this
MAX_BODY: Final = 8 * 1024
MAX_QUERY: Final = MAX_BODY
_PATH: Final = re.compile(r"/[A-Za-z0-9_/-]{1,64}")
_TITLES: Final = {
    400: "This link cannot be used",
    403: "This link cannot be used",
    404: "Not found",
    405: "Not allowed",
    409: "Not extended",
    410: "This link has expired",
    413: "This link cannot be used",
    414: "This link cannot be used",
    500: "Not extended",
    503: "Not available",
}


def _page(status: int, title: str, text: str, form: str = "", **headers: str) -> dict[str, Any]:
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}</body></html>"
    )
    return {
        "statusCode": status,
        "headers": http_route.headers_for("text/html; charset=utf-8", **headers),
        "body": body,
    }


def respond(
    event: Mapping[str, Any], now: datetime | None = None, clients: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The route's answer to one function-URL event. Never raises: what a caller sent is a 4xx
    page, an outage of ours a 503; anything else is logged with its traceback and is a 500."""
    try:
        return _respond(event, now or datetime.now(UTC), clients)
    except Refused as refused:
        extra = {"Allow": "GET, POST"} if refused.status == 405 else {}
        title = _TITLES.get(refused.status, "Not extended")
        return _page(refused.status, title, refused.reason[:1].upper() + refused.reason[1:] + ".", **extra)
    except Exception:  # the last resort of a public route: a bug of ours, never a traceback to the caller
        logs.ensure_configured()
        log.exception("snooze_failed")
        return _page(500, "Not extended", "Cannot extend now. Nothing was changed.")


def _respond(event: Mapping[str, Any], now: datetime, clients: Mapping[str, Any] | None) -> dict[str, Any]:
    verb = http_route.method(event)
    if verb not in ("GET", "POST"):
        raise Refused(405, "only GET and POST")
    fields = _query(event) if verb == "GET" else _form(event)
    settings = http_route.settings_once("/snooze")
    section = getattr(settings, "ttl_teardown", None)
    key = snooze.signing_key(section.snooze) if isinstance(section, TtlTeardownSettings) else None
    if key is None:
        raise Refused(503, "not configured")
    link = snooze.verify(fields, key, now)
    path = _path(event)
    if verb == "GET":
        return _show(settings, link, path)
    return _extend(settings, link, path, now, clients)


def _fields(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The six fields, each once, and nothing else (checked before the settings are read)."""
    found: dict[str, str] = {}
    for name, value in pairs:
        if name in found or name not in snooze.FIELDS:
            raise Refused(400, "this link is incomplete or altered")
        found[name] = value
    if len(found) != len(snooze.FIELDS):
        raise Refused(400, "this link is incomplete or altered")
    return found


def _parse(text: str) -> dict[str, str]:
    """A query or form of the link's fields only: strict, UTF-8 only, at most six fields."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict", max_num_fields=6)
    except ValueError:  # UnicodeDecodeError (`%FF`) too
        raise Refused(400, "this link is incomplete or altered") from None
    return _fields(pairs)


def _query(event: Mapping[str, Any]) -> dict[str, str]:
    raw = event.get("rawQueryString")
    if isinstance(raw, str) and raw:
        if len(raw) > MAX_QUERY:
            raise Refused(414, "this link is too long")
        return _parse(raw)
    given = event.get("queryStringParameters")
    pairs = list(given.items()) if isinstance(given, Mapping) else []
    if any(not isinstance(v, str) or len(v) > MAX_QUERY for _, v in pairs) or len(pairs) > len(snooze.FIELDS):
        raise Refused(400, "this link is incomplete or altered")
    return _fields([(str(k), str(v)) for k, v in pairs])


def _form(event: Mapping[str, Any]) -> dict[str, str]:
    raw = http_route.body(event, MAX_BODY)
    try:
        return _parse(raw.decode("ascii"))  # a browser percent-encodes a form: raw non-ASCII is no form of ours
    except UnicodeDecodeError:
        raise Refused(400, "this link is incomplete or altered") from None


def _path(event: Mapping[str, Any]) -> str:
    """Where the route is served (the redirect's target), from the dispatcher's own table."""
    path = event.get("rawPath")
    return path if isinstance(path, str) and _PATH.fullmatch(path) else "/snooze"


def _short(link: snooze.Link) -> str:
    """What a log line names a link by: enough to find its row, not enough to be the link."""
    return link.signature[:12]


def _show(settings: Settings, link: snooze.Link, path: str) -> dict[str, Any]:
    from jobs.ttl_teardown.extend import used_link

    try:
        used = used_link(http_route.state_once(settings), link.signature)
    except (StateUnavailable, ConfigError) as exc:
        log.error("snooze_state_unavailable", extra={"fields": {"error": redact.scrub(str(exc))}})
        raise Refused(503, "cannot extend now") from None
    if used is not None:
        text = f"{used.resource} was extended by {used.days:g} days on {iso(used.at)}. This link is used."
        return _page(200, "Extended", text)
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{html.escape(value, quote=True)}'>"
        for name, value in link.fields().items()
    )
    form = f"<form method='post' action='{html.escape(path, quote=True)}'>{hidden}<button>Extend</button></form>"
    until = iso(datetime.fromtimestamp(link.expires, UTC))
    text = (
        f"Keep {link.resource} for {link.days} more days (asked by {link.owner})? The link works once, until {until}."
    )
    return _page(200, "Extend this resource?", text, form)


def _extend(
    settings: Settings, link: snooze.Link, path: str, now: datetime, clients: Mapping[str, Any] | None
) -> dict[str, Any]:
    from jobs.ttl_teardown.extend import extend
    from jobs.ttl_teardown.lookup import ExtensionRefused, LinkUsed, NotFound, Unreadable

    try:
        state = http_route.state_once(settings)
        extend(settings, link.resource, link.days, "snooze link", link.owner, now, clients, link.signature, state)
    except LinkUsed:
        log.warning(
            "snooze_refused",
            extra={"fields": {"resource": link.resource, "reason": "already used", "link": _short(link)}},
        )
        raise Refused(409, "this link was already used") from None
    except (
        NotFound,
        Unreadable,
        ExtensionRefused,
        StateUnavailable,
        ConfigError,
        PermanentError,
        TransientError,
    ) as exc:
        why = {"resource": link.resource, "owner": link.owner, "days": link.days, "reason": redact.scrub(str(exc))}
        log.warning("snooze_refused", extra={"fields": {**why, "link": _short(link)}})
        if isinstance(exc, NotFound):
            raise Refused(404, "not found") from None
        status = 409 if isinstance(exc, ExtensionRefused) and not isinstance(exc, Unreadable) else 503
        raise Refused(status, "cannot extend now") from None
    done = {"resource": link.resource, "owner": link.owner, "days": link.days, "link": _short(link)}
    log.info("snooze_extended", extra={"fields": done})
    location = f"{path}?{urlencode(link.fields())}"
    return _page(303, "Extended", "Extended.", Location=location)
