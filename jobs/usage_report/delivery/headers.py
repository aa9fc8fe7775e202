"""Untrusted text made safe for a mail header: one line, one address.

Tenant names and contact addresses come from the control plane. In a header, a line break
would start a header of its own (`Bcc: someone@else`), and `a@b, c@d` in one contact would
mail a second party: so a name is made one line, and a contact must be exactly one valid
address, refused otherwise (never split, never passed on).
"""

from __future__ import annotations

import email.errors
from email.headerregistry import Address
from email.utils import parseaddr


def one_line(text: str) -> str:
    """`text` with every line break, tab and control character a single space: safe in a header."""
    kept = "".join(" " if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 else c for c in text)
    return " ".join(kept.split())  # str.split breaks on \x1c-\x1f, \x85, U+2028, U+2029 too


def address(raw: str) -> str | None:
    """`raw` (surrounding spaces aside) as one valid addr-spec, or None: no display name, no list,
    no control character, a local part and a domain."""
    text = raw.strip()
    if not text or one_line(text) != text or " " in text:
        return None
    try:
        parsed = Address(addr_spec=text)
    except (ValueError, IndexError, email.errors.MessageError):
        return None
    return parsed.addr_spec if parsed.username and parsed.domain else None


def addresses(raws: tuple[str, ...] | list[str]) -> tuple[list[str], list[str]]:
    """(valid addresses, each once whatever its case; the raw values refused), in order."""
    valid: dict[str, str] = {}
    refused = []
    for raw in raws:
        found = address(raw)
        if found is None:
            refused.append(raw)
        else:
            valid.setdefault(found.lower(), found)
    return list(valid.values()), refused


def domain(sender: str) -> str:
    """The sender's domain, for a Message-ID (`Secops <secops@example.test>` → example.test)."""
    found = parseaddr(sender)[1].rpartition("@")[2]
    return "".join(c for c in found if c.isascii() and (c.isalnum() or c in ".-")) or "localhost"
