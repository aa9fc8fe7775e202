"""The moto fleet the ttl-teardown job and extension tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobs.core.clients.aws import aws_client
from tests import services
from tests.ttl_teardown.fleet import REGION, launch_fleet


@pytest.fixture
def fleet(moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto.reset()
    ec2 = aws_client("ec2", REGION)
    ids = launch_fleet(ec2)
    yield {"ids": ids, "ec2": ec2, "dir": tmp_path}
