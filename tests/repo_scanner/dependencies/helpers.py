"""A checkout of a folder without git, and the env a scanner is handed (real settings, the
built-in fingerprint key)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.model import Checkout, ScanTarget
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.settings import RepoScannerSettings

SAMPLES = Path(__file__).parent / "samples"


def checkout_of(root: Path) -> Checkout:
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return Checkout(ScanTarget("app", path=str(root)), root, files, None, None)


def samples_checkout(tmp_path: Path) -> Checkout:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLES, root)
    return checkout_of(root)


def env(**dependencies: Any) -> ScanEnv:
    cfg = RepoScannerSettings.model_validate({"scanners": {"dependencies": dependencies, "sast": {"enabled": False}}})
    return ScanEnv(cfg, Fingerprinter())
