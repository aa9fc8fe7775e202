"""repo-scanner: targets → checkouts → every enabled scanner (and history) → one plan.

collect reads: it lists the targets, makes each readable and runs the scanners on it; one
repository or one scanner that fails is an `errors` entry, the others go on. plan decides
(plan.py, pure). The one action, `record_history`, stores new history hits and moves the
watermarks together, so a dry run re-scans the same commits next time. publish writes SARIF,
the SBOM and a baseline file when asked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from jobs.core.errors import ConfigError, PermanentError
from jobs.core.isolation import describe, isolated
from jobs.core.job import BaseJob, typed_action
from jobs.core.model import Action, Finding, Inventory, Outcome, Plan, RunError, RunResult
from jobs.core.registry import load_attr
from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.model import Checkout, RepoScan, ScanReport, ScanTarget, reportable
from jobs.repo_scanner.plan import Policy, build_plan, repo_name
from jobs.repo_scanner.scanners import SCANNERS, ScanEnv
from jobs.repo_scanner.settings import RepoScannerSettings
from jobs.repo_scanner.targets import TARGETS

log = logging.getLogger("secops.repo_scanner")


class Job(BaseJob[RepoScan, RepoScannerSettings]):
    id = "repo-scanner"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        key = self.cfg.fingerprint_key
        self.fingerprints = Fingerprinter(key.get_secret_value().encode()) if key else Fingerprinter()
        self.policy = Policy()
        self.scans: list[RepoScan] = []

    # -- collect ---------------------------------------------------------------------------
    def collect(self) -> Inventory[RepoScan]:
        from jobs.repo_scanner import suppress

        inventory: Inventory[RepoScan] = Inventory()
        targets = self.targets(inventory)
        self.policy = suppress.policy(self.cfg, self.fingerprints, inventory.errors)
        for target in targets:
            scan = self.scan(target)
            inventory.items.append(scan)
            inventory.errors.extend(scan.errors)
        self.scans = inventory.items
        return inventory

    def targets(self, inventory: Inventory[RepoScan]) -> list[ScanTarget]:
        """Every source's targets, `--target` applied, one per name, this shard's only."""
        found: dict[str, ScanTarget] = {}
        args = self.ctx.options
        enabled = {n: s for n, s in TARGETS.items() if s.enabled(self.cfg, args)}
        if not enabled:  # "success, scanned 0" would read as "every repository is clean"
            raise ConfigError("repo_scanner: nothing to scan: set targets or gitlab, or pass --repo PATH")
        for name, spec in enabled.items():
            discover = partial(load_attr(spec.target), self.cfg, self.ctx)
            part: Inventory[ScanTarget] | None = isolated(
                discover, f"targets:{name}", inventory.errors, log, "targets_failed", {"source": name}
            )
            if part is None:  # one unreadable source never hides the others; recorded
                continue
            inventory.errors.extend(part.errors)
            for target in part.items:
                if target.name in found:
                    inventory.errors.append(
                        RunError(f"targets:{name}", f"two targets are named {target.name!r}: the second is not scanned")
                    )
                    continue
                found[target.name] = target
        only = set(args.get("target") or ())
        unknown = sorted(only - set(found))
        if unknown:
            raise ConfigError(f"--target {', '.join(unknown)}: no such target (known: {', '.join(sorted(found))})")
        until = args.get("until")  # a push's last commit: the range ends there, not at the tips
        return [
            replace(t, until=t.until or until) if until else t
            for n, t in found.items()
            if (not only or n in only) and self.ctx.owns(n)
        ]

    def scan(self, target: ScanTarget) -> RepoScan:
        """One repository: checked out, every enabled scanner, then history. A failure to check
        it out is the repository's error; a scanner's failure is that scanner's."""
        from jobs.repo_scanner.targets.checkout import checked_out

        scan = RepoScan(target)
        started = time.monotonic()
        try:
            with checked_out(target, self.cfg, self.ctx) as checkout:
                scan.head = checkout.head
                scan.stats["files"] = len(checkout.files)
                self.run_scanners(checkout, scan)
                self.read_history(checkout, scan)
                from jobs.repo_scanner import suppress

                scan.suppressions.extend(suppress.repository(checkout.root, scan.errors, target.name))
        except ConfigError:
            raise
        except Exception as exc:
            log.exception("repository_failed", extra={"fields": {"repo": target.name}})
            scan.errors.append(RunError(f"repo:{target.name}", describe(exc)))
        scan.stats["seconds"] = round(time.monotonic() - started, 3)
        log.info("repository_scanned", extra={"fields": {"repo": target.name, "hits": len(scan.hits), **scan.stats}})
        return scan

    def run_scanners(self, checkout: Checkout, scan: RepoScan) -> None:
        env = ScanEnv(self.cfg, self.fingerprints)
        for name, spec in SCANNERS.items():
            if not spec.enabled(self.cfg):
                scan.scanners[name] = "disabled"
                continue
            scanner = partial(load_attr(spec.target), checkout, env)
            fields = {"repo": checkout.target.name, "scanner": name}
            source = f"{name}:{checkout.target.name}"
            report: ScanReport | None = isolated(scanner, source, scan.errors, log, "scanner_failed", fields)
            if report is None:  # one scanner's crash is its error, never a silent pass
                scan.scanners[name] = "failed"
                continue
            scan.hits.extend(map(reportable, report.hits))
            scan.errors.extend(report.errors)
            scan.components.extend(report.components)
            scan.stats.update({f"{name}_{k}": v for k, v in report.stats.items() if k != "why_not_run"})
            scan.scanners[name] = "ran" if report.ran else str(report.stats.get("why_not_run", "not run"))

    def read_history(self, checkout: Checkout, scan: RepoScan) -> None:
        """New commits (since the watermarks, or --since) through the secrets engine."""
        since = checkout.target.since or self.ctx.options.get("since")
        if not (self.cfg.history or since) or not self.cfg.scanners.secrets.enabled:
            return
        from jobs.repo_scanner.history import scan_history

        found = scan_history(checkout, ScanEnv(self.cfg, self.fingerprints), self.ctx.state, since)
        scan.hits.extend(map(reportable, found.hits))
        scan.stored.extend(found.stored)
        scan.progress.extend(found.progress)
        scan.errors.extend(found.errors)
        scan.stats.update(found.stats)

    # -- plan, apply, publish --------------------------------------------------------------
    def plan(self, items: Sequence[RepoScan], now: datetime) -> Plan:
        return build_plan(items, now, self.policy)

    def apply(self, action: Action) -> None:
        if action.kind != "record_history":
            raise PermanentError(f"repo-scanner plans no {action.kind!r} actions")
        from jobs.repo_scanner.history_store import record

        typed = typed_action(action, Action)
        record(self.ctx.state, typed.params["target"], typed.params["progress"], typed.params["hits"])

    def alert_group(self, finding: Finding) -> str | None:
        """One message per repository (counts and the top findings), not one per finding."""
        if not finding.resource.startswith("repo:"):
            return None  # the stale-database warning is about the run
        return f"repo:{repo_name(finding)}"

    def publish(self, result: RunResult) -> None:
        from jobs.repo_scanner import reports

        reports.publish(self.ctx.options, result, self.scans, self.cfg)

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        from jobs.repo_scanner.metrics import record

        record(registry, plan, self.scans)
