"""What a job needs to be allowed to do, declared beside the code that does it.

Each AWS resource type, Kubernetes kind, Vault path and certificate source names the grants it
uses, so the deployment generators (IAM policies, RBAC Roles, Vault policies) emit least
privilege from the same tables the code runs from, and a test can hold them complete. Plain
frozen data: imports nothing of the project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True, order=True)
class AwsGrant:
    """IAM actions on a resource pattern (`*` where the API takes no resource-level ARN)."""

    actions: tuple[str, ...]
    resource: str = "*"
    #: why, for the generated policy's Sid/comment and for reviewers
    purpose: str = ""


@dataclass(frozen=True, order=True)
class KubernetesGrant:
    """One RBAC rule: verbs on resources of an API group (`""` is the core group)."""

    api_group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    purpose: str = ""
    #: where the rule applies: a namespace (a Role), or "" for every namespace (a ClusterRole)
    namespace: str = ""
    #: `resourceNames`: only these objects; () for any (a list or a watch cannot be narrowed so)
    names: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class VaultGrant:
    """Vault policy capabilities on a path (KV v2 paths include `data/` or `metadata/`)."""

    path: str
    capabilities: tuple[str, ...]
    purpose: str = ""


Grant = AwsGrant | KubernetesGrant | VaultGrant


@dataclass(frozen=True)
class Permissions:
    """Everything one job (or one part of it) needs; `+` merges two declarations."""

    aws: tuple[AwsGrant, ...] = ()
    kubernetes: tuple[KubernetesGrant, ...] = ()
    vault: tuple[VaultGrant, ...] = ()

    def __add__(self, other: Permissions) -> Permissions:
        return Permissions(
            _union(self.aws, other.aws), _union(self.kubernetes, other.kubernetes), _union(self.vault, other.vault)
        )

    @classmethod
    def of(cls, grants: Iterable[Grant]) -> Permissions:
        """Sort a mixed list of grants into one declaration."""
        items = list(grants)
        return cls(
            _union((g for g in items if isinstance(g, AwsGrant)), ()),
            _union((g for g in items if isinstance(g, KubernetesGrant)), ()),
            _union((g for g in items if isinstance(g, VaultGrant)), ()),
        )

    def aws_actions(self) -> set[str]:
        return {action for grant in self.aws for action in grant.actions}


G = TypeVar("G", AwsGrant, KubernetesGrant, VaultGrant)


def _union(a: Iterable[G], b: Iterable[G]) -> tuple[G, ...]:
    """Deduplicated and sorted, so a generated policy is stable across runs."""
    return tuple(sorted(set(a) | set(b)))
