"""Delivery tests: moto S3 with a bucket per test (the state DBs and the SMTP server are the suite's)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from jobs.core.clients.aws import aws_client
from tests import services

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@dataclass
class S3:
    client: Any
    bucket: str


@pytest.fixture
def s3(moto: services.Moto, monkeypatch: pytest.MonkeyPatch) -> S3:
    """An S3 client on moto and a bucket of this test's own (no reset: other tests share moto)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = aws_client("s3")
    bucket = f"reports-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3(client, bucket)
