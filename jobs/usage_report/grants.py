"""What a usage-report run needs to be allowed, from the settings it runs with.

Reading needs no cloud grant at all: Prometheus and the analytics index are read over HTTP
with the credentials the settings name, the control plane with its read-only DSN. Writing
needs one AWS grant, and only when reports are copied to S3: PutObject under the configured
bucket and prefix (the keys are `<prefix><tenant>/<period>/...`), plus, for SSE-KMS, the
key's GenerateDataKey and Encrypt (on the key when one is named). Mail goes through the
notifications' SMTP server; a folder is the pod's volume. The Vault reads of the settings'
`vault:` references are added by the core for every job.
"""

from __future__ import annotations

from jobs.core.permissions import AwsGrant, Permissions
from jobs.usage_report.settings import UsageReportSettings


def permissions(cfg: UsageReportSettings) -> Permissions:
    delivery = cfg.delivery
    if not delivery.s3_bucket:
        return Permissions()
    resource = f"arn:aws:s3:::{delivery.s3_bucket}/{delivery.s3_prefix}*"
    grants = [AwsGrant(("s3:PutObject",), resource, "store each tenant's report, CSV and JSON")]
    if delivery.s3_encryption == "aws:kms":
        key = delivery.s3_kms_key_id
        arn = key if key and key.startswith("arn:") else "*"
        grants.append(AwsGrant(("kms:Encrypt", "kms:GenerateDataKey"), arn, "SSE-KMS for the stored reports"))
    return Permissions.of(grants)
