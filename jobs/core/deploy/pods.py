"""One schedule of one job as a Kubernetes CronJob: the Job it starts and the hardened pod.

Why each knob has the value it has:
- `concurrencyPolicy: Forbid`: a run still going when the next is due makes the next one skip,
  never two runs at once (the run lock would make the second one exit as `skipped` anyway).
- `activeDeadlineSeconds`: shorter than the shortest interval of any schedule in the table
  (hourly), so a hung run is killed before Forbid would skip the next one; well above the 600 s
  at which SecurityJobSlow fires.
- `backoffLimit`: 0 for a destructive job (a failed rotation or teardown is looked at, not
  retried blindly: the next scheduled run reconciles what was left open), 2 for read-only
  ones. `podFailurePolicy` makes the retries meaningful either way: a node drain or eviction
  (`DisruptionTarget`) does not count, and a configuration error (exit 2) or a tripped
  guardrail (exit 3) fails the Job at once, since a retry would fail the same way.
- `ttlSecondsAfterFinished`: finished Jobs (and their logs) stay a week, then go.
- The pod runs as uid 10001 on a read-only root filesystem with every capability dropped;
  it writes only `/tmp` (an emptyDir) and, with a SQLite state DB, the state volume.
- The service-account token is mounted only into a job that calls the Kubernetes API.
"""

from __future__ import annotations

from typing import Any, Final

from jobs.core.deploy.policies import LABELS, account_name
from jobs.core.errors import ConfigError
from jobs.core.registry import JobSpec, Schedule

IMAGE: Final = "secops-jobs"  # a placeholder the kustomizations' `images:` set
CONFIG_MAP: Final = "secops-config"
CONFIG_KEY: Final = "config.yaml"
CONFIG_DIR: Final = "/etc/secops-jobs"
CREDENTIALS: Final = "secops-credentials"  # the Secret the operator creates (SECOPS_* variables)
STATE_CLAIM: Final = "secops-state"
UID: Final = 10001

