"""`cronjobs/`: a kustomize base and dev/prod overlays, generated from JOBS and the declared
permissions (`python -m jobs manifests`, ARTIFACTS["cronjobs"]).

Layout, and why it has three parts:
- `base/jobs/`: everything in the jobs' own namespace (ServiceAccounts, CronJobs, the ConfigMap)
  plus the cluster-wide ClusterRoles and their bindings. An overlay moves it with `namespace:`.
- `base/access/`: the Roles and RoleBindings in the namespaces a job acts on (rotation updates a
  Secret in `billing`). A `namespace:` transform would move those too (and collide two Roles of
  one job), so no overlay transforms this folder.
- `base/subjects/`: a component that points those RoleBindings' subjects at the namespace the
  ServiceAccounts ended up in, so moving the jobs keeps every grant bound to its account.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final
from urllib.parse import urlsplit

import yaml

from jobs.core import crontab
from jobs.core.deploy import declared, kustomize, pods, policies
from jobs.core.deploy.configmap import config_text
from jobs.core.errors import ConfigError
from jobs.core.registry import JOBS, JobSpec, Schedule
from jobs.core.settings import Settings

NAMESPACE: Final = "secops"
#: a CronJob's name is at most 52 characters: the controller appends an 11-character suffix to
#: name each Job it starts, and a Job's name must stay a 63-character label
MAX_CRONJOB_NAME: Final = 52
DNS_LABEL: Final = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: kinds confined to one namespace that is the namespace a job acts on, not the jobs' own
FOREIGN_KINDS: Final = frozenset({"Role", "RoleBinding"})


def files(settings: Settings, jobs: Mapping[str, JobSpec] = JOBS) -> dict[str, str]:
    """Every file of `cronjobs/`, by its path under that folder."""
    specs = declared.deployable(jobs)
    state_dir = state_directory(settings.state_db_url)
    local: dict[str, str] = {}
    foreign: dict[str, str] = {}
    bound: list[str] = []
    for spec in specs:
        needs = declared.job_permissions(spec, settings)
        access = policies.rbac(needs, spec.id, NAMESPACE)
        crons = [pods.cronjob(spec, s, name, state_dir, bool(needs.kubernetes)) for s, name in cronjob_names(spec)]
        local[f"{spec.id}.yaml"] = _dump([o for o in access if o["kind"] not in FOREIGN_KINDS] + crons)
        if elsewhere := [o for o in access if o["kind"] in FOREIGN_KINDS]:
            foreign[f"{spec.id}.yaml"] = _dump(elsewhere)
            bound.append(policies.account_name(spec.id))
    if state_dir is not None:
        local["state.yaml"] = _dump([kustomize.state_claim()])
    names = [name for spec in specs for _, name in cronjob_names(spec)]
    out = {f"base/jobs/{path}": text for path, text in local.items()}
    out |= {f"base/access/{path}": text for path, text in foreign.items()}
    out["base/jobs/config.yaml"] = config_text(settings)
    out["base/jobs/kustomization.yaml"] = kustomize.jobs_base(sorted(local), NAMESPACE, image_tag())
    out["base/access/kustomization.yaml"] = kustomize.resources(sorted(foreign))
    out["base/subjects/kustomization.yaml"] = kustomize.subjects_component(bound)
    out["base/kustomization.yaml"] = kustomize.base()
    for overlay in kustomize.OVERLAYS:
        out |= kustomize.overlay(overlay, names[0] if names else None)
    out["README.md"] = kustomize.readme(names)
    return out


def cronjob_names(spec: JobSpec) -> list[tuple[Schedule, str]]:
    """`<job-id>` for a job's only schedule, else `<job-id>-<note slug>` for each; ConfigError
    when a name cannot be made (a schedule without a note, two notes alike, too long)."""
    if not DNS_LABEL.match(spec.id):
        raise ConfigError(f"job {spec.id!r}: not a DNS label (lower-case letters, digits and '-'): no Kubernetes name")
    named = []
    for schedule in spec.schedules:
        check_cron(spec, schedule)
        if len(spec.schedules) == 1:
            named.append((schedule, spec.id))
            continue
        slug = note_slug(schedule.note)
        if not slug:
            raise ConfigError(f"job {spec.id}: schedule {schedule.cron!r} needs a note to name its CronJob")
        named.append((schedule, f"{spec.id}-{slug}"))
    seen = [name for _, name in named]
    for name in seen:
        if seen.count(name) > 1:
            raise ConfigError(f"job {spec.id}: two schedules would both be the CronJob {name!r}; give distinct notes")
        if len(name) > MAX_CRONJOB_NAME:
            raise ConfigError(f"CronJob {name!r}: {len(name)} characters, Kubernetes allows {MAX_CRONJOB_NAME}")
    return named


def note_slug(note: str) -> str:
    """`"forced monthly"` → `forced-monthly`: lower case, every run of other characters one `-`."""
    return re.sub(r"[^a-z0-9]+", "-", note.lower()).strip("-")


def check_cron(spec: JobSpec, schedule: Schedule) -> None:
    """A line the CronJob controller reads (jobs.core.crontab, which every generator and the
    local scheduler share), no time zone of its own (the CronJob says Etc/UTC), shards ≥ 1."""
    if "TZ=" in schedule.cron:
        raise ConfigError(f"job {spec.id}: schedule {schedule.cron!r}: a CronJob needs five cron fields, in UTC")
    try:
        crontab.parse(schedule.cron)
    except ValueError as exc:
        raise ConfigError(
            f"job {spec.id}: schedule {schedule.cron!r}: a CronJob needs five cron fields: {exc}"
        ) from None
    if problem := crontab.kubernetes_problem(schedule.cron):
        raise ConfigError(f"job {spec.id}: {problem}")
    if schedule.shards < 1:
        raise ConfigError(f"job {spec.id}: schedule {schedule.cron!r}: shards must be at least 1")


def state_directory(url: str) -> str | None:
    """Where a SQLite state DB lives (it needs a volume there), None for a server DB."""
    if not url.startswith("sqlite"):
        return None
    path = urlsplit(url).path
    if not path.startswith("//") or path in ("//", "//:memory:"):
        raise ConfigError(
            f"state_db_url {url!r}: a CronJob's SQLite state needs an absolute path on the state volume "
            "(sqlite:////var/lib/secops/state.db), or PostgreSQL"
        )
    folder = path[1:].rpartition("/")[0] or "/"
    taken = ("/tmp", pods.CONFIG_DIR)  # noqa: S108 - the pod's own mounts: no volume on or above them
    if folder == "/" or any(f"{t}/".startswith(f"{folder.rstrip('/')}/") for t in taken):
        raise ConfigError(
            f"state_db_url {url!r}: the state volume would be mounted at {folder}, on or above the pod's own "
            f"{' or '.join(taken)}: put the file in a folder of its own (sqlite:////var/lib/secops/state.db)"
        )
    return folder


def image_tag() -> str:
    """The release the base deploys: the image is tagged with the package's version."""
    try:
        return version("secops-jobs")
    except PackageNotFoundError:
        return "latest"


def _dump(objects: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)
