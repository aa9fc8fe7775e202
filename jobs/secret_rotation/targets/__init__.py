"""Where a secret is consumed. Each target proves the current value works, sets a new one,
tests it, restores the old one, and restarts what reads it. Every method is idempotent:
a resumed or rolled-back rotation calls them again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

Data = Mapping[str, str]


class Target(Protocol):
    name: str  # for reports: "postgres:billing", "kubernetes_secret:billing/db-credentials"

    def check(self, current: Data) -> None:
        """The current value still works (or the target cannot tell). PermanentError if not."""

    def set(self, new: Data) -> None: ...

    def restore(self, old: Data) -> None:
        """Back to the value before the rotation."""

    def test(self, new: Data) -> None:
        """TransientError while it may still be propagating; PermanentError when it is wrong."""

    def restart(self, at: datetime) -> None:
        """Make consumers pick the value up (a no-op for targets that read it live)."""

    def wait_ready(self, deadline: float) -> None: ...


def build(spec: Any, value_key: str, ctx: Any) -> Target:
    """The target a settings entry describes (imports only the client it needs)."""
    if spec.kind == "postgres":
        from jobs.secret_rotation.targets.postgres import PostgresRole

        return PostgresRole(spec, value_key)
    if spec.kind == "kubernetes_secret":
        from jobs.secret_rotation.targets.kubernetes import KubernetesSecret

        return KubernetesSecret(spec, ctx)
    if spec.kind == "keycloak_client":
        from jobs.secret_rotation.targets.keycloak import KeycloakClient

        return KeycloakClient(spec, value_key)
    from jobs.secret_rotation.targets.file import SecretFile

    return SecretFile(spec)
