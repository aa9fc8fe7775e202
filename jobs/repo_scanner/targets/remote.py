"""Remotes by URL: a bare clone per remote in the cache, fetched on later runs.

The cache entry is named by a hash of the credential-free URL (never the URL: it may name an
internal host, and a path must not depend on what a URL can contain). Shallow (`--depth 1`)
while history is not wanted; a later run that wants history deepens it once (`--unshallow`),
and a full cache is never made shallow again (the next history run would re-download it). A
clone goes to a temporary name first and is renamed into place, so a killed run or a rival
shard never leaves a half clone the next run would trust.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from jobs.core import redact
from jobs.core.context import JobContext
from jobs.repo_scanner.model import ScanTarget
from jobs.repo_scanner.settings import RepoScannerSettings
from jobs.repo_scanner.targets.git import Git, auth_environment, credential_free

#: every branch, as the remote has it (pruned: a deleted branch leaves the cache)
BRANCHES = "+refs/heads/*:refs/heads/*"
#: the commit the remote's HEAD names now (its default branch may have changed since the clone)
REMOTE_HEAD = "refs/secops/remote-head"


def cache_root(cfg: RepoScannerSettings, ctx: JobContext) -> Path:
    """`cache_dir`, else `repo-cache` beside a SQLite state DB, else the user's cache dir."""
    if cfg.cache_dir:
        return Path(cfg.cache_dir)
    url = ctx.state.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / "repo-cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "secops-jobs" / "repo-cache"


def token_of(target: ScanTarget, cfg: RepoScannerSettings, password: str | None) -> str | None:
    """The credential for this remote: the URL's own password, or GitLab's token for a project
    found through GitLab (`auth` names the client, never holds the token)."""
    if password:
        return password
    if target.auth == "gitlab" and cfg.gitlab is not None and cfg.gitlab.token is not None:
        return cfg.gitlab.token.get_secret_value()
    return None


def entry_name(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".git"


def fetched(target: ScanTarget, cfg: RepoScannerSettings, ctx: JobContext, history: bool) -> Path:
    """The cache's bare repository of `target.url`, up to date; its path."""
    assert target.url is not None
    url, password = credential_free(target.url)
    if password:
        redact.register(password)
    token = token_of(target, cfg, password)
    env = auth_environment(url, token) if token and url.startswith(("http://", "https://")) else {}
    root = cache_root(cfg, ctx)
    root.mkdir(parents=True, exist_ok=True)
    repo = root / entry_name(url)
    if not (repo / "HEAD").is_file():
        _clone(Git(cfg.git_timeout_seconds, extra_env=env, ceiling=root), url, repo, shallow=not history)
        return repo
    git = Git(cfg.git_timeout_seconds, git_dir=repo, extra_env=env)
    shallow = git.out("rev-parse", "--is-shallow-repository") == "true"
    depth = ["--unshallow"] if shallow and history else ["--depth", "1"] if shallow else []
    git.network(
        "fetch", "--prune", "--no-tags", "--update-head-ok", *depth, "--", url, BRANCHES, f"+HEAD:{REMOTE_HEAD}"
    )
    return repo


def _clone(git: Git, url: str, repo: Path, shallow: bool) -> None:
    """A bare clone under a temporary name, renamed into place once complete."""
    partial = Path(tempfile.mkdtemp(prefix=repo.name + ".", suffix=".partial", dir=repo.parent))
    try:
        depth = ["--depth", "1"] if shallow else []
        git.network(
            "clone",
            "--bare",
            "--no-tags",
            "--quiet",
            *depth,
            "--",
            url,
            str(partial),
            before_retry=lambda: _empty(partial),
        )
        try:
            partial.rename(repo)
        except OSError:  # a rival run put its clone there first: use that one
            if not (repo / "HEAD").is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _empty(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
