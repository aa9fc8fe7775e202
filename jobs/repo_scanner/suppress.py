"""What the operator accepted: the baseline file and the suppression files.

A suppression (`.secops-ignore.yaml` in a repository, or a file in `repo_scanner.suppressions`)
is a list of entries `{fingerprint, reason, owner, expires: YYYY-MM-DD}`, either at the top of
the file or under `suppressions:`. Each entry is validated on its own: one missing a field,
with a date that is not YYYY-MM-DD, an unknown key, a fingerprint that is not exactly what
fingerprint.py writes (64 lower-case hex digits, nothing trimmed or case-folded), or the same
fingerprint as an earlier entry, is an errors entry naming the file and the entry, and is not
applied. Nothing here raises on what a repository holds: a suppression that cannot be read
never suppresses, and is never silent.

Configured files are configuration: a baseline or suppressions file named in the settings but
missing or not YAML/JSON is a ConfigError (exit 2), naming it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from jobs.core import yamlfile
from jobs.core.errors import ConfigError
from jobs.core.model import RunError, Severity
from jobs.repo_scanner import baseline
from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.model import Suppression
from jobs.repo_scanner.plan import Policy
from jobs.repo_scanner.settings import RepoScannerSettings

REPOSITORY_FILE: Final = ".secops-ignore.yaml"
KEYS: Final = frozenset({"fingerprint", "reason", "owner", "expires"})
REQUIRED: Final = ("fingerprint", "reason", "owner")
MAX_BYTES: Final = 1_000_000
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def policy(cfg: RepoScannerSettings, fingerprints: Fingerprinter, errors: list[RunError]) -> Policy:
    accepted = baseline.read(Path(cfg.baseline)) if cfg.baseline else frozenset[str]()
    configured: list[Suppression] = []
    for name in cfg.suppressions:
        text = baseline.configured_text(Path(name), "suppressions", MAX_BYTES)
        configured.extend(parse(text, name, errors, "suppressions", strict=True))
    return Policy(
        baseline=accepted,
        suppressions=tuple(configured),
        overrides={"license:unknown": Severity(cfg.scanners.licenses.unknown)},
        built_in_key=fingerprints.built_in,
        max_db_age_days=cfg.scanners.dependencies.max_db_age_days,
    )


def repository(root: Path, errors: list[RunError], name: str) -> list[Suppression]:
    """The repository's own `.secops-ignore.yaml` (none: no suppressions)."""
    path = root / REPOSITORY_FILE
    if path.is_symlink() or not path.is_file():
        if path.is_symlink():
            errors.append(RunError(f"suppressions:{name}", f"{REPOSITORY_FILE}: a symbolic link, not read"))
        return []
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        errors.append(RunError(f"suppressions:{name}", f"{REPOSITORY_FILE}: cannot read: {exc}"))
        return []
    return parse(text, f"repo:{name}:{REPOSITORY_FILE}", errors, f"suppressions:{name}")


def parse(text: str, source: str, errors: list[RunError], where: str, strict: bool = False) -> list[Suppression]:
    """The valid entries of a suppression file's text; every other entry is an errors entry.
    `strict`: a file that is not YAML at all is a ConfigError (a configured file) rather than
    an errors entry (a repository's)."""
    try:
        data = yamlfile.parse(text)
    except ValueError as exc:  # YamlProblem (2027-02-30 unquoted, a date YAML cannot build, is one too)
        problem = exc if isinstance(exc, yamlfile.YamlProblem) else f"not valid YAML: {exc}"
        if strict:
            raise ConfigError(f"repo_scanner.suppressions {source}: {problem}") from None
        errors.append(RunError(where, f"{source}: {problem}: no suppression applied"))
        return []
    items = _entries(data)
    if items is None:
        errors.append(RunError(where, f"{source}: not a list of suppressions (or a mapping with suppressions:)"))
        return []
    kept: list[Suppression] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items, start=1):
        entry, problem = _entry(item)
        if entry is not None and entry.fingerprint in seen:
            problem = f"the same fingerprint as entry {seen[entry.fingerprint]}"
            entry = None
        if entry is None:
            errors.append(RunError(where, f"{source}: entry {index}: {problem}: not applied"))
            continue
        seen[entry.fingerprint] = index
        kept.append(replace(entry, source=source))
    return kept


def _entries(data: Any) -> list[Any] | None:
    if data is None:
        return []
    if isinstance(data, Mapping) and set(data) == {"suppressions"}:
        data = data["suppressions"] if data["suppressions"] is not None else []
    return data if isinstance(data, list) else None


def _entry(item: Any) -> tuple[Suppression | None, str]:
    """(the suppression, "") or (None, what is wrong with it)."""
    if not isinstance(item, Mapping):
        return None, "not a mapping of fingerprint, reason, owner, expires"
    unknown = sorted(str(k) for k in item if k not in KEYS)
    if unknown:
        return None, f"unknown key(s) {', '.join(repr(k[:40]) for k in unknown)}"
    missing = [k for k in REQUIRED if item.get(k) is None or (isinstance(item[k], str) and not item[k].strip())]
    if missing:
        return None, f"missing or empty {', '.join(missing)}"
    untyped = [k for k in REQUIRED if not isinstance(item[k], str)]
    if untyped:  # `fingerprint: 1234...` unquoted is a number to YAML
        return None, f"{', '.join(untyped)} must be text (quote it)"
    fingerprint = item["fingerprint"]
    if not baseline.FINGERPRINT.fullmatch(fingerprint):
        return None, "fingerprint is not 64 lower-case hex digits (as the run's findings show it)"
    expires, problem = _expiry(item.get("expires"))
    if problem:
        return None, problem
    return Suppression(fingerprint, item["reason"].strip(), item["owner"].strip(), expires, ""), ""


def _expiry(value: Any) -> tuple[str | None, str]:
    """YAML reads an unquoted 2026-12-31 as a date, a quoted one as a string: both are fine;
    a timestamp, a number or 2026-02-30 are not."""
    if value is None:
        return None, ""
    if isinstance(value, dt.datetime):
        return None, "expires must be a date (YYYY-MM-DD), not a timestamp"
    if isinstance(value, dt.date):
        return value.isoformat(), ""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None, "expires is not a date (YYYY-MM-DD)"
    try:
        return dt.date.fromisoformat(value).isoformat(), ""
    except ValueError:
        return None, f"expires {value!r} is not a date"
