"""The one place a raw secret exists: a Match inside the engine, turned into a Hit (fingerprint
and mask) before it leaves. Nothing that holds a Match may log, store or raise it."""

from __future__ import annotations

from dataclasses import dataclass, field

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.model import Hit


@dataclass(frozen=True)
class Match:
    rule: str  # the rule id
    description: str
    category: str  # "secret:key" or "secret:generic" (severity.py)
    line: int  # 1-based within the text scanned
    secret: str = field(repr=False)  # never printed, not even by a debugger's repr

    def __str__(self) -> str:
        return f"Match({self.rule}, line {self.line})"


def mask(secret: str) -> str:
    """A form to recognise a secret by, without it: the first four characters of a long one,
    then its length, e.g. `AKIA…(20 chars)`; nothing of a short one."""
    shown = secret[:4] if len(secret) >= 16 else ""
    return f"{shown}…({len(secret)} chars)"


def hit_from_match(
    match: Match,
    path: str,
    fingerprints: Fingerprinter,
    line: int | None = None,
    commit: str | None = None,
    author: str | None = None,
    date: str | None = None,
) -> Hit:
    """The secret-free Hit of a match; `line` overrides the match's (a patch's added lines
    are scanned as one text and mapped back to the file's line numbers)."""
    return Hit(
        type="secret",
        scanner="secrets",
        rule=match.rule,
        path=path,
        line=match.line if line is None else line,
        message=match.description,
        fingerprint=fingerprints.secret(match.rule, path, match.secret),
        category=match.category,
        redacted=mask(match.secret),
        commit=commit,
        author=author,
        date=date,
        secret_id=fingerprints.secret_id(match.rule, match.secret),
    )
