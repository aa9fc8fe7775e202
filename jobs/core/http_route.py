"""What every public route of the Lambda function URL shares: anyone on the internet reaches
them, so each does as little as it can for a caller it has not verified.

Here: the headers every answer carries (nothing cached, sniffed, framed or referred), the
method and headers read from any event shape without raising (a `requestContext.http` null is a
request without a method, not an AttributeError), a body capped before it is decoded, a
credential compared in constant time as bytes (a non-ASCII one is a wrong one, never a
TypeError from compare_digest), and the settings loaded once per cold start. `Refused` carries
a status and a short public reason; details of ours go to the logs only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from jobs.core import redact
from jobs.core.errors import ConfigError

if TYPE_CHECKING:
    from jobs.core.settings import Settings

log = logging.getLogger("secops.http")

#: on every answer of a public route: the page may hold a signed link or a token's verdict
SECURITY_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}


class Refused(Exception):
    """The request is not served: `status` and a short public `reason` (no detail of ours)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def headers_for(content_type: str, **extra: str) -> dict[str, str]:
    return {"Content-Type": content_type, **SECURITY_HEADERS, **extra}


def method(event: Mapping[str, Any]) -> str:
    """The HTTP method upper-cased; "" when the event has none (any shape, never raising)."""
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else None
    found = http.get("method") if isinstance(http, Mapping) else None
    return found.upper() if isinstance(found, str) else ""


def body(event: Mapping[str, Any], limit: int) -> bytes:
    """The raw bytes sent; 413 past `limit` (checked before anything is decoded), 400 for a
    body that is no text or bad base64."""
    text = event.get("body") or ""
    if not isinstance(text, str):
        raise Refused(400, "no body")
    encoded = bool(event.get("isBase64Encoded"))
    if len(text) > (4 * ((limit + 2) // 3) if encoded else limit):
        raise Refused(413, f"the body is larger than {limit} bytes")
    if encoded:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise Refused(400, "the body is not base64") from None
    else:
        raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > limit:
        raise Refused(413, f"the body is larger than {limit} bytes")
    return raw


def headers(event: Mapping[str, Any]) -> dict[str, str]:
    """Lower-cased names; two spellings of one header that disagree are refused (which one a
    proxy would have used is unknown)."""
    found: dict[str, str] = {}
    given = event.get("headers")
    for name, value in given.items() if isinstance(given, Mapping) else ():
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        key = name.lower()
        if key in found and found[key] != value:
            raise Refused(400, f"header {key} given twice")
        found[key] = value
    return found


def same_secret(given: str, expected: bytes) -> bool:
    """hmac.compare_digest over bytes: any text a caller sends (non-ASCII, a lone surrogate)
    compares, and differs, in constant time."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected)


_cache_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Settings] = {}


def settings_once(route: str) -> Settings:
    """The settings (every `file:`/`vault:` reference resolved), loaded once per cold start:
    keyed by the settings file (its path, mtime and size) and the `SECOPS_*` environment, so a
    redeploy or a test that changes either is read afresh. 503 when they do not load, the
    reason in the logs only."""
    from jobs.core.resolve import load_settings

    path = os.environ.get("SECOPS_CONFIG")
    key = (path, _stamp(path), tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SECOPS_"))))
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        try:
            loaded = load_settings()
        except ConfigError as exc:
            log.error("route_not_configured", extra={"fields": {"route": route, "error": redact.scrub(str(exc))}})
            raise Refused(503, "not configured") from None
        _cache.clear()
        _cache[key] = loaded
        return loaded


def _stamp(path: str | None) -> tuple[int, int] | None:
    try:
        info = Path(path).stat() if path else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size) if info else None
