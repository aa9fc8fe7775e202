"""Process-wide registry of secret values, scrubbed from every log line and result.

Defence in depth behind SecretStr: a `vault:`/`file:` reference may land in a plain
string field, and exception texts from client libraries may echo what they were sent.
"""

from __future__ import annotations

import json
import threading
from typing import Any

MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words
_lock = threading.Lock()
_secrets: set[str] = set()


def register(value: str) -> None:
    if len(value) >= _MIN_LENGTH:
        with _lock:
            _secrets.add(value)


def _forms(secret: str) -> set[str]:
    """The secret as written and as JSON writes it (quotes, backslashes, non-ASCII escaped)."""
    return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}


def scrub(text: str) -> str:
    """`text` (plain or serialized JSON) with every registered secret replaced by ***.

    Longest first, so a secret that contains another leaves no tail behind.
    """
    if not _secrets:
        return text
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        for form in _forms(secret):
            if form in text:
                text = text.replace(form, MASK)
    return text


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
    with _lock:
        _secrets.clear()
