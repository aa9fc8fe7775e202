"""Snooze links in warning e-mails: HMAC-signed, time-limited, verified by the same code.

A link carries a version, the resource, the owner, the days asked for and its own expiry;
the signature covers all of them, each length-prefixed after a version label, so none can be
changed, moved into another or read in another format. Only the canonical spelling verifies:
ASCII digits without sign, space or leading zero (`d=07`, full-width digits, `d=+7` are
refused, not read as 7), a lower-case hex signature, each field once and no other. Served by
the Lambda function URL route (`/snooze`, snooze_route.py), which then runs the same extension rules as the command
line; the route records the signature, so a link extends once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlencode

from jobs.core.digits import is_ascii_digits
from jobs.core.http_route import Refused, same_secret
from jobs.core.settings import MIN_SECRET_BYTES
from jobs.ttl_teardown.settings import SnoozeSettings

VERSION: Final = "1"
#: every field of a link, in its order; nothing else is accepted
FIELDS: Final = ("v", "r", "o", "d", "e", "s")
_LABEL: Final = b"secops-ttl-teardown-snooze\n"
_SIGNATURE: Final = re.compile(r"[0-9a-f]{64}")
#: the longest resource id (the state DB's column) and e-mail address (RFC 5321)
MAX_RESOURCE: Final = 512
MAX_OWNER: Final = 320
_MALFORMED: Final = "this link is incomplete or altered"
#: the last second a datetime can hold (9999-12-31T23:59:59Z): a later expiry is no link of ours
MAX_EXPIRES: Final = 253402300799


@dataclass(frozen=True)
class Link:
    """A link whose signature verified: its fields, as signed."""

    resource: str
    owner: str
    days: int
    expires: int
    signature: str

    def fields(self) -> dict[str, str]:
        """The query (or form) that carries this link, in FIELDS order."""
        values = (VERSION, self.resource, self.owner, str(self.days), str(self.expires), self.signature)
        return dict(zip(FIELDS, values, strict=True))


def signing_key(cfg: SnoozeSettings) -> bytes | None:
    """The one predicate of "snooze links are on", for the warning mail and the route alike:
    the key when it has MIN_SECRET_BYTES (settings refuse a shorter one), else None (no links
    in mails; the route answers 503)."""
    key = cfg.hmac_key.get_secret_value() if cfg.hmac_key is not None else ""
    return key.encode() if len(key.strip().encode()) >= MIN_SECRET_BYTES else None


def _signature(key: bytes, resource: str, owner: str, days: int, expires: int) -> str:
    parts = [VERSION, resource, owner, str(days), str(expires)]
    message = _LABEL + b"".join(b"%d:%s\n" % (len(p.encode()), p.encode()) for p in parts)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def link(base_url: str, key: bytes, resource: str, owner: str, days: int, now: datetime, valid_hours: int) -> str:
    expires = int((now + timedelta(hours=valid_hours)).timestamp())
    signed = Link(resource, owner, days, expires, _signature(key, resource, owner, days, expires))
    return f"{base_url.rstrip('/')}/snooze?{urlencode(signed.fields())}"


def _number(text: str, most_digits: int) -> int:
    """A canonical ASCII number: digits only, no leading zero, at most `most_digits`."""
    if not (is_ascii_digits(text) and len(text) <= most_digits and (text == "0" or not text.startswith("0"))):
        raise Refused(400, _MALFORMED)
    return int(text)


def _text(text: str, longest: int) -> str:
    if not (0 < len(text) <= longest and text.isprintable() and text == text.strip()):
        raise Refused(400, _MALFORMED)
    return text


def verify(fields: Mapping[str, str], key: bytes, now: datetime) -> Link:
    """The link `fields` carry when it is canonical (400), signed with `key` (403) and not
    expired (410); Refused otherwise, with a reason that says nothing of ours."""
    if set(fields) != set(FIELDS) or fields["v"] != VERSION:
        raise Refused(400, _MALFORMED)
    resource, owner = _text(fields["r"], MAX_RESOURCE), _text(fields["o"], MAX_OWNER)
    days, expires = _number(fields["d"], 3), _number(fields["e"], 12)
    if expires > MAX_EXPIRES:
        raise Refused(400, _MALFORMED)
    signature = fields["s"]
    if not _SIGNATURE.fullmatch(signature):
        raise Refused(400, _MALFORMED)
    if not same_secret(signature, _signature(key, resource, owner, days, expires).encode()):
        raise Refused(403, "this link is not valid")
    if now.timestamp() > expires:
        raise Refused(410, "this link has expired")
    return Link(resource, owner, days, expires, signature)
