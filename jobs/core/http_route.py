"""What every public route of the Lambda function URL shares: anyone on the internet reaches
them, so each does as little as it can for a caller it has not verified.

Here: the headers every answer carries (nothing cached, sniffed, framed or referred), the
method and headers read from any event shape without raising (a `requestContext.http` null is a
request without a method, not an AttributeError), a body capped before it is decoded, a
credential compared in constant time as bytes (a non-ASCII one is a wrong one, never a
TypeError from compare_digest), the settings loaded once per cold start (and the logs set up
from them, as a run sets them up), and one state store per cold start (a warm instance holds
one connection to the state DB, not one per request). `Refused` carries a status and a short
public reason; details of ours go to the logs only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from jobs.core import logs, redact
from jobs.core.errors import ConfigError
from jobs.core.state.engine import StateStore

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


#: settings that failed to load are not loaded again for this long: a Vault outage or a short
#: key is not one more Vault read per anonymous request; a fixed reference is read after it
#: (a changed settings file at once: its stamp is in the key)
RETRY_FAILED_SECONDS: Final = 60.0
#: the longest a request waits for another request's load of the settings (then 503)
WAIT_SECONDS: Final = 30.0


@dataclass
class _Load:
    """One load of the settings: the requests arriving during it wait for it, not behind it."""

    done: threading.Event = field(default_factory=threading.Event)
    settings: Settings | None = None
    failed_at: float | None = None


_cache_lock = threading.Lock()
_loads: dict[tuple[Any, ...], _Load] = {}


def settings_once(route: str) -> Settings:
    """The settings (every `file:`/`vault:` reference resolved), loaded once per cold start:
    keyed by the settings file (its path, mtime and size) and the `SECOPS_*` environment, so a
    redeploy or a test that changes either is read afresh. One request loads them; the others
    arriving meanwhile wait for that load (at most WAIT_SECONDS), never one after the other. A
    failure is remembered for RETRY_FAILED_SECONDS. 503 when they do not load, the reason in
    the logs only."""
    path = os.environ.get("SECOPS_CONFIG")
    key = (path, _stamp(path), tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SECOPS_"))))
    load, mine = _claim(key)
    if mine:
        _load(load, route)
    elif not load.done.wait(WAIT_SECONDS):
        raise Refused(503, "not configured")
    if load.settings is None:
        raise Refused(503, "not configured")
    return load.settings


def _claim(key: tuple[Any, ...]) -> tuple[_Load, bool]:
    """The load of `key` under way or done, or a new one this request makes (True)."""
    with _cache_lock:
        found = _loads.get(key)
        failed_at = found.failed_at if found is not None else None
        if found is not None and (failed_at is None or time.monotonic() - failed_at < RETRY_FAILED_SECONDS):
            return found, False
        _loads.clear()
        fresh = _loads[key] = _Load()
        return fresh, True


def _load(load: _Load, route: str) -> None:
    """Load the settings and set the logs up from them (once per cold start, as a run does:
    the route's lines carry their fields at the configured level; the defaults' when the
    settings do not load)."""
    from jobs.core.resolve import load_settings

    try:
        load.settings = load_settings()
        logs.configure(load.settings.log_level)
    except ConfigError as exc:
        logs.configure()
        log.error("route_not_configured", extra={"fields": {"route": route, "error": redact.scrub(str(exc))}})
    finally:
        if load.settings is None:
            load.failed_at = time.monotonic()
        load.done.set()


_stores_lock = threading.Lock()
_stores: dict[tuple[str, float], StateStore] = {}


def state_once(settings: Settings) -> StateStore:
    """The routes' state store, one per cold start: built at the first request that needs it,
    migrated then (when `state_auto_migrate`), reused after. A store per request would leave a
    connection pool behind each (until the garbage collector ran) and run the migrator, with its
    lock, on every request. StateUnavailable (not kept: the next request tries again) while the
    state DB cannot be reached."""
    key = (settings.state_db_url, settings.state_retry_seconds)
    with _stores_lock:
        store = _stores.get(key)
        if store is not None:
            return store
        store = StateStore(*key)
        try:
            if settings.state_auto_migrate:
                store.upgrade(datetime.now(UTC))
        except BaseException:
            store.engine.dispose()
            raise
        for old in _stores.values():  # the settings changed (a redeploy): the old DB is let go
            old.engine.dispose()
        _stores.clear()
        _stores[key] = store
        return store


def _stamp(path: str | None) -> tuple[int, int] | None:
    try:
        info = Path(path).stat() if path else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size) if info else None
