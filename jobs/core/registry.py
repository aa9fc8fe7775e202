"""JOBS: the one table of jobs. Importing it costs nothing; job code loads lazily.

Pure data: it imports nothing of the core, so everything may read it (the CLI's parser, the
settings, the scheduler, the listing). The classes its strings name are resolved, and
checked, by `jobs.core.resolve`, which sits above the job and settings layers.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final


@dataclass(frozen=True)
class JobOption:
    """A job-specific command-line flag; schedules pass it as `args`."""

    name: str  # settings-style name, e.g. "force" → --force
    help: str
    kind: str = "flag"  # "flag" (bool), "value" (string) or "values" (repeatable: a list of strings)
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Schedule:
    """A cron line (UTC, five fields) and the options that run uses."""

    cron: str
    args: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    #: how many processes split this run (`--shard i/N`): an Indexed Job on Kubernetes, a Step
    #: Functions Map on Lambda; the one-process scheduler runs the whole job instead
    shards: int = 1


@dataclass(frozen=True)
class JobSpec:
    id: str
    description: str
    schedules: tuple[Schedule, ...]
    destructive: bool = False
    options: tuple[JobOption, ...] = ()
    class_path: str = ""  # "package.module:Class"; defaults from the id
    settings_class: str = ""  # "package.module:Model", the job's settings section; default: JobSettings
    #: options whose runs yield the run lock to a full run (locking.py): a lesser mode of the job
    yielding_options: tuple[str, ...] = ()
    #: "package.module:function", (the job's settings section) -> Permissions: what a run with
    #: those settings needs (jobs.core.deploy turns it into IAM, RBAC and Vault policies)
    permissions: str = ""
    #: HTTP routes this job serves on its Lambda function URL: (path, "module:function"), the
    #: function taking the URL event and returning the response (the template gives such a
    #: job's function a URL; jobs.core.aws_lambda dispatches on the path)
    routes: tuple[tuple[str, str], ...] = ()
    #: "package.module:function", (the job's settings section) -> [jobs.core.alerting.Alert]:
    #: alert rules on the series only this job emits (jobs.core.deploy.alert_rules adds the
    #: ones every job gets)
    alerts: str = ""

    def mode(self, args: Mapping[str, Any]) -> str | None:
        """The yielding options a run with `args` has on, e.g. "warn_only"; None for a full run.
        The lock (locking.py), the run history and the metrics' grouping key all use it, so a
        lesser run never stands in for the full one (its success is not the teardown's)."""
        on = [name for name in self.yielding_options if args.get(name)]
        return ",".join(on) or None

    @property
    def module(self) -> str:
        return "jobs." + self.section

    @property
    def section(self) -> str:
        """The settings section and package name: the id with `-` turned into `_`."""
        return self.id.replace("-", "_")

    @property
    def target(self) -> str:
        return self.class_path or f"{self.module}.job:Job"

    @property
    def available(self) -> bool:
        """Whether this build ships the job's code (checked without importing it)."""
        module_name = self.target.partition(":")[0]
        try:
            return importlib.util.find_spec(module_name) is not None
        except ModuleNotFoundError:
            return False


def load_attr(target: str) -> Any:
    """`"package.module:Name"` → the object; how every table loads lazily."""
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


JOBS: Final[dict[str, JobSpec]] = {
    spec.id: spec
    for spec in (
        JobSpec(
            id="certificate-checker",
            description="TLS certificates from files, endpoints, Kubernetes, Vault PKI and ACM: "
            "expiry and chain, hostname and key problems",
            # two processes probe the endpoints (stable hash): an Indexed Job, a Step Functions Map
            schedules=(Schedule("0 6 * * *", shards=2),),
            settings_class="jobs.certificate_checker.settings:CertificateCheckerSettings",
            permissions="jobs.certificate_checker.job:permissions",
            alerts="jobs.certificate_checker.alerts:alerts",
        ),
        JobSpec(
            id="secret-rotation",
            description="rotate secrets by policy through Vault KV v2, set and verify every "
            "consumer, roll back on failure",
            schedules=(
                Schedule("0 2 * * 0", note="weekly"),
                Schedule("0 3 1 * *", {"force": True}, note="forced monthly"),
            ),
            destructive=True,
            options=(JobOption("force", "rotate every automatic secret now, due or not"),),
            settings_class="jobs.secret_rotation.settings:SecretRotationSettings",
            permissions="jobs.secret_rotation.job:permissions",
            alerts="jobs.secret_rotation.alerts:alerts",
        ),
        JobSpec(
            id="usage-report",
            description="per-tenant API usage report as a PDF, emailed to each tenant",
            schedules=(
                Schedule("0 1 * * *", {"period": "daily"}, note="daily"),
                Schedule("0 2 * * 1", {"period": "weekly"}, note="weekly"),
            ),
            options=(
                JobOption("period", "the previous UTC day or ISO week (default: daily)", "value", ("daily", "weekly")),
                JobOption("tenant", "report on this tenant only (repeatable; a one-off)", "values"),
                JobOption("force", "deliver again what this period already delivered"),
            ),
            settings_class="jobs.usage_report.settings:UsageReportSettings",
            permissions="jobs.usage_report.grants:permissions",
            alerts="jobs.usage_report.alerts:alerts",
            # a run for some tenants (a one-off) never stands in for the whole day's
            yielding_options=("tenant",),
        ),
        JobSpec(
            id="repo-scanner",
            description="secrets, SAST, vulnerable dependencies and licenses in repositories; SARIF and a CI gate",
            schedules=(Schedule("0 3 * * *"),),
            options=(
                JobOption("repo", "scan this checkout or bare repository (repeatable; replaces the targets)", "values"),
                JobOption("target", "scan only the configured target of this name (repeatable)", "values"),
                JobOption("since", "scan the commits after REV (a range: CI, webhooks)", "value"),
                JobOption("until", "... up to REV, not the branch tips (a push's last commit)", "value"),
                JobOption("sarif", "write the findings as SARIF 2.1.0 to FILE", "value"),
                JobOption("sbom", "write a CycloneDX SBOM of the dependencies found to FILE", "value"),
                JobOption("write_baseline", "write the findings' fingerprints to FILE as a baseline", "value"),
            ),
            settings_class="jobs.repo_scanner.settings:RepoScannerSettings",
            permissions="jobs.repo_scanner.grants:permissions",
            alerts="jobs.repo_scanner.alerts:alerts",
            routes=(("/gitlab-push", "jobs.repo_scanner.push_route:respond"),),
            # a run of some repositories or commits (CI, a push) never stands in for the daily
            # one: its own metrics group and run history, and it yields the lock
            yielding_options=("repo", "target", "since", "until"),
        ),
        JobSpec(
            id="ttl-teardown",
            description="delete expired non-production AWS and Kubernetes resources, "
            "after warning their owners; never prod, restricted or whitelisted",
            schedules=(
                Schedule("0 2 * * *", note="teardown"),
                Schedule("0 * * * *", {"warn_only": True}, note="hourly pre-alerts"),
            ),
            destructive=True,
            options=(JobOption("warn_only", "send due expiry warnings, delete nothing"),),
            settings_class="jobs.ttl_teardown.settings:TtlTeardownSettings",
            permissions="jobs.ttl_teardown.grants:permissions",
            alerts="jobs.ttl_teardown.alerts:alerts",
            yielding_options=("warn_only",),
            routes=(("/snooze", "jobs.ttl_teardown.snooze_route:respond"),),
        ),
    )
}
