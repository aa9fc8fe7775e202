"""Pure license policy: an SPDX expression judged against `deny` and `allow` patterns.

Expressions are parsed with license-expression's SPDX licensing, so every spelling it accepts
(case, whitespace, parentheses, deprecated ids such as `GPL-3.0` for `GPL-3.0-only`, `+` for
`-or-later`) reaches the policy as one canonical id. `OR` is the user's choice: allowed when
one branch is. `AND` means all apply: denied when one branch is. `X WITH exception` is judged
as X (an exception narrows a license, it does not change which one it is), unless the whole
`X WITH exception` is allowed. An id that is not an SPDX id (a LicenseRef, `UNLICENSED`,
"proprietary", free text) is unknown, and so is an expression that does not parse.

Patterns are SPDX ids, matched without regard to case: a trailing `*` matches every id that
begins with the rest (`GPL-*`: GPL-2.0-only, GPL-3.0-or-later; not LGPL-2.1), and an id
without `-only`/`-or-later` matches all three forms (`GPL-3.0`: GPL-3.0-only and
GPL-3.0-or-later). `allow` wins over `deny`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

_SUFFIXES: Final = ("-only", "-or-later", "+")


class Verdict(enum.IntEnum):
    """Ordered from best to worst, so OR takes the minimum and AND the maximum."""

    ALLOWED = 0
    UNKNOWN = 1
    DENIED = 2


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    expression: str  # canonical when it parsed, else the text as given
    denied: tuple[str, ...] = ()  # the ids that made it denied
    unknown: tuple[str, ...] = ()  # the ids that are not SPDX ids


@cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def _base(identifier: str) -> str:
    lowered = identifier.strip().casefold()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)]
    return lowered


def _canonical_pattern(pattern: str) -> str:
    text = pattern.strip()
    if not text or text.endswith("*") or _base(text) == text.casefold():
        return text.casefold()  # `GPL-3.0` stays the base of all three forms, not GPL-3.0-only
    normal = canonical(text)
    return (normal if normal is not None and " " not in normal else text).casefold()


def matches(pattern: str, identifier: str) -> bool:
    """Whether an SPDX id (or `X WITH Y`) falls under a deny/allow pattern."""
    wanted = _canonical_pattern(pattern)
    have = identifier.strip().casefold()
    if not wanted:
        return False
    if wanted.endswith("*"):
        return have.startswith(wanted[:-1])
    if have == wanted:
        return True
    return _base(wanted) == wanted and _base(have) == wanted


def canonical(raw: str) -> str | None:
    """The canonical form of an SPDX expression whose ids are all SPDX ids, else None."""
    parsed = _parse(raw)
    if parsed is None or _unknown_keys(parsed):
        return None
    return str(parsed)


def _parse(raw: str) -> Any:
    from license_expression import ExpressionError

    text = raw.strip()
    if not text or len(text) > 2000:
        return None
    try:
        return _licensing().parse(text, validate=False, strict=False, simple=False)
    except (ExpressionError, ValueError, TypeError, RecursionError):
        return None


def _unknown_keys(parsed: Any) -> list[str]:
    known = _licensing().known_symbols
    return [s.key for s in _licensing().license_symbols(parsed, decompose=True) if s.key not in known]


def judge(raw: str | None, deny: Sequence[str], allow: Sequence[str]) -> Judgement:
    """The verdict on a dependency's declared license."""
    text = (raw or "").strip()
    if any(matches(p, text) for p in allow if text):
        return Judgement(Verdict.ALLOWED, text)
    parsed = _parse(text)
    if parsed is None:
        return Judgement(Verdict.UNKNOWN, text, unknown=(text,) if text else ("(none)",))
    verdict, denied, unknown = _walk(parsed, deny, allow)
    return Judgement(verdict, str(parsed), tuple(dict.fromkeys(denied)), tuple(dict.fromkeys(unknown)))


def _walk(node: Any, deny: Sequence[str], allow: Sequence[str]) -> tuple[Verdict, list[str], list[str]]:
    from license_expression import LicenseSymbol, LicenseWithExceptionSymbol

    licensing = _licensing()
    if isinstance(node, LicenseWithExceptionSymbol):
        whole = str(node)
        if any(matches(p, whole) for p in allow):
            return Verdict.ALLOWED, [], []
        return _leaf(node.license_symbol.key, deny, allow)
    if isinstance(node, LicenseSymbol):
        return _leaf(node.key, deny, allow)
    parts = [_walk(arg, deny, allow) for arg in node.args]
    pick = min if isinstance(node, licensing.OR) else max
    verdict = pick(p[0] for p in parts)
    chosen = [p for p in parts if p[0] == verdict]  # what the verdict rests on
    return verdict, _flat(p[1] for p in chosen), _flat(p[2] for p in chosen)


def _flat(lists: Iterable[list[str]]) -> list[str]:
    return [item for sub in lists for item in sub]


def _leaf(key: str, deny: Sequence[str], allow: Sequence[str]) -> tuple[Verdict, list[str], list[str]]:
    if any(matches(p, key) for p in allow):
        return Verdict.ALLOWED, [], []
    if key not in _licensing().known_symbols:
        return Verdict.UNKNOWN, [], [key]
    if any(matches(p, key) for p in deny):
        return Verdict.DENIED, [key], []
    return Verdict.ALLOWED, [], []
