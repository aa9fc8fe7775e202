"""The `repo_scanner` section of the settings file."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from jobs.core.settings import JobSettings, strong_secret
from notifications.settings import RepeatHours

AlertSeverity = Literal["critical", "warning", "info"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def default_name(location: str) -> str:
    """`/src/app`, `/srv/git/app.git`, `https://host/group/app.git` → `app`."""
    tail = PurePosixPath(location.rstrip("/").replace("\\", "/")).name
    return tail.removesuffix(".git") or "repo"


class TargetSettings(_Strict):
    """One repository: a local checkout or bare repository (`path`), or a remote (`url`)."""

    path: str | None = Field(None, description="a checkout or a bare repository on this machine")
    url: str | None = Field(None, description="a git remote, cloned or fetched into the cache")
    name: str | None = Field(None, description="the `repo:<name>:` of findings; default: the last path part")
    branches: list[str] = Field(default_factory=list, description="branches whose history is scanned; [] = HEAD's")

    @model_validator(mode="after")
    def _one_location(self) -> TargetSettings:
        if (self.path is None) == (self.url is None):
            raise ValueError("a target needs exactly one of path or url")
        return self

    @property
    def label(self) -> str:
        return self.name or default_name(self.path or self.url or "")


class GitLabSettings(_Strict):
    url: str = Field(description="the GitLab instance, e.g. https://gitlab.example.test")
    token: SecretStr | None = Field(None, description="a read_api + read_repository token (a vault: reference)")
    groups: list[str] = Field(default_factory=list, description="groups (full paths); their subgroups too")
    include_archived: bool = Field(False, description="scan archived projects too")
    branches: list[str] = Field(default_factory=list, description="branches of every project; [] = the default one")
    per_page: int = Field(100, ge=1, le=100, description="projects per API page")
    timeout_seconds: float = Field(30.0, gt=0, description="per API request")


class SecretsScannerSettings(_Strict):
    enabled: bool = True
    rules: str | None = Field(
        None, description="a gitleaks-format TOML replacing ours (its [extend] useDefault keeps ours); default: ours"
    )
    extra_rules: list[str] = Field(default_factory=list, description="gitleaks-format TOML files added to the rules")
    max_file_bytes: int = Field(5_000_000, ge=1, description="larger files are skipped and counted")


class SastScannerSettings(_Strict):
    enabled: bool = True
    rules: list[str] = Field(default_factory=list, description="semgrep rule files or folders; [] = ours")
    semgrep: str = Field("semgrep", description="the semgrep executable")
    timeout_seconds: float = Field(600.0, gt=0, description="the whole semgrep run, per repository")
    per_file_timeout_seconds: float = Field(30.0, gt=0, description="semgrep --timeout, per rule and file")


class DependencyScannerSettings(_Strict):
    enabled: bool = True
    osv_db: str | None = Field(None, description="an OSV-format folder (one JSON per advisory); none: not run")
    max_db_age_days: int = Field(7, ge=0, description="an older database is a warning finding")


class LicenseScannerSettings(_Strict):
    enabled: bool = True
    deny: list[str] = Field(
        default_factory=lambda: ["GPL-*", "AGPL-*", "LGPL-*", "SSPL-*"],
        description="SPDX ids (a trailing * matches versions and -only/-or-later)",
    )
    allow: list[str] = Field(default_factory=list, description="always allowed, even when deny matches")
    unknown: AlertSeverity = Field("warning", description="severity of a dependency without a known license")


class GitleaksScannerSettings(_Strict):
    enabled: bool = Field(False, description="merge the findings of a gitleaks binary (a cross-check)")
    binary: str = Field("gitleaks", description="the gitleaks executable")
    timeout_seconds: float = Field(600.0, gt=0)


class ScannersSettings(_Strict):
    secrets: SecretsScannerSettings = Field(default_factory=SecretsScannerSettings)
    sast: SastScannerSettings = Field(default_factory=SastScannerSettings)
    dependencies: DependencyScannerSettings = Field(default_factory=DependencyScannerSettings)
    licenses: LicenseScannerSettings = Field(default_factory=LicenseScannerSettings)
    gitleaks: GitleaksScannerSettings = Field(default_factory=GitleaksScannerSettings)


class PushSettings(_Strict):
    """The `/gitlab-push` route: webhooks that scan the pushed range. Each secret is at least
    32 bytes (settings.strong_secret, which says how to generate one): the route is public, and
    an empty or short one would let anyone start scans."""

    gitlab_token: SecretStr | None = Field(
        None, description="the X-Gitlab-Token the webhook sends (32+ characters; a vault: reference); none: no GitLab"
    )
    github_secret: SecretStr | None = Field(
        None, description="the secret of X-Hub-Signature-256 (32+ characters; a vault: reference); none: no GitHub"
    )

    _long_enough = field_validator("gitlab_token", "github_secret")(strong_secret)


def _repeat_daily_while_critical() -> dict[AlertSeverity, float | None]:
    never: float | None = None
    return {"critical": 24.0, "warning": never, "info": never}


class RepoScannerSettings(JobSettings):
    targets: list[TargetSettings] = Field(default_factory=list, description="repositories to scan")
    gitlab: GitLabSettings | None = Field(None, description="every project of these GitLab groups")
    history: bool = Field(False, description="scan each branch's commits since the last run (a watermark)")
    cache_dir: str | None = Field(None, description="where remotes are cloned; default: repo-cache beside the state DB")
    git_timeout_seconds: float = Field(600.0, gt=0, description="per git command (clone, fetch, log)")
    scanners: ScannersSettings = Field(default_factory=ScannersSettings)
    fingerprint_key: SecretStr | None = Field(
        None, description="HMAC key of fingerprints (a vault: reference); default: a built-in key, reported"
    )
    baseline: str | None = Field(None, description="a --write-baseline file: only findings not in it trip the gate")
    suppressions: list[str] = Field(
        default_factory=list, description=".secops-ignore.yaml files beside the repositories' own"
    )
    push: PushSettings = Field(default_factory=PushSettings)
    repeat_after_hours: dict[AlertSeverity, RepeatHours | None] | None = Field(
        default_factory=_repeat_daily_while_critical,
        description="re-send unchanged alerts: while critical every day, never for warning/info",
    )
