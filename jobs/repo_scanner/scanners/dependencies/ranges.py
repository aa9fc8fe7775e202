"""Is a version affected by an OSV `affected[]` entry? The OSV schema's own evaluation: a
`versions` list is matched exactly; each SEMVER/ECOSYSTEM range's events, sorted by version,
switch the state on at `introduced` (`"0"`: from the start), off at `fixed` (the version
itself is safe) and off after `last_affected` (the version itself is not); a version at or
above a `limit` is outside the range. GIT ranges name commits, not versions: skipped.

Versions are compared with the ecosystem's own rules: PEP 440 (`packaging`) for PyPI
ECOSYSTEM ranges, SemVer 2.0 (`univers`) for npm and Go (whose `v` prefix it drops). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440
from univers.versions import GolangVersion, SemverVersion

from jobs.repo_scanner.scanners.dependencies.component import GO, NPM, PYPI

Comparable = Any  # a packaging Version or a univers Version: ordered within its own kind
Scheme = Callable[[str], Comparable]

#: the order of events at the same version: what turns on before what turns off
_RANK: Final[dict[str, int]] = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


class Undecided(ValueError):
    """A version (the package's or an advisory's) that its scheme cannot read."""


def scheme(ecosystem: str, kind: str) -> Scheme:
    """The parser for `kind` (an OSV range type) of `ecosystem`'s versions."""
    if ecosystem == PYPI and kind != "SEMVER":
        return Pep440
    if ecosystem == GO:
        return GolangVersion
    if ecosystem == NPM or kind == "SEMVER":
        return SemverVersion
    raise Undecided(f"no version scheme for {ecosystem} {kind} ranges")


def parse(read: Scheme, text: str) -> Comparable:
    try:
        return read(text)
    except (InvalidVersion, ValueError, TypeError) as exc:
        raise Undecided(f"{text!r} is not a version here") from exc


@dataclass(frozen=True)
class Verdict:
    affected: bool
    fixed: str | None = None  # the lowest fix above the version, when one is known


def _events(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        raise Undecided("a range without events")
    found: list[tuple[str, str]] = []
    for event in raw:
        if isinstance(event, Mapping):
            found.extend((k, str(v)) for k, v in event.items() if k in _RANK and (k, v) != ("limit", "*"))
    return found


def in_range(version: str, events: Sequence[tuple[str, str]], read: Scheme) -> Verdict:
    """One range: the OSV algorithm over events sorted by version (`introduced: "0"` first)."""
    current = parse(read, version)
    parsed = [None if kind == "introduced" and value == "0" else parse(read, value) for kind, value in events]
    bounds = [(kind, bound) for (kind, _), bound in zip(events, parsed, strict=True)]
    bounds.sort(key=lambda b: (b[1] is not None, b[1] if b[1] is not None else 0, _RANK[b[0]]))
    if any(kind == "limit" and current >= bound for kind, bound in bounds):
        return Verdict(False)
    affected = False
    for kind, bound in bounds:
        if kind == "introduced":
            affected = affected or bound is None or current >= bound
        elif (kind == "fixed" and current >= bound) or (kind == "last_affected" and current > bound):
            affected = False
    if not affected:
        return Verdict(False)
    fixes = [raw for (kind, raw), bound in zip(events, parsed, strict=True) if kind == "fixed" and bound > current]
    return Verdict(True, min(fixes, key=lambda raw: parse(read, raw)) if fixes else None)


def _listed(version: str, versions: Any, read: Scheme | None) -> bool:
    if not isinstance(versions, list):
        return False
    if version in versions:
        return True
    if read is None:
        return False
    try:
        current = parse(read, version)
        return any(parse(read, str(v)) == current for v in versions)
    except Undecided:
        return False


def affects(ecosystem: str, version: str, affected: Mapping[str, Any]) -> Verdict:
    """One `affected[]` entry of an advisory against one version. Raises Undecided when the
    ranges cannot be compared (the caller reports it: never read as "not affected")."""
    ranges = [r for r in affected.get("ranges") or [] if isinstance(r, Mapping) and r.get("type") != "GIT"]
    try:
        default = scheme(ecosystem, "ECOSYSTEM")
    except Undecided:
        default = None
    if _listed(version, affected.get("versions"), default):
        return Verdict(True, _first_fix(version, ranges, ecosystem))
    fixed: str | None = None
    hit = False
    for item in ranges:
        verdict = in_range(version, _events(item.get("events")), scheme(ecosystem, str(item.get("type"))))
        if verdict.affected:
            hit = True
            fixed = fixed or verdict.fixed
    return Verdict(hit, fixed)


def _first_fix(version: str, ranges: Sequence[Mapping[str, Any]], ecosystem: str) -> str | None:
    """The fix a listed version gets, if its ranges say (a listing needs no comparison)."""
    for item in ranges:
        try:
            verdict = in_range(version, _events(item.get("events")), scheme(ecosystem, str(item.get("type"))))
        except Undecided:
            continue
        if verdict.fixed:
            return verdict.fixed
    return None
