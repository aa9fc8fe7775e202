"""The `ttl_teardown` section of the settings file."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator, model_validator

from jobs.core import yamlfile
from jobs.core.settings import GENERATE_SECRET, JobSettings, strong_secret
from jobs.ttl_teardown.catalog import ORDER
from jobs.ttl_teardown.providers.kubernetes import KINDS

#: the AWS types this build reads and deletes, in deletion order (catalog.py)
AWS_TYPES = tuple(kind for kind in ORDER if not kind.startswith("k8s:"))
K8S_KINDS = tuple(KINDS)
QUOTA_KEYS = ("ec2_instances", "rds_databases", "s3_buckets", "ebs_volumes_gb", "k8s_namespaces")


#: durations and sizes that only make sense above zero (a warning -48 h "before" expiry)
Positive = Annotated[int, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def distinct(values: list[Any]) -> list[Any]:
    """A list setting names each value once: a repeat is a typo (a region read twice, a
    warning window meant as another), never silently collapsed."""
    counts = Counter(values)
    repeated = [str(v) for v, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once")
    return values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TagPair(_Strict):
    key: str
    value: str


class KubernetesWhitelist(_Strict):
    namespaces: list[str] = Field(default_factory=list, description="namespaces never touched")


class WhitelistSettings(_Strict):
    aws_resources: list[str] = Field(default_factory=list, description="ARN glob patterns never deleted")
    tags: list[TagPair] = Field(default_factory=list, description="a resource with any of these tags is kept")
    kubernetes: KubernetesWhitelist = Field(default_factory=KubernetesWhitelist)


class AwsSettings(_Strict):
    enabled: bool = Field(True, description="read and tear down AWS resources in `regions`")
    types: list[str] = Field(
        default_factory=lambda: list(AWS_TYPES), min_length=1, description="resource types to consider"
    )

    @field_validator("types")
    @classmethod
    def _known(cls, types: list[str]) -> list[str]:
        return _known(distinct(types), AWS_TYPES, "type")


def _known(values: list[str], known: tuple[str, ...], what: str) -> list[str]:
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown {what}(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return values


class KubernetesSettings(_Strict):
    enabled: bool = False
    kubeconfig: str | None = Field(None, description="default: in-cluster, else ~/.kube/config")
    context: str | None = None
    kinds: list[str] = Field(default_factory=lambda: list(K8S_KINDS), min_length=1, description="kinds to consider")
    protected_namespaces: list[str] = Field(
        default_factory=lambda: ["default", "kube-system", "kube-public", "kube-node-lease"],
        description="never touched, whatever their labels say",
    )
    page_size: int = Field(200, ge=1, le=5000)
    timeout_seconds: float = Field(30.0, gt=0)

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        return _known(distinct(kinds), K8S_KINDS, "kind")


class CostSettings(_Strict):
    pricing_file: str | None = Field(
        None,
        description="on-demand prices for cost avoided; default: the shipped jobs/ttl_teardown/pricing.yaml",
    )
    horizon_days: float = Field(30.0, gt=0, description="hours a resource would otherwise have run")
    refresh: bool = Field(False, description="refresh prices from the AWS Price List API (cached in the state DB)")


class ExtensionSettings(_Strict):
    allowed_days: list[Positive] = Field(
        default_factory=lambda: [7, 14], min_length=1, description="what one extension may add"
    )
    max_count: int = Field(2, ge=0, description="extensions per resource")
    max_total_days: int = Field(60, ge=0, description="days of extension per resource in all")

    _distinct = field_validator("allowed_days")(distinct)

    @model_validator(mode="after")
    def _grantable(self) -> ExtensionSettings:
        """Sizes no extension could ever have (all above the total) are a typo, not a policy."""
        if self.max_count and min(self.allowed_days) > self.max_total_days:
            raise ValueError(
                f"allowed_days {self.allowed_days}: every size is above max_total_days ({self.max_total_days}), "
                "so no extension could be granted (set max_count: 0 to allow none)"
            )
        return self


class SnoozeSettings(_Strict):
    """The signed links in warnings, served by the public `/snooze` route: the key is all that
    stands between anyone on the internet and an extension, so it is at least 32 bytes."""

    hmac_key: SecretStr | None = Field(
        None,
        description="signs the snooze links in warnings (32+ bytes, e.g. a vault: or file: reference; "
        f"generate one: {GENERATE_SECRET}); none: no links",
    )
    base_url: str | None = Field(None, description="the Lambda function URL that serves /snooze")
    link_ttl_hours: int = Field(72, ge=1, le=720, description="how long a snooze link works (once); at most 30 days")

    _strong = field_validator("hmac_key")(strong_secret)


class AuditSettings(_Strict):
    s3_bucket: str | None = Field(None, description="also write one JSON-lines object per run here")
    s3_prefix: str = "ttl-teardown/"


class TtlTeardownSettings(JobSettings):
    regions: list[Name] = Field(default_factory=lambda: ["us-east-1"], min_length=1, description="AWS regions")
    max_ttl_days: int = Field(30, ge=1, description="a longer ttl is a violation, never honoured")
    warn_before_hours: list[Positive] = Field(
        default_factory=lambda: [48, 24], min_length=1, description="owner warnings, each once"
    )
    notice_hours: int = Field(24, ge=1, description="least time between a warning and the deletion")
    whitelist: WhitelistSettings = Field(default_factory=WhitelistSettings)
    whitelist_file: str | None = Field(
        None, description="more whitelist entries (same shape), e.g. config/whitelist.yaml"
    )
    aws: AwsSettings = Field(default_factory=AwsSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    quotas: dict[str, dict[str, NonNegative]] = Field(
        default_factory=dict, description="per project ('default' for all) limits: " + ", ".join(QUOTA_KEYS)
    )
    cost: CostSettings = Field(default_factory=CostSettings)
    extension: ExtensionSettings = Field(default_factory=ExtensionSettings)
    snooze: SnoozeSettings = Field(default_factory=SnoozeSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    _distinct = field_validator("regions", "warn_before_hours")(distinct)

    @field_validator("quotas")
    @classmethod
    def _quota_keys(cls, quotas: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for project, limits in quotas.items():
            unknown = sorted(set(limits) - set(QUOTA_KEYS))
            if unknown:
                raise ValueError(f"quotas.{project}: unknown {', '.join(unknown)}; known: {', '.join(QUOTA_KEYS)}")
        return quotas

    @model_validator(mode="after")
    def _merge_whitelist_file(self) -> TtlTeardownSettings:
        if not self.whitelist_file:
            return self
        try:
            data: Any = yamlfile.read(self.whitelist_file) or {}
        except yamlfile.YamlProblem as exc:
            raise ValueError(f"whitelist_file {self.whitelist_file}: {exc}") from None
        extra = WhitelistSettings.model_validate(data)
        self.whitelist = WhitelistSettings(
            aws_resources=[*self.whitelist.aws_resources, *extra.aws_resources],
            tags=[*self.whitelist.tags, *extra.tags],
            kubernetes=KubernetesWhitelist(
                namespaces=[*self.whitelist.kubernetes.namespaces, *extra.kubernetes.namespaces]
            ),
        )
        return self
