"""The PROVIDERS side of the job: read every enabled provider, route each deletion, tag write
and liveness question to the provider of its type (AWS: providers/aws; Kubernetes: kubernetes.py).

One failing type or region is an `errors` entry; the others are still read.
"""

from __future__ import annotations

from collections.abc import Sequence

from jobs.core.clients.kubernetes import kubernetes_api
from jobs.core.context import JobContext
from jobs.core.errors import PermanentError, TransientError
from jobs.core.model import Inventory, RunError
from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.kubernetes import Cluster
from jobs.ttl_teardown.settings import TtlTeardownSettings


def cluster_for(cfg: TtlTeardownSettings, ctx: JobContext[TtlTeardownSettings]) -> Cluster:
    from kubernetes import client

    k = cfg.kubernetes
    api = ctx.client("kubernetes", client.ApiClient, lambda: kubernetes_api(k.kubeconfig, k.context))
    return Cluster({"core": client.CoreV1Api(api), "apps": client.AppsV1Api(api)}, k.page_size, k.timeout_seconds)


def read_kubernetes(cfg: TtlTeardownSettings, ctx: JobContext[TtlTeardownSettings], inventory: Inventory[Item]) -> None:
    from jobs.ttl_teardown.providers.kubernetes import READERS

    try:
        cluster = cluster_for(cfg, ctx)
    except PermanentError as exc:
        inventory.errors.append(RunError("kubernetes", str(exc)))
        return
    for kind in cfg.kubernetes.kinds:
        try:
            inventory.items.extend(READERS[f"k8s:{kind}"](cluster))
        except (PermanentError, TransientError) as exc:
            inventory.errors.append(RunError(f"k8s:{kind}", str(exc)))
    inventory.errors.extend(cluster.errors)


def read_one_kubernetes(cfg: TtlTeardownSettings, ctx: JobContext[TtlTeardownSettings], rid: str) -> Inventory[Item]:
    """One object by id, with one GET: found, absent, or unreadable (an error, never "absent")."""
    from jobs.ttl_teardown.providers.kubernetes import read_one

    found: Inventory[Item] = Inventory()
    try:
        item = read_one(cluster_for(cfg, ctx), rid)
    except (PermanentError, TransientError) as exc:
        found.errors.append(RunError("kubernetes", str(exc)))
        return found
    found.items.extend([item] if item is not None else [])
    return found


def delete(cfg: TtlTeardownSettings, ctx: JobContext[TtlTeardownSettings], target: Target) -> None:
    if target.type.startswith("k8s:"):
        from jobs.ttl_teardown.providers.kubernetes import delete as delete_k8s

        delete_k8s(cluster_for(cfg, ctx), target, ctx.run_id)
        return
    from jobs.ttl_teardown.providers.aws import fleet

    fleet.delete(ctx, Target(target.type, target.region or cfg.regions[0], target.name, target.details), ctx.run_id)


def tag(cfg: TtlTeardownSettings, ctx: JobContext[TtlTeardownSettings], item: Item, value: str) -> None:
    """Write the ttl back where people look: an AWS tag, a Kubernetes annotation."""
    if item.provider == "kubernetes":
        from jobs.ttl_teardown.providers.kubernetes import annotate

        annotate(cluster_for(cfg, ctx), item, value)
        return
    from jobs.ttl_teardown.providers.aws import fleet

    fleet.tag(ctx, item.region or cfg.regions[0], item, value)


def live_ids(cfg: TtlTeardownSettings, ctx: JobContext[TtlTeardownSettings], kind: str, region: str | None) -> set[str]:
    """The ids of every `kind` resource still live in `region`. Raises when it cannot be read."""
    if kind.startswith("k8s:"):
        from jobs.ttl_teardown.providers.kubernetes import READERS as K8S

        cluster = cluster_for(cfg, ctx)
        ids = {i.id for i in K8S[kind](cluster)}
        _complete(cluster.errors, kind, region)
        return ids
    from jobs.ttl_teardown.providers.aws import fleet

    return fleet.live_ids(ctx, kind, region or cfg.regions[0])


def _complete(errors: Sequence[RunError], kind: str, region: str | None) -> None:
    """A record that could not be read may be the resource asked about: absent is not proven gone."""
    if errors:
        raise TransientError(f"could not read every {kind} in {region}: {errors[0].source}: {errors[0].message}")
