"""The `secret_rotation` section of the settings file."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from jobs.core.settings import JobSettings
from jobs.secret_rotation.generate import Alphabet


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VaultKvSettings(_Strict):
    url: str | None = Field(None, description="default: the top-level vault.url, then $VAULT_ADDR")
    token: SecretStr | None = Field(None, description="default: the top-level vault.token, then $VAULT_TOKEN")
    namespace: str | None = None
    mount: str = Field("secret", description="the KV v2 mount")
    paths: list[str] = Field(default_factory=lambda: ["apps/"], description="folders whose secrets are managed")
    timeout_seconds: float = Field(10.0, gt=0, description="per request")

    @field_validator("paths")
    @classmethod
    def _literal_folders(cls, paths: list[str]) -> list[str]:
        """Folders, read literally: a `+` or `*` would be a wildcard in the generated Vault policy
        (wider than what is managed) and `..` is no folder (`""` is the whole mount)."""
        for path in paths:
            if "+" in path or "*" in path or ".." in path.split("/"):
                raise ValueError(f"{path!r}: a folder of the mount is named literally (no '+', '*' or '..')")
        return paths


class RotationPolicy(_Strict):
    max_age_days: float = Field(gt=0)
    notify_before_days: float = Field(ge=0)
    auto_rotate: bool = True


class Generation(_Strict):
    length: int = Field(40, ge=16, le=512)
    alphabet: Alphabet = "alphanumeric"
    key: str = Field("value", description="the data key that holds the generated value")


def _policies() -> dict[str, RotationPolicy]:
    return {
        "api_key": RotationPolicy(max_age_days=30, notify_before_days=7),
        "oauth_client": RotationPolicy(max_age_days=90, notify_before_days=14),
        "db_password": RotationPolicy(max_age_days=90, notify_before_days=14),
        "service_account": RotationPolicy(max_age_days=180, notify_before_days=30),
        "encryption_key": RotationPolicy(max_age_days=365, notify_before_days=60, auto_rotate=False),
    }


def _generation() -> dict[str, Generation]:
    return {
        "api_key": Generation(length=40, alphabet="alphanumeric", key="api_key"),
        "oauth_client": Generation(length=48, alphabet="urlsafe", key="client_secret"),
        "db_password": Generation(length=32, alphabet="database", key="password"),
        "service_account": Generation(length=48, alphabet="urlsafe", key="token"),
    }


class _Target(_Strict):
    secret: str = Field(description="the managed secret's path under the mount, e.g. apps/billing/db")


class PostgresTarget(_Target):
    kind: Literal["postgres"]
    dsn: SecretStr = Field(description="admin DSN that may ALTER ROLE; the login test uses its host/port/dbname")
    connect_timeout_seconds: int = Field(5, ge=1)


#: how a restart entry may name its kind → the kind (as the Kubernetes client's methods spell it)
WORKLOAD_KINDS = {
    **dict.fromkeys(("deployment", "deploy"), "deployment"),
    **dict.fromkeys(("statefulset", "stateful_set", "sts"), "stateful_set"),
    **dict.fromkeys(("daemonset", "daemon_set", "ds"), "daemon_set"),
}


def workload(text: str) -> tuple[str, str]:
    """`deployment/<name>` (and its short forms) → (kind, name); ValueError naming the entry."""
    kind, _, name = text.partition("/")
    if kind.lower() not in WORKLOAD_KINDS or not name or "/" in name:
        raise ValueError(f"restart {text!r} is not deployment/<name>, statefulset/<name> or daemonset/<name>")
    return WORKLOAD_KINDS[kind.lower()], name


class KubernetesSecretTarget(_Target):
    kind: Literal["kubernetes_secret"]
    namespace: str
    name: str
    keys: dict[str, str] = Field(default_factory=dict, description="KV key → Secret key; default: the same names")
    restart: list[str] = Field(
        default_factory=list, description="deployment/<name>, statefulset/<name> or daemonset/<name> to restart"
    )

    @field_validator("restart")
    @classmethod
    def _workloads(cls, entries: list[str]) -> list[str]:
        """Checked as the settings load (exit 2 naming the entry), not at the first rotation."""
        for entry in entries:
            workload(entry)
        return entries


class KeycloakClientTarget(_Target):
    kind: Literal["keycloak_client"]
    url: str
    realm: str
    client_id: str
    admin_realm: str = "master"
    admin_client_id: str = "admin-cli"
    admin_username: str | None = None
    admin_password: SecretStr | None = None
    admin_client_secret: SecretStr | None = Field(None, description="client_credentials admin login instead of a user")

    @model_validator(mode="after")
    def _login(self) -> KeycloakClientTarget:
        if not self.admin_client_secret and not (self.admin_username and self.admin_password):
            raise ValueError("set admin_username + admin_password, or admin_client_secret")
        return self


class FileTarget(_Target):
    kind: Literal["file"]
    path: str
    format: Literal["env", "value"] = Field("env", description="env: KEY=value lines; value: one value")
    key: str | None = Field(None, description="with format value: which data key; default: the rotated one")
    prefix: str = Field("", description="with format env: prepended to each upper-cased key")


Target = Annotated[
    PostgresTarget | KubernetesSecretTarget | KeycloakClientTarget | FileTarget, Field(discriminator="kind")
]


class KubernetesSettings(_Strict):
    kubeconfig: str | None = Field(None, description="default: in-cluster, else ~/.kube/config")
    context: str | None = None


class SecretRotationSettings(JobSettings):
    max_actions_percent: float = Field(100.0, ge=0, le=100, description="guardrail: % of the inventory")
    vault: VaultKvSettings = Field(default_factory=VaultKvSettings)
    policies: dict[str, RotationPolicy] = Field(default_factory=_policies, description="per secret type")
    generation: dict[str, Generation] = Field(
        default_factory=_generation, description="per secret type: length, alphabet and data key of new values"
    )
    targets: list[Target] = Field(default_factory=list, description="where each secret is consumed")
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    concurrency: int = Field(4, ge=1, le=32, description="secrets rotated at once (each one's steps stay in order)")
    test_attempts: int = Field(5, ge=1, le=20, description="tries of each target test (propagation)")
    test_backoff_seconds: float = Field(0.5, ge=0, description="first pause between tests; doubles")
    rollout_timeout_seconds: float = Field(300, gt=0, description="wait for restarted workloads to be ready")
    lock_minutes: float = Field(
        1,
        gt=0,
        description="a secret's lock is refreshed every third of this while held; one not refreshed for this long "
        "(its holder died, on any host) is taken over",
    )
    journal_days: int = Field(90, ge=1, description="closed rotations leave the journal after this (the audit stays)")

    @model_validator(mode="after")
    def _policies_cover_generation(self) -> SecretRotationSettings:
        missing = sorted(t for t, p in self.policies.items() if p.auto_rotate and t not in self.generation)
        if missing:
            raise ValueError(f"generation: no rule for automatically rotated type(s) {', '.join(missing)}")
        return self