STARTING_DEADLINE_SECONDS: Final = 300
ACTIVE_DEADLINE_SECONDS: Final = 3300
TTL_SECONDS_AFTER_FINISHED: Final = 7 * 24 * 3600
HISTORY: Final = {"successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 5}
RESOURCES: Final = {
    "requests": {"cpu": "100m", "memory": "256Mi", "ephemeral-storage": "64Mi"},
    "limits": {"cpu": "1", "memory": "512Mi", "ephemeral-storage": "512Mi"},
}
SCRATCH: Final = "256Mi"  # /tmp, an emptyDir: logs, temporary files
#: jobs that need more than that: repo-scanner clones remotes into its cache (under /tmp's $HOME
#: with a server state DB) and exports bare repositories into /tmp, and semgrep takes memory
#: by the repository; past an emptyDir's sizeLimit or a memory limit the pod is evicted or killed
LARGER: Final[dict[str, tuple[dict[str, dict[str, str]], str]]] = {
    "repo-scanner": (
        {
            "requests": {"cpu": "500m", "memory": "512Mi", "ephemeral-storage": "1Gi"},
            "limits": {"cpu": "2", "memory": "2Gi", "ephemeral-storage": "5Gi"},
        },
        "4Gi",
    ),
}
#: exit codes a retry cannot fix (CONTRACT.md): a usage/configuration error, a tripped guardrail
FATAL_EXIT_CODES: Final = [2, 3]
INDEX_ANNOTATION: Final = "batch.kubernetes.io/job-completion-index"


def labels(spec: JobSpec, name: str) -> dict[str, str]:
    return {**LABELS, "app.kubernetes.io/name": spec.id, "app.kubernetes.io/instance": name}


def job_args(spec: JobSpec, schedule: Schedule) -> list[str]:
    """`run <job>` and the schedule's options as the job's own flags. No `--apply`/`--dry-run`:
    the settings decide (a destructive job plans only unless `dry_run: false`)."""
    options = {o.name: o for o in spec.options}
    args = ["run", spec.id]
    for name, value in sorted(schedule.args.items()):
        option = options.get(name)
        if option is None:
            raise ConfigError(f"job {spec.id}: schedule {schedule.cron!r} passes {name!r}, not an option of the job")
        if option.kind == "flag":
            args += [option.flag] if value is True else []
        elif option.kind == "values":
            args += [
                part
                for item in (value if isinstance(value, list | tuple) else [value])
                for part in (option.flag, str(item))
            ]
        else:
            args += [option.flag, str(value)]
    if schedule.shards > 1:
        args += ["--shard", f"$(JOB_COMPLETION_INDEX)/{schedule.shards}"]
    return args


def cronjob(spec: JobSpec, schedule: Schedule, name: str, state_dir: str | None, kube_api: bool) -> dict[str, Any]:
    """The CronJob `name` running `schedule` of `spec`; `state_dir`: where a SQLite state DB
    lives (a volume is mounted there), None for a server DB; `kube_api`: mount the token."""
    meta = {"name": name, "labels": labels(spec, name)}
    template = {
        "metadata": {"labels": labels(spec, name)},
        "spec": pod_spec(spec, schedule, state_dir, kube_api),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta,
        "spec": {
            "schedule": schedule.cron,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": STARTING_DEADLINE_SECONDS,
            **HISTORY,
            "jobTemplate": {"metadata": {"labels": labels(spec, name)}, "spec": job_spec(spec, schedule, template)},
        },
    }


def job_spec(spec: JobSpec, schedule: Schedule, template: dict[str, Any]) -> dict[str, Any]:
    """Retries, deadlines and, for a sharded schedule, one pod per shard (an Indexed Job)."""
    shards = {}
    if schedule.shards > 1:
        shards = {"completionMode": "Indexed", "completions": schedule.shards, "parallelism": schedule.shards}
    return {
        **shards,
        "backoffLimit": 0 if spec.destructive else 2,
        "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": TTL_SECONDS_AFTER_FINISHED,
        "podFailurePolicy": {
            "rules": [
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                {
                    "action": "FailJob",
                    "onExitCodes": {"operator": "In", "values": FATAL_EXIT_CODES},
                    "onPodConditions": [],
                },
            ]
        },
        "template": template,
    }


def pod_spec(spec: JobSpec, schedule: Schedule, state_dir: str | None, kube_api: bool) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = [
        {"name": "config", "configMap": {"name": CONFIG_MAP}},
        {"name": "tmp", "emptyDir": {"sizeLimit": LARGER[spec.id][1] if spec.id in LARGER else SCRATCH}},
    ]
    if state_dir is not None:
        volumes.append({"name": "state", "persistentVolumeClaim": {"claimName": STATE_CLAIM}})
    return {
        "serviceAccountName": account_name(spec.id),
        "automountServiceAccountToken": kube_api,
        "restartPolicy": "Never",  # the Job retries (backoffLimit), not the kubelet
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container(spec, schedule, state_dir)],
        "volumes": volumes,
    }


def container(spec: JobSpec, schedule: Schedule, state_dir: str | None) -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        {"name": "SECOPS_CONFIG", "value": f"{CONFIG_DIR}/{CONFIG_KEY}"},
        {"name": "HOME", "value": "/tmp"},  # noqa: S108 - the pod's only writable place
    ]
    if schedule.shards > 1:  # what `--shard $(JOB_COMPLETION_INDEX)/N` expands (declared, not assumed)
        env.append({"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {"fieldPath": _index_field()}}})
    mounts = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108
    ]
    if state_dir is not None:
        mounts.append({"name": "state", "mountPath": state_dir})
    return {
        "name": "job",
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": job_args(spec, schedule),
        "env": env,
        "envFrom": [{"secretRef": {"name": CREDENTIALS, "optional": True}}],
        "resources": LARGER[spec.id][0] if spec.id in LARGER else RESOURCES,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": mounts,
    }


def _index_field() -> str:
    return f"metadata.annotations['{INDEX_ANNOTATION}']"
