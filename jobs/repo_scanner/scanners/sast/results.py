"""semgrep's JSON report → secret-free hits and errors naming files.

A hit keeps no code: its fingerprint is keyed over rule + path + the matched lines with
whitespace collapsed, so it survives lines moving above it, and a hard-coded credential's
value never leaves the engine. semgrep prefixes a local rule's id with its file's folder
(`home.me.rules.python-eval`); the id is given back as the rule file wrote it. Syntax errors
are reported by file and line without semgrep's message, which may quote the code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from jobs.core import redact
from jobs.core.model import RunError
from jobs.repo_scanner.model import Checkout, Hit
from jobs.repo_scanner.scanners import ScanEnv

EXIT_CODES: Final[dict[int | None, str]] = {
    0: "ok",
    1: "findings",
    2: "fatal error",
    3: "a file could not be parsed",
    4: "a rule could not be parsed",
    5: "a rule file is not YAML",
    7: "a rule file is missing",
    8: "a rule names an unknown language",
}
SEVERITIES: Final = frozenset({"ERROR", "WARNING", "INFO"})


def rule_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path])
    return found


def rule_ids(paths: list[Path]) -> set[str]:
    """The ids the rule files declare (unreadable files are semgrep's to report)."""
    ids: set[str] = set()
    for path in rule_files(paths):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        rules = data.get("rules") if isinstance(data, dict) else None
        ids.update(str(r["id"]) for r in rules or [] if isinstance(r, dict) and "id" in r)
    return ids


def rule_of(check_id: str, ids: set[str]) -> str:
    """`a.b.python-eval` → `python-eval` when a rule file declares it (the longest such id)."""
    matches = [i for i in ids if check_id == i or check_id.endswith("." + i)]
    return max(matches, key=len) if matches else check_id


def relative(path: str, root: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")


@dataclass
class Output:
    hits: list[Hit] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    files: int = 0


class Sources:
    """The lines of the files semgrep matched, read once each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lines: dict[str, list[str]] = {}

    def code(self, path: str, start: int, end: int) -> str:
        if path not in self.lines:
            try:
                self.lines[path] = (self.root / path).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self.lines[path] = []
        return " ".join(" ".join(self.lines[path][start - 1 : end]).split())


def cwe_of(metadata: Any) -> list[str]:
    value = metadata.get("cwe") if isinstance(metadata, Mapping) else None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def hit_of(result: Mapping[str, Any], rule: str, path: str, sources: Sources, env: ScanEnv) -> Hit:
    extra = result.get("extra") or {}
    start, end = int(result["start"]["line"]), int(result["end"]["line"])
    severity = str(extra.get("severity", "WARNING")).upper()
    code = sources.code(path, start, end)
    return Hit(
        type="sast",
        scanner="sast",
        rule=rule,
        path=path,
        line=start,
        message=redact.scrub(str(extra.get("message") or rule).strip()),
        fingerprint=env.fingerprints.of("sast", rule, path, code),
        category=f"sast:{severity if severity in SEVERITIES else 'WARNING'}",
        extra={"cwe": cwe_of(extra.get("metadata")), "end_line": end},
    )


def error_of(error: Mapping[str, Any], root: Path, ids: set[str]) -> RunError:
    kind = error.get("type")
    kind = str(kind[0] if isinstance(kind, list) and kind else kind or "error")
    level = str(error.get("level", "error"))
    rule = f" (rule {rule_of(str(error['rule_id']), ids)})" if error.get("rule_id") else ""
    path = error.get("path")
    if isinstance(path, str) and path:
        spans = error.get("spans") or []
        line = spans[0].get("start", {}).get("line") if spans and isinstance(spans[0], dict) else None
        where = f" at line {line}" if line else ""
        return RunError(f"sast:{relative(path, root)}", f"semgrep {level}: {kind}{where}{rule}")
    lines = [ln.strip() for ln in str(error.get("message") or "").splitlines() if ln.strip()]
    detail = next((ln for ln in lines if not ln.startswith(kind)), "")  # the first line restates kind and id
    return RunError("sast", f"semgrep {level}: {kind}{rule}: {redact.scrub(detail)[:300]}".rstrip(": "))


def read_output(stdout: bytes, checkout: Checkout, env: ScanEnv, ids: set[str]) -> Output | None:
    """None when stdout is not semgrep's JSON report."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return None
    output = Output(files=len((data.get("paths") or {}).get("scanned") or []))
    sources = Sources(checkout.root)
    seen: set[tuple[str, str, int, int]] = set()
    for result in data["results"]:
        rule, path = rule_of(str(result.get("check_id", "")), ids), relative(str(result.get("path", "")), checkout.root)
        key = (rule, path, int(result["start"].get("offset", 0)), int(result["end"].get("offset", 0)))
        if key not in seen:  # one rule's patterns may match one span twice
            seen.add(key)
            output.hits.append(hit_of(result, rule, path, sources, env))
    output.errors.extend(error_of(e, checkout.root, ids) for e in data.get("errors") or [] if isinstance(e, Mapping))
    return output
