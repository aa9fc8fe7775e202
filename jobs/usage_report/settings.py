"""The `usage_report` section of the settings file."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from jobs.core.settings import JobSettings

#: a Prometheus label name and a metric name, as the exposition format allows them: anything
#: else fails every query at run time (or, spliced into PromQL, changes what it asks)
LabelName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
MetricName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]


def _http_url(value: str) -> str:
    """An http(s) URL with a host: `not a url` or `ftp://x` is a settings error (exit 2), not
    every query failing at run time."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host, e.g. http://prometheus:9090")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricNames(_Strict):
    """The gateway's metric names (`usage_report.queries`): override where they differ."""

    requests: MetricName = Field("gateway_requests_total", description="counter {tenant, api, application, code}")
    duration: MetricName = Field(
        "gateway_request_duration_seconds", description="histogram: _bucket{tenant, le}, _sum, _count"
    )
    request_bytes: MetricName = Field("gateway_request_size_bytes_total", description="counter {tenant}: inbound bytes")
    response_bytes: MetricName = Field(
        "gateway_response_size_bytes_total", description="counter {tenant}: outbound bytes"
    )
    api_label: LabelName = Field("api", description="the label naming the API on the requests counter")
    application_label: LabelName = Field("application", description="the label naming the consumer application")
    code_label: LabelName = Field("code", description="the label holding the HTTP status code")


class PrometheusSettings(_Strict):
    url: Annotated[str, AfterValidator(_http_url)] = Field(
        description="Prometheus base URL, e.g. http://prometheus:9090"
    )
    timeout_seconds: float = Field(30.0, gt=0, description="per query")
    tenant_label: LabelName = Field("tenant", description="the label naming the tenant on every metric")
    scrape_interval_seconds: int = Field(
        60,
        ge=1,
        le=43200,
        description="the gateway's scrape interval (a backfill's sample interval): completeness counts "
        "intervals with samples; at most 43200 (two intervals in a daily period)",
    )
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="extra HTTP headers (e.g. Authorization: a vault: or file: reference)"
    )
    ca_file: str | None = Field(None, description="CA bundle for a Prometheus behind a private CA")


class ControlPlaneQueries(_Strict):
    """SQL statements (read-only) for a control plane whose schema differs from the default."""

    tenants: str = Field(
        "SELECT id, name, contact_email, locale, monthly_call_quota, active FROM tenants",
        description="id, name, contact_email, locale, monthly_call_quota, active",
    )
    apis: str = Field("SELECT tenant_id, count(*) FROM apis GROUP BY tenant_id", description="tenant_id, count")
    applications: str = Field(
        "SELECT tenant_id, count(*) FROM applications GROUP BY tenant_id", description="tenant_id, count"
    )
    users: str = Field("SELECT tenant_id, count(*) FROM users GROUP BY tenant_id", description="tenant_id, count")


class ControlPlaneSettings(_Strict):
    dsn: SecretStr = Field(description="SQLAlchemy URL of the control-plane DB (read-only user); a vault: reference")
    timeout_seconds: float = Field(30.0, gt=0, description="connect and statement timeout")
    queries: ControlPlaneQueries = Field(default_factory=ControlPlaneQueries)


class GatewayAnalyticsSettings(_Strict):
    """An OpenSearch/Elasticsearch index of gateway calls: top APIs and applications when
    Prometheus lacks the `api`/`application` labels."""

    url: str = Field(description="e.g. https://opensearch:9200")
    index: str = Field(description="index or pattern, e.g. gateway-*")
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    ca_file: str | None = None
    verify_tls: bool = True
    time_field: str = Field("@timestamp", description="the document's time")
    tenant_field: str = Field("tenant", description="keyword field naming the tenant")
    api_field: str = Field("api", description="keyword field naming the API")
    application_field: str = Field("application", description="keyword field naming the consumer application")
    status_field: str = Field("status", description="numeric HTTP status")


class DeliverySettings(_Strict):
    email: bool = Field(True, description="mail each tenant's PDF to its contacts (notifications.email's server)")
    s3_bucket: str | None = Field(
        None, description="also store <s3_prefix><tenant>/<daily|weekly>/<label>.pdf here (label: 2026-11-30, 2026-W48)"
    )
    s3_prefix: str = Field("", description="key prefix in the bucket")
    s3_encryption: Literal["AES256", "aws:kms"] = Field("AES256", description="server-side encryption")
    s3_kms_key_id: str | None = Field(None, description="the KMS key for aws:kms; default: the account's")
    directory: str | None = Field(
        None, description="also write <tenant>/<daily|weekly>/<label>.pdf under this folder (atomically, 0640)"
    )
    figures: bool = Field(True, description="a CSV and a JSON of the figures beside each stored PDF")
    bcc: list[str] = Field(default_factory=list, description="a copy of every report mail (an archive address)")


class UsageReportSettings(JobSettings):
    prometheus: PrometheusSettings | None = Field(None, description="required for a run")
    queries: MetricNames = Field(default_factory=MetricNames)
    control_plane: ControlPlaneSettings | None = Field(None, description="required for a run")
    gateway_analytics: GatewayAnalyticsSettings | None = None
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    top_n: int = Field(5, ge=1, le=50, description="rows of each top-N table")
    render_workers: int = Field(0, ge=0, description="processes rendering PDFs; 0 = the machine's cores")
    font_dir: str | None = Field(
        None,
        description="a folder with DejaVuSans.ttf, DejaVuSans-Bold.ttf and DejaVuSansMono.ttf; default: "
        "$USAGE_REPORT_FONT_DIR, then the system's (fonts-dejavu-core), else reportlab's bundled Vera",
    )
    include_inactive: bool = Field(False, description="report on tenants whose `active` is false too")
    completeness_warning_below: float = Field(
        1.0, ge=0, le=1, description="a completeness below this share is a warning finding (and stated)"
    )
