"""`repo_scanner.targets`: checkouts, bare repositories and remotes named in the settings."""

from __future__ import annotations

from jobs.core.context import JobContext
from jobs.core.model import Inventory
from jobs.core.permissions import Permissions
from jobs.repo_scanner.model import ScanTarget
from jobs.repo_scanner.settings import RepoScannerSettings


def discover(cfg: RepoScannerSettings, ctx: JobContext) -> Inventory[ScanTarget]:
    return Inventory([ScanTarget(t.label, path=t.path, url=t.url, branches=tuple(t.branches)) for t in cfg.targets])


def permissions(cfg: RepoScannerSettings) -> Permissions:
    return Permissions()
