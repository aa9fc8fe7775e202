"""Is a candidate a real secret or an obvious stand-in? Pure checks on one short string.

The rule file's allowlists say most of it in regexes (`EXAMPLE`, `${VAR}`, `{{ x }}`, `<...>`,
`changeme`, `your-api-key`); what RE2 cannot say (no back-references) lives here: a value made of
one or two repeated characters, a run of sequential characters, a template. These are the
stand-ins documentation, tests and sample configs use; a generated secret is none of them.
Python code over the candidate only (at most a few hundred characters), never over a file.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

#: shorter bodies say nothing about variety: a 6-character password "aaaaaa" is still caught
_MIN_BODY = 6
#: a run this long of ascending or descending neighbours (abcdefgh, 12345678, 987654321)
_SEQUENTIAL_RUN = 8
_TEMPLATE_MARKS = (("${", "}"), ("{{", "}}"), ("<%", "%>"), ("#{", "}"), ("%(", ")s"))


def shannon_entropy(value: str) -> float:
    """Bits per character of `value` (gitleaks' measure: over the characters it contains)."""
    if not value:
        return 0.0
    total = len(value)
    weights = sum(n * math.log2(n) for n in Counter(value).values() if n > 1)
    return math.log2(total) - weights / total


def _alnum_body(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum())


def repeated(value: str) -> bool:
    """`xxxxxxxx`, `aaaabbbb`, `0000-0000`: two distinct characters or fewer."""
    body = _alnum_body(value)
    return len(body) >= _MIN_BODY and len(set(body.lower())) <= 2


def sequential(value: str) -> bool:
    """A run of `_SEQUENTIAL_RUN` characters each one above (or below) the last: `abcdefgh`,
    `12345678`: what people type for a dummy key, never what a generator emits."""
    run, direction = 1, 0
    for before, after in itertools.pairwise(value):
        step = ord(after.lower()) - ord(before.lower())
        if step in (1, -1) and (direction in (0, step)) and before.isalnum() and after.isalnum():
            run, direction = run + 1, step
            if run >= _SEQUENTIAL_RUN:
                return True
        else:
            run, direction = 1, 0
    return False


def template(value: str) -> bool:
    """A variable the deployment fills in: `${DB_PASSWORD}`, `{{ token }}`, `$API_KEY`,
    `%(password)s`, `#{secret}`, `%TOKEN%`."""
    stripped = value.strip()
    if any(open_ in stripped and close in stripped.split(open_, 1)[1] for open_, close in _TEMPLATE_MARKS):
        return True
    if stripped.startswith("$") and (stripped[1:].replace("_", "").isalnum() and not stripped[1:2].isdigit()):
        return True
    return len(stripped) > 2 and stripped[0] == stripped[-1] == "%" and stripped[1:-1].replace("_", "").isalnum()


def placeholder(value: str) -> str | None:
    """Why `value` is a stand-in, or None when it may be real."""
    if template(value):
        return "template variable"
    if repeated(value):
        return "repeated characters"
    if sequential(value):
        return "sequential characters"
    return None
