"""A copy of each report in S3: `s3://<bucket>/<prefix><tenant>/<period kind>/<label>.pdf`.

Keys, e.g. `reports/acme/daily/2026-11-30.pdf` or `reports/acme/weekly/2026-W48.pdf`, with
`.csv` and `.json` beside when `delivery.figures`. The tenant id is one safe segment
(paths.segment): whatever the id, the key starts with the prefix and adds exactly three
segments, none `..`. Every object is stored with server-side encryption (`AES256`, or `aws:kms`
with `s3_kms_key_id`) and its Content-Type. botocore is the one retry layer (its adaptive mode
rides out throttling); what still fails is typed: an access, bucket or key problem is permanent,
a 5xx or throttling left after botocore's retries transient, an endpoint down EndpointDown.
"""

from __future__ import annotations

from typing import Any

from jobs.core.clients.aws import aws_client, endpoint_down
from jobs.core.errors import EndpointDown, PermanentError, TransientError
from jobs.core.settings import Settings
from jobs.usage_report.delivery.base import Delivered
from jobs.usage_report.delivery.files import files
from jobs.usage_report.delivery.paths import relative
from jobs.usage_report.model import Bundle, Period
from jobs.usage_report.settings import DeliverySettings, UsageReportSettings

#: AWS error codes worth another try after botocore's own (it retried them already)
_PASSING = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError", "ServiceUnavailable"}


def key(delivery: DeliverySettings, tenant_id: str, period: Period, suffix: str) -> str:
    """The object key of one file of a report (the module's docstring gives the layout)."""
    return delivery.s3_prefix + "/".join(relative(tenant_id, period)) + suffix


def encryption(delivery: DeliverySettings) -> dict[str, str]:
    """PutObject's server-side encryption parameters."""
    params: dict[str, str] = {"ServerSideEncryption": delivery.s3_encryption}
    if delivery.s3_encryption == "aws:kms" and delivery.s3_kms_key_id:
        params["SSEKMSKeyId"] = delivery.s3_kms_key_id
    return params


def _put(client: Any, what: str, **params: Any) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.put_object(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        message = f"s3: {what}: {code}: {error.get('Message', '')}"
        if code in _PASSING or status >= 500:
            raise TransientError(message, retried=True) from None
        raise PermanentError(message) from None
    except BotoCoreError as exc:
        if endpoint_down(exc):
            endpoint = str(getattr(exc, "kwargs", {}).get("endpoint_url", ""))
            raise EndpointDown(f"s3: {what}: {exc}", endpoint=endpoint) from None
        raise TransientError(f"s3: {what}: {type(exc).__name__}", retried=True) from None


class S3Channel:
    def __init__(self, settings: Settings, cfg: UsageReportSettings, client: Any = None) -> None:
        if not cfg.delivery.s3_bucket:
            raise PermanentError("usage_report.delivery.s3_bucket is not set")
        self.delivery = cfg.delivery
        self.bucket = cfg.delivery.s3_bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("s3")
        return self._client

    def deliver(self, bundle: Bundle) -> Delivered:
        report, stored = bundle.report, []
        for suffix, content, content_type in files(bundle, self.delivery.figures):
            name = key(self.delivery, report.tenant.id, report.period, suffix)
            target = f"s3://{self.bucket}/{name}"
            _put(self.client, target, Bucket=self.bucket, Key=name, Body=content, ContentType=content_type,
                 **encryption(self.delivery))  # fmt: skip
            stored.append(target)
        return Delivered(stored[0])

    def close(self) -> None:
        """boto3 clients hold a connection pool that ends with the process."""
