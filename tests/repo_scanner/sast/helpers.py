"""The env the sast scanner is handed: real settings, the built-in fingerprint key."""

from __future__ import annotations

from typing import Any

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.settings import RepoScannerSettings


def env(**sast: Any) -> ScanEnv:
    return ScanEnv(RepoScannerSettings.model_validate({"scanners": {"sast": sast}}), Fingerprinter())
