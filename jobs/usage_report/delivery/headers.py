"""Untrusted text made safe for a mail header: one line, one address.

Tenant names and contact addresses come from the control plane. In a header, a line break
would start a header of its own (`Bcc: someone@else`), and `a@b, c@d` in one contact would
mail a second party: so a name is made one line, and a contact must be exactly one valid
address, refused otherwise (never split, never passed on).
"""

from __future__ import annotations

import email.errors
import re
from email.headerregistry import Address
from email.utils import parseaddr

#: what a reader may take for the end of a line besides CR and LF (str.splitlines' own list)
#: a dot-atom local part (RFC 5322 atext and dots)
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def one_line(text: str) -> str:
    """`text` with every line break, tab and control character a single space, runs of spaces one:
    safe in a header. No-break spaces stay (French typography: `Globex SA : ...`)."""
    kept = "".join(" " if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in _BREAKS else c for c in text)
    return re.sub(" {2,}", " ", kept).strip(" ")


def address(raw: str) -> str | None:
    """`raw` (surrounding spaces aside) as one valid addr-spec, or None: no display name, no list,
    no control character, an ASCII local part and a domain (IDNA-encoded when accented)."""
    text = raw.strip()
    if not text or one_line(text) != text or " " in text:
        return None
    try:
        parsed = Address(addr_spec=text)
    except (ValueError, IndexError, email.errors.MessageError):
        return None
    if not _LOCAL.fullmatch(parsed.username) or not parsed.domain:
        return None  # a quoted or non-ASCII mailbox (that needs SMTPUTF8, which few servers offer)
    try:
        host = parsed.domain.encode("idna").decode("ascii")  # an accented domain as punycode
    except UnicodeError:
        return None
    return f"{parsed.username}@{host}"


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
