"""TARGETS: where the repositories to scan come from; each loads only when it applies.

A discoverer is `discover(cfg, ctx) -> Inventory[ScanTarget]`: it lists, never clones, and
turns what it cannot list into an `errors` entry naming the place. `--repo` replaces the
configured targets (the CI use); `--target NAME` keeps only those names. `checked_out`
(checkout.py) then makes each target readable: the checkout as it is, or a clone in the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from jobs.repo_scanner.settings import RepoScannerSettings


@dataclass(frozen=True)
class TargetSpec:
    target: str  # "module:discover"
    #: (settings, the run's job options) → whether this source of targets is used
    enabled: Callable[[RepoScannerSettings, Mapping[str, Any]], bool]
    permissions: str  # "module:function", (settings) -> Permissions


def _spec(name: str, enabled: Callable[[RepoScannerSettings, Mapping[str, Any]], bool]) -> TargetSpec:
    module = f"jobs.repo_scanner.targets.{name}"
    return TargetSpec(f"{module}:discover", enabled, f"{module}:permissions")


TARGETS: Final[dict[str, TargetSpec]] = {
    "command_line": _spec("command_line", lambda cfg, args: bool(args.get("repo"))),
    "configured": _spec("configured", lambda cfg, args: not args.get("repo") and bool(cfg.targets)),
    "gitlab": _spec("gitlab", lambda cfg, args: not args.get("repo") and cfg.gitlab is not None),
}
