"""The `certificate_checker` section of the settings file."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from jobs.core.digits import is_ascii_digits
from jobs.core.settings import JobSettings
from notifications.settings import RepeatHours

_DEFAULT_PORTS = {"https": 443, "smtps": 465, "imaps": 993, "ldaps": 636}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThresholdSettings(_Strict):
    critical_days: int = Field(7, ge=0, description="fewer days left is critical (expired is always critical)")
    warning_days: int = Field(30, ge=0, description="fewer days left is a warning")
    info_days: int = Field(60, ge=0, description="fewer days left is info")

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdSettings:
        if not self.critical_days <= self.warning_days <= self.info_days:
            raise ValueError("need critical_days <= warning_days <= info_days")
        return self


class EndpointSettings(_Strict):
    """An endpoint: "host:port", "https://host[:port]/..." or this object."""

    host: str = Field(description="name or address to connect to")
    port: int = Field(443, ge=1, le=65535)
    server_name: str | None = Field(None, description="SNI and the name checked against the certificate")
    starttls: Literal["smtp", "imap", "postgres"] | None = Field(None, description="upgrade a plain connection first")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if "://" in value:
            parts = urlsplit(value)
            if not parts.hostname:
                raise ValueError(f"{value!r}: no host in URL")
            return {"host": parts.hostname, "port": parts.port or _DEFAULT_PORTS.get(parts.scheme, 443)}
        host, sep, port = value.rpartition(":")
        if not sep or not is_ascii_digits(port):
            raise ValueError(f"{value!r}: expected host:port or a URL")
        return {"host": host, "port": int(port)}

    @field_validator("host")
    @classmethod
    def _unbracketed(cls, host: str) -> str:
        """`[::1]` is how an IPv6 address is written next to a port; the address is `::1`."""
        return host.strip().removeprefix("[").removesuffix("]")

    @property
    def hostname(self) -> str:
        return self.server_name or self.host

    @property
    def resource(self) -> str:
        suffix = f"/{self.server_name}" if self.server_name and self.server_name != self.host else ""
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6, as in a URL
        return f"endpoint:{host}:{self.port}{suffix}"


class KubernetesSourceSettings(_Strict):
    enabled: bool = False
    namespaces: list[str] = Field(default_factory=list, description="[] = all namespaces")
    kubeconfig: str | None = Field(None, description="default: in-cluster, else ~/.kube/config")
    context: str | None = Field(None, description="kubeconfig context")
    page_size: int = Field(200, ge=1, le=5000, description="Secrets per list call (limit/continue)")
    timeout_seconds: float = Field(30.0, gt=0, description="per API call")


class VaultSourceSettings(_Strict):
    enabled: bool = False
    url: str | None = Field(None, description="default: the top-level vault.url, then $VAULT_ADDR")
    token: SecretStr | None = Field(None, description="default: the top-level vault.token, then $VAULT_TOKEN")
    namespace: str | None = None
    mounts: list[str] = Field(default_factory=lambda: ["pki"], description="PKI mounts to read")
    timeout_seconds: float = Field(10.0, gt=0, description="per request")


class AcmSourceSettings(_Strict):
    enabled: bool = False
    regions: list[str] = Field(default_factory=list, description="[] = $AWS_DEFAULT_REGION")


AlertSeverity = Literal["critical", "warning", "info"]


def _repeat_daily_while_critical() -> dict[AlertSeverity, float | None]:
    never: float | None = None
    return {"critical": 24.0, "warning": never, "info": never}


class CertificateCheckerSettings(JobSettings):
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings, description="days-left tiers")
    ca_bundle: str | None = Field(None, description="extra trust roots (PEM) for endpoint chains")
    files: list[str] = Field(default_factory=list, description="PEM/DER files or globs (** allowed)")
    endpoints: list[EndpointSettings] = Field(default_factory=list, description="live TLS endpoints")
    kubernetes: KubernetesSourceSettings = Field(default_factory=KubernetesSourceSettings, description="TLS Secrets")
    vault: VaultSourceSettings = Field(default_factory=VaultSourceSettings, description="Vault/OpenBao PKI mounts")
    acm: AcmSourceSettings = Field(default_factory=AcmSourceSettings, description="AWS Certificate Manager")
    concurrency: int = Field(32, ge=1, le=1024, description="endpoints probed at once")
    connect_timeout_seconds: float = Field(5.0, gt=0, description="TCP connect per endpoint")
    handshake_timeout_seconds: float = Field(
        5.0, gt=0, description="STARTTLS + TLS handshake per endpoint, one deadline (retries included)"
    )
    unreachable_severity: Literal["critical", "warning", "info"] = Field(
        "warning", description="severity of an endpoint that cannot be reached or is not TLS"
    )
    repeat_after_hours: dict[AlertSeverity, RepeatHours | None] | None = Field(
        default_factory=_repeat_daily_while_critical,
        description="re-send unchanged alerts: while critical every day, never for warning/info",
    )
