"""Snooze links in warning e-mails: HMAC-signed, time-limited, verified by the same code.

A link carries the resource, the owner, the days asked for and its own expiry; the
signature covers all four, so none can be changed. Served by the Lambda function URL
route (`/snooze`), which then runs the same extension rules as the command line.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import urlencode


def _signature(key: bytes, resource: str, owner: str, days: int, expires: int) -> str:
    message = "\n".join([resource, owner.lower(), str(days), str(expires)]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def link(base_url: str, key: bytes, resource: str, owner: str, days: int, now: datetime, valid_hours: int) -> str:
    expires = int((now + timedelta(hours=valid_hours)).timestamp())
    query = {"r": resource, "o": owner, "d": days, "e": expires, "s": _signature(key, resource, owner, days, expires)}
    return f"{base_url.rstrip('/')}/snooze?{urlencode(query)}"


def verify(params: dict[str, str], key: bytes, now: datetime) -> tuple[bool, str]:
    """(ok, why): a link is good if intact, unexpired and for a whole number of days."""
    try:
        resource, owner, days, expires, signature = (params[k] for k in ("r", "o", "d", "e", "s"))
        wanted = _signature(key, resource, owner, int(days), int(expires))
    except (KeyError, ValueError):
        return False, "the link is incomplete"
    if not hmac.compare_digest(wanted, signature):
        return False, "the link's signature does not match"
    if now.timestamp() > int(expires):
        return False, "the link has expired"
    return True, "ok"
