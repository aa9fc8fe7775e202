"""A Kubernetes Secret and the workloads that read it.

The Secret is replaced with its resourceVersion (a concurrent writer makes us re-read, never
overwrite); workloads are restarted the way `kubectl rollout restart` does (a pod template
annotation) and waited for until every replica is updated and available.
"""

from __future__ import annotations

import base64
import time
from datetime import datetime
from typing import Any

from jobs.core.clients.kubernetes import api_call, kubernetes_api
from jobs.core.errors import PermanentError, RetryLater, TransientError
from jobs.core.permissions import KubernetesGrant, Permissions
from jobs.secret_rotation.settings import workload
from jobs.secret_rotation.targets import Data

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
#: workload kind (as `_workload` spells it) → its RBAC resource in the `apps` group
RESOURCES = {"deployment": "deployments", "stateful_set": "statefulsets", "daemon_set": "daemonsets"}
CONFLICT_RETRIES = 5
POLL_SECONDS = 1.0


class KubernetesSecret:
    def __init__(self, spec: Any, value_key: str, ctx: Any) -> None:
        from kubernetes import client

        cfg = ctx.job_settings.kubernetes
        api = ctx.client("kubernetes", client.ApiClient, lambda: kubernetes_api(cfg.kubeconfig, cfg.context))
        self.core, self.apps = client.CoreV1Api(api), client.AppsV1Api(api)
        self.spec, self.sleep = spec, time.sleep
        self.name = f"kubernetes_secret:{spec.namespace}/{spec.name}"
        self.workloads = [_workload(w, self.name) for w in spec.restart]

    def _encoded(self, data: Data) -> dict[str, str]:
        keys = self.spec.keys or {k: k for k in data}
        missing = sorted(k for k in keys if k not in data)
        if missing:
            raise PermanentError(f"{self.name}: the secret has no {', '.join(missing)}")
        return {target: base64.b64encode(data[source].encode()).decode() for source, target in keys.items()}

    def _read(self) -> Any:
        found = api_call(
            lambda: self.core.read_namespaced_secret(self.spec.name, self.spec.namespace, _request_timeout=10),
            f"read {self.name}",
            missing_ok=True,
        )
        if found is None:
            raise PermanentError(f"{self.name}: no such Secret")
        return found

    def check(self, current: Data) -> None:
        self._read()
        self._encoded(current)
        for kind, name in self.workloads:
            self._read_workload(kind, name)

    def set(self, new: Data) -> None:
        wanted = self._encoded(new)
        for _ in range(CONFLICT_RETRIES):
            secret = self._read()
            if all((secret.data or {}).get(k) == v for k, v in wanted.items()):
                return  # already there (a resumed rotation)
            secret.data = {**(secret.data or {}), **wanted}
            try:  # the body carries metadata.resourceVersion: a concurrent change answers 409
                api_call(
                    lambda s=secret: self.core.replace_namespaced_secret(
                        self.spec.name, self.spec.namespace, s, _request_timeout=10
                    ),
                    f"replace {self.name}",
                )
                return
            except RetryLater:
                continue
        raise TransientError(f"{self.name}: changed by someone else {CONFLICT_RETRIES} times in a row")

    restore = set  # the old value is set like any other

    def test(self, new: Data) -> None:
        if not self.holds(new):
            raise TransientError(f"{self.name}: does not hold the new value yet")

    def holds(self, data: Data) -> bool:
        wanted = self._encoded(data)
        return all((self._read().data or {}).get(k) == v for k, v in wanted.items())

    def restart(self, at: datetime) -> None:
        stamp = at.isoformat(timespec="seconds")
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        for kind, name in self.workloads:
            method = getattr(self.apps, f"patch_namespaced_{kind}")
            api_call(
                lambda m=method, n=name: m(n, self.spec.namespace, patch, _request_timeout=10),
                f"restart {kind}/{name}",
            )

    def wait_ready(self, deadline: float) -> None:
        waiting = list(self.workloads)
        while waiting:
            waiting = [(kind, name) for kind, name in waiting if not _ready(self._read_workload(kind, name))]
            if not waiting:
                return
            if time.monotonic() >= deadline:
                names = ", ".join(f"{k}/{n}" for k, n in waiting)
                raise PermanentError(f"{self.name}: rollout of {names} not ready in time")
            self.sleep(POLL_SECONDS)

    def _read_workload(self, kind: str, name: str) -> Any:
        method = getattr(self.apps, f"read_namespaced_{kind}")
        found = api_call(
            lambda: method(name, self.spec.namespace, _request_timeout=10), f"read {kind}/{name}", missing_ok=True
        )
        if found is None:
            raise PermanentError(f"{self.name}: no {kind}/{name} in {self.spec.namespace} to restart")
        return found


def _workload(text: str, target: str) -> tuple[str, str]:
    try:
        return workload(text)
    except ValueError as exc:
        raise PermanentError(f"{target}: {exc}") from None


def _ready(workload: Any) -> bool:
    """Every replica of the newest generation updated and available."""
    meta, spec, status = workload.metadata, workload.spec, workload.status
    if status is None or (status.observed_generation or 0) < (meta.generation or 0):
        return False
    replicas = spec.replicas if spec.replicas is not None else 1
    if hasattr(status, "updated_number_scheduled"):  # DaemonSet
        return bool(status.updated_number_scheduled == status.desired_number_scheduled == status.number_available)
    return (
        (status.updated_replicas or 0) >= replicas
        and (status.available_replicas or 0) >= replicas
        and not (getattr(status, "unavailable_replicas", 0) or 0)
    )


def permissions(spec: Any) -> Permissions:
    """The one Secret, read and replaced (never created: it must exist); each workload to
    restart, read (checked, waited for) and patched (the restart annotation), all by name in
    the target's namespace."""
    grants = [
        KubernetesGrant(
            "",
            ("secrets",),
            ("get", "update"),
            "read the Secret, replace it with the new value",
            spec.namespace,
            (spec.name,),
        )
    ]
    names: dict[str, set[str]] = {}
    for kind, name in (_workload(w, spec.name) for w in spec.restart):
        names.setdefault(RESOURCES[kind], set()).add(name)
    grants += [
        KubernetesGrant(
            "apps",
            (resource,),
            ("get", "patch"),
            "restart the consumers and wait for their rollout",
            spec.namespace,
            tuple(sorted(found)),
        )
        for resource, found in sorted(names.items())
    ]
    return Permissions.of(grants)
