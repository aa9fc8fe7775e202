"""Kubernetes TLS Secrets (and any Secret carrying tls.crt), page by page.

Pages of `page_size` through limit/continue, read as raw JSON so a cluster with many
Secrets never sits in memory as client objects; each Secret's whole `tls.crt` chain is
one observation (`k8s:<namespace>/<name>`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from jobs.certificate_checker.model import Observation
from jobs.certificate_checker.parse import stored_chain
from jobs.certificate_checker.settings import CertificateCheckerSettings, KubernetesSourceSettings
from jobs.core.clients.kubernetes import api_call, kubernetes_api, raw_json
from jobs.core.context import JobContext
from jobs.core.errors import PermanentError, TransientError
from jobs.core.model import Inventory, RunError
from jobs.core.permissions import KubernetesGrant, Permissions

TLS_TYPE = "kubernetes.io/tls"


def _page(core: Any, namespace: str | None, cfg: KubernetesSourceSettings, token: str | None) -> dict[str, Any]:
    where = f"list secrets in {namespace}" if namespace else "list secrets in all namespaces"
    kwargs = {"limit": cfg.page_size, "_continue": token, "_preload_content": False,
              "_request_timeout": cfg.timeout_seconds}  # fmt: skip
    if namespace:
        response = api_call(lambda: core.list_namespaced_secret(namespace, **kwargs), where)
    else:
        response = api_call(lambda: core.list_secret_for_all_namespaces(**kwargs), where)
    return raw_json(response, where)


def secrets(core: Any, namespace: str | None, cfg: KubernetesSourceSettings) -> Iterator[dict[str, Any]]:
    """Every Secret in `namespace` (None: all), one page in memory at a time."""
    token: str | None = None
    while True:
        page = _page(core, namespace, cfg, token)  # its client's pool retried it (core/clients/kubernetes.py)
        yield from page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return


def observe(secret: dict[str, Any]) -> tuple[Observation | None, list[RunError]]:
    meta = secret.get("metadata") or {}
    resource = f"k8s:{meta.get('namespace')}/{meta.get('name')}"
    encoded = (secret.get("data") or {}).get("tls.crt")
    if not encoded:
        return None, [RunError(resource, f"Secret of type {TLS_TYPE} without tls.crt")]
    try:
        pem = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None, [RunError(resource, "tls.crt is not valid base64")]
    extra = {"namespace": meta.get("namespace"), "secret_type": secret.get("type")}
    return stored_chain(resource, "kubernetes", pem, "tls.crt ", extra)


def _missing_namespaces(core: Any, cfg: KubernetesSourceSettings) -> list[RunError]:
    errors = []
    for namespace in cfg.namespaces:
        response = api_call(
            lambda ns=namespace: core.read_namespace(ns, _preload_content=False, _request_timeout=cfg.timeout_seconds),
            f"read namespace {namespace}",
            missing_ok=True,
        )
        if response is None:
            errors.append(RunError(f"k8s:{namespace}", "namespace not found"))
    return errors


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    from kubernetes import client

    k = cfg.kubernetes
    core = client.CoreV1Api(ctx.client("kubernetes", client.ApiClient, lambda: kubernetes_api(k.kubeconfig, k.context)))
    inventory: Inventory[Observation] = Inventory()
    missing = _missing_namespaces(core, k)
    inventory.errors.extend(missing)
    skip = {e.source.removeprefix("k8s:") for e in missing}
    scopes: list[str | None] = [n for n in k.namespaces if n not in skip] if k.namespaces else [None]
    for namespace in scopes:
        try:
            for secret in secrets(core, namespace, k):
                if secret.get("type") != TLS_TYPE and "tls.crt" not in (secret.get("data") or {}):
                    continue
                seen, errors = observe(secret)
                inventory.errors.extend(e for e in errors if ctx.owns(e.source))
                if seen is not None and ctx.owns(seen.resource):
                    inventory.items.append(seen)
        except (PermanentError, TransientError) as exc:
            inventory.errors.append(RunError(f"k8s:{namespace or '*'}", str(exc)))
    return inventory


def permissions(cfg: CertificateCheckerSettings) -> Permissions:
    """Secrets listed (their data comes with the list: no `get`), in each configured namespace
    or in all of them; each configured namespace read by name, to report one that is missing."""
    k = cfg.kubernetes
    if not k.namespaces:
        return Permissions.of([KubernetesGrant("", ("secrets",), ("list",), "TLS Secrets in every namespace")])
    grants = [KubernetesGrant("", ("secrets",), ("list",), "TLS Secrets", namespace) for namespace in k.namespaces]
    grants.append(KubernetesGrant("", ("namespaces",), ("get",), "a missing namespace", names=tuple(k.namespaces)))
    return Permissions.of(grants)
