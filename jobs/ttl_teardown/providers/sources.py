"""The PROVIDERS side of the job: read every enabled provider, route each deletion to its own.

One failing type or region is an `errors` entry; the others are still read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jobs.core.clients.aws import aws_client
from jobs.core.clients.kubernetes import kubernetes_api
from jobs.core.context import JobContext
from jobs.core.errors import PermanentError, TransientError
from jobs.core.model import Inventory, RunError
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.settings import TtlTeardownSettings


def aws_for(ctx: JobContext, region: str) -> Any:
    from botocore.client import BaseClient

    from jobs.ttl_teardown.providers.aws_read import Aws

    account = ctx.client("aws:account", str, lambda: aws_client("sts", region).get_caller_identity()["Account"])
    return Aws(
        region,
        lambda service: ctx.client(f"aws:{service}:{region}", BaseClient, lambda: aws_client(service, region)),
        account,
    )


def cluster_for(cfg: TtlTeardownSettings, ctx: JobContext) -> Any:
    from kubernetes import client

    from jobs.ttl_teardown.providers.kubernetes import Cluster

    k = cfg.kubernetes
    api = ctx.client("kubernetes", client.ApiClient, lambda: kubernetes_api(k.kubeconfig, k.context))
    return Cluster({"core": client.CoreV1Api(api), "apps": client.AppsV1Api(api)}, k.page_size, k.timeout_seconds)


def read_aws(cfg: TtlTeardownSettings, ctx: JobContext, inventory: Inventory[Item]) -> None:
    """Each type in each region read on its own: one that fails is an error naming it, and the
    others are still read. One cause behind several failures (no credentials) is one error."""
    from jobs.ttl_teardown.providers.aws_read import GLOBAL, READERS, why

    failed: dict[str, list[tuple[str, str]]] = {}  # cause → (region, type) it stopped
    for region in cfg.regions:
        kinds = [kind for kind in cfg.aws.types if region == cfg.regions[0] or kind not in GLOBAL]
        try:
            aws = aws_for(ctx, region)
        except Exception as exc:  # noqa: BLE001 - recorded below, for every type it stopped
            failed.setdefault(why(exc), []).extend((region, kind) for kind in kinds)
            continue
        for kind in kinds:
            try:
                inventory.items.extend(READERS[kind](aws))
            except Exception as exc:  # noqa: BLE001 - one failing type never fails the others
                failed.setdefault(why(exc), []).append((region, kind))
        inventory.errors.extend(aws.errors)
    inventory.errors.extend(collapsed(failed))


def collapsed(failed: Mapping[str, Sequence[tuple[str, str]]]) -> list[RunError]:
    """One error per cause, naming every region and type it stopped."""
    errors = []
    for cause, places in failed.items():
        if len(places) == 1:
            errors.append(RunError(f"aws:{places[0][0]}:{places[0][1]}", cause))
            continue
        regions = list(dict.fromkeys(region for region, _ in places))
        named = "; ".join(f"{r}: {', '.join(k for region, k in places if region == r)}" for r in regions)
        source = f"aws:{regions[0]}" if len(regions) == 1 else "aws"
        errors.append(RunError(source, f"{cause} (stopped {len(places)} reads: {named})"))
    return errors


def read_kubernetes(cfg: TtlTeardownSettings, ctx: JobContext, inventory: Inventory[Item]) -> None:
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


def delete(cfg: TtlTeardownSettings, ctx: JobContext, params: Mapping[str, Any]) -> None:
    if params["type"].startswith("k8s:"):
        from jobs.ttl_teardown.providers.kubernetes import delete as delete_k8s

        delete_k8s(cluster_for(cfg, ctx), params, ctx.run_id)
        return
    from jobs.ttl_teardown.providers.aws_delete import DELETERS

    DELETERS[params["type"]](aws_for(ctx, params["region"]), params, ctx.run_id)


def live_ids(cfg: TtlTeardownSettings, ctx: JobContext, kind: str, region: str | None) -> set[str]:
    """The ids of every `kind` resource still live (a terminated instance is not) in `region`:
    how a deletion that a killed run left open is settled. Raises when it cannot be read."""
    from botocore.exceptions import BotoCoreError, ClientError

    if kind.startswith("k8s:"):
        from jobs.ttl_teardown.providers.kubernetes import READERS as K8S

        cluster = cluster_for(cfg, ctx)
        ids = {i.id for i in K8S[kind](cluster)}
        _complete(cluster.errors, kind, region)
        return ids
    from jobs.ttl_teardown.providers.aws_read import READERS

    try:
        aws = aws_for(ctx, region or cfg.regions[0])
        ids = {i.id for i in READERS[kind](aws)}
    except (BotoCoreError, ClientError) as exc:
        raise TransientError(f"could not read {kind} in {region}: {type(exc).__name__}") from None
    _complete(aws.errors, kind, region)
    return ids


def _complete(errors: Sequence[RunError], kind: str, region: str | None) -> None:
    """A record that could not be read may be the resource asked about: absent is not proven gone."""
    if errors:
        raise TransientError(f"could not read every {kind} in {region}: {errors[0].source}: {errors[0].message}")
