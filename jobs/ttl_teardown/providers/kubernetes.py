"""Kubernetes inventory and deletions: namespaces, deployments, statefulsets, services, configmaps.

The mandatory keys are labels, or annotations where a label value cannot hold them (an
owner's e-mail); `ttl` may be either. The clock is metadata.creationTimestamp, since a
label value cannot hold a timestamp.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from jobs.core.clients.kubernetes import api_call, raw_json
from jobs.core.model import RunError
from jobs.core.permissions import KubernetesGrant, Permissions
from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.quota import Quota
from jobs.ttl_teardown.rules import Resource


@dataclass(frozen=True)
class KindApi:
    """One kind, named in full: its API methods, its place in the deletion order, its quota and
    the RBAC rule each operation needs (list, get for explain, delete, patch for the ttl annotation)."""

    api: str  # "core" or "apps"
    list_all: str  # the list method over all namespaces
    read_one: str  # the read method for one object
    delete: str  # the delete method
    patch: str  # the patch method (the ttl annotation written back)
    order: int  # deletion order, after every AWS type: namespaced objects before namespaces
    quota: Quota | None
    grants: tuple[KubernetesGrant, ...]
    namespaced: bool = True

    def permissions(self) -> Permissions:
        return Permissions(kubernetes=self.grants)


def _rule(group: str, resource: str) -> tuple[KubernetesGrant, ...]:
    verbs = ("list", "get", "delete", "patch")
    return (KubernetesGrant(group, (resource,), verbs, f"read, explain, delete and annotate {resource}"),)


KINDS: Final[dict[str, KindApi]] = {
    "namespace": KindApi(
        "core", "list_namespace", "read_namespace", "delete_namespace", "patch_namespace", 24,
        Quota("k8s_namespaces"), _rule("", "namespaces"), namespaced=False,
    ),
    "deployment": KindApi(
        "apps", "list_deployment_for_all_namespaces", "read_namespaced_deployment", "delete_namespaced_deployment",
        "patch_namespaced_deployment", 20, None, _rule("apps", "deployments"),
    ),
    "statefulset": KindApi(
        "apps", "list_stateful_set_for_all_namespaces", "read_namespaced_stateful_set",
        "delete_namespaced_stateful_set", "patch_namespaced_stateful_set", 21, None, _rule("apps", "statefulsets"),
    ),
    "service": KindApi(
        "core", "list_service_for_all_namespaces", "read_namespaced_service", "delete_namespaced_service",
        "patch_namespaced_service", 22, None, _rule("", "services"),
    ),
    "configmap": KindApi(
        "core", "list_config_map_for_all_namespaces", "read_namespaced_config_map", "delete_namespaced_config_map",
        "patch_namespaced_config_map", 23, None, _rule("", "configmaps"),
    ),
}  # fmt: skip


@dataclass
class Cluster:
    apis: Mapping[str, Any]  # "core" → CoreV1Api, "apps" → AppsV1Api
    page_size: int = 200
    timeout: float = 30.0
    errors: list[RunError] = field(default_factory=list)  # objects that could not be read


def resource_id(kind: str, namespace: str | None, name: str) -> str:
    return f"k8s:namespace/{name}" if kind == "namespace" else f"k8s:{namespace}/{kind}/{name}"


def _page(cluster: Cluster, kind: str, token: str | None) -> dict[str, Any]:
    spec = KINDS[kind]
    method = getattr(cluster.apis[spec.api], spec.list_all)
    what = f"list {kind}s"
    response = api_call(
        lambda: method(
            limit=cluster.page_size, _continue=token, _preload_content=False, _request_timeout=cluster.timeout
        ),
        what,
    )
    return raw_json(response, what)


def _objects(cluster: Cluster, kind: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = _page(cluster, kind, token)  # its client's pool retried it (core/clients/kubernetes.py)
        yield from page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return


def read(cluster: Cluster, kind: str) -> Iterator[Item]:
    """Every object of `kind`; one that cannot be read is an error naming it, the rest are read."""
    for obj in _objects(cluster, kind):
        try:
            item = _item(kind, obj)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            name = obj.get("metadata", {}).get("name") if isinstance(obj, dict) else None
            cluster.errors.append(RunError(f"k8s:{kind}/{name or '?'}", f"unreadable: {type(exc).__name__}: {exc}"))
            continue
        yield item


def _item(kind: str, obj: dict[str, Any]) -> Item:
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    namespace = name if kind == "namespace" else meta.get("namespace")
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    tags = {**annotations, **labels}
    shadowed = {k: v for k, v in annotations.items() if k in labels and labels[k] != v} or None
    resource = Resource(
        resource_id(kind, namespace, name), f"k8s:{kind}", tags, _created(meta), True, namespace, shadowed
    )
    shown = name if kind == "namespace" else f"{namespace}/{name}"
    return Item(resource, "kubernetes", None, shown, details={"kind": kind, "namespace": namespace, "name": name})


def _created(meta: dict[str, Any]) -> datetime | None:
    """metadata.creationTimestamp; one that is not an ISO 8601 instant is no clock (the object is kept)."""
    created = meta.get("creationTimestamp")
    if not isinstance(created, str) or not created.isascii():
        return None
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def read_one(cluster: Cluster, rid: str) -> Item | None:
    """One object by its id (`k8s:namespace/<name>`, `k8s:<ns>/<kind>/<name>`): one GET, None when absent."""
    parts = rid.removeprefix("k8s:").split("/")
    if len(parts) == 2 and parts[0] == "namespace":
        kind, namespace, name = "namespace", None, parts[1]
    elif len(parts) == 3 and parts[1] in KINDS and parts[1] != "namespace":
        namespace, kind, name = parts
    else:
        return None
    spec = KINDS[kind]
    method = getattr(cluster.apis[spec.api], spec.read_one)
    args = [name] if not spec.namespaced else [name, namespace]
    response = api_call(
        lambda: method(*args, _preload_content=False, _request_timeout=cluster.timeout),
        f"read {kind} {name}",
        missing_ok=True,
    )
    if response is None:
        return None
    return _item(kind, raw_json(response, f"read {kind} {name}"))


def delete(cluster: Cluster, target: Target, run_id: str) -> None:
    details = target.details
    spec = KINDS[details["kind"]]
    method = getattr(cluster.apis[spec.api], spec.delete)
    args = [details["name"]] if not spec.namespaced else [details["name"], details["namespace"]]
    what = f"delete {details['kind']} {target.name}"
    api_call(lambda: method(*args, _request_timeout=cluster.timeout), what, missing_ok=True)


def annotate(cluster: Cluster, item: Item, value: str) -> None:
    """The ttl written back as an annotation (a label value cannot hold `7d+14d`)."""
    details = item.details
    spec = KINDS[details["kind"]]
    patch = {"metadata": {"annotations": {"ttl": value}}}
    method = getattr(cluster.apis[spec.api], spec.patch)
    args = [details["name"], patch] if not spec.namespaced else [details["name"], details["namespace"], patch]
    api_call(lambda: method(*args), f"annotate {item.name}")


READERS: Final[dict[str, Callable[[Cluster], Iterator[Item]]]] = {
    f"k8s:{kind}": functools.partial(lambda kind, cluster: read(cluster, kind), kind) for kind in KINDS
}
