"""`--repo PATH` (repeatable): the checkouts a CI job scans, replacing the configured targets.

A folder that is not a git repository is scanned too (its files, no history). Each target is
named by its folder; two folders of one name are told apart by the path as given, and the
same folder given twice is scanned once. A path that is not a folder is a usage error (exit 2):
the CI job that names it wants to know now, not in a report.
"""

from __future__ import annotations

from pathlib import Path

from jobs.core.context import JobContext
from jobs.core.errors import ConfigError
from jobs.core.model import Inventory
from jobs.core.permissions import Permissions
from jobs.repo_scanner.model import ScanTarget, printable
from jobs.repo_scanner.settings import RepoScannerSettings, default_name


def discover(cfg: RepoScannerSettings, ctx: JobContext) -> Inventory[ScanTarget]:
    found: Inventory[ScanTarget] = Inventory()
    names: set[str] = set()
    seen: set[Path] = set()
    for given in ctx.options.get("repo") or ():
        path = Path(given)
        if not path.is_dir():
            raise ConfigError(f"--repo {given}: not a directory")
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        name = printable(unique_name(default_name(str(resolved)), str(given), names))
        names.add(name)
        found.items.append(ScanTarget(name, path=str(path), source="cli"))
    return found


def unique_name(name: str, given: str, taken: set[str]) -> str:
    """`name`, else the path as given (`services/app`), else that with a counter."""
    if name not in taken:
        return name
    spelled = Path(given).as_posix().strip("/").removeprefix("./") or name
    candidate, n = spelled, 2
    while candidate in taken:
        candidate, n = f"{spelled}-{n}", n + 1
    return candidate


def permissions(cfg: RepoScannerSettings) -> Permissions:
    return Permissions()
