"""Declared permissions rendered as what each system enforces: an IAM policy document, RBAC
objects (ServiceAccount, Role/ClusterRole and their bindings) and a Vault policy.

Pure and deterministic (sorted, merged), so the committed artifacts diff cleanly and a test can
regenerate them. Nothing here widens a grant: a Kubernetes rule keeps its namespace and names,
an IAM statement its resource, a Vault path its capabilities.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Final

from jobs.core.permissions import KubernetesGrant, Permissions

IAM_VERSION: Final = "2012-10-17"
#: every generated Kubernetes object carries these, so `kubectl get -l` finds them all
LABELS: Final = {"app.kubernetes.io/part-of": "secops-jobs", "app.kubernetes.io/managed-by": "secops-jobs"}


def account_name(job_id: str) -> str:
    """The ServiceAccount, Role, IAM role and Vault policy name of a job."""
    return f"secops-{job_id}"


def iam_policy(permissions: Permissions) -> dict[str, Any]:
    """One statement per resource pattern, its actions merged and sorted; a job that needs no
    AWS access gets a policy that allows nothing (IAM refuses an empty statement list)."""
    by_resource: dict[str, set[str]] = defaultdict(set)
    for grant in permissions.aws:
        by_resource[grant.resource].update(grant.actions)
    statements = [
        {"Sid": _sid(resource, i), "Effect": "Allow", "Action": sorted(actions), "Resource": resource}
        for i, (resource, actions) in enumerate(sorted(by_resource.items()))
    ]
    if not statements:
        statements = [{"Sid": "NothingNeeded", "Effect": "Deny", "Action": "*", "Resource": "*"}]
    return {"Version": IAM_VERSION, "Statement": statements}


def _sid(resource: str, index: int) -> str:
    """IAM Sids are alphanumeric: `*` reads as AnyResource, an ARN by its last parts."""
    if resource == "*":
        return "AnyResource"
    words = re.split(r"[^A-Za-z0-9]+", resource.removeprefix("arn:aws:"))
    return ("On" + "".join(w[:1].upper() + w[1:] for w in words if w))[:100] + str(index)


def vault_policy(permissions: Permissions, title: str = "") -> str:
    """HCL, one block per path with its capabilities merged (Vault keeps one rule per path)."""
    by_path: dict[str, set[str]] = defaultdict(set)
    why: dict[str, set[str]] = defaultdict(set)
    for grant in permissions.vault:
        by_path[grant.path].update(grant.capabilities)
        if grant.purpose:
            why[grant.path].add(grant.purpose)
    lines = [f"# {title}"] if title else []
    for path, capabilities in sorted(by_path.items()):
        lines += [f"# {purpose}" for purpose in sorted(why[path])]
        lines += [f"path {json.dumps(path)} {{", f"  capabilities = {json.dumps(sorted(capabilities))}", "}"]
    if not by_path:
        lines.append("# this job reads nothing from Vault")
    return "\n".join(lines) + "\n"


def rbac(permissions: Permissions, job_id: str, namespace: str) -> list[dict[str, Any]]:
    """The job's ServiceAccount in `namespace` and what it may do: a ClusterRole for rules over
    every namespace, a Role in each namespace a rule is confined to, each bound to the account."""
    name = account_name(job_id)
    meta = {"name": name, "labels": {**LABELS, "app.kubernetes.io/name": job_id}}
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {**meta, "namespace": namespace}}
    objects: list[dict[str, Any]] = [account]
    scoped: dict[str, list[KubernetesGrant]] = defaultdict(list)
    for grant in permissions.kubernetes:
        scoped[grant.namespace].append(grant)
    subject = [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]
    for where, grants in sorted(scoped.items()):
        kind = "Role" if where else "ClusterRole"
        role_meta = {**meta, "namespace": where} if where else meta
        objects.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": role_meta,
                        "rules": [_rule(g) for g in grants]})  # fmt: skip
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": f"{kind}Binding",
                "metadata": role_meta,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
                "subjects": subject,
            }
        )
    return objects


def _rule(grant: KubernetesGrant) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "apiGroups": [grant.api_group],
        "resources": sorted(grant.resources),
        "verbs": sorted(grant.verbs),
    }
    if grant.names:
        rule["resourceNames"] = sorted(grant.names)
    return rule
