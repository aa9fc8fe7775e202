"""The baseline file: the fingerprints of the findings an operator accepted as they were.

`--write-baseline FILE` writes it, `repo_scanner.baseline: FILE` reads it; a finding whose
fingerprint is in it stays in the result (marked `baselined`) but off the `--fail-on` gate.
Each entry carries rule, path and type so a reviewer can read what was accepted: never the
secret (the fingerprint is a keyed HMAC; the masked form is not written either).

A configured baseline that is missing or unreadable is a ConfigError (exit 2): in CI a silent
empty baseline would turn every accepted finding into a failed build, or worse, a typo in the
path would go unnoticed while the file someone edits is never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from jobs.core.errors import ConfigError
from jobs.core.model import Finding
from jobs.repo_scanner.output import write_atomically

VERSION: Final = 1
TOOL: Final = "secops-jobs repo-scanner"
#: a fingerprint as fingerprint.py makes it: 64 lower-case hex digits (HMAC-SHA256)
FINGERPRINT: Final = re.compile(r"[0-9a-f]{64}")
MAX_BYTES: Final = 50_000_000


def entries(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """One entry per fingerprint, sorted (a re-written baseline diffs cleanly)."""
    seen: dict[str, dict[str, Any]] = {}
    for finding in findings:
        fingerprint = finding.details.get("fingerprint")
        if not isinstance(fingerprint, str) or fingerprint in seen:
            continue  # the stale-database finding has none: it is about the run, not the code
        seen[fingerprint] = {
            "fingerprint": fingerprint,
            "type": finding.type,
            "rule": str(finding.details.get("rule", "")),
            "path": str(finding.details.get("path", "")),
            "resource": finding.resource,
        }
    return sorted(seen.values(), key=lambda e: (e["resource"], e["rule"], e["fingerprint"]))


def document(findings: Sequence[Finding]) -> dict[str, Any]:
    return {"version": VERSION, "tool": TOOL, "fingerprints": entries(findings)}


def write(path: Path, findings: Sequence[Finding]) -> None:
    write_atomically(path, json.dumps(document(findings), indent=2, ensure_ascii=False) + "\n")


def configured_text(path: Path, key: str, limit: int, missing: str = "no such file") -> str:
    """The text of a file the settings name under `key`; ConfigError naming it when it cannot
    be read (the baseline and the configured suppression files fail alike)."""
    try:
        if path.stat().st_size > limit:
            raise ConfigError(f"repo_scanner.{key} {path}: larger than {limit} bytes")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"repo_scanner.{key} {path}: {missing}") from None
    except OSError as exc:
        raise ConfigError(f"repo_scanner.{key} {path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"repo_scanner.{key} {path}: not UTF-8 text") from None


def read(path: Path) -> frozenset[str]:
    """The fingerprints of a baseline file; ConfigError naming the file and what is wrong."""
    text = configured_text(path, "baseline", MAX_BYTES, "no such file (write it with --write-baseline)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"repo_scanner.baseline {path}: not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise ConfigError(f"repo_scanner.baseline {path}: not JSON: nested too deeply") from None
    return parse(data, str(path))


def parse(data: Any, name: str) -> frozenset[str]:
    where = f"repo_scanner.baseline {name}"
    if not isinstance(data, dict) or not isinstance(data.get("fingerprints"), list):
        raise ConfigError(f"{where}: not a baseline (an object with a fingerprints list)")
    if data.get("version") != VERSION:
        raise ConfigError(f"{where}: version {data.get('version')!r} is not {VERSION}")
    found: set[str] = set()
    for index, entry in enumerate(data["fingerprints"]):
        value = entry.get("fingerprint") if isinstance(entry, dict) else entry
        if not isinstance(value, str) or not FINGERPRINT.fullmatch(value):
            raise ConfigError(f"{where}: entry {index + 1}: fingerprint is not 64 lower-case hex digits")
        found.add(value)
    return frozenset(found)
