"""The S3 channel on moto: keys under the prefix, server-side encryption, content types, errors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jobs.core.errors import PermanentError, TransientError
from jobs.usage_report.delivery import Deliverer
from jobs.usage_report.delivery.s3 import S3Channel, key
from tests.fakes.base import FakeServer, Response
from tests.usage_report.delivery.conftest import S3
from tests.usage_report.delivery.samples import DAY, WEEK, bundle, report, tenant
from tests.usage_report.delivery.settings import run_settings, usage
from tests.usage_report.delivery.test_paths import IDS


def objects(s3: S3) -> dict[str, dict[str, str]]:
    listed = s3.client.list_objects_v2(Bucket=s3.bucket).get("Contents", [])
    found = {}
    for item in listed:
        head = s3.client.head_object(Bucket=s3.bucket, Key=item["Key"])
        found[item["Key"]] = {k: head.get(k) for k in ("ContentType", "ServerSideEncryption", "SSEKMSKeyId")}
    return found


def test_the_pdf_and_its_figures_are_stored_encrypted_under_the_prefix(s3: S3) -> None:
    made = bundle(report(tenant("acme"), WEEK))
    with Deliverer(run_settings(), usage(s3_bucket=s3.bucket, s3_prefix="usage/"), {"s3": s3.client}) as deliverer:
        where = deliverer.deliver("s3", made)
    assert where.where == f"s3://{s3.bucket}/usage/acme/weekly/2026-W48.pdf"
    aes = {"ServerSideEncryption": "AES256", "SSEKMSKeyId": None}
    assert objects(s3) == {
        "usage/acme/weekly/2026-W48.pdf": {"ContentType": "application/pdf", **aes},
        "usage/acme/weekly/2026-W48.csv": {"ContentType": "text/csv; charset=utf-8", **aes},
        "usage/acme/weekly/2026-W48.json": {"ContentType": "application/json", **aes},
    }
    body = s3.client.get_object(Bucket=s3.bucket, Key="usage/acme/weekly/2026-W48.pdf")["Body"].read()
    assert body == made.pdf


def test_kms_encryption_names_its_key_and_figures_can_be_left_out(s3: S3) -> None:
    kms = s3.client  # moto accepts any key id; AWS checks the key exists and the role may use it
    cfg = usage(s3_bucket=s3.bucket, s3_encryption="aws:kms", s3_kms_key_id="alias/reports", figures=False)
    S3Channel(run_settings(), cfg, kms).deliver(bundle())
    [(name, head)] = objects(s3).items()
    assert name == "acme/daily/2026-11-30.pdf"
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] and "reports" in head["SSEKMSKeyId"]


def test_the_channel_builds_its_own_client_from_the_aws_environment(s3: S3) -> None:
    S3Channel(run_settings(), usage(s3_bucket=s3.bucket, figures=False)).deliver(bundle())
    assert list(objects(s3)) == ["acme/daily/2026-11-30.pdf"]


def test_a_missing_bucket_is_a_permanent_error_naming_the_object(s3: S3) -> None:
    with pytest.raises(PermanentError, match=r"s3: s3://no-such-bucket-x/acme/daily/2026-11-30.pdf: NoSuchBucket"):
        S3Channel(run_settings(), usage(s3_bucket="no-such-bucket-x"), s3.client).deliver(bundle())


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(IDS, st.sampled_from(["", "usage/", "a/b/"]))
@example("../../x", "usage/")
@example("/", "")
@example("x" * 3000, "usage/")
def test_no_tenant_id_makes_a_key_outside_the_prefix(tenant_id: str, prefix: str) -> None:
    name = key(usage(s3_bucket="b", s3_prefix=prefix).delivery, tenant_id, DAY, ".pdf")
    assert name.startswith(prefix) and len(name.encode()) <= 1024
    parts = name.removeprefix(prefix).split("/")
    assert len(parts) == 3 and parts[1:] == ["daily", "2026-11-30.pdf"]
    assert all(p not in ("", ".", "..") and p.isascii() and p.isprintable() for p in parts), parts


def test_adversarial_tenant_ids_reach_s3_under_the_prefix(s3: S3) -> None:
    cfg = usage(s3_bucket=s3.bucket, s3_prefix="usage/", figures=False)
    channel = S3Channel(run_settings(), cfg, s3.client)
    for tenant_id in ["../../root", "a/b", "é\x00", "x" * 1500]:
        channel.deliver(bundle(report(tenant(tenant_id))))
    names = list(objects(s3))
    assert len(names) == 4 and all(n.startswith("usage/") and n.count("/") == 3 for n in names)


def s3_error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(status, body, {"Content-Type": "application/xml"})


@pytest.mark.parametrize(
    ("status", "code", "error", "calls"),
    [
        (403, "AccessDenied", PermanentError, 1),  # the role may not write there: no retry helps
        (503, "SlowDown", TransientError, 3),  # throttled: botocore's own retries spent, then the runner's
        (500, "InternalError", TransientError, 3),
    ],
)
def test_s3_errors_are_typed_after_botocore_s_own_retries(
    monkeypatch: pytest.MonkeyPatch, status: int, code: str, error: type[Exception], calls: int
) -> None:
    with FakeServer() as fake:
        fake.fail_next("PUT", ".*", s3_error(status, code, "no"), times=10)
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        with pytest.raises(error, match=f"s3: s3://reports/acme/daily/2026-11-30.pdf: {code}: no") as raised:
            S3Channel(run_settings(), usage(s3_bucket="reports")).deliver(bundle())
        assert len(fake.calls("PUT")) == calls
    assert getattr(raised.value, "retried", True)  # a transient one is not retried again by the runner
