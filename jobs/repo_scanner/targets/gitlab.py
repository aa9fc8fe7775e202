"""`repo_scanner.gitlab`: every project of the configured groups and their subgroups.

Listed through python-gitlab (`GET /groups/:id/projects?include_subgroups=true`, paged by
the `Link` header, which is kept on the configured base URL so the token never follows a
link elsewhere). A group that cannot be listed (401, 403, 404, an outage after one retry) is
an `errors` entry naming it, and the other groups are still scanned. Projects are cloned by
`http_url_to_repo` with the token as an HTTP header (targets/git.py), never in the URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gitlab
import requests
from gitlab.exceptions import GitlabError

from jobs.core import redact
from jobs.core.context import JobContext
from jobs.core.model import Inventory, RunError
from jobs.core.permissions import Permissions
from jobs.repo_scanner.model import ScanTarget
from jobs.repo_scanner.settings import GitLabSettings, RepoScannerSettings

#: python-gitlab's own retries of a transient error (5xx, a dropped connection): one more try
MAX_RETRIES = 1


def client(settings: GitLabSettings) -> gitlab.Gitlab:
    token = settings.token.get_secret_value() if settings.token is not None else None
    if token:
        redact.register(token)
    return gitlab.Gitlab(
        settings.url,
        private_token=token,
        timeout=settings.timeout_seconds,
        per_page=settings.per_page,
        retry_transient_errors=True,
        keep_base_url=True,  # a `Link` to another host is followed on ours, with our token
    )


def discover(cfg: RepoScannerSettings, ctx: JobContext) -> Inventory[ScanTarget]:
    settings = cfg.gitlab
    found: Inventory[ScanTarget] = Inventory()
    if settings is None:
        return found
    api = ctx.client("gitlab", gitlab.Gitlab, lambda: client(settings))
    seen: set[int] = set()
    for group in settings.groups:
        try:
            for project in projects(api, group, settings):
                if project["id"] not in seen:
                    seen.add(project["id"])
                    found.items.append(target_of(project, settings))
        except (GitlabError, requests.RequestException) as exc:
            found.errors.append(RunError(f"gitlab:{group}", why(exc)))
    return found


def projects(api: gitlab.Gitlab, group: str, settings: GitLabSettings) -> Iterator[dict[str, Any]]:
    """The projects of `group` and its subgroups, page by page; archived ones only when asked
    (filtered here too: a server that ignores `archived=false` must not widen the scan)."""
    options: dict[str, Any] = {"include_subgroups": True, "per_page": settings.per_page}
    if not settings.include_archived:
        options["archived"] = False
    found = api.groups.get(group, max_retries=MAX_RETRIES)
    for project in found.projects.list(iterator=True, max_retries=MAX_RETRIES, **options):
        attributes: dict[str, Any] = project.asdict()
        if attributes.get("archived") and not settings.include_archived:
            continue
        if not attributes.get("http_url_to_repo"):
            continue  # a project without a repository (issues only)
        yield attributes


def target_of(project: dict[str, Any], settings: GitLabSettings) -> ScanTarget:
    default = project.get("default_branch")
    branches = tuple(settings.branches) or ((str(default),) if default else ())
    return ScanTarget(
        str(project["path_with_namespace"]),
        url=str(project["http_url_to_repo"]),
        branches=branches,
        source="gitlab",
        auth="gitlab",
    )


def why(exc: Exception) -> str:
    """One line: GitLab's status and message (`401 Unauthorized`, `404 Group Not Found`)."""
    if isinstance(exc, GitlabError):
        code = exc.response_code
        said = exc.error_message if isinstance(exc.error_message, str) else str(exc.error_message)
        text = f"{code}: {said}" if code else said
        if code in (401, 403):
            text += " (the token needs read_api and read_repository on this group)"
        return redact.scrub(f"cannot list the group's projects: {text}")
    return redact.scrub(f"cannot reach GitLab: {type(exc).__name__}")


def permissions(cfg: RepoScannerSettings) -> Permissions:
    """Nothing of AWS, Kubernetes or Vault: GitLab grants are the token's (read_api,
    read_repository), which the token's owner gives it in GitLab."""
    return Permissions()
