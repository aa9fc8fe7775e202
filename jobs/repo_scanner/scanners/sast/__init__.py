"""The sast scanner: semgrep with our rules (package data: rules/semgrep/*.yaml), offline.

semgrep is run with metrics and the version check off (both env and flags: offline it would
otherwise hang on DNS), its settings and logs in a scratch folder (a read-only home works),
a per-file timeout and a whole-run timeout that kills its process group. Rules are local
files only: a registry name (`p/python`) would need the network, so it is refused.
Missing semgrep: the scanner did not run (`ran=False`), never "no findings".
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from jobs.core.errors import ConfigError
from jobs.core.model import RunError
from jobs.repo_scanner.model import Checkout, ScanReport
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.sast.process import Finished, run
from jobs.repo_scanner.scanners.sast.results import EXIT_CODES, read_output, rule_ids

RULES = Path(__file__).resolve().parent.parent.parent / "rules" / "semgrep"
NOT_INSTALLED = "semgrep not installed"
FAILED = frozenset({2, 4, 5, 7, 8})
QUIET_ENV = {"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}


def find_semgrep(configured: str) -> str | None:
    """The executable: a path as given, else on PATH, else beside this interpreter (a venv's
    bin/, which is not on PATH when the job runs as `.venv/bin/python -m jobs`)."""
    if os.sep in configured or (os.altsep and os.altsep in configured):
        return configured if os.access(configured, os.X_OK) and Path(configured).is_file() else None
    found = shutil.which(configured)
    if found:
        return found
    beside = Path(sys.executable).parent / configured
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def rule_paths(configured: list[str]) -> tuple[list[Path], list[str]]:
    """(existing rule files or folders, what is not a local path)."""
    paths = [Path(p).resolve() for p in configured] if configured else [RULES]
    return [p for p in paths if p.exists()], [str(p) for p in paths if not p.exists()]


def command(semgrep: str, rules: list[Path], per_file_timeout: float) -> list[str]:
    configs = [arg for path in rules for arg in ("--config", str(path))]
    return [
        semgrep,
        "scan",
        "--metrics=off",
        "--disable-version-check",
        "--json",
        "--quiet",
        "--timeout",
        str(max(1, round(per_file_timeout))),
        *configs,
        ".",
    ]


def environment(scratch: Path) -> dict[str, str]:
    """This process's environment, with semgrep told to stay offline and write only to scratch."""
    return {
        **os.environ,
        **QUIET_ENV,
        "SEMGREP_SETTINGS_FILE": str(scratch / "settings.yml"),
        "SEMGREP_LOG_FILE": str(scratch / "semgrep.log"),
        "SEMGREP_VERSION_CACHE_PATH": str(scratch / "version"),
    }


def scan(checkout: Checkout, env: ScanEnv) -> ScanReport:
    cfg = env.cfg.scanners.sast
    semgrep = find_semgrep(cfg.semgrep)
    if semgrep is None:  # enabled but unable to look: a failure, never a pass (enabled: false says "don't")
        why = f"{NOT_INSTALLED} ({cfg.semgrep!r} not found; set scanners.sast.enabled: false to skip SAST)"
        return ScanReport(ran=False, stats={"why_not_run": NOT_INSTALLED}, errors=[RunError("sast", why)])
    rules, missing = rule_paths(cfg.rules)
    if missing:  # a setting that names nothing is a configuration error, like a missing secrets rules file
        raise ConfigError(f"repo_scanner.scanners.sast.rules: {', '.join(missing)}: no such rule file or folder")
    report = ScanReport()
    if not rules:
        report.ran = False
        report.stats["why_not_run"] = "no semgrep rules"
        return report
    with tempfile.TemporaryDirectory(prefix="secops-semgrep-") as scratch:
        done = run(
            command(semgrep, rules, cfg.per_file_timeout_seconds),
            checkout.root,
            environment(Path(scratch)),
            cfg.timeout_seconds,
        )
    judge(done, checkout, env, rule_ids(rules), report)
    return report


def judge(done: Finished, checkout: Checkout, env: ScanEnv, ids: set[str], report: ScanReport) -> None:
    """semgrep's exit code and output → hits, errors, and whether it ran (its exit codes:
    0 ok, 1 findings, 3 a file it could not parse (named in its errors): it ran; 2 fatal and
    4/5/7/8 rules it could not use: it did not, whatever it reported on the way)."""
    if done.timed_out:
        report.ran = False
        report.stats["why_not_run"] = "semgrep timed out"
        report.errors.append(
            RunError("sast", f"semgrep did not finish in {done.seconds:.0f} s: its processes were killed")
        )
        return
    output = read_output(done.stdout, checkout, env, ids)
    report.stats["seconds"] = round(done.seconds, 3)
    if output is None:
        report.ran = False
        report.stats["why_not_run"] = f"semgrep failed (exit {done.code})"
        report.errors.append(
            RunError(
                "sast",
                f"semgrep exited {done.code} ({EXIT_CODES.get(done.code, 'unknown')}) without a JSON report: "
                f"{done.stderr_tail}",
            )
        )
        return
    report.hits.extend(output.hits)
    report.errors.extend(output.errors)
    report.stats.update(files=output.files, rules=len(ids))
    if done.code not in (0, 1):
        report.errors.append(RunError("sast", f"semgrep exited {done.code}: {EXIT_CODES.get(done.code, 'unknown')}"))
    if done.code in FAILED:  # fatal, or the rules could not be used: what it did not look at is unknown
        report.ran = False
        report.stats["why_not_run"] = f"semgrep failed (exit {done.code}: {EXIT_CODES[done.code]})"
