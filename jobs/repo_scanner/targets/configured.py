"""`repo_scanner.targets`: checkouts, bare repositories and remotes named in the settings.

Listing reads nothing: a configured folder that has gone is that repository's `errors` entry
when it is checked out (checkout.py), so the other repositories are still scanned. Two targets
of one name are a settings error: their findings, watermarks and alerts would be one.
"""

from __future__ import annotations

from collections import Counter

from jobs.core.context import JobContext
from jobs.core.errors import ConfigError
from jobs.core.model import Inventory
from jobs.core.permissions import Permissions
from jobs.repo_scanner.model import ScanTarget
from jobs.repo_scanner.settings import RepoScannerSettings


def discover(cfg: RepoScannerSettings, ctx: JobContext) -> Inventory[ScanTarget]:
    twice = sorted(name for name, n in Counter(t.label for t in cfg.targets).items() if n > 1)
    if twice:
        raise ConfigError(
            [f"repo_scanner.targets: two targets are named {name!r}: give one a `name`" for name in twice]
        )
    return Inventory([ScanTarget(t.label, path=t.path, url=t.url, branches=tuple(t.branches)) for t in cfg.targets])


def permissions(cfg: RepoScannerSettings) -> Permissions:
    return Permissions()
