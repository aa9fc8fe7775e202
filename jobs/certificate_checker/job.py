"""certificate-checker: collect from every enabled source, judge purely, join, report."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from jobs.certificate_checker.join import join
from jobs.certificate_checker.messages import plain
from jobs.certificate_checker.model import Observation
from jobs.certificate_checker.rules import Thresholds, judge, judge_superseded, judge_unreachable
from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.certificate_checker.sources import SOURCES
from jobs.core import redact
from jobs.core.errors import ConfigError
from jobs.core.isolation import isolated
from jobs.core.job import BaseJob
from jobs.core.model import Finding, Inventory, Outcome, Plan, Severity
from jobs.core.permissions import Permissions
from jobs.core.registry import load_attr

log = logging.getLogger("secops.certificate_checker")


def build_plan(
    observations: Sequence[Observation], now: datetime, thresholds: Thresholds, unreachable: Severity
) -> Plan:
    """Pure: one finding per observation, joined across sources."""
    joined = join(observations)
    findings: list[Finding] = []
    for obs in observations:
        if obs.unreachable is not None or obs.leaf is None:
            findings.append(judge_unreachable(obs, unreachable))
        elif obs.resource in joined.superseded:
            findings.append(judge_superseded(obs, joined.superseded[obs.resource]))
        else:
            links = {"linked": joined.links[obs.resource]} if obs.resource in joined.links else None
            findings.append(judge(obs, now, thresholds, links, joined.stale.get(obs.resource)))
    by_source = Counter(o.source for o in observations)
    return Plan(findings=findings, summary={"sources": dict(sorted(by_source.items()))})


def _explain(exc: BaseException) -> str:
    """A source's crash in one line: cryptography's parse errors in words."""
    return redact.scrub(f"{type(exc).__name__}: {plain(exc)}")


class Job(BaseJob[Observation, CertificateCheckerSettings]):
    id = "certificate-checker"

    def collect(self) -> Inventory[Observation]:
        inventory: Inventory[Observation] = Inventory()
        enabled = {name: spec for name, spec in SOURCES.items() if spec.enabled(self.cfg)}
        if not enabled:  # "success, checked 0" would read as "all certificates are fine"
            raise ConfigError(
                "certificate_checker: no source configured: set files or endpoints, or enable kubernetes, vault or acm"
            )
        for name, spec in enabled.items():
            started = time.monotonic()
            read = partial(load_attr(spec.target), self.cfg, self.ctx)
            fields = {"source": name}
            part: Inventory[Observation] | None = isolated(
                read, name, inventory.errors, log, "source_failed", fields, _explain
            )
            if part is None:  # one broken source never blinds the others; recorded
                continue
            inventory.items.extend(part.items)
            inventory.errors.extend(part.errors)
            seconds = round(time.monotonic() - started, 3)
            log.info(
                "source_read", extra={"fields": {"source": name, "certificates": len(part.items), "seconds": seconds}}
            )
        return inventory

    def plan(self, items: Sequence[Observation], now: datetime) -> Plan:
        t = self.cfg.thresholds
        thresholds = Thresholds(t.critical_days, t.warning_days, t.info_days)
        return build_plan(items, now, thresholds, Severity(self.cfg.unreachable_severity))

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        from prometheus_client import Gauge

        expiry = Gauge(
            "security_certificate_expiry_timestamp",
            "When the certificate (its chain's earliest) expires, unix seconds",
            ["source", "resource"],
            registry=registry,
        )
        counts = Gauge(
            "security_certificates",
            "Certificates of the last run, by source and severity",
            ["source", "severity"],
            registry=registry,
        )
        tally: Counter[tuple[str, str]] = Counter()
        for finding in plan.findings:
            source = str(finding.details.get("source", "unknown"))
            tally[(source, str(finding.severity))] += 1
            not_after = finding.details.get("not_after")
            if not_after and "superseded_by" not in finding.details:
                expiry.labels(source, finding.resource).set(datetime.fromisoformat(not_after).timestamp())
        for (source, severity), count in tally.items():
            counts.labels(source, severity).set(count)


def permissions(cfg: CertificateCheckerSettings) -> Permissions:
    """The grants of every source `cfg` enables (a disabled one reads nothing, needs nothing)."""
    declared = [load_attr(spec.permissions)(cfg) for spec in SOURCES.values() if spec.enabled(cfg)]
    return sum(declared, Permissions())
