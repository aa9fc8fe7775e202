"""`--repo PATH` (repeatable): the checkouts a CI job scans, replacing the configured targets."""

from __future__ import annotations

from pathlib import Path

from jobs.core.context import JobContext
from jobs.core.errors import ConfigError
from jobs.core.model import Inventory
from jobs.core.permissions import Permissions
from jobs.repo_scanner.model import ScanTarget
from jobs.repo_scanner.settings import RepoScannerSettings, default_name


def discover(cfg: RepoScannerSettings, ctx: JobContext) -> Inventory[ScanTarget]:
    found: Inventory[ScanTarget] = Inventory()
    for given in ctx.options.get("repo") or ():
        path = Path(given)
        if not path.is_dir():
            raise ConfigError(f"--repo {given}: not a directory")
        found.items.append(ScanTarget(default_name(str(path.resolve())), path=str(path), source="cli"))
    return found


def permissions(cfg: RepoScannerSettings) -> Permissions:
    return Permissions()
