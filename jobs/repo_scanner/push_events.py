"""Pure: a verified webhook payload → the configured target it names and the range to scan.

Nothing here trusts the payload to say *where* a repository is: the project's path
(`path_with_namespace`, `full_name`) only selects one of the configured targets (by name, or by
the path of its configured url) or a project under one of the configured GitLab groups. A URL
in the payload is never read, so a valid token cannot make the scanner clone an attacker's
server (SSRF) or send a configured credential to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from jobs.core.http_route import Refused
from jobs.repo_scanner.settings import RepoScannerSettings

#: a commit id as GitLab and GitHub send it: SHA-1 (40) or SHA-256 (64) hex
_COMMIT: Final = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
#: a project path: segments of GitLab's/GitHub's path characters, no empty or dot-only segment
_SEGMENT: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
#: a branch name git accepts and a command line cannot mistake for an option or a range
_BRANCH: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,254}")
MAX_PATH: Final = 512


@dataclass(frozen=True)
class Push:
    """A push as both providers describe it, before it is matched to a target."""

    kind: str  # gitlab | github
    project: str  # group/sub/app, owner/repo
    ref: str
    before: str
    after: str
    default_branch: str | None


@dataclass(frozen=True)
class Scan:
    """What the route runs: the configured target's name and the range `since..until` (for a
    new branch `since` is the default branch, or, unknown, the zero commit: the history scan
    then reads the whole branch)."""

    target: str
    since: str
    until: str
    branch: str


def zero(commit: str) -> bool:
    return set(commit) == {"0"}


def parse(kind: str, event: str, payload: Any) -> Push | None:
    """The push a payload describes; None for an event that is not a push (a tag push, a
    merge request, GitHub's ping): nothing to scan. Refused(400) for a push that is malformed."""
    if not isinstance(payload, Mapping):
        raise Refused(400, "the body is not a JSON object")
    if kind == "gitlab":
        if payload.get("object_kind") != "push" and payload.get("event_name") != "push":
            return None
        project = _text(_field(payload.get("project"), "path_with_namespace"), "path_with_namespace")
        default = _field(payload.get("project"), "default_branch", required=False)
    else:
        if event != "push":
            return None
        project = _text(_field(payload.get("repository"), "full_name"), "full_name")
        default = _field(payload.get("repository"), "default_branch", required=False)
    ref, before, after = (_text(payload.get(name), name) for name in ("ref", "before", "after"))
    if not (_COMMIT.fullmatch(before) and _COMMIT.fullmatch(after)):
        raise Refused(400, "before and after must be commit ids")
    return Push(kind, project, ref, before, after, default)


def _field(node: Any, name: str, required: bool = True) -> str | None:
    value = node.get(name) if isinstance(node, Mapping) else None
    if value is None and not required:
        return None
    return _text(value, name)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_PATH:
        raise Refused(400, f"{name} is missing or not a string")
    return value


def plan_scan(push: Push, cfg: RepoScannerSettings) -> Scan | None:
    """The scan of a push; None when there is nothing to scan (a deleted branch, a tag).
    Refused(404) when the project is none of the configured ones."""
    if not push.ref.startswith("refs/heads/"):
        return None  # tags point at commits a branch push scans
    branch = push.ref.removeprefix("refs/heads/")
    if not _BRANCH.fullmatch(branch) or ".." in branch:
        raise Refused(400, "the ref is not a branch name")
    if zero(push.after):
        return None  # the branch was deleted: no new commit
    target = find_target(push.project, cfg)
    if target is None:
        raise Refused(404, "unknown project")
    since = push.before
    if zero(push.before):  # a new branch: its commits that the default branch does not have
        default = push.default_branch
        usable = default is not None and _BRANCH.fullmatch(default) and ".." not in default and default != branch
        since = default if default is not None and usable else push.before  # zeros: the whole branch
    return Scan(target, since, push.after, branch)


def project_path(text: str) -> str | None:
    """`group/sub/app` (case kept) when `text` is a well-formed project path, else None."""
    parts = text.split("/")
    if len(text) > MAX_PATH or len(parts) < 2 or not all(_SEGMENT.fullmatch(p) for p in parts):
        return None
    if any(p.endswith((".git", ".atom")) or p.strip(".") == "" for p in parts):
        return None
    return text


def url_path(url: str) -> str | None:
    """The project path of a configured remote: `https://host/group/app.git` → `group/app`,
    `git@host:group/app.git` → `group/app`."""
    try:
        path = urlsplit(url).path if "://" in url else url.partition(":")[2]
    except ValueError:
        return None
    return path.strip("/").removesuffix(".git").removesuffix("/") or None


def find_target(project: str, cfg: RepoScannerSettings) -> str | None:
    """The name of the configured target `project` is: a target named so or whose url's path
    is it (case-insensitively, as both providers route), else the project itself when it lies
    under a configured GitLab group (its discovery names projects by their full path)."""
    path = project_path(project)
    if path is None:
        return None
    wanted = path.casefold()
    for target in cfg.targets:
        names = {target.label.casefold()}
        if target.url and (location := url_path(target.url)):
            names.add(location.casefold())
        if wanted in names:
            return target.label
    if cfg.gitlab is not None:
        for group in cfg.gitlab.groups:
            prefix = group.strip("/").casefold() + "/"
            if prefix != "/" and wanted.startswith(prefix):
                return path
    return None
