"""Process-wide registry of secret values, scrubbed from every log line and result.

Defence in depth behind SecretStr: a `vault:`/`file:` reference may land in a plain
string field, and exception texts from client libraries may echo what they were sent.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words
_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None  # every form of every secret, longest first; rebuilt after register


def register(value: str) -> None:
    """`value` is secret; so is the password inside it when it is a URL (a DSN), which an
    error may quote alone. Its user and host are not: they name things."""
    global _pattern
    for secret in (value, *_url_password(value)):
        if len(secret) >= _MIN_LENGTH:
            with _lock:
                if secret not in _secrets:
                    _secrets.add(secret)
                    _pattern = None


def _url_password(value: str) -> set[str]:
    if "://" not in value:
        return set()
    try:
        password = urlsplit(value.strip()).password
    except ValueError:
        return set()
    return {password, unquote(password)} if password else set()


def _forms(secret: str) -> set[str]:
    """The secret as written and as JSON writes it (quotes, backslashes, non-ASCII escaped)."""
    return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}


def _compiled() -> re.Pattern[str]:
    """One alternation, longest form first, so a secret that contains another leaves no tail
    behind; a rotation run registers hundreds of values and scrubs every log line."""
    global _pattern
    with _lock:
        if _pattern is None:
            forms = sorted({f for s in _secrets for f in _forms(s)}, key=len, reverse=True)
            _pattern = re.compile("|".join(map(re.escape, forms)))
        return _pattern


def scrub(text: str) -> str:
    """`text` (plain or serialized JSON) with every registered secret replaced by ***."""
    if not _secrets:
        return text
    return _compiled().sub(MASK, text)


def scrub_data(data: Any) -> Any:
    """Scrub every string inside JSON-like data (results, notification fields)."""
    if not _secrets:
        return data
    if isinstance(data, str):
        return scrub(data)
    if isinstance(data, dict):
        return {scrub(str(k)): scrub_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [scrub_data(v) for v in data]
    return data


def forget_all() -> None:
    """For tests that load several unrelated settings in one process."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None
