"""The files a run writes when asked: `--sarif FILE`, `--sbom FILE`, `--write-baseline FILE`.

Paths are relative to the working directory (CI's checkout). Each document is built and
validated first, then written atomically (output.py); any failure raises, and the runner
records it as the run's `publish` error, so a report that could not be written is never
mistaken for a clean one. Written in dry runs too: a report is what a dry run is for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jobs.core.model import RunResult
from jobs.repo_scanner import baseline, sarif, sbom
from jobs.repo_scanner.model import RepoScan
from jobs.repo_scanner.output import write_atomically
from jobs.repo_scanner.settings import RepoScannerSettings


def publish(options: Mapping[str, Any], result: RunResult, scans: Sequence[RepoScan], cfg: RepoScannerSettings) -> None:
    """Every report asked for; the first that fails raises after the others were tried."""
    failures: list[str] = []
    for option, write in (("sarif", _sarif), ("sbom", _sbom), ("write_baseline", _baseline)):
        target = options.get(option)
        if not target:
            continue
        try:
            write(Path(str(target)), result, scans, cfg)
        except (OSError, ValueError) as exc:
            failures.append(f"--{option.replace('_', '-')} {target}: {exc}")
    if failures:
        raise OSError("; ".join(failures))


def _sarif(path: Path, result: RunResult, scans: Sequence[RepoScan], cfg: RepoScannerSettings) -> None:
    document = sarif.document(result.findings, result.errors, baseline_used=bool(cfg.baseline))
    sarif.validate(document)
    write_atomically(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _sbom(path: Path, result: RunResult, scans: Sequence[RepoScan], cfg: RepoScannerSettings) -> None:
    write_atomically(path, sbom.render(scans, result.findings, result.started_at) + "\n")


def _baseline(path: Path, result: RunResult, scans: Sequence[RepoScan], cfg: RepoScannerSettings) -> None:
    baseline.write(path, result.findings)
