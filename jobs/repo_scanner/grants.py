"""What a repo-scanner run needs to be allowed, from the settings it runs with.

No AWS or Kubernetes API at all: repositories are read with git (a path, or a remote cloned
into the cache with the credentials the settings name) and GitLab's REST API with its own
token; the scanners read files. What the targets a deployment configures declare (TARGETS'
`permissions`) is summed here; the Vault reads of the settings' `vault:` references (the
GitLab token, the fingerprint key, the webhook secrets) are added by the core for every job.

Where it writes: the state DB and the clone cache (`cache_dir`, by default beside a SQLite
state DB, so on the CronJob's state volume; with PostgreSQL point it under /tmp, the pod's
emptyDir, and remotes are cloned afresh each run). The OSV database folder is read only.
"""

from __future__ import annotations

from jobs.core.errors import ConfigError
from jobs.core.permissions import Permissions
from jobs.core.registry import load_attr
from jobs.repo_scanner.settings import RepoScannerSettings
from jobs.repo_scanner.targets import TARGETS


def permissions(cfg: RepoScannerSettings) -> Permissions:
    """The daily run's (no `--repo`): the configured sources of targets' declarations."""
    declared = Permissions()
    for spec in TARGETS.values():
        if spec.enabled(cfg, {}):
            found = load_attr(spec.permissions)(cfg)
            if not isinstance(found, Permissions):
                raise ConfigError(f"{spec.permissions} returned {type(found).__name__}, not Permissions")
            declared += found
    return declared
