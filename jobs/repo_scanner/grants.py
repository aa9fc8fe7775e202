"""What a repo-scanner run needs (PLACEHOLDER): Vault reads of its references."""

from __future__ import annotations

from jobs.core.permissions import Permissions
from jobs.repo_scanner.settings import RepoScannerSettings


def permissions(cfg: RepoScannerSettings) -> Permissions:
    return Permissions()
