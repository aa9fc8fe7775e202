"""Where a secret is consumed. Each target proves the current value works, sets a new one,
tests it, restores the old one, and restarts what reads it. Every method is idempotent:
a resumed or rolled-back rotation calls them again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from jobs.core.errors import PermanentError
from jobs.core.permissions import Permissions

Data = Mapping[str, str]


class Rejected(PermanentError):
    """The target answered and does not accept this value (a refused login): unlike an
    outage, it says which value the consumer does not hold."""


class Target(Protocol):
    name: str  # for reports: "postgres:billing", "kubernetes_secret:billing/db-credentials"

    def check(self, current: Data) -> None:
        """The current value still works (or the target cannot tell). PermanentError if not."""

    def set(self, new: Data) -> None: ...

    def restore(self, old: Data) -> None:
        """Back to the value before the rotation."""

    def test(self, new: Data) -> None:
        """TransientError while it may still be propagating; PermanentError when it is wrong."""

    def holds(self, data: Data) -> bool:
        """Whether the consumer's own value is `data`'s (a login with it, a read back), asked
        before deciding which version to keep. TransientError when it cannot be reached."""

    def restart(self, at: datetime) -> None:
        """Make consumers pick the value up (a no-op for targets that read it live)."""

    def wait_ready(self, deadline: float) -> None: ...


@dataclass(frozen=True)
class TargetKind:
    """One kind of consumer: its class, and the grants one configured target of it needs."""

    target: str  # "module:Class", built with (settings entry, value key, context)
    permissions: str  # "module:function", (settings entry) -> Permissions


#: target kind (settings `kind`) → its class and grants, imported only when a target of that kind is used
TARGETS: Final[dict[str, TargetKind]] = {
    "postgres": TargetKind(
        "jobs.secret_rotation.targets.postgres:PostgresRole", "jobs.secret_rotation.targets.postgres:permissions"
    ),
    "kubernetes_secret": TargetKind(
        "jobs.secret_rotation.targets.kubernetes:KubernetesSecret",
        "jobs.secret_rotation.targets.kubernetes:permissions",
    ),
    "keycloak_client": TargetKind(
        "jobs.secret_rotation.targets.keycloak:KeycloakClient", "jobs.secret_rotation.targets.keycloak:permissions"
    ),
    "file": TargetKind("jobs.secret_rotation.targets.file:SecretFile", "jobs.secret_rotation.targets.file:permissions"),
}


def build(spec: Any, value_key: str, ctx: Any) -> Target:
    """The target a settings entry describes; `value_key` is the data key that rotates."""
    from jobs.core.registry import load_attr

    target: Target = load_attr(TARGETS[spec.kind].target)(spec, value_key, ctx)
    return target


def permissions(spec: Any) -> Permissions:
    """What the target a settings entry describes needs to be allowed to do."""
    from jobs.core.registry import load_attr

    granted: Permissions = load_attr(TARGETS[spec.kind].permissions)(spec)
    return granted
