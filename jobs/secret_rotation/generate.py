"""New secret values: `secrets`-module randomness, a length and alphabet per type."""

from __future__ import annotations

import secrets
import string
from typing import Literal

Alphabet = Literal["alphanumeric", "database", "urlsafe", "hex"]  # the names settings accept
ALPHABETS: dict[Alphabet, str] = {
    "alphanumeric": string.ascii_letters + string.digits,
    "database": string.ascii_letters + string.digits + "-_",  # no quote, backslash, @, : or / for DSNs and shells
    "urlsafe": string.ascii_letters + string.digits + "-_",
    "hex": "0123456789abcdef",
}
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


def new_value(length: int, alphabet: Alphabet) -> str:
    """A value with a lower-case letter, an upper-case letter and a digit where the alphabet
    has them, since many password policies insist."""
    chars = ALPHABETS[alphabet]
    needed = [c for c in _CLASSES if set(c) <= set(chars)]
    while True:
        value = "".join(secrets.choice(chars) for _ in range(length))
        if all(any(ch in cls for ch in value) for cls in needed):
            return value
