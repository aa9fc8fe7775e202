"""A tenant's `contact_email` as addresses to mail: pure, so a property can throw anything at it.

The control plane holds one text column, "one or several, comma-separated", typed by people:
`"ops@acme.example, Finance@Acme.example ,, ops@ACME.example"`. What comes out is each address
once (the first spelling wins; addresses differing only in case are one mailbox in practice),
stripped, with an internationalised domain in its ASCII (IDNA) form so any SMTP server takes
it. Whatever is not an address is dropped and named in a problem: the report goes to the
others, and the job says which one it could not use, never a crash and never a silent skip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: recipients of one report mail at most: SMTP servers refuse past ~100 RCPTs, and a longer
#: list in a contact column is a paste accident, not a distribution list
MAX_CONTACTS = 50
_SEPARATORS = re.compile(r"[,;]")  # a semicolon is the same mistake everyone makes once
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")  # RFC 5322 dot-atom, ASCII
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SHOWN = 80  # characters of a bad entry quoted in its problem


@dataclass(frozen=True)
class Contacts:
    addresses: tuple[str, ...]
    problems: tuple[str, ...]


def parse_contacts(raw: object) -> Contacts:
    """`contact_email` as read (text, NULL, or whatever an overridden statement returned)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Contacts((), ("contact_email is empty: the report cannot be mailed",))
    if not isinstance(raw, str):
        return Contacts((), (f"contact_email is a {type(raw).__name__}, not text: the report cannot be mailed",))
    kept: dict[str, str] = {}
    problems: list[str] = []
    for entry in (part.strip() for part in _SEPARATORS.split(raw)):
        if not entry:
            continue
        address, reason = normalise_address(entry)
        if address is None:
            problems.append(f"contact_email: {_shown(entry)} {reason}: not mailed")
        else:
            kept.setdefault(address.casefold(), address)
    addresses = tuple(kept.values())
    if len(addresses) > MAX_CONTACTS:
        problems.append(
            f"contact_email lists {len(addresses)} addresses: only the first {MAX_CONTACTS} are mailed"
            f" (the rest from {_shown(addresses[MAX_CONTACTS])} on)"
        )
        addresses = addresses[:MAX_CONTACTS]
    if not addresses:
        problems.append("contact_email has no usable address: the report cannot be mailed")
    return Contacts(addresses, tuple(problems))


def normalise_address(entry: str) -> tuple[str | None, str]:
    """(the address to mail, "") or (None, why not). A bare `local@domain` only: a display
    name (`Ann <ann@x.example>`), a quoted local part or a domain literal is refused rather
    than guessed at."""
    if any(ch.isspace() for ch in entry):
        return None, "contains a space (one address per comma)"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in entry):
        return None, "contains a control character"
    if entry.count("@") != 1:
        return None, "is not an address (local@domain)"
    local, domain = entry.split("@")
    if reason := _local_problem(local):
        return None, reason
    ascii_domain, reason = _domain(domain)
    if ascii_domain is None:
        return None, reason
    address = f"{local}@{ascii_domain}"
    if len(address) > 254:
        return None, "is longer than 254 characters"
    return address, ""


def _local_problem(local: str) -> str:
    if not local:
        return "has nothing before the @"
    if len(local) > 64:
        return "has more than 64 characters before the @"
    if not local.isascii():
        return "has non-ASCII characters before the @ (needs SMTPUTF8, which is not assumed)"
    if not all(_ATEXT.fullmatch(atom) for atom in local.split(".")):
        return "has characters an address cannot have before the @ (or a leading, trailing or double dot)"
    return ""


def _domain(domain: str) -> tuple[str | None, str]:
    """The domain in ASCII (IDNA for a non-ASCII one), lower case; or why it is not one."""
    if not domain:
        return None, "has no domain after the @"
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower() if not domain.isascii() else domain.lower()
    except UnicodeError:
        return None, "has a domain that is not a valid internationalised name"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return None, "has a domain that is not a host name (e.g. example.com)"
    if len(ascii_domain) > 253:
        return None, "has a domain longer than 253 characters"
    return ascii_domain, ""


def _shown(entry: str) -> str:
    """The entry quoted (repr: a control character shows as an escape), cut to a readable length."""
    return repr(entry if len(entry) <= _SHOWN else entry[:_SHOWN] + "…")
