"""Declared permissions rendered as what each system enforces: an IAM policy document, RBAC
objects (ServiceAccount, Role/ClusterRole and their bindings) and a Vault policy.

Pure and deterministic (sorted, merged; the order grants come in does not matter), so the
committed artifacts diff cleanly and a test can regenerate them. Nothing here widens a grant: an
IAM statement keeps its resource, a Kubernetes rule its namespace and names, a Vault path
exactly the union of the capabilities declared on it. A grant that would not survive the
rendering (a Vault path that would break the HCL, a namespace Kubernetes cannot hold) is a
ConfigError naming it, never an artifact that means something else.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Final

from jobs.core.errors import ConfigError
from jobs.core.permissions import KubernetesGrant, Permissions

IAM_VERSION: Final = "2012-10-17"
#: IAM's limit for one inline role policy, in characters not counting whitespace
IAM_INLINE_ROLE_LIMIT: Final = 10_240
#: every generated Kubernetes object carries these, so `kubectl get -l` finds them all
LABELS: Final = {"app.kubernetes.io/part-of": "secops-jobs", "app.kubernetes.io/managed-by": "secops-jobs"}
#: the capabilities Vault and OpenBao policies know
VAULT_CAPABILITIES: Final = frozenset(
    {"create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe", "recover"}
)
#: what a Vault path may not hold here: HCL string syntax (quote, escape, interpolation) and
#: comment or blank characters, which would end the string or the line somewhere else
_HCL_UNSAFE: Final = frozenset('"\\{}$%#')
_DNS_LABEL: Final = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def account_name(job_id: str) -> str:
    """The ServiceAccount, Role, IAM role and Vault policy name of a job."""
    return f"secops-{job_id}"


def iam_policy(permissions: Permissions) -> dict[str, Any]:
    """One statement per resource pattern, its actions merged and sorted; a job that needs no
    AWS access gets a policy that allows nothing (IAM refuses an empty statement list)."""
    by_resource: dict[str, set[str]] = defaultdict(set)
    for grant in permissions.aws:
        if grant.actions:
            by_resource[grant.resource].update(grant.actions)
    statements = [
        {"Sid": _sid(resource, i), "Effect": "Allow", "Action": sorted(actions), "Resource": resource}
        for i, (resource, actions) in enumerate(sorted(by_resource.items()))
    ]
    if not statements:
        statements = [{"Sid": "NothingNeeded", "Effect": "Deny", "Action": "*", "Resource": "*"}]
    return {"Version": IAM_VERSION, "Statement": statements}


def iam_size(document: dict[str, Any]) -> int:
    """The size IAM counts against its limits: the JSON without whitespace."""
    return len(re.sub(r"\s", "", json.dumps(document, separators=(",", ":"), ensure_ascii=False)))


def _sid(resource: str, index: int) -> str:
    """IAM Sids are alphanumeric: `*` reads as AnyResource, an ARN by its last parts; the index
    keeps two resources that differ only in punctuation apart."""
    if resource == "*":
        return "AnyResource"
    words = re.split(r"[^A-Za-z0-9]+", resource.removeprefix("arn:aws:"))
    return ("On" + "".join(w[:1].upper() + w[1:] for w in words if w))[:100] + str(index)


def vault_policy(permissions: Permissions, title: str = "") -> str:
    """HCL, one block per path with its capabilities merged (Vault keeps one rule per path)."""
    by_path: dict[str, set[str]] = defaultdict(set)
    why: dict[str, set[str]] = defaultdict(set)
    for grant in permissions.vault:
        if not grant.capabilities:
            continue
        by_path[_vault_path(grant.path)].update(_capabilities(grant.path, grant.capabilities))
        if grant.purpose:
            why[grant.path].add(_comment(grant.purpose))
    lines = [f"# {_comment(title)}"] if title else []
    for path, capabilities in sorted(by_path.items()):
        lines += [f"# {purpose}" for purpose in sorted(why[path])]
        lines += [
            f"path {json.dumps(path, ensure_ascii=False)} {{",
            f"  capabilities = {json.dumps(sorted(capabilities))}",
            "}",
        ]
    if not by_path:
        lines.append("# this job reads nothing from Vault")
    return "\n".join(lines) + "\n"


def _vault_path(path: str) -> str:
    bad = sorted({c for c in path if c in _HCL_UNSAFE or not c.isprintable() or c.isspace()})
    if not path or bad:
        shown = " ".join(repr(c) for c in bad) or "empty"
        raise ConfigError(f"vault path {path!r}: cannot be written into a policy ({shown})")
    return path


def _capabilities(path: str, capabilities: tuple[str, ...]) -> tuple[str, ...]:
    unknown = sorted(set(capabilities) - VAULT_CAPABILITIES)
    if unknown:
        raise ConfigError(f"vault path {path!r}: unknown capabilities {unknown}")
    return capabilities


def _comment(text: str) -> str:
    """One line, whatever the purpose holds: a newline would end the comment and start a rule."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def rbac(permissions: Permissions, job_id: str, namespace: str) -> list[dict[str, Any]]:
    """The job's ServiceAccount in `namespace` and what it may do: a ClusterRole for rules over
    every namespace, a Role in each namespace a rule is confined to, each bound to the account."""
    name = account_name(job_id)
    meta = {"name": name, "labels": {**LABELS, "app.kubernetes.io/name": job_id}}
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {**meta, "namespace": _namespace(namespace)}}
    objects: list[dict[str, Any]] = [account]
    scoped: dict[str, set[KubernetesGrant]] = defaultdict(set)
    for grant in permissions.kubernetes:
        if grant.verbs and grant.resources:
            scoped[_namespace(grant.namespace) if grant.namespace else ""].add(grant)
    subject = [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]
    for where, grants in sorted(scoped.items()):
        kind = "Role" if where else "ClusterRole"
        role_meta = {**meta, "namespace": where} if where else meta
        objects.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": role_meta,
                        "rules": _rules(grants)})  # fmt: skip
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


def _namespace(namespace: str) -> str:
    if not _DNS_LABEL.fullmatch(namespace):
        raise ConfigError(f"kubernetes namespace {namespace!r}: not a DNS label (a-z, 0-9, '-', at most 63)")
    return namespace


def _rules(grants: set[KubernetesGrant]) -> list[dict[str, Any]]:
    """One rule per distinct (group, resources, names, verbs), in one order whatever the input's."""
    keys = {
        (g.api_group, tuple(sorted(set(g.resources))), tuple(sorted(set(g.names))), tuple(sorted(set(g.verbs))))
        for g in grants
    }
    rules = []
    for group, resources, names, verbs in sorted(keys):
        rule: dict[str, Any] = {"apiGroups": [group], "resources": list(resources)}
        if names:
            rule["resourceNames"] = list(names)
        rules.append({**rule, "verbs": list(verbs)})
    return rules
